package admission

import (
	"fmt"
	"testing"
	"time"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/dev/builders"
)

// campaignMidway builds n months of one phase as a campaign looks part-way through: the newest
// 40% finished (some admitted within the last 24 hours, a few failed), 10 running, 2% waiting
// for their retry backoff or past it, the rest pending, two of them too young.
func campaignMidway(n int, now time.Time) []*v1alpha1.BackfillMonth {
	months := make([]*v1alpha1.BackfillMonth, 0, n)
	newest := 2025*12 + 11 // December 2025, younger than minMonthAge at now
	for i := range n {
		idx := newest - i
		year, month := int32(idx/12), int32(idx%12+1)
		b := builders.MakeMonth("c", "ns", "p", year, month)
		finished := n * 40 / 100
		switch {
		case i < 2:
			// pending but too young to admit yet
		case i < finished && i%25 == 0:
			b.Admitted(now.Add(-time.Duration(i%48) * time.Hour)).Suspended(true).State(v1alpha1.MonthFailed)
		case i < finished:
			b.Admitted(now.Add(-time.Duration(i%48) * time.Hour)).State(v1alpha1.MonthCompleted)
		case i < finished+10:
			b.Admitted(now.Add(-time.Hour)).State(v1alpha1.MonthProcessing)
		case i < finished+10+n/50 && i%2 == 0:
			b.Admitted(now.Add(-30*time.Hour)).Suspended(true).State(v1alpha1.MonthRetry).RetryAt(now.Add(time.Hour), 2)
		case i < finished+10+n/50:
			b.Admitted(now.Add(-30*time.Hour)).Suspended(true).State(v1alpha1.MonthRetry).RetryAt(now.Add(-time.Minute), 1)
		}
		months = append(months, b.Obj())
	}
	return months
}

// BenchmarkDecide measures one admission decision over a whole campaign's months, which the
// campaign controller makes on every pass.
func BenchmarkDecide(b *testing.B) {
	now := time.Date(2026, 1, 15, 3, 0, 0, 0, time.UTC)
	for _, n := range []int{300, 3000} {
		b.Run(fmt.Sprintf("months=%d", n), func(b *testing.B) {
			months := campaignMidway(n, now)
			in := Input{
				Now: now, Phase: &v1alpha1.Phase{Name: "p", MonthsPerDay: 40, MaxConcurrent: 30},
				Months: months, Order: v1alpha1.OrderNewestFirst, MinMonthAge: 12,
				BudgetLimit: 7000, BudgetUsed: 1200, Estimate: 10,
			}
			var d Decision
			b.ReportAllocs()
			for b.Loop() {
				d = Decide(in)
			}
			if len(d.Admit) == 0 {
				b.Fatalf("nothing admitted from %d months (blocked: %s): the benchmark does not exercise admission", n, d.Blocked)
			}
		})
	}
}
