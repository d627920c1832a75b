package aggregate

import (
	"testing"
	"time"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/dev/builders"
)

func TestSummarize(t *testing.T) {
	now := time.Date(2026, 11, 29, 15, 0, 0, 0, time.UTC)
	yesterday := now.Add(-20 * time.Hour)
	spec := builders.MakeCampaign("c", "ns").Phase("validate", 2020, 2020, 5, 2).Phase("rest", 2021, 2021, 15, 5).Budget(7000, 10).Obj().Spec
	months := []*v1alpha1.BackfillMonth{
		builders.MakeMonth("c", "ns", "validate", 2020, 12).State(v1alpha1.MonthCompleted).Results(39, 36).
			Attempt(v1alpha1.AttemptFailed, yesterday, map[string]int32{"isbndb": 7, "gemini": 1}).
			Attempt(v1alpha1.AttemptSucceeded, now.Add(-time.Hour), map[string]int32{"isbndb": 3, "gemini": 1, "xai": 1}).Obj(),
		builders.MakeMonth("c", "ns", "validate", 2020, 11).State(v1alpha1.MonthFailed).
			Attempt(v1alpha1.AttemptFailed, now.Add(-2*time.Hour), map[string]int32{"isbndb": 20}, "isbndb").Obj(),
		builders.MakeMonth("c", "ns", "validate", 2020, 10).State(v1alpha1.MonthRetry).Obj(),
		builders.MakeMonth("c", "ns", "rest", 2021, 1).Obj(),
	}
	months[0].Status.Metrics.ISBNsQueued = 30
	s := Summarize(&spec, months, now)

	if want := (v1alpha1.MonthCounts{Total: 4, Pending: 1, Retry: 1, Completed: 1, Failed: 1}); s.Months != want {
		t.Errorf("counts = %+v, want %+v", s.Months, want)
	}
	if s.Totals.BooksGenerated != 39 || s.Totals.ISBNsResolved != 36 || s.Totals.ISBNsQueued != 30 || s.Totals.ResolutionRate != "92.31" {
		t.Errorf("totals = %+v", s.Totals)
	}
	if s.Totals.Calls["isbndb"] != 30 || s.Totals.Calls["gemini"] != 2 || s.Totals.Calls["xai"] != 1 {
		t.Errorf("calls = %v, want every attempt's calls summed", s.Totals.Calls)
	}
	if s.Budget.ISBNdbCalls != 23 {
		t.Errorf("today's ISBNdb calls = %d, want 23 (yesterday's 7 excluded)", s.Budget.ISBNdbCalls)
	}
	if want := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC); s.PausedUntil == nil || !s.PausedUntil.Equal(want) {
		t.Errorf("paused until %v, want %v after today's quota exhaustion", s.PausedUntil, want)
	}
	if s.PaidCallsPerMonth != 15 {
		t.Errorf("paid calls per finished month = %d, want ceil(30/2)", s.PaidCallsPerMonth)
	}
	if s.Phases[0].Months.Total != 3 || s.Phases[1].Months.Total != 1 || len(s.ByPhase[0]) != 3 {
		t.Errorf("per-phase split wrong: %+v", s.Phases)
	}
	if Progress(s.Months) != "2/4" {
		t.Errorf("progress = %s", Progress(s.Months))
	}
	e, eta := Estimate(&spec, s, 2, []string{"c-2020-10"}, now)
	if e.MonthsRemaining != 2 || e.LLMCalls != 4 || e.ISBNdbCalls != 30 || e.Days != 1 {
		t.Errorf("estimate = %+v", e)
	}
	if !eta.After(now) {
		t.Errorf("eta %v not after now", eta)
	}
}

func TestQuotaPauseEndsAtMidnight(t *testing.T) {
	now := time.Date(2026, 11, 29, 23, 0, 0, 0, time.UTC)
	spec := builders.MakeCampaign("c", "ns").Phase("p", 2020, 2020, 5, 2).Obj().Spec
	m := builders.MakeMonth("c", "ns", "p", 2020, 1).State(v1alpha1.MonthRetry).
		Attempt(v1alpha1.AttemptFailed, now.Add(-time.Hour), map[string]int32{"isbndb": 1}, "isbndb").Obj()
	if s := Summarize(&spec, []*v1alpha1.BackfillMonth{m}, now); s.PausedUntil == nil {
		t.Fatal("no pause before midnight")
	}
	if s := Summarize(&spec, []*v1alpha1.BackfillMonth{m}, now.Add(90*time.Minute)); s.PausedUntil != nil {
		t.Fatalf("still paused after the UTC reset: %v", s.PausedUntil)
	}
}
