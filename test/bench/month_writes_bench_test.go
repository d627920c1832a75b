package bench

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/controllers"
	"github.com/ooheynerds/backfill-operator/internal/database"
	"github.com/ooheynerds/backfill-operator/internal/dev/builders"
	"github.com/ooheynerds/backfill-operator/internal/dev/localpg"
	"github.com/ooheynerds/backfill-operator/internal/dev/testenv"
	"github.com/ooheynerds/backfill-operator/internal/naming"
)

// lifeMonths is how many months the lifecycle benchmark runs, lifeConcurrency how many at once.
const lifeMonths, lifeConcurrency = 12, 4

// BenchmarkMonthLifecycleWrites runs a Live campaign of 12 months (4 at a time) through its
// whole life with the manager in-process, the PostgreSQL mirror on and the production
// coalescing delay, standing in for the worker (its attempt row) and the Job controller (the
// Job's Complete condition), and counts what the manager sent to the API server per month:
// writes (every verb but GET, LIST and WATCH; Events included), of which Events, writes on
// months and their Jobs, and on campaigns; GETs around the cache; conflicts (409).
func BenchmarkMonthLifecycleWrites(b *testing.B) {
	var total requests
	for range b.N {
		r := runLifecycle(b)
		for k, v := range r {
			if total == nil {
				total = requests{}
			}
			total[k] += v
		}
	}
	per := float64(lifeMonths * b.N)
	var writes, events, monthWrites, campaignWrites, gets, conflicts int
	for kind, n := range total {
		verb, resource, _ := strings.Cut(kind, " ")
		if strings.HasSuffix(kind, "(409)") {
			conflicts += n
		}
		switch verb {
		case "GET":
			gets += n
			continue
		case "LIST", "WATCH":
			continue
		}
		writes += n
		switch {
		case strings.HasPrefix(resource, "events"):
			events += n
		case strings.HasPrefix(resource, "backfillmonths"), strings.HasPrefix(resource, "jobs"):
			monthWrites += n
		case strings.HasPrefix(resource, "backfillcampaigns"):
			campaignWrites += n
		}
	}
	b.ReportMetric(float64(writes)/per, "writes/month")
	b.ReportMetric(float64(events)/per, "event-writes/month")
	b.ReportMetric(float64(monthWrites)/per, "month+job-writes/month")
	b.ReportMetric(float64(campaignWrites)/per, "campaign-writes/month")
	b.ReportMetric(float64(gets)/per, "gets/month")
	b.ReportMetric(float64(conflicts)/per, "conflicts/month")
	b.Logf("requests over %d months: %s", lifeMonths*b.N, total)
}

// runLifecycle is one campaign's life in a fresh namespace, database and manager; it returns
// the requests the manager sent from the campaign's creation until it went idle after the last
// month completed.
func runLifecycle(b *testing.B) requests {
	b.StopTimer()
	ctx := context.Background()
	ns, err := env.Namespace(ctx, "life")
	if err != nil {
		b.Fatal(err)
	}
	dbURL := localpg.NewDatabase(b)
	pool, err := database.Connect(ctx, dbURL)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	clock := clocktesting.NewFakeClock(start)
	counter := newRequestCounter()
	mgr, err := env.StartManager(ctx, testenv.ManagerOptions{
		Clock: clock, DatabaseURL: dbURL, Jobs: jobs,
		WrapTransport: counter.wrap, CoalesceMonthEvents: controllers.DefaultCoalesce,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer mgr.Stop()
	c := builders.MakeCampaign("life", ns).Phase("all", 2020, 2020, lifeMonths, lifeConcurrency).Database("db", "url").Obj()
	before := counter.snapshot()

	b.StartTimer()
	if err := env.Client.Create(ctx, c); err != nil {
		b.Fatal(err)
	}
	finished := map[string]bool{}
	waitFor(b, 5*time.Minute, fmt.Sprintf("all %d months to complete", lifeMonths), func() bool {
		var list v1alpha1.BackfillMonthList
		if err := env.Client.List(ctx, &list, client.InNamespace(ns)); err != nil {
			b.Fatal(err)
		}
		completed := 0
		for i := range list.Items {
			m := &list.Items[i]
			switch {
			case m.Status.State == v1alpha1.MonthCompleted:
				completed++
			case m.Status.State == v1alpha1.MonthProcessing && !finished[m.Name]:
				finishAttempt(b, ctx, pool, m)
				finished[m.Name] = true
			}
		}
		return completed == lifeMonths
	})
	b.StopTimer()
	waitIdle(b)
	return counter.since(before)
}

// finishAttempt reports the month's current attempt as the worker would and completes its Job
// as the Job controller would (neither runs against this control plane).
func finishAttempt(b *testing.B, ctx context.Context, pool database.Querier, m *v1alpha1.BackfillMonth) {
	n := int(m.Status.Attempts)
	if _, err := database.InsertAttempt(ctx, pool, database.Attempt{
		AttemptKey: database.AttemptKey{Namespace: m.Namespace, Campaign: m.Spec.Campaign, Year: int(m.Spec.Year), Month: int(m.Spec.Month), MonthUID: string(m.UID), Attempt: n},
		Mode:       "Live", Outcome: database.OutcomeSucceeded, PromptVariant: "baseline", BooksRequested: 20, BooksGenerated: 20, ISBNsResolved: 20,
		Calls: map[string]int{"gemini": 1}, StartedAt: start, FinishedAt: start,
	}); err != nil {
		b.Fatal(err)
	}
	var job batchv1.Job
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: m.Namespace, Name: naming.Job(m.Name, n)}, &job); err != nil {
		b.Fatal(err)
	}
	now := metav1.Now()
	job.Status = batchv1.JobStatus{StartTime: &now, CompletionTime: &now, Succeeded: 1, Conditions: []batchv1.JobCondition{
		{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, LastTransitionTime: now},
	}}
	if err := env.Client.Status().Update(ctx, &job); err != nil {
		b.Fatal(err)
	}
}
