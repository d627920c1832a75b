package admission

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/dev/builders"
)

// rerunOf is a month first admitted long ago that a rerun sent back to Pending, suspended.
func rerunOf(year, month int32, reruns ...time.Time) *v1alpha1.BackfillMonth {
	b := builders.MakeMonth("c", "ns", "p", year, month).Admitted(now.Add(-72 * time.Hour)).Suspended(true).State(v1alpha1.MonthPending)
	var at []string
	for _, t := range reruns {
		at = append(at, t.Format(time.RFC3339))
	}
	if len(at) > 0 {
		b = b.Annotation(AnnotationRerunsAdmittedAt, strings.Join(at, ","))
	}
	return b.Obj()
}

func TestDecideCountsReruns(t *testing.T) {
	hoursAgo := func(h int) time.Time { return now.Add(-time.Duration(h) * time.Hour) }
	runningRerun := func(year, month int32, first time.Time, reruns ...time.Time) *v1alpha1.BackfillMonth {
		m := rerunOf(year, month, reruns...)
		m.Annotations[v1alpha1.AnnotationFirstAdmittedAt] = first.Format(time.RFC3339)
		m.Spec.Suspend, m.Status.State = false, v1alpha1.MonthProcessing
		return m
	}
	tests := map[string]struct {
		months  []*v1alpha1.BackfillMonth
		perDay  int32
		admit   []string
		blocked Blocker
		next    *time.Time
		window  int
	}{
		"a rerun is admitted like a new month, in admission order": {
			months: []*v1alpha1.BackfillMonth{pending(2020, 1), rerunOf(2020, 5)}, perDay: 5,
			admit: []string{"c-2020-05", "c-2020-01"},
		},
		"a rerun uses the cadence": {
			months: []*v1alpha1.BackfillMonth{pending(2020, 1), rerunOf(2020, 5)}, perDay: 1,
			admit: []string{"c-2020-05"}, blocked: BlockedCadence, next: ptr(now.Add(Window)), window: 0,
		},
		"a rerun admitted in the window counts, though its first admission is old": {
			months: []*v1alpha1.BackfillMonth{runningRerun(2020, 5, hoursAgo(72), hoursAgo(2)), pending(2020, 1)}, perDay: 1,
			blocked: BlockedCadence, next: ptr(hoursAgo(2).Add(Window)), window: 1,
		},
		"first run and rerun of one month in the window count twice": {
			months: []*v1alpha1.BackfillMonth{runningRerun(2020, 5, hoursAgo(3), hoursAgo(1)), pending(2020, 1)}, perDay: 2,
			blocked: BlockedCadence, next: ptr(hoursAgo(3).Add(Window)), window: 2,
		},
		"each rerun in the window counts": {
			months: []*v1alpha1.BackfillMonth{runningRerun(2020, 5, hoursAgo(72), hoursAgo(30), hoursAgo(5), hoursAgo(4)), pending(2020, 1)}, perDay: 3,
			admit: []string{"c-2020-01"}, window: 2,
		},
		"reruns that left the window do not count": {
			months: []*v1alpha1.BackfillMonth{runningRerun(2020, 5, hoursAgo(72), hoursAgo(25)), pending(2020, 1)}, perDay: 1,
			admit: []string{"c-2020-01"}, window: 0,
		},
		"a rerun still waiting for admission is no admission yet": {
			months: []*v1alpha1.BackfillMonth{rerunOf(2020, 5, hoursAgo(30)), rerunOf(2020, 4)}, perDay: 2,
			admit: []string{"c-2020-05", "c-2020-04"}, window: 0,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			d := Decide(Input{Now: now, Phase: phase(tc.perDay, 10), Months: tc.months})
			if got := names(d.Admit); !reflect.DeepEqual(got, tc.admit) {
				t.Fatalf("admitted %v, want %v (blocked %q)", got, tc.admit, d.Blocked)
			}
			if d.Blocked != tc.blocked {
				t.Errorf("blocked = %q, want %q", d.Blocked, tc.blocked)
			}
			if (tc.next == nil) != (d.Next == nil) || (tc.next != nil && !d.Next.Equal(*tc.next)) {
				t.Errorf("next = %v, want %v", d.Next, tc.next)
			}
			if d.AdmittedInWindow != tc.window {
				t.Errorf("admitted in window = %d, want %d", d.AdmittedInWindow, tc.window)
			}
		})
	}
}

func TestStamp(t *testing.T) {
	at := func(h int) string { return now.Add(-time.Duration(h) * time.Hour).Format(time.RFC3339) }
	stamp := now.Format(time.RFC3339)
	tests := map[string]struct {
		month             *v1alpha1.BackfillMonth
		first, rerunsWant string
	}{
		"first admission": {pending(2020, 1), stamp, ""},
		"a retry continues its run: nothing stamped": {
			builders.MakeMonth("c", "ns", "p", 2020, 1).Admitted(now.Add(-2 * time.Hour)).Suspended(true).State(v1alpha1.MonthRetry).Obj(),
			at(2), ""},
		"a rerun's admission is stamped; the first stays": {rerunOf(2020, 1), at(72), stamp},
		"earlier reruns inside the window are kept, older ones dropped": {
			rerunOf(2020, 1, now.Add(-30*time.Hour), now.Add(-5*time.Hour)), at(72), at(5) + "," + stamp},
		"an unreadable stamp is dropped, not kept forever": {
			func() *v1alpha1.BackfillMonth {
				m := rerunOf(2020, 1)
				m.Annotations[AnnotationRerunsAdmittedAt] = "yesterday"
				return m
			}(), at(72), stamp},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			m := tc.month.DeepCopy()
			Stamp(m, now)
			if got := m.Annotations[v1alpha1.AnnotationFirstAdmittedAt]; got != tc.first {
				t.Errorf("first admitted at %q, want %q", got, tc.first)
			}
			if got := m.Annotations[AnnotationRerunsAdmittedAt]; got != tc.rerunsWant {
				t.Errorf("reruns admitted at %q, want %q", got, tc.rerunsWant)
			}
		})
	}
}

// TestCadenceCountsRerunsOverDays walks four days in 10-minute steps: every month fails an hour
// after admission and is rerun at once, twice, as the month's state machine would. Every
// rolling 24 hours holds at most monthsPerDay admissions, first runs and reruns together.
func TestCadenceCountsRerunsOverDays(t *testing.T) {
	var months []*v1alpha1.BackfillMonth
	for m := int32(1); m <= 12; m++ {
		months = append(months, pending(2010, m))
	}
	p := phase(6, 4)
	runs := map[string]int{}
	finishAt := map[string]time.Time{}
	var admissions []time.Time
	for clock := now; clock.Before(now.Add(4 * 24 * time.Hour)); clock = clock.Add(10 * time.Minute) {
		for _, m := range months {
			if at, ok := finishAt[m.Name]; ok && !clock.Before(at) && m.Status.State == v1alpha1.MonthProcessing {
				m.Status.State = v1alpha1.MonthFailed
				if runs[m.Name] < 3 { // the rerun: back to Pending, suspended
					m.Status.State, m.Spec.Suspend = v1alpha1.MonthPending, true
				}
			}
		}
		d := Decide(Input{Now: clock, Phase: p, Months: months})
		for _, m := range d.Admit {
			Stamp(m, clock)
			m.Spec.Suspend, m.Status.State = false, v1alpha1.MonthProcessing
			finishAt[m.Name] = clock.Add(time.Hour)
			runs[m.Name]++
			admissions = append(admissions, clock)
		}
	}
	for i := range admissions {
		n := 0
		for j := i; j < len(admissions) && admissions[j].Sub(admissions[i]) < Window; j++ {
			n++
		}
		if n > int(p.MonthsPerDay) {
			t.Fatalf("%d runs admitted in the 24 hours from %v, cadence is %d", n, admissions[i], p.MonthsPerDay)
		}
	}
	if len(admissions) != 4*6 {
		t.Fatalf("admitted %d runs in 4 days at 6/day, want 24 (cadence should be the only limit)", len(admissions))
	}
}
