package controllers

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

func TestMonthEventsLeadingAndTrailingEdge(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	h := newMonthEvents(500 * time.Millisecond)
	h.now = func() time.Time { return now }
	a := types.NamespacedName{Namespace: "ns", Name: "a"}
	b := types.NamespacedName{Namespace: "ns", Name: "b"}

	// delay 500ms: slot-freeing events have a 50ms leading-edge window
	steps := []struct {
		advance  time.Duration
		campaign types.NamespacedName
		urgent   bool
		want     time.Duration
	}{
		{0, a, false, 500 * time.Millisecond},                   // ordinary change: trailing edge only
		{0, a, true, 0},                                         // a freed slot opens a window: at once
		{10 * time.Millisecond, a, true, 40 * time.Millisecond}, // same window: merged into its end
		{0, b, true, 0},                                         // windows are per campaign
		{40 * time.Millisecond, a, true, 0},                     // the window closed: at once again
		{49 * time.Millisecond, a, true, time.Millisecond},      // still inside the new window
		{0, a, false, 500 * time.Millisecond},
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		if got := h.after(s.campaign, s.urgent); got != s.want {
			t.Errorf("step %d: after(%s, urgent=%v) = %v, want %v", i, s.campaign.Name, s.urgent, got, s.want)
		}
	}
}

func TestFreesSlot(t *testing.T) {
	month := func(suspend bool, state v1alpha1.MonthState) *v1alpha1.BackfillMonth {
		return &v1alpha1.BackfillMonth{Spec: v1alpha1.BackfillMonthSpec{Suspend: suspend}, Status: v1alpha1.BackfillMonthStatus{State: state}}
	}
	cases := []struct {
		name     string
		old, cur *v1alpha1.BackfillMonth
		want     bool
	}{
		{"admitted month completes", month(false, v1alpha1.MonthProcessing), month(false, v1alpha1.MonthCompleted), true},
		{"admitted month fails for good", month(false, v1alpha1.MonthProcessing), month(false, v1alpha1.MonthFailed), true},
		{"failed attempt suspends the month for its retry", month(false, v1alpha1.MonthProcessing), month(true, v1alpha1.MonthRetry), true},
		{"admission itself", month(true, v1alpha1.MonthPending), month(false, v1alpha1.MonthPending), false},
		{"Job starts", month(false, v1alpha1.MonthPending), month(false, v1alpha1.MonthProcessing), false},
		{"first status of a new month", month(true, ""), month(true, v1alpha1.MonthPending), false},
		{"finished month changes again (mirror flip)", month(false, v1alpha1.MonthCompleted), month(false, v1alpha1.MonthCompleted), false},
	}
	for _, c := range cases {
		if got := freesSlot(c.old, c.cur); got != c.want {
			t.Errorf("%s: freesSlot = %v, want %v", c.name, got, c.want)
		}
	}
}

// base is a running campaign's status.
func base() *v1alpha1.BackfillCampaignStatus {
	return &v1alpha1.BackfillCampaignStatus{
		ObservedGeneration: 2, CurrentPhase: "validate", Progress: "3/36",
		Months:     v1alpha1.MonthCounts{Total: 36, Completed: 3, Pending: 33},
		Phases:     []v1alpha1.PhaseStatus{{Name: "validate", State: v1alpha1.PhaseActive}},
		Conditions: []metav1.Condition{{Type: v1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: v1alpha1.ReasonProgressing, Message: "3/36", ObservedGeneration: 2}},
	}
}

func TestStatusWritesSpaceOnlyCountChanges(t *testing.T) {
	cases := []struct {
		name   string
		change func(*v1alpha1.BackfillCampaignStatus)
		want   bool
	}{
		{"counts and message only", func(s *v1alpha1.BackfillCampaignStatus) {
			s.Months.Completed, s.Months.Pending, s.Progress, s.Conditions[0].Message = 4, 32, "4/36", "4/36"
		}, false},
		{"new generation observed", func(s *v1alpha1.BackfillCampaignStatus) { s.ObservedGeneration = 3 }, true},
		{"phase state", func(s *v1alpha1.BackfillCampaignStatus) { s.Phases[0].State = v1alpha1.PhaseCompleted }, true},
		{"condition reason", func(s *v1alpha1.BackfillCampaignStatus) { s.Conditions[0].Reason = v1alpha1.ReasonCompleted }, true},
		{"new condition", func(s *v1alpha1.BackfillCampaignStatus) {
			s.Conditions = append(s.Conditions, metav1.Condition{Type: v1alpha1.ConditionMirrored, Status: metav1.ConditionTrue})
		}, true},
		{"months planned", func(s *v1alpha1.BackfillCampaignStatus) { s.Months.Total = 48 }, true},
	}
	for _, c := range cases {
		cur := base()
		c.change(cur)
		if got := significant(base(), cur); got != c.want {
			t.Errorf("%s: significant = %v, want %v", c.name, got, c.want)
		}
	}

	var w statusWrites
	key := types.NamespacedName{Namespace: "ns", Name: "c"}
	cur := base()
	cur.Months.Completed = 4
	if got := w.wait(key, base(), cur, time.Hour); got != 0 {
		t.Errorf("first write waits %v; a campaign never written to is written at once", got)
	}
	w.record(key)
	if got := w.wait(key, base(), cur, time.Hour); got <= 0 || got > time.Hour {
		t.Errorf("count-only write right after a write waits %v, want (0, 1h]", got)
	}
	cur.Phases[0].State = v1alpha1.PhaseCompleted
	if got := w.wait(key, base(), cur, time.Hour); got != 0 {
		t.Errorf("phase change waits %v, want 0", got)
	}
}

// A count-only change waits one interval from the first change after the last write, not
// from the write: a burst of changes is written once, at its trailing edge, even when the
// last write was long ago.
func TestStatusWritesTrailingEdge(t *testing.T) {
	var w statusWrites
	key := types.NamespacedName{Namespace: "ns", Name: "c"}
	w.record(key)
	w.last[key] = time.Now().Add(-time.Hour) // the last write was long ago
	cur := base()
	cur.Months.Processing = 1
	first := w.wait(key, base(), cur, time.Minute)
	if first <= 0 || first > time.Minute {
		t.Fatalf("the first count change after a quiet hour waits %v, want (0, 1m]", first)
	}
	cur.Months.Completed = 1
	if again := w.wait(key, base(), cur, time.Minute); again <= 0 || again > first {
		t.Errorf("a later change in the same burst waits %v, want (0, %v]: the burst's first change sets the time", again, first)
	}
	w.dirty[key] = time.Now().Add(-time.Minute)
	if due := w.wait(key, base(), cur, time.Minute); due != 0 {
		t.Errorf("an interval after the burst's first change the write waits %v, want 0", due)
	}
	w.record(key)
	if got := w.wait(key, base(), cur, time.Minute); got <= 0 {
		t.Errorf("after the write a new change waits %v, want a new interval", got)
	}
}

func TestStatusWritesLeaveEstimatesForLater(t *testing.T) {
	var w statusWrites
	key := types.NamespacedName{Namespace: "ns", Name: "c"}
	old := &v1alpha1.BackfillCampaignStatus{ObservedGeneration: 1, Progress: "1/2"}
	cur := old.DeepCopy()
	cur.EstimatedCompletionTime = &metav1.Time{Time: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}
	w.record(key)
	if got := w.wait(key, old, cur, time.Hour); got >= 0 {
		t.Errorf("an ETA-only change right after a write waits %v; want it skipped (negative)", got)
	}
	cur.Progress = "2/2"
	if got := w.wait(key, old, cur, time.Hour); got <= 0 {
		t.Errorf("a count change right after a write waits %v; want a positive wait", got)
	}
}
