// Package manager assembles the operator's controller manager: the scheme, a cache that holds
// only the operator's own Jobs and pods, both controllers, the database connection (optional,
// and never required to make progress), probes, metrics and leader election.
package manager

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/controllers"
	"github.com/ooheynerds/backfill-operator/internal/budget"
	"github.com/ooheynerds/backfill-operator/internal/database"
	"github.com/ooheynerds/backfill-operator/internal/mirror"
	"github.com/ooheynerds/backfill-operator/internal/scheme"
)

// Scheme knows the built-in kinds and the operator's kinds.
func Scheme() *runtime.Scheme { return scheme.New() }

// Options configure the manager.
type Options struct {
	MetricsAddr    string // "0" disables metrics
	SecureMetrics  bool   // serve metrics over HTTPS with authentication and authorization
	ProbeAddr      string // "0" disables probes
	LeaderElection bool
	// LeaderElectionNamespace is where the lease lives (defaults to the in-cluster namespace).
	LeaderElectionNamespace string
	// DatabaseURL is the manager's PostgreSQL; empty runs without the mirror and reads results
	// from the attempts' termination messages only.
	DatabaseURL string
	// Jobs builds each attempt's Job.
	Jobs controllers.JobFactory
	// Clock is injected by tests to walk through days; the real clock otherwise.
	Clock clock.PassiveClock
	// Models is how many LLMs a month calls, for plan estimates.
	Models int
	// CoalesceMonthEvents delays campaign passes after month events (controllers.DefaultCoalesce
	// when zero); tests shorten it.
	CoalesceMonthEvents time.Duration
	// SkipNameValidation lets tests start several managers in one process.
	SkipNameValidation bool
	// FanoutWorkers bounds a campaign pass's month creates in flight
	// (controllers.DefaultFanoutWorkers when zero).
	FanoutWorkers int
	// Pprof serves net/http/pprof under /debug/pprof/ on the metrics endpoint, behind its
	// authentication and authorization; it requires SecureMetrics.
	Pprof bool
	// WatchNamespaces restricts every cache (campaigns, months, Jobs, pods) to these
	// namespaces, so the manager needs rights only there (RoleBindings instead of a
	// ClusterRoleBinding); empty watches the whole cluster.
	WatchNamespaces []string
}

// New builds a manager with both controllers registered. The returned close function
// releases the database pool once the manager has stopped.
func New(ctx context.Context, cfg *rest.Config, o Options) (ctrl.Manager, func(), error) {
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	own := labels.SelectorFromSet(labels.Set{v1alpha1.LabelManagedBy: v1alpha1.ManagedByValue})
	metrics := metricsserver.Options{BindAddress: o.MetricsAddr}
	if o.SecureMetrics {
		metrics.SecureServing = true
		metrics.FilterProvider = filters.WithAuthenticationAndAuthorization
	}
	if o.Pprof {
		if !o.SecureMetrics || o.MetricsAddr == "0" {
			return nil, nil, fmt.Errorf("pprof is served only on the authenticated metrics endpoint: it needs secure metrics enabled")
		}
		metrics.ExtraHandlers = pprofHandlers()
	}
	shutdown := 30 * time.Second
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                        Scheme(),
		Metrics:                       metrics,
		HealthProbeBindAddress:        o.ProbeAddr,
		LeaderElection:                o.LeaderElection,
		LeaderElectionID:              "backfill-operator.alexandria.ooheynerds.com",
		LeaderElectionNamespace:       o.LeaderElectionNamespace,
		LeaderElectionReleaseOnCancel: true,
		GracefulShutdownTimeout:       &shutdown,
		Controller:                    config.Controller{SkipNameValidation: ptr.To(o.SkipNameValidation)},
		// Campaigns are read unstructured (see controllers.getCampaign); from the cache too.
		Client: client.Options{Cache: &client.CacheOptions{Unstructured: true}},
		Cache: cache.Options{DefaultTransform: trimForCache(), DefaultNamespaces: namespaceConfigs(o.WatchNamespaces), ByObject: map[client.Object]cache.ByObject{
			// only the operator's own Jobs and their pods, never the cluster's
			&batchv1.Job{}: {Label: own},
			&corev1.Pod{}:  {Label: own},
		}},
	})
	if err != nil {
		return nil, nil, fmt.Errorf("creating manager: %w", err)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, nil, err
	}

	var pool *pgxpool.Pool
	closeDB := func() {}
	if o.DatabaseURL != "" {
		if pool, err = database.Open(ctx, o.DatabaseURL); err != nil {
			return nil, nil, err
		}
		closeDB = pool.Close
		if err := mgr.Add(migrator{pool: pool}); err != nil {
			return nil, nil, err
		}
	}
	if pool != nil {
		if err := mgr.Add(&deletionSweeper{pool: pool, cache: mgr.GetCache(), namespaces: o.WatchNamespaces,
			settle: 2 * time.Second, interval: time.Minute}); err != nil {
			return nil, nil, err
		}
	}
	results := controllers.Results{Client: mgr.GetClient()}
	var mirrorWriter controllers.Mirror
	if pool != nil {
		results.DB = pool
		mirrorWriter = &mirror.Batcher{DB: pool}
	}
	// One ledger serializes the admissions of campaigns that share an ISBNdb key; the budget
	// controller counts each key's day through it.
	ledger := &budget.Ledger{}
	recounts := make(chan event.GenericEvent, 64)
	campaigns := &controllers.CampaignReconciler{
		Client: mgr.GetClient(), Scheme: mgr.GetScheme(), Clock: o.Clock,
		Recorder: mgr.GetEventRecorder("backfillcampaign-controller"), Models: o.Models, Coalesce: o.CoalesceMonthEvents,
		DatabaseReachable: reachable(pool), FanoutWorkers: o.FanoutWorkers, Budgets: ledger, BudgetEvents: recounts,
	}
	if err := campaigns.SetupWithManager(ctx, mgr); err != nil {
		return nil, nil, fmt.Errorf("setting up campaign controller: %w", err)
	}
	var budgetInterval time.Duration
	if o.CoalesceMonthEvents > 0 {
		budgetInterval = 10 * o.CoalesceMonthEvents // as the campaign's count-only status writes
	}
	if err := (&controllers.BudgetReconciler{
		Client: mgr.GetClient(), Clock: o.Clock, Recorder: mgr.GetEventRecorder("backfillbudget-controller"),
		Ledger: ledger, Events: recounts, Interval: budgetInterval,
	}).SetupWithManager(mgr); err != nil {
		return nil, nil, fmt.Errorf("setting up budget controller: %w", err)
	}
	months := &controllers.MonthReconciler{
		Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Scheme: mgr.GetScheme(), Clock: o.Clock,
		Recorder: mgr.GetEventRecorder("backfillmonth-controller"), Jobs: o.Jobs, Results: results, Mirror: mirrorWriter,
	}
	if err := months.SetupWithManager(mgr); err != nil {
		return nil, nil, fmt.Errorf("setting up month controller: %w", err)
	}
	// ready once the caches have synced and both controllers' workers take work: a replica
	// that reports ready admits months and runs them. Cache sync alone passes before the
	// controllers' own informers have started their workers.
	if err := mgr.AddReadyzCheck("readyz", func(req *http.Request) error {
		if !mgr.GetCache().WaitForCacheSync(req.Context()) {
			return fmt.Errorf("cache not synced")
		}
		if err := campaigns.Workers.Check(req); err != nil {
			return fmt.Errorf("campaign controller: %w", err)
		}
		if err := months.Workers.Check(req); err != nil {
			return fmt.Errorf("month controller: %w", err)
		}
		return nil
	}); err != nil {
		return nil, nil, err
	}
	return mgr, closeDB, nil
}

// migrator applies the schema once the database is reachable, retrying through an outage
// instead of keeping the manager from starting: months still progress meanwhile.
type migrator struct{ pool *pgxpool.Pool }

func (m migrator) Start(ctx context.Context) error {
	logger := log.FromContext(ctx).WithName("migrations")
	delay := time.Second
	for {
		err := database.Migrate(ctx, m.pool)
		if err == nil {
			logger.Info("Database schema is up to date")
			return nil
		}
		logger.Info("Database not ready; will retry", "error", err.Error(), "after", delay)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(delay):
		}
		delay = min(delay*2, 30*time.Second)
	}
}

// NeedLeaderElection lets every replica wait for the schema, not only the leader.
func (migrator) NeedLeaderElection() bool { return false }

// reachable is the campaign controller's database check; nil without a database.
func reachable(pool *pgxpool.Pool) func(context.Context) error {
	if pool == nil {
		return nil
	}
	return pool.Ping
}

// namespaceConfigs is the cache's namespace restriction; nil (all namespaces) when none.
func namespaceConfigs(namespaces []string) map[string]cache.Config {
	if len(namespaces) == 0 {
		return nil
	}
	out := make(map[string]cache.Config, len(namespaces))
	for _, ns := range namespaces {
		out[ns] = cache.Config{}
	}
	return out
}
