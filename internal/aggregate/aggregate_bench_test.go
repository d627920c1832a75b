package aggregate

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/dev/builders"
)

// monthsWithHistory builds n months over three phases (newest first) as a busy campaign holds
// them: most finished after one to three attempts, each attempt with its calls per provider,
// some failed after five, some running or waiting to retry, the rest pending, and the
// attempts that finished today partly reporting ISBNdb's quota exhausted.
func monthsWithHistory(n int, now time.Time) []*v1alpha1.BackfillMonth {
	months := make([]*v1alpha1.BackfillMonth, 0, n)
	newest := 2024*12 + 11
	mirrored := metav1.Condition{Type: v1alpha1.ConditionMirrored, Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonMirrored}
	for i := range n {
		idx := newest - i
		year, month := int32(idx/12), int32(idx%12+1)
		phase := "history"
		switch {
		case i < n/10:
			phase = "validate"
		case i < n/3:
			phase = "recent"
		}
		b := builders.MakeMonth("c", "ns", phase, year, month)
		finished := now.Add(-time.Duration(i%72) * time.Hour)
		calls := map[string]int32{"gemini": 1, "xai": 1, "isbndb": int32(5 + i%7), "googlebooks": int32(i % 4)}
		switch pos := i * 100 / n; {
		case pos < 60 && i%30 == 0:
			for range 5 {
				b.Attempt(v1alpha1.AttemptFailed, finished, calls)
			}
			b.Admitted(finished).State(v1alpha1.MonthFailed)
		case pos < 60:
			for range i % 3 {
				b.Attempt(v1alpha1.AttemptFailed, finished.Add(-time.Hour), calls)
			}
			if i%40 == 1 {
				b.Attempt(v1alpha1.AttemptFailed, finished.Add(-time.Hour), calls, "isbndb")
			}
			b.Attempt(v1alpha1.AttemptSucceeded, finished, calls).Admitted(finished).State(v1alpha1.MonthCompleted).
				Results(int32(30+i%10), int32(25+i%5))
		case pos < 62:
			b.Attempt(v1alpha1.AttemptFailed, finished, calls).Admitted(finished).State(v1alpha1.MonthRetry).RetryAt(now.Add(time.Hour), 1)
		case pos < 64:
			b.Admitted(now.Add(-time.Hour)).State(v1alpha1.MonthProcessing)
		}
		m := b.Obj()
		if i%50 != 0 {
			m.Status.Conditions = []metav1.Condition{mirrored}
		}
		months = append(months, m)
	}
	return months
}

// BenchmarkSummarize measures folding a whole campaign's months into its status, which the
// campaign controller does on every pass.
func BenchmarkSummarize(b *testing.B) {
	now := time.Date(2026, 1, 15, 18, 0, 0, 0, time.UTC)
	spec := builders.MakeCampaign("c", "ns").
		Phase("validate", 2020, 2024, 5, 2).Phase("recent", 2000, 2019, 15, 5).Phase("history", 1700, 1999, 20, 5).Obj().Spec
	for _, n := range []int{300, 3000} {
		b.Run(fmt.Sprintf("months=%d", n), func(b *testing.B) {
			months := monthsWithHistory(n, now)
			var s Summary
			b.ReportAllocs()
			for b.Loop() {
				s = Summarize(&spec, months, now)
			}
			if s.Months.Total != int32(n) || s.Totals.Calls["isbndb"] == 0 || s.Budget.ISBNdbCalls == 0 {
				b.Fatalf("summary of %d months counted %d months, %d ISBNdb calls, %d today: the fixture is not what the benchmark claims",
					n, s.Months.Total, s.Totals.Calls["isbndb"], s.Budget.ISBNdbCalls)
			}
		})
	}
}
