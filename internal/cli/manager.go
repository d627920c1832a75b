package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/validation"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/controllers"
	"github.com/ooheynerds/backfill-operator/internal/attemptjob"
	"github.com/ooheynerds/backfill-operator/internal/manager"
)

func newManagerCommand() *cobra.Command {
	var (
		o          manager.Options
		image      string
		dbSecret   string
		kubeconfig string
		qps        float32
		burst      int
		zapOpts    = zap.Options{}
	)
	cmd := &cobra.Command{
		Use:   "manager",
		Short: "Run the controllers (campaigns, months, the backfill_log mirror)",
		Long: `Run the BackfillCampaign and BackfillMonth controllers.

The database URL comes from the DATABASE_URL environment variable (populate it from a Secret);
without it the manager runs without the backfill_log mirror and reads attempt results from the
Jobs' termination messages.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
			o.DatabaseURL = os.Getenv("DATABASE_URL")
			jobs := attemptjob.Builder{Image: image}
			if dbSecret != "" {
				name, key, ok := strings.Cut(dbSecret, "/")
				if !ok || name == "" || key == "" {
					return errors.New("--worker-database-secret must be NAME/KEY of a Secret in each campaign's namespace")
				}
				jobs.DatabaseSecret = &v1alpha1.SecretKeyRef{Name: name, Key: key}
			}
			o.Jobs = jobs
			if err := validNamespaces(o.WatchNamespaces); err != nil {
				return err
			}
			if kubeconfig != "" {
				_ = os.Setenv("KUBECONFIG", kubeconfig)
			}
			cfg, err := ctrl.GetConfig()
			if err != nil {
				return fmt.Errorf("loading Kubernetes client configuration: %w", err)
			}
			cfg.QPS, cfg.Burst = qps, burst
			ctx := ctrl.SetupSignalHandler()
			mgr, closeDB, err := manager.New(ctx, cfg, o)
			if err != nil {
				return err
			}
			defer closeDB()
			ctrl.Log.WithName("setup").Info("Starting manager", "database", o.DatabaseURL != "", "workerImage", image)
			return mgr.Start(ctx)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.MetricsAddr, "metrics-bind-address", ":8443", `metrics endpoint address ("0" disables it)`)
	f.BoolVar(&o.SecureMetrics, "metrics-secure", true, "serve metrics over HTTPS, authenticated and authorized through the API server")
	f.StringVar(&o.ProbeAddr, "health-probe-bind-address", ":8081", "liveness and readiness probe address")
	f.BoolVar(&o.LeaderElection, "leader-elect", false, "elect a leader so only one replica reconciles")
	f.StringVar(&o.LeaderElectionNamespace, "leader-election-namespace", "", "namespace of the leader election lease (default: the pod's)")
	f.StringVar(&image, "worker-image", os.Getenv("WORKER_IMAGE"), "image of the month Jobs' worker (the operator's own image); campaigns may override it")
	f.StringVar(&dbSecret, "worker-database-secret", "", "NAME/KEY of the Secret holding the workers' DATABASE_URL, for campaigns that set none")
	f.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig file (default: in-cluster or $KUBECONFIG)")
	// The operator's steady state needs a few requests per month change; the limiter matters
	// for bursts (a campaign's fan-out of up to 2,400 months, a resync after a restart) and as a
	// fuse against a runaway loop. The API server's priority and fairness shares its capacity
	// among clients and answers 429 (which client-go retries) when this one asks too much.
	f.Float32Var(&qps, "kube-api-qps", 500, "sustained requests per second to the API server (client-side limit; the server's priority and fairness applies as well)")
	f.IntVar(&burst, "kube-api-burst", 1000, "requests the client may send at once above --kube-api-qps")
	f.IntVar(&o.FanoutWorkers, "fanout-workers", controllers.DefaultFanoutWorkers, "month creates one campaign pass keeps in flight")
	f.BoolVar(&o.Pprof, "pprof", false, "serve /debug/pprof/ on the metrics endpoint, behind its authentication and authorization (needs --metrics-secure)")
	f.IntVar(&o.Models, "models", 2, "LLMs each month calls, for plan estimates")
	f.StringSliceVar(&o.WatchNamespaces, "watch-namespaces", nil,
		"only watch campaigns, months, Jobs and pods in these namespaces (comma-separated); the manager then needs rights only there. Default: the whole cluster")
	addGoFlags(cmd, zapOpts.BindFlags)
	return cmd
}

// validNamespaces refuses a --watch-namespaces list a cache could not honour: empty entries
// (a stray comma would otherwise mean "every namespace") and names that are not DNS labels.
func validNamespaces(namespaces []string) error {
	seen := map[string]bool{}
	for _, ns := range namespaces {
		if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
			return fmt.Errorf("--watch-namespaces: %q is not a namespace name: %s", ns, strings.Join(errs, "; "))
		}
		if seen[ns] {
			return fmt.Errorf("--watch-namespaces: %q is listed twice", ns)
		}
		seen[ns] = true
	}
	return nil
}
