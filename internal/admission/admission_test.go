package admission

import (
	"testing"
	"time"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/dev/builders"
)

var now = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func phase(perDay, concurrent int32) *v1alpha1.Phase {
	return &v1alpha1.Phase{Name: "p", MonthsPerDay: perDay, MaxConcurrent: concurrent}
}

func pending(year, month int32) *v1alpha1.BackfillMonth {
	return builders.MakeMonth("c", "ns", "p", year, month).Obj()
}

func names(ms []*v1alpha1.BackfillMonth) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return out
}

func TestDecide(t *testing.T) {
	hoursAgo := func(h int) time.Time { return now.Add(-time.Duration(h) * time.Hour) }
	running := func(year, month int32, admitted time.Time) *v1alpha1.BackfillMonth {
		return builders.MakeMonth("c", "ns", "p", year, month).Admitted(admitted).State(v1alpha1.MonthProcessing).Obj()
	}
	done := func(year, month int32, admitted time.Time) *v1alpha1.BackfillMonth {
		return builders.MakeMonth("c", "ns", "p", year, month).Admitted(admitted).State(v1alpha1.MonthCompleted).Obj()
	}
	retry := func(year, month int32, at time.Time) *v1alpha1.BackfillMonth {
		return builders.MakeMonth("c", "ns", "p", year, month).Admitted(hoursAgo(48)).Suspended(true).State(v1alpha1.MonthRetry).RetryAt(at, 1).Obj()
	}
	paused := now.Add(2 * time.Hour)
	dbRetry := now.Add(DatabaseRetry)
	tests := map[string]struct {
		in      Input
		admit   []string
		blocked Blocker
		next    *time.Time
	}{
		"newest first up to concurrency": {
			in:    Input{Phase: phase(5, 2), Months: []*v1alpha1.BackfillMonth{pending(2020, 1), pending(2020, 3), pending(2020, 2)}},
			admit: []string{"c-2020-03", "c-2020-02"}, blocked: BlockedConcurrency,
		},
		"oldest first": {
			in:    Input{Phase: phase(5, 2), Order: v1alpha1.OrderOldestFirst, Months: []*v1alpha1.BackfillMonth{pending(2020, 3), pending(2020, 1), pending(2020, 2)}},
			admit: []string{"c-2020-01", "c-2020-02"}, blocked: BlockedConcurrency,
		},
		"cadence counts the rolling 24 hours": {
			in: Input{Phase: phase(3, 10), Months: []*v1alpha1.BackfillMonth{
				done(2020, 12, hoursAgo(23)), done(2020, 11, hoursAgo(10)), done(2020, 10, hoursAgo(25)), pending(2020, 9), pending(2020, 8)}},
			admit: []string{"c-2020-09"}, blocked: BlockedCadence, next: ptr(hoursAgo(23).Add(Window)),
		},
		"cadence full waits for the oldest admission to leave the window": {
			in: Input{Phase: phase(2, 10), Months: []*v1alpha1.BackfillMonth{
				done(2020, 12, hoursAgo(20)), done(2020, 11, hoursAgo(5)), pending(2020, 9)}},
			admit: nil, blocked: BlockedCadence, next: ptr(hoursAgo(20).Add(Window)),
		},
		"running months use concurrency": {
			in:    Input{Phase: phase(10, 2), Months: []*v1alpha1.BackfillMonth{running(2020, 12, hoursAgo(30)), pending(2020, 9), pending(2020, 8)}},
			admit: []string{"c-2020-09"}, blocked: BlockedConcurrency,
		},
		"retries first, and they do not use cadence": {
			in: Input{Phase: phase(1, 3), Months: []*v1alpha1.BackfillMonth{
				done(2020, 12, hoursAgo(1)), retry(2020, 5, hoursAgo(1)), pending(2020, 9)}},
			admit: []string{"c-2020-05"}, blocked: BlockedCadence, next: ptr(hoursAgo(1).Add(Window)),
		},
		"retry waits for its backoff": {
			in:    Input{Phase: phase(5, 3), Months: []*v1alpha1.BackfillMonth{retry(2020, 5, now.Add(time.Hour))}},
			admit: nil, blocked: BlockedBackoff, next: ptr(now.Add(time.Hour)),
		},
		"young months wait": {
			in:    Input{Phase: phase(5, 3), MinMonthAge: 12, Months: []*v1alpha1.BackfillMonth{pending(2026, 1), pending(2025, 10)}},
			admit: []string{"c-2025-10"}, next: ptr(time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)), blocked: BlockedMonthAge,
		},
		"budget allows only what fits": {
			in:    Input{Phase: phase(10, 10), BudgetLimit: 100, BudgetUsed: 70, Estimate: 10, Months: []*v1alpha1.BackfillMonth{pending(2020, 1), pending(2020, 2), pending(2020, 3), pending(2020, 4), pending(2020, 5)}},
			admit: []string{"c-2020-05", "c-2020-04", "c-2020-03"}, blocked: BlockedBudget, next: ptr(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)),
		},
		"budget counts live months' estimate": {
			in:    Input{Phase: phase(10, 10), BudgetLimit: 100, BudgetUsed: 70, Estimate: 10, Months: []*v1alpha1.BackfillMonth{running(2020, 12, hoursAgo(30)), running(2020, 11, hoursAgo(30)), pending(2020, 1), pending(2020, 2)}},
			admit: []string{"c-2020-02"}, blocked: BlockedBudget, next: ptr(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)),
		},
		"the shared key's allowance bounds retries and new months alike": {
			in:    Input{Phase: phase(10, 10), Allowance: ptrInt(2), Months: []*v1alpha1.BackfillMonth{retry(2020, 6, hoursAgo(1)), pending(2020, 1), pending(2020, 2)}},
			admit: []string{"c-2020-06", "c-2020-02"}, blocked: BlockedBudget, next: ptr(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)),
		},
		"no allowance admits nothing, though the campaign's own cap has room": {
			in:    Input{Phase: phase(10, 10), BudgetLimit: 1000, Estimate: 10, Allowance: ptrInt(0), Months: []*v1alpha1.BackfillMonth{pending(2020, 1)}},
			admit: nil, blocked: BlockedBudget, next: ptr(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)),
		},
		"the campaign's own cap still applies under a larger allowance": {
			in:    Input{Phase: phase(10, 10), BudgetLimit: 100, BudgetUsed: 80, Estimate: 10, Allowance: ptrInt(5), Months: []*v1alpha1.BackfillMonth{pending(2020, 1), pending(2020, 2), pending(2020, 3)}},
			admit: []string{"c-2020-03", "c-2020-02"}, blocked: BlockedBudget, next: ptr(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)),
		},
		"an allowance larger than the want leaves nothing waiting": {
			in:    Input{Phase: phase(10, 10), Allowance: ptrInt(5), Months: []*v1alpha1.BackfillMonth{pending(2020, 1)}},
			admit: []string{"c-2020-01"},
		},
		"quota exhausted pauses until reset": {
			in:    Input{Phase: phase(10, 10), PausedUntil: &paused, Months: []*v1alpha1.BackfillMonth{pending(2020, 1)}},
			admit: nil, blocked: BlockedQuota, next: &paused,
		},
		"database down admits nothing, not even a due retry, and looks again soon": {
			in:    Input{Now: now, Phase: phase(10, 10), DatabaseDown: true, Months: []*v1alpha1.BackfillMonth{pending(2020, 1), retry(2020, 2, now.Add(-time.Hour))}},
			admit: nil, blocked: BlockedDatabase, next: &dbRetry,
		},
		"suspended admits nothing": {
			in:    Input{Phase: phase(10, 10), Suspended: true, Months: []*v1alpha1.BackfillMonth{pending(2020, 1)}},
			admit: nil, blocked: BlockedSuspended,
		},
		"no current phase admits nothing": {
			in:    Input{Months: []*v1alpha1.BackfillMonth{pending(2020, 1)}},
			admit: nil, blocked: BlockedNoPhase,
		},
		"other phases' months are not admitted": {
			in:    Input{Phase: phase(10, 10), Months: []*v1alpha1.BackfillMonth{builders.MakeMonth("c", "ns", "other", 2020, 1).Obj()}},
			admit: nil, blocked: BlockedNothingLeft,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tc.in.Now = now
			d := Decide(tc.in)
			got := names(d.Admit)
			if len(got) != len(tc.admit) {
				t.Fatalf("admitted %v, want %v (blocked %q)", got, tc.admit, d.Blocked)
			}
			for i := range got {
				if got[i] != tc.admit[i] {
					t.Fatalf("admitted %v, want %v", got, tc.admit)
				}
			}
			if d.Blocked != tc.blocked {
				t.Errorf("blocked = %q, want %q", d.Blocked, tc.blocked)
			}
			switch {
			case tc.next == nil && d.Next != nil:
				t.Errorf("next = %v, want none", *d.Next)
			case tc.next != nil && (d.Next == nil || !d.Next.Equal(*tc.next)):
				t.Errorf("next = %v, want %v", d.Next, *tc.next)
			}
		})
	}
}

// TestCadenceNeverExceededOverDays walks a week in 10-minute steps, admitting whatever Decide
// allows and finishing months an hour after admission, and checks every rolling 24 hours.
func TestCadenceNeverExceededOverDays(t *testing.T) {
	var months []*v1alpha1.BackfillMonth
	for y := int32(2000); y <= 2019; y++ {
		for m := int32(1); m <= 12; m++ {
			months = append(months, pending(y, m))
		}
	}
	var admissions []time.Time
	finishAt := map[string]time.Time{}
	p := phase(20, 5)
	for clock := now; clock.Before(now.Add(7 * 24 * time.Hour)); clock = clock.Add(10 * time.Minute) {
		for _, m := range months {
			if at, ok := finishAt[m.Name]; ok && !clock.Before(at) && m.Status.State == v1alpha1.MonthProcessing {
				m.Status.State = v1alpha1.MonthCompleted
			}
		}
		d := Decide(Input{Now: clock, Phase: p, Months: months})
		if d.Live+len(d.Admit) > int(p.MaxConcurrent) {
			t.Fatalf("%v: %d live + %d admitted exceeds concurrency %d", clock, d.Live, len(d.Admit), p.MaxConcurrent)
		}
		for _, m := range d.Admit {
			m.Spec.Suspend = false
			m.Annotations = map[string]string{v1alpha1.AnnotationFirstAdmittedAt: clock.Format(time.RFC3339)}
			m.Status.State = v1alpha1.MonthProcessing
			finishAt[m.Name] = clock.Add(time.Hour)
			admissions = append(admissions, clock)
		}
	}
	for i := range admissions {
		n := 0
		for j := i; j < len(admissions) && admissions[j].Sub(admissions[i]) < Window; j++ {
			n++
		}
		if n > int(p.MonthsPerDay) {
			t.Fatalf("%d admissions in the 24 hours from %v, cadence is %d", n, admissions[i], p.MonthsPerDay)
		}
	}
	if len(admissions) != 7*20 {
		t.Fatalf("admitted %d months in 7 days at 20/day, want 140 (cadence should be the only limit)", len(admissions))
	}
}

func ptr(t time.Time) *time.Time { return &t }

func ptrInt(n int) *int { return &n }
