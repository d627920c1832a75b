package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/dev/builders"
	"github.com/ooheynerds/backfill-operator/internal/dev/localsystem"
	"github.com/ooheynerds/backfill-operator/internal/manager"
)

func init() { ctrllog.SetLogger(logr.Discard()) }

// rawWorkers is how many goroutines create months directly: the API server's own create
// throughput for BackfillMonths on this machine, the ideal the operator's fan-out is held to.
const rawWorkers = 16

// fanoutCampaigns are 3000 months in Plan mode: two campaigns of 1500 (a campaign's years lie
// within 1900–2100, so one holds at most 2412 months).
func fanoutCampaigns(ns string) []*v1alpha1.BackfillCampaign {
	return []*v1alpha1.BackfillCampaign{
		builders.MakeCampaign("fanout-a", ns).Mode(v1alpha1.ModePlan).
			Phase("validate", 2020, 2020, 5, 2).Gate(90).Phase("recent", 2021, 2024, 15, 5).Phase("history", 1900, 2019, 20, 5).Obj(),
		builders.MakeCampaign("fanout-b", ns).Mode(v1alpha1.ModePlan).Phase("future", 1975, 2099, 20, 5).Obj(),
	}
}

// BenchmarkFanout measures, in one run, 3000 BackfillMonths created by rawWorkers goroutines
// straight to the API server (the manager stopped), then the running manager fanning two
// Plan-mode campaigns out into the same 3000 months (until both statuses count them), then the
// raw creates again; and, from the audit log, the manager's requests per month.
func BenchmarkFanout(b *testing.B) {
	const months = 3000
	ctx := context.Background()
	raw := newRawClient(b)
	for i := 0; i < b.N; i++ {
		raw1 := rawCreate(b, raw, months)
		ns := namespace(b, "fanout")
		from := auditMark()
		cpu0 := managerCPU(b)
		tx0 := databaseTransactions(b)
		started := time.Now()
		for _, c := range fanoutCampaigns(ns) {
			if err := sys.Client.Create(ctx, c); err != nil {
				b.Fatal(err)
			}
		}
		waitCounted(b, ns, months)
		elapsed := time.Since(started)
		cpu := managerCPU(b) - cpu0
		atTotal := auditMark()
		if err := waitManagerIdle(2*time.Second, 2*time.Minute); err != nil {
			b.Fatal(err)
		}
		tx := databaseTransactions(b) - tx0 // read idle: PostgreSQL publishes its counts within a second
		evs, err := auditEvents(from, -1)
		if err != nil {
			b.Fatal(err)
		}
		evsAtTotal, _ := auditEvents(from, atTotal)
		var list v1alpha1.BackfillMonthList
		if err := sys.Client.List(ctx, &list, client.InNamespace(ns)); err != nil {
			b.Fatal(err)
		}
		if len(list.Items) != months {
			b.Fatalf("%d months exist, want %d", len(list.Items), months)
		}
		raw2 := rawCreate(b, raw, months)
		op := months / elapsed.Seconds()
		rawMean := (raw1 + raw2) / 2
		idle, atN := count(evs, managerAgent), count(evsAtTotal, managerAgent)
		b.Logf("raw %.1f months/s, operator %.1f months/s (%.2fs), raw %.1f months/s; operator/raw = %.3f", raw1, op, elapsed.Seconds(), raw2, op/rawMean)
		b.Logf("manager requests at total==N: %d (%.3f/month); when idle: %s", atN.total, float64(atN.total)/months, idle)
		b.Logf("manager CPU during the fan-out: %.2f s (%.0f µs/month); PostgreSQL transactions: %.0f", cpu, cpu*1e6/months, tx)
		b.ReportMetric(float64(tx), "db-transactions")
		b.ReportMetric(cpu*1e6/months, "manager-cpu-µs/month")
		b.ReportMetric(raw1, "raw1-months/s")
		b.ReportMetric(op, "operator-months/s")
		b.ReportMetric(raw2, "raw2-months/s")
		b.ReportMetric(op/rawMean, "operator/raw")
		b.ReportMetric(float64(idle.writes)/months, "writes/month")
		b.ReportMetric(float64(idle.gets)/months, "gets/month")
		b.ReportMetric(float64(idle.byKey["update backfillcampaigns/status 200"]), "campaign-status-writes")
	}
}

// newRawClient is a client with no client-side rate limit and a user agent of its own.
func newRawClient(b *testing.B) client.Client {
	cfg := rest.CopyConfig(sys.Cluster.RESTConfig())
	cfg.QPS, cfg.Burst, cfg.UserAgent = -1, 0, "bench-raw"
	c, err := client.New(cfg, client.Options{Scheme: manager.Scheme()})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// rawCreate stops the manager, creates n suspended months with rawWorkers goroutines in a new
// namespace, removes them again and restarts the manager; it returns months per second.
func rawCreate(b *testing.B, c client.Client, n int) float64 {
	ctx := context.Background()
	if err := sys.KillManager(); err != nil {
		b.Fatal(err)
	}
	ns := namespace(b, "raw")
	// The same objects the operator creates: months owned by a campaign (a controller reference
	// the garbage collector tracks), so the ideal pays what the operator's creates pay.
	owners := make([]*v1alpha1.BackfillCampaign, 2)
	for i := range owners {
		owners[i] = builders.MakeCampaign(fmt.Sprintf("raw-%d", i), ns).Mode(v1alpha1.ModePlan).Phase("p", 1900, 2024, 20, 5).Obj()
		owners[i].Spec.Suspend = true
		if err := c.Create(ctx, owners[i]); err != nil {
			b.Fatal(err)
		}
	}
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	started := time.Now()
	for range rawWorkers {
		wg.Go(func() {
			for i := range next {
				// two "campaigns" of 1500, as the operator's (years stop at 2100)
				owner := owners[i/1500]
				y, m := 1900+int32(i%1500/12), int32(i%12)+1
				mo := builders.MakeMonth(owner.Name, ns, "p", y, m).Obj()
				err := controllerutil.SetControllerReference(owner, mo, c.Scheme())
				if err == nil {
					err = c.Create(ctx, mo)
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(started)
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	if err := c.DeleteAllOf(ctx, &v1alpha1.BackfillMonth{}, client.InNamespace(ns)); err != nil {
		b.Fatal(err)
	}
	if err := c.DeleteAllOf(ctx, &v1alpha1.BackfillCampaign{}, client.InNamespace(ns)); err != nil {
		b.Fatal(err)
	}
	if err := sys.StartManager(); err != nil {
		b.Fatal(err)
	}
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := waitReady(rctx); err != nil {
		b.Fatal(err)
	}
	return float64(n) / elapsed.Seconds()
}

// waitCounted waits until every campaign in ns counts all its months in an observed status. It
// watches the campaigns rather than polling them: waiting must not load the API server whose
// throughput is measured (a poll every 20ms cost it CPU in the operator's run only).
func waitCounted(b *testing.B, ns string, months int) {
	wc, err := client.NewWithWatch(sys.Cluster.RESTConfig(), client.Options{Scheme: manager.Scheme()})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	// a watch from no resourceVersion starts with the campaigns that exist
	w, err := wc.Watch(ctx, &v1alpha1.BackfillCampaignList{}, client.InNamespace(ns))
	if err != nil {
		b.Fatal(err)
	}
	defer w.Stop()
	campaigns := map[string]*v1alpha1.BackfillCampaign{}
	total := 0
	for ev := range w.ResultChan() {
		c, ok := ev.Object.(*v1alpha1.BackfillCampaign)
		if !ok {
			b.Fatalf("watching campaigns: %v", ev.Object)
		}
		campaigns[c.Name] = c
		total = 0
		done := true
		for _, c := range campaigns {
			total += int(c.Status.Months.Total)
			done = done && c.Status.ObservedGeneration == c.Generation
		}
		if done && total == months {
			return
		}
	}
	b.Fatalf("campaigns count %d of %d months after 10 minutes", total, months)
}

var nsSeq int

func namespace(b *testing.B, prefix string) string {
	nsSeq++
	name := fmt.Sprintf("%s-%d-%d", prefix, nsSeq, time.Now().UnixNano()%100000)
	if err := sys.Namespace(context.Background(), name, localsystem.NamespaceOptions{}); err != nil {
		b.Fatal(err)
	}
	return name
}

// databaseTransactions is how many transactions the database has committed: the pending rows
// of a fan-out should take few.
func databaseTransactions(b *testing.B) float64 {
	var n int64
	err := sys.DB.QueryRow(context.Background(), "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()").Scan(&n)
	if err != nil {
		b.Fatal(err)
	}
	return float64(n)
}

// managerCPU is the CPU time the manager process has used, in seconds: the share of the
// machine the operator's side takes from the API server during the fan-out, which the raw
// creates do not pay.
func managerCPU(b *testing.B) float64 {
	return metric(b, scrape(b), "process_cpu_seconds_total")
}
