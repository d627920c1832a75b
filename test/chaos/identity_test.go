package chaos

import (
	"context"
	"fmt"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/dev/fakes"
	"github.com/ooheynerds/backfill-operator/internal/dev/localsystem"
)

// A month that failed (both models down) is deleted so that its campaign recreates it — the
// workaround a user reaches for. The new month is a new incarnation: it sends real requests,
// and its status reports only them, never the old month's attempts.
func TestRecreatedMonthSendsRealRequests(t *testing.T) {
	ns := sys.NewNamespace(t, "recreate", localsystem.NamespaceOptions{})
	c := sys.Campaign(ns, "recreate", localsystem.Phase("only", 2011, 3, 3, 1))
	c.Spec.Retry.MaxAttempts = 1
	func() {
		sys.InjectFaults(t, map[string]fakes.Faults{fakes.ProviderGemini: {Outage: true}, fakes.ProviderXAI: {Outage: true}})
		sys.Create(t, c)
		sys.Eventually(t, 2*time.Minute, "the month to fail", func() (bool, string) {
			ms := sys.ListMonths(t, ns, c.Name)
			return len(ms) == 1 && ms[0].Status.State == v1alpha1.MonthFailed, fmt.Sprintf("%d months", len(ms))
		})
	}()
	sys.InjectFaults(t, map[string]fakes.Faults{fakes.ProviderGemini: {}, fakes.ProviderXAI: {}})

	old := sys.ListMonths(t, ns, c.Name)[0]
	before := calls()
	if err := sys.Client.Delete(context.Background(), &old); err != nil {
		t.Fatal(err)
	}
	var fresh v1alpha1.BackfillMonth
	sys.Eventually(t, 2*time.Minute, "the campaign to recreate the month and finish it", func() (bool, string) {
		ms := sys.ListMonths(t, ns, c.Name)
		if len(ms) != 1 || ms[0].UID == old.UID {
			return false, fmt.Sprintf("%d months (the old one still there: %v)", len(ms), len(ms) == 1)
		}
		fresh = ms[0]
		return fresh.Status.State.Finished(), fmt.Sprintf("new month %s: %s", fresh.UID, fresh.Status.State)
	})
	after := calls()
	llm := int32(after[fakes.ProviderGemini] - before[fakes.ProviderGemini] + after[fakes.ProviderXAI] - before[fakes.ProviderXAI])
	var reported int32
	for _, a := range fresh.Status.History {
		reported += a.Calls["gemini"] + a.Calls["xai"]
	}
	if fresh.Status.State != v1alpha1.MonthCompleted || len(fresh.Status.History) != 1 {
		t.Errorf("recreated month: %s with history %+v, want Completed by one attempt of its own", fresh.Status.State, fresh.Status.History)
	}
	if llm == 0 || reported == 0 || reported > llm {
		t.Errorf("recreated month reports %d model calls; the fakes answered %d since it was created", reported, llm)
	}
	holds(t, c, 1, true, 2*time.Minute)
}

// A finished campaign is deleted and applied again under the same name: its months are new
// incarnations that run for real; nothing is answered from the first campaign's rows.
func TestReappliedCampaignRunsAgain(t *testing.T) {
	ns := sys.NewNamespace(t, "reapply", localsystem.NamespaceOptions{})
	c := sys.Campaign(ns, "reapply", localsystem.Phase("only", 2010, 1, 2, 2))
	sys.Create(t, c.DeepCopy())
	holds(t, c, 2, true, 2*time.Minute)

	if err := sys.Client.Delete(context.Background(), sys.GetCampaign(t, ns, c.Name)); err != nil {
		t.Fatal(err)
	}
	sys.Eventually(t, 2*time.Minute, "the campaign and its months to be gone", func() (bool, string) {
		err := sys.Client.Get(context.Background(), client.ObjectKeyFromObject(c), &v1alpha1.BackfillCampaign{})
		ms := sys.ListMonths(t, ns, c.Name)
		return apierrors.IsNotFound(err) && len(ms) == 0, fmt.Sprintf("campaign: %v, %d months", err, len(ms))
	})
	before := calls()
	sys.Create(t, c.DeepCopy())
	holds(t, c, 2, true, 2*time.Minute)
	after := calls()
	llm := after[fakes.ProviderGemini] - before[fakes.ProviderGemini] + after[fakes.ProviderXAI] - before[fakes.ProviderXAI]
	for _, m := range sys.ListMonths(t, ns, c.Name) {
		if len(m.Status.History) != 1 || sumCalls(&m) == 0 {
			t.Errorf("%s of the re-applied campaign: history %+v, want one attempt with real calls", m.Name, m.Status.History)
		}
	}
	if llm == 0 {
		t.Error("the re-applied campaign sent no request to the models")
	}
}

// A campaign is deleted mid-run: backfill_log keeps no unfinished row of its months.
func TestDeletedCampaignLeavesNoActiveRows(t *testing.T) {
	sys.InjectFaults(t, map[string]fakes.Faults{fakes.ProviderGemini: {LatencyMS: 5000}})
	ns := sys.NewNamespace(t, "delrun", localsystem.NamespaceOptions{})
	c := sys.Campaign(ns, "delrun", localsystem.Phase("only", 2009, 1, 4, 2))
	sys.Create(t, c)
	unfinished := func() (int, error) {
		var n int
		err := sys.DB.QueryRow(context.Background(), `SELECT COUNT(*) FROM backfill_log
			WHERE namespace = $1 AND campaign = $2 AND status IN ('pending', 'processing', 'retry')`, ns, c.Name).Scan(&n)
		return n, err
	}
	sys.Eventually(t, 2*time.Minute, "months to run and be mirrored unfinished", func() (bool, string) {
		cm := monthCounts(t, ns, c.Name)
		n, err := unfinished()
		return cm.Processing > 0 && n > 0, fmt.Sprintf("%+v; %d unfinished rows (%v)", cm, n, err)
	})
	if err := sys.Client.Delete(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	sys.Eventually(t, 2*time.Minute, "backfill_log to hold no unfinished row of the deleted campaign", func() (bool, string) {
		n, err := unfinished()
		return err == nil && n == 0, fmt.Sprintf("%d unfinished rows (%v)", n, err)
	})
}
