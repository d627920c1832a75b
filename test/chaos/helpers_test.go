package chaos

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/dev/invariants"
)

// holds waits until every invariant holds for the campaign (the months finish, then status
// and mirror converge), and fails with the violations still seen at the timeout.
func holds(t *testing.T, c *v1alpha1.BackfillCampaign, months int, allCompleted bool, timeout time.Duration) {
	t.Helper()
	e := invariants.Expect{Namespace: c.Namespace, Campaign: c.Name, Months: months,
		MaxAttempts: c.Spec.Retry.MaxAttempts, AllCompleted: allCompleted}
	sys.Eventually(t, timeout, "the campaign's invariants", func() (bool, string) {
		v := invariants.Check(context.Background(), sys.Client, sys.DB, e)
		return len(v) == 0, strings.Join(v, "\n  ")
	})
}

// ownAttempts counts a month's finished attempts that used up one of its maxAttempts (not
// those failed from outside, see invariants, nor one still running: an attempt whose pod waits
// on an image pull is judged when the pull grace ends).
func ownAttempts(m *v1alpha1.BackfillMonth) int {
	n := 0
	for _, a := range m.Status.History {
		if a.Outcome != v1alpha1.AttemptRunning && a.Reason != v1alpha1.FailureOutside {
			n++
		}
	}
	return n
}

// calls is how many requests the fakes have answered, by provider.
func calls() map[string]int { return sys.Fakes.Calls() }

func sumCalls(m *v1alpha1.BackfillMonth) int32 {
	var n int32
	for _, a := range m.Status.History {
		for _, c := range a.Calls {
			n += c
		}
	}
	return n
}

// monthCounts counts a campaign's months by state from the months themselves: the campaign's
// own counts are written at most every few seconds, and a fault must begin at a moment the
// months are really in.
func monthCounts(t *testing.T, ns, campaign string) v1alpha1.MonthCounts {
	t.Helper()
	var cm v1alpha1.MonthCounts
	for _, m := range sys.ListMonths(t, ns, campaign) {
		cm.Total++
		switch m.EffectiveState() {
		case v1alpha1.MonthPending:
			cm.Pending++
		case v1alpha1.MonthProcessing:
			cm.Processing++
		case v1alpha1.MonthRetry:
			cm.Retry++
		case v1alpha1.MonthCompleted:
			cm.Completed++
		case v1alpha1.MonthFailed:
			cm.Failed++
		}
	}
	return cm
}
