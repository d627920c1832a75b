package plugin_test

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/aggregate"
	"github.com/ooheynerds/backfill-operator/internal/dev/builders"
	"github.com/ooheynerds/backfill-operator/internal/gate"
	"github.com/ooheynerds/backfill-operator/internal/plan"
)

// seed writes a campaign in the middle of its second phase into namespace ns, as the operator
// would have left it: 300 months over 25 years (1999-2023), with completed months at every rate
// band, a retry, failures, one running month, and the campaign status folded from them by the
// operator's own functions. It returns the campaign and the time the outputs are read at.
func seed(t *testing.T, ns string, mutate ...func(*v1alpha1.BackfillCampaign)) (*v1alpha1.BackfillCampaign, time.Time) {
	t.Helper()
	needCluster(t)
	ctx := context.Background()
	if err := env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	c := builders.MakeCampaign("alexandria", ns).
		Phase("validate", 2020, 2020, 5, 2).Gate(90).
		Phase("recent", 2021, 2023, 15, 5).Gate(85).
		Phase("history", 1999, 2019, 20, 5).ManualApproval().Obj()
	for _, f := range mutate {
		f(c)
	}
	if err := env.Client.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	// 40 days (and less than 41) after the campaign and its months were created, at 06:00-06:10
	// UTC, whatever the hour the test runs: ages read 40d, and the attempts that count as
	// today's are the same ones.
	created := c.CreationTimestamp.UTC()
	after := (6*time.Hour - created.Sub(created.Truncate(24*time.Hour)) + 24*time.Hour) % (24 * time.Hour)
	now := created.Add(40*24*time.Hour + max(after, 10*time.Minute))

	var months []*v1alpha1.BackfillMonth
	for i, d := range plan.Months(c.Name, &c.Spec) {
		m := monthAt(c, d, i, now)
		status := m.Status
		if err := env.Client.Create(ctx, m); err != nil {
			t.Fatal(err)
		}
		m.Status = status
		if err := env.Client.Status().Update(ctx, m); err != nil {
			t.Fatal(err)
		}
		months = append(months, m)
	}

	s := aggregate.Summarize(&c.Spec, months, now)
	p := gate.Progression(&c.Spec, s.ByPhase)
	var order []string
	for _, m := range months {
		if !m.EffectiveState().Finished() && m.FirstAdmittedAt() == nil {
			order = append(order, m.Name)
		}
	}
	estimate, eta := aggregate.Estimate(&c.Spec, s, aggregate.DefaultModels, order, now)
	c.Status = v1alpha1.BackfillCampaignStatus{
		ObservedGeneration: c.Generation, Progress: aggregate.Progress(s.Months), Months: s.Months, Totals: s.Totals,
		Phases: s.Phases, Budget: &s.Budget, AdmittedLast24h: 4, CurrentPhase: c.Spec.Phases[p.Current].Name,
		NextAdmissionTime:       &metav1.Time{Time: now.Add(2*time.Hour + 13*time.Minute)},
		EstimatedCompletionTime: &metav1.Time{Time: eta}, Plan: &estimate,
	}
	for i := range c.Status.Phases {
		c.Status.Phases[i].State, c.Status.Phases[i].Gate = p.States[i], p.Messages[i]
	}
	meta.SetStatusCondition(&c.Status.Conditions, metav1.Condition{Type: v1alpha1.ConditionReady, Status: metav1.ConditionFalse,
		Reason: v1alpha1.ReasonProgressing, Message: "phase recent: " + c.Status.Progress + " months finished; cadence reached for the last 24h"})
	if err := env.Client.Status().Update(ctx, c); err != nil {
		t.Fatal(err)
	}
	return c, now
}

// monthAt is month i (in admission order) of the seeded campaign, with its status.
func monthAt(c *v1alpha1.BackfillCampaign, d plan.Month, i int, now time.Time) *v1alpha1.BackfillMonth {
	y, mo := int32(d.YearMonth.Year), int32(d.YearMonth.Month)
	b := builders.MakeMonth(c.Name, c.Namespace, d.Phase, y, mo)
	finished := now.Add(-time.Duration(i) * 3 * time.Hour)
	calls := func(books int32) map[string]int32 {
		return map[string]int32{"gemini": 1, "xai": 1, "isbndb": books / 2}
	}
	var lastError string
	switch {
	case d.Phase == "history" || (y == 2023 && mo >= 9):
		// not admitted yet
	case y == 2020 && mo == 11, y == 2022 && mo == 3:
		b.Admitted(finished.Add(-6 * time.Hour)).Suspended(true).State(v1alpha1.MonthFailed)
		for a := 0; a < 5; a++ {
			b.Attempt(v1alpha1.AttemptFailed, finished.Add(-time.Duration(4-a)*time.Hour), map[string]int32{"gemini": 1, "xai": 1})
		}
		lastError = "gemini: 503 Service Unavailable: the model is overloaded, try again later"
		if y == 2022 {
			lastError = "isbndb: 429 Too Many Requests\nquota exhausted for today"
		}
	case y == 2023 && mo == 8:
		b.Admitted(now.Add(-20*time.Minute)).Suspended(false).State(v1alpha1.MonthProcessing).RetryAt(now, 1)
	case y == 2023 && mo == 7:
		b.Admitted(now.Add(-3*time.Hour)).Suspended(true).State(v1alpha1.MonthRetry).
			Attempt(v1alpha1.AttemptFailed, now.Add(-2*time.Hour), map[string]int32{"gemini": 1, "xai": 1, "isbndb": 4}).
			RetryAt(now.Add(25*time.Minute), 1)
		lastError = "resolve: isbndb timed out after 30s (3 tries)"
	case y == 2021 && mo == 6:
		b.Admitted(finished.Add(-time.Hour)).State(v1alpha1.MonthCompleted).Attempt(v1alpha1.AttemptSucceeded, finished, calls(0))
	default:
		books := 30 + (mo*7+y)%11
		pct := []int32{95, 88, 72, 41, 99, 80, 60, 93}[(y*12+mo)%8]
		if d.Phase == "validate" {
			pct = 100 - mo%4*3
		}
		b.Admitted(finished.Add(-time.Hour)).State(v1alpha1.MonthCompleted).Results(books, books*pct/100).Attempt(v1alpha1.AttemptSucceeded, finished, calls(books))
	}
	m := b.Obj()
	m.Spec.PromptVariant = d.PromptVariant
	m.Status.LastError = lastError
	if len(m.Status.History) > 0 {
		m.Status.Metrics.ResolutionRate = aggregate.Summarize(&c.Spec, []*v1alpha1.BackfillMonth{m}, now).Totals.ResolutionRate
		last := &m.Status.History[len(m.Status.History)-1]
		last.Message = lastError
		m.Status.StartedAt = &last.StartedAt
		if m.Status.State.Finished() {
			m.Status.CompletedAt = last.FinishedAt
		}
	}
	if m.Status.State == v1alpha1.MonthProcessing {
		m.Status.NextRetryAt = nil
		m.Status.History = []v1alpha1.AttemptRecord{{Attempt: 1, JobName: m.Name + "-a1", StartedAt: metav1.Time{Time: now.Add(-15 * time.Minute)}, Outcome: v1alpha1.AttemptRunning}}
	}
	return m
}
