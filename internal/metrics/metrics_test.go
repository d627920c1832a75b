package metrics

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/dev/builders"
)

var now = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// observedCampaign is a two-phase campaign with one overdue month, one month whose mirror
// write failed 10 minutes ago, and today's ISBNdb use.
func observedCampaign(t testing.TB, ns, name string) (*v1alpha1.BackfillCampaign, []*v1alpha1.BackfillMonth) {
	t.Helper()
	c := builders.MakeCampaign(name, ns).Phase("validate", 2020, 2020, 5, 2).Phase("bulk", 2000, 2019, 20, 5).
		Deadlines(15*time.Minute, time.Hour).Budget(15000, 100).Obj()
	c.Status.Phases = []v1alpha1.PhaseStatus{
		{Name: "validate", State: v1alpha1.PhaseCompleted, Months: v1alpha1.MonthCounts{Total: 12, Completed: 11, Failed: 1},
			Totals: v1alpha1.Totals{BooksGenerated: 200, ISBNsResolved: 180}},
		{Name: "bulk", State: v1alpha1.PhaseActive, Months: v1alpha1.MonthCounts{Total: 240, Processing: 2, Pending: 238}},
	}
	c.Status.Conditions = []metav1.Condition{{Type: v1alpha1.ConditionStalled, Status: metav1.ConditionTrue}, {Type: v1alpha1.ConditionReady, Status: metav1.ConditionFalse}}
	c.Status.Totals.Calls = map[string]int64{"isbndb": 7, "gemini": 12}
	c.Status.Budget = &v1alpha1.BudgetStatus{ISBNdbCalls: 7, Limit: 15000}

	overdue := builders.MakeMonth(name, ns, "bulk", 2019, 12).State(v1alpha1.MonthProcessing).Obj()
	overdue.Status.StartedAt = &metav1.Time{Time: now.Add(-2 * time.Hour)}
	onTime := builders.MakeMonth(name, ns, "bulk", 2019, 11).State(v1alpha1.MonthProcessing).Obj()
	onTime.Status.StartedAt = &metav1.Time{Time: now.Add(-time.Hour)}
	unmirrored := builders.MakeMonth(name, ns, "validate", 2020, 1).State(v1alpha1.MonthCompleted).Obj()
	unmirrored.Status.Conditions = []metav1.Condition{{Type: v1alpha1.ConditionMirrored, Status: metav1.ConditionFalse,
		LastTransitionTime: metav1.Time{Time: now.Add(-10 * time.Minute)}}}
	noMirror := builders.MakeMonth(name, ns, "validate", 2020, 2).State(v1alpha1.MonthCompleted).Obj() // manager without a database
	return c, []*v1alpha1.BackfillMonth{overdue, onTime, unmirrored, noMirror}
}

func TestObserveCampaign(t *testing.T) {
	c, ms := observedCampaign(t, "books", "alexandria")
	ObserveCampaign(c, ms, now)
	t.Cleanup(func() { Forget("books", "alexandria") })

	gauges := map[string]*prometheus.GaugeVec{"months": months, "phase": phaseState, "condition": condition,
		"books": books, "resolved": resolved, "calls": calls, "today": isbndbToday, "budget": isbndbBudget,
		"overdue": overdue, "unmirrored": unmirrored, "lag": mirrorLag}
	for _, tc := range []struct {
		metric string
		labels []string
		want   float64
	}{
		{"months", []string{"books", "alexandria", "validate", "Completed"}, 11},
		{"months", []string{"books", "alexandria", "validate", "Failed"}, 1},
		{"months", []string{"books", "alexandria", "bulk", "Processing"}, 2},
		{"months", []string{"books", "alexandria", "bulk", "Completed"}, 0},
		{"phase", []string{"books", "alexandria", "validate", "Completed"}, 1},
		{"phase", []string{"books", "alexandria", "validate", "GateBlocked"}, 0},
		{"phase", []string{"books", "alexandria", "bulk", "Active"}, 1},
		{"condition", []string{"books", "alexandria", "Stalled"}, 1},
		{"condition", []string{"books", "alexandria", "Ready"}, 0},
		{"condition", []string{"books", "alexandria", "GateBlocked"}, 0},
		{"books", []string{"books", "alexandria", "validate"}, 200},
		{"resolved", []string{"books", "alexandria", "validate"}, 180},
		{"calls", []string{"books", "alexandria", "gemini"}, 12},
		{"today", []string{"books", "alexandria"}, 7},
		{"budget", []string{"books", "alexandria"}, 15000},
		{"overdue", []string{"books", "alexandria", "bulk"}, 1},
		{"overdue", []string{"books", "alexandria", "validate"}, 0},
		{"unmirrored", []string{"books", "alexandria"}, 1},
		{"lag", []string{"books", "alexandria"}, 600},
	} {
		got := testutil.ToFloat64(gauges[tc.metric].WithLabelValues(tc.labels...))
		if got != tc.want {
			t.Errorf("%s%v = %v, want %v", tc.metric, tc.labels, got, tc.want)
		}
	}
}

func TestObserveCampaignDropsRemovedPhases(t *testing.T) {
	c, ms := observedCampaign(t, "books", "renamed")
	ObserveCampaign(c, ms, now)
	t.Cleanup(func() { Forget("books", "renamed") })
	c.Status.Phases = c.Status.Phases[:1]
	ObserveCampaign(c, ms[2:], now)
	if n := testutil.CollectAndCount(months); n != len(monthStates) {
		t.Errorf("%d month series after the bulk phase was removed, want %d (validate's only)", n, len(monthStates))
	}
}

func TestAttemptFinished(t *testing.T) {
	t.Cleanup(func() { Forget("books", "counted") })
	succeeded := builders.MakeMonth("counted", "books", "validate", 2020, 3).State(v1alpha1.MonthCompleted).
		Attempt(v1alpha1.AttemptSucceeded, now, map[string]int32{"isbndb": 9, "gemini": 1}).Results(20, 17).Obj()
	failed := builders.MakeMonth("counted", "books", "validate", 2020, 4).State(v1alpha1.MonthRetry).
		Attempt(v1alpha1.AttemptFailed, now, map[string]int32{"isbndb": 3}, "isbndb").Obj()
	failed.Status.History[0].Reason = "a message that must not become a label"
	running := builders.MakeMonth("counted", "books", "validate", 2020, 5).State(v1alpha1.MonthProcessing).Obj()
	running.Status.History = []v1alpha1.AttemptRecord{{Attempt: 1, Outcome: v1alpha1.AttemptRunning}}
	for _, m := range []*v1alpha1.BackfillMonth{succeeded, failed, running} {
		AttemptFinished(m)
	}

	want := `
# HELP backfill_attempts_total Finished attempts by outcome and reason class (empty for a success).
# TYPE backfill_attempts_total counter
backfill_attempts_total{campaign="counted",namespace="books",outcome="Failed",phase="validate",reason="Other"} 1
backfill_attempts_total{campaign="counted",namespace="books",outcome="Succeeded",phase="validate",reason=""} 1
`
	if err := testutil.CollectAndCompare(attempts, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	if got := testutil.ToFloat64(providerCalls.WithLabelValues("books", "counted", "isbndb")); got != 12 {
		t.Errorf("isbndb calls = %v, want 12", got)
	}
	if got := testutil.ToFloat64(providerErrors.WithLabelValues("books", "counted", "isbndb", ErrorQuotaExhausted)); got != 1 {
		t.Errorf("isbndb quota errors = %v, want 1", got)
	}
	if got, want := testutil.ToFloat64(attemptResolved.WithLabelValues("books", "counted", "validate")), 17.0; got != want {
		t.Errorf("resolved by successful attempts = %v, want %v", got, want)
	}
	if got := testutil.ToFloat64(attemptBooks.WithLabelValues("books", "counted", "validate")); got != 20 {
		t.Errorf("books of successful attempts = %v, want 20 (the failed attempt's are not counted)", got)
	}
	if n := testutil.CollectAndCount(duration); n != 2 {
		t.Errorf("%d duration series, want one per outcome", n)
	}
}

func TestReasonClass(t *testing.T) {
	for _, tc := range []struct {
		rec  v1alpha1.AttemptRecord
		want string
	}{
		{v1alpha1.AttemptRecord{Outcome: v1alpha1.AttemptSucceeded}, ""},
		{v1alpha1.AttemptRecord{Outcome: v1alpha1.AttemptFailed, Reason: v1alpha1.FailureRunningTooLong}, v1alpha1.FailureRunningTooLong},
		{v1alpha1.AttemptRecord{Outcome: v1alpha1.AttemptFailed, Reason: v1alpha1.FailurePermanent}, v1alpha1.FailurePermanent},
		{v1alpha1.AttemptRecord{Outcome: v1alpha1.AttemptFailed, Reason: "2019-12 exploded"}, ReasonOther},
		{v1alpha1.AttemptRecord{Outcome: v1alpha1.AttemptFailed}, ReasonOther},
	} {
		if got := ReasonClass(tc.rec); got != tc.want {
			t.Errorf("ReasonClass(%+v) = %q, want %q", tc.rec, got, tc.want)
		}
	}
}

func TestQueueWait(t *testing.T) {
	for _, tc := range []struct {
		name   string
		month  *v1alpha1.BackfillMonth
		want   time.Duration
		wantOK bool
	}{
		{"first attempt waits since admission", builders.MakeMonth("c", "n", "p", 2020, 1).Admitted(now.Add(-90 * time.Second)).Obj(), 90 * time.Second, true},
		{"retry waits since its backoff ended", builders.MakeMonth("c", "n", "p", 2020, 1).Admitted(now.Add(-48*time.Hour)).RetryAt(now.Add(-time.Hour), 1).Obj(), time.Hour, true},
		{"never admitted", builders.MakeMonth("c", "n", "p", 2020, 1).Obj(), 0, false},
		{"clock behind the admission", builders.MakeMonth("c", "n", "p", 2020, 1).Admitted(now.Add(time.Minute)).Obj(), 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := QueueWait(tc.month, now)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("QueueWait = %v, %v; want %v, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestForgetRemovesEveryCampaignSeries(t *testing.T) {
	c, ms := observedCampaign(t, "books", "deleted")
	ObserveCampaign(c, ms, now)
	Admitted("books", "deleted", 2)
	m := builders.MakeMonth("deleted", "books", "validate", 2020, 3).Admitted(now.Add(-time.Hour)).
		Attempt(v1alpha1.AttemptSucceeded, now, map[string]int32{"isbndb": 1}, "isbndb").Obj()
	AttemptFinished(m)
	AttemptStarted(m, time.Minute)
	for i, v := range perCampaign {
		if testutil.CollectAndCount(v) == 0 {
			t.Fatalf("collector %d has no series before the campaign was deleted: the fixture does not cover it", i)
		}
	}
	Forget("books", "deleted")
	for _, v := range perCampaign {
		if n := testutil.CollectAndCount(v); n != 0 {
			t.Errorf("%d series left after the campaign was deleted", n)
		}
	}
}

// BenchmarkObserveCampaign measures the per-pass cost of publishing a campaign of 24 years
// (288 months) and of 3,000 months: it runs on every campaign pass.
func BenchmarkObserveCampaign(b *testing.B) {
	for _, n := range []int{288, 3000} {
		b.Run(fmt.Sprintf("months=%d", n), func(b *testing.B) {
			c, _ := observedCampaign(b, "bench", "bench")
			ms := make([]*v1alpha1.BackfillMonth, n)
			for i := range ms {
				m := builders.MakeMonth("bench", "bench", "bulk", int32(2000+i/12), int32(1+i%12)).State(v1alpha1.MonthProcessing).Obj()
				m.Status.StartedAt = &metav1.Time{Time: now.Add(-time.Duration(i) * time.Minute)}
				m.Status.Conditions = []metav1.Condition{{Type: v1alpha1.ConditionMirrored, Status: metav1.ConditionTrue}}
				ms[i] = m
			}
			b.ReportAllocs()
			for b.Loop() {
				ObserveCampaign(c, ms, now)
			}
			Forget("bench", "bench")
		})
	}
}
