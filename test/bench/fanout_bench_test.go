package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/controllers"
	"github.com/ooheynerds/backfill-operator/internal/attemptjob"
	"github.com/ooheynerds/backfill-operator/internal/dev/builders"
	"github.com/ooheynerds/backfill-operator/internal/dev/testenv"
	"github.com/ooheynerds/backfill-operator/internal/plan"
)

var jobs = attemptjob.Builder{Image: "backfill-operator:bench", DatabaseSecret: &v1alpha1.SecretKeyRef{Name: "db", Key: "url"}}

// start is the fake clock's time; in Plan mode nothing depends on it advancing.
var start = time.Date(2026, 1, 15, 3, 0, 0, 0, time.UTC)

// quietFor is how long both controllers must finish no pass before the manager counts as idle:
// several times the coalescing delay, so a campaign pass still waiting in the queue is seen.
const quietFor = 4 * controllers.DefaultCoalesce

// fanoutSizes are the fan-outs measured. A campaign's years lie within 1900–2100 (the CRD's
// bounds), so one campaign holds at most 2412 months: 3000 months are two campaigns of 1500 in
// one namespace, served by the same manager.
var fanoutSizes = []struct {
	months    int
	campaigns func(ns string) []*v1alpha1.BackfillCampaign
}{
	{300, func(ns string) []*v1alpha1.BackfillCampaign {
		return []*v1alpha1.BackfillCampaign{builders.MakeCampaign("fanout", ns).Mode(v1alpha1.ModePlan).
			Phase("validate", 2020, 2020, 5, 2).Gate(90).Phase("recent", 2021, 2024, 15, 5).Phase("history", 2000, 2019, 20, 5).Obj()}
	}},
	{2400, func(ns string) []*v1alpha1.BackfillCampaign {
		return []*v1alpha1.BackfillCampaign{builders.MakeCampaign("fanout", ns).Mode(v1alpha1.ModePlan).
			Phase("validate", 2020, 2020, 5, 2).Gate(90).Phase("recent", 2021, 2099, 15, 5).Phase("history", 1900, 2019, 20, 5).Obj()}
	}},
	{3000, func(ns string) []*v1alpha1.BackfillCampaign {
		return []*v1alpha1.BackfillCampaign{
			builders.MakeCampaign("fanout-a", ns).Mode(v1alpha1.ModePlan).
				Phase("validate", 2020, 2020, 5, 2).Gate(90).Phase("recent", 2021, 2024, 15, 5).Phase("history", 1900, 2019, 20, 5).Obj(),
			builders.MakeCampaign("fanout-b", ns).Mode(v1alpha1.ModePlan).
				Phase("future", 1975, 2099, 20, 5).Obj(),
		}
	}},
}

// BenchmarkCampaignFanout measures, on the real API server with the real manager (production
// coalescing delay), how fast a Plan-mode campaign creates its BackfillMonths and reports them
// all in its status, and how many API requests that costs per month; then how many campaign
// passes and requests it costs when every month changes once (an annotation touched by
// another client), which coalescing must keep far below one pass per month.
//
// Metrics per iteration: months/s (campaign created → status reports every month for the
// current generation), api-requests/month at that moment, settled-requests/month once the
// month controller has also written each month's first status, campaign-passes during
// fan-out, and touch-campaign-passes / touch-api-requests for the steady-state touch.
func BenchmarkCampaignFanout(b *testing.B) {
	for _, size := range fanoutSizes {
		b.Run(fmt.Sprintf("months=%d", size.months), func(b *testing.B) {
			var f fanoutTotals
			for range b.N {
				f.add(runFanout(b, size.months, size.campaigns))
			}
			n := float64(b.N)
			b.ReportMetric(float64(size.months)*n/f.fanout.Seconds(), "months/s")
			b.ReportMetric(float64(f.fanoutRequests)/(float64(size.months)*n), "api-requests/month")
			b.ReportMetric(float64(f.settledRequests)/(float64(size.months)*n), "settled-requests/month")
			b.ReportMetric(f.fanoutPasses/n, "campaign-passes")
			b.ReportMetric(f.touchPasses/n, "touch-campaign-passes")
			b.ReportMetric(float64(f.touchRequests)/n, "touch-api-requests")
		})
	}
}

type fanoutResult struct {
	fanout                                         time.Duration
	fanoutRequests, settledRequests, touchRequests int
	fanoutPasses, touchPasses                      float64
}

type fanoutTotals fanoutResult

func (t *fanoutTotals) add(r fanoutResult) {
	t.fanout += r.fanout
	t.fanoutRequests += r.fanoutRequests
	t.settledRequests += r.settledRequests
	t.touchRequests += r.touchRequests
	t.fanoutPasses += r.fanoutPasses
	t.touchPasses += r.touchPasses
}

// runFanout is one iteration in a fresh namespace with a fresh manager; only the fan-out
// itself runs under the benchmark timer.
func runFanout(b *testing.B, months int, campaignsOf func(ns string) []*v1alpha1.BackfillCampaign) fanoutResult {
	b.StopTimer()
	ctx := context.Background()
	ns, err := env.Namespace(ctx, "fanout")
	if err != nil {
		b.Fatal(err)
	}
	counter := newRequestCounter()
	mgr, err := env.StartManager(ctx, testenv.ManagerOptions{
		Clock: clocktesting.NewFakeClock(start), Jobs: jobs,
		WrapTransport: counter.wrap, CoalesceMonthEvents: controllers.DefaultCoalesce,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer mgr.Stop()
	campaigns := campaignsOf(ns)
	before := counter.snapshot()
	passesBefore := reconciles("backfillcampaign")

	b.StartTimer()
	began := time.Now()
	for _, c := range campaigns {
		if err := env.Client.Create(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
	waitFor(b, 5*time.Minute, fmt.Sprintf("campaign statuses to report %d months", months), func() bool {
		total := 0
		for _, c := range campaigns {
			var got v1alpha1.BackfillCampaign
			if err := env.Client.Get(ctx, client.ObjectKeyFromObject(c), &got); err != nil {
				b.Fatal(err)
			}
			if got.Status.ObservedGeneration != got.Generation || int(got.Status.Months.Total) != len(plan.Months(got.Name, &got.Spec)) {
				return false
			}
			total += int(got.Status.Months.Total)
		}
		return total == months
	})
	var r fanoutResult
	r.fanout = time.Since(began)
	b.StopTimer()
	fanout := counter.since(before)
	r.fanoutRequests = fanout.total()
	r.fanoutPasses = reconciles("backfillcampaign") - passesBefore

	var list v1alpha1.BackfillMonthList
	if err := env.Client.List(ctx, &list, client.InNamespace(ns)); err != nil {
		b.Fatal(err)
	}
	if len(list.Items) != months {
		b.Fatalf("campaign status reports %d months but %d BackfillMonths exist", months, len(list.Items))
	}
	waitIdle(b)
	settled := counter.since(before)
	r.settledRequests = settled.total()
	b.Logf("fan-out of %d months: %s, %d campaign passes; requests until status reported them: %s; until idle: %s",
		months, r.fanout.Round(time.Millisecond), int(r.fanoutPasses), fanout, settled)

	// Steady state: every month changes once; the campaign must coalesce, not pass per month.
	touchBefore := counter.snapshot()
	campaignPasses, monthPasses := reconciles("backfillcampaign"), reconciles("backfillmonth")
	touchStarted := time.Now()
	patch := []byte(fmt.Sprintf(`{"metadata":{"annotations":{"bench.alexandria.ooheynerds.com/touched":%q}}}`, time.Now().Format(time.RFC3339Nano)))
	for i := range list.Items {
		if err := env.Client.Patch(ctx, &list.Items[i], client.RawPatch(types.MergePatchType, patch)); err != nil {
			b.Fatalf("touching %s: %v", list.Items[i].Name, err)
		}
	}
	touching := time.Since(touchStarted)
	waitFor(b, 5*time.Minute, "the month controller to see every touched month", func() bool {
		return reconciles("backfillmonth")-monthPasses >= float64(months)
	})
	waitIdle(b)
	touch := counter.since(touchBefore)
	r.touchRequests = touch.total()
	r.touchPasses = reconciles("backfillcampaign") - campaignPasses
	b.Logf("touching all %d months (patches sent over %s): %d campaign passes, %d month passes, manager requests: %s",
		months, touching.Round(time.Millisecond), int(r.touchPasses), int(reconciles("backfillmonth")-monthPasses), touch)

	mgr.Stop()
	// the control plane has no garbage collector: remove what this iteration made, so that the
	// next iteration's manager starts with an empty cache
	if err := env.Client.DeleteAllOf(ctx, &v1alpha1.BackfillMonth{}, client.InNamespace(ns)); err != nil {
		b.Fatal(err)
	}
	for _, c := range campaigns {
		if err := env.Client.Delete(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
	return r
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(b *testing.B, timeout time.Duration, what string, cond func() bool) {
	b.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			b.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitIdle waits until neither controller has finished a pass for quietFor.
func waitIdle(b *testing.B) {
	b.Helper()
	last := reconciles("backfillcampaign") + reconciles("backfillmonth")
	quietSince := time.Now()
	waitFor(b, 5*time.Minute, "the manager to go idle", func() bool {
		now := reconciles("backfillcampaign") + reconciles("backfillmonth")
		if now != last {
			last, quietSince = now, time.Now()
		}
		return time.Since(quietSince) >= quietFor
	})
}
