package chaos

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/dev/invariants"
	"github.com/ooheynerds/backfill-operator/internal/dev/localsystem"
)

// newNamespace creates a restricted namespace with the Secrets campaigns reference.
func newNamespace(t *testing.T, prefix string, o localsystem.NamespaceOptions) string {
	t.Helper()
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	name := prefix + "-" + hex.EncodeToString(b)
	ctx := context.Background()
	if err := sys.Namespace(ctx, name, o); err != nil {
		t.Fatal(err)
	}
	if err := sys.Cluster.WaitForDefaultServiceAccount(ctx, name); err != nil {
		t.Fatal(err)
	}
	return name
}

func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := sys.Client.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
}

// eventually polls cond every 250ms until it holds or timeout passes; on timeout the test
// fails with what was last seen and the end of the manager's log.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for {
		ok, seen := cond()
		if ok {
			return
		}
		last = seen
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last seen: %s\n--- manager log (tail) ---\n%s",
				timeout, what, last, localsystem.Tail(sys.ManagerLog(), 3000))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func getCampaign(t *testing.T, ns, name string) *v1alpha1.BackfillCampaign {
	t.Helper()
	c := &v1alpha1.BackfillCampaign{}
	if err := sys.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, c); err != nil {
		t.Fatalf("reading campaign %s/%s: %v", ns, name, err)
	}
	return c
}

func listMonths(t *testing.T, ns, campaign string) []v1alpha1.BackfillMonth {
	t.Helper()
	var l v1alpha1.BackfillMonthList
	if err := sys.Client.List(context.Background(), &l, client.InNamespace(ns), client.MatchingLabels{v1alpha1.LabelCampaign: campaign}); err != nil {
		t.Fatalf("listing months: %v", err)
	}
	sort.Slice(l.Items, func(i, j int) bool { return l.Items[i].Name < l.Items[j].Name })
	return l.Items
}

func listPods(t *testing.T, ns string, labels client.MatchingLabels) []corev1.Pod {
	t.Helper()
	var l corev1.PodList
	if err := sys.Client.List(context.Background(), &l, client.InNamespace(ns), labels); err != nil {
		t.Fatalf("listing pods: %v", err)
	}
	return l.Items
}

// holds waits until every invariant holds for the campaign (the months finish, then status
// and mirror converge), and fails with the violations still seen at the timeout.
func holds(t *testing.T, c *v1alpha1.BackfillCampaign, months int, allCompleted bool, timeout time.Duration) {
	t.Helper()
	e := invariants.Expect{Namespace: c.Namespace, Campaign: c.Name, Months: months,
		MaxAttempts: c.Spec.Retry.MaxAttempts, AllCompleted: allCompleted}
	eventually(t, timeout, "the campaign's invariants", func() (bool, string) {
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
	for _, m := range listMonths(t, ns, campaign) {
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
