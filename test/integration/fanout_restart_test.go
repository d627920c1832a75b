package integration

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/attemptjob"
	"github.com/ooheynerds/backfill-operator/internal/dev/builders"
	"github.com/ooheynerds/backfill-operator/internal/dev/testenv"
)

// TestFanoutKilledHalfwayFinishesWithoutDuplicates stops the manager while a campaign pass is
// creating a large campaign's months in parallel, starts a new one, and requires every month
// exactly once, owned by the campaign, with no name conflict reported and the campaign's
// status counting them all.
func TestFanoutKilledHalfwayFinishesWithoutDuplicates(t *testing.T) {
	ctx := context.Background()
	ns := env.NewNamespace(t, "fanout-restart")
	const months = 1200 // 1900–1999
	c := builders.MakeCampaign("big", ns).Mode(v1alpha1.ModePlan).Phase("p", 1900, 1999, 20, 5).Obj()
	clock := clocktesting.NewFakeClock(time.Date(2026, 1, 15, 3, 0, 0, 0, time.UTC))
	jobs := attemptjob.Builder{Image: "backfill-operator:test"}
	start := func() *testenv.Manager {
		mgr, err := env.StartManager(ctx, testenv.ManagerOptions{Clock: clock, Jobs: jobs})
		if err != nil {
			t.Fatal(err)
		}
		return mgr
	}
	count := func() int {
		var l metav1.PartialObjectMetadataList
		l.SetGroupVersionKind(v1alpha1.GroupVersion.WithKind("BackfillMonthList"))
		if err := env.Client.List(ctx, &l, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		return len(l.Items)
	}

	mgr := start()
	if err := env.Client.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); count() < 50; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the fan-out did not start")
		}
	}
	mgr.Stop() // mid-pass: creates in flight end with the manager
	stoppedAt := count()
	if stoppedAt >= months {
		t.Logf("the fan-out finished before the stop (%d months); the restart still must not duplicate", stoppedAt)
	}

	mgr = start()
	defer mgr.Stop()
	var got v1alpha1.BackfillCampaign
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(c), &got); err != nil {
			t.Fatal(err)
		}
		if got.Status.Months.Total == months && got.Status.ObservedGeneration == got.Generation {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the restart the campaign counts %d of %d months (%d existed at the stop)", got.Status.Months.Total, months, stoppedAt)
		}
	}
	var list v1alpha1.BackfillMonthList
	if err := env.Client.List(ctx, &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range list.Items {
		if seen[m.Name] {
			t.Errorf("month %s exists twice", m.Name)
		}
		seen[m.Name] = true
		if !metav1.IsControlledBy(&m, c) {
			t.Errorf("month %s is not controlled by the campaign", m.Name)
		}
	}
	if len(list.Items) != months {
		t.Errorf("%d months exist, want %d", len(list.Items), months)
	}
	if stalled := meta.FindStatusCondition(got.Status.Conditions, v1alpha1.ConditionStalled); stalled != nil && stalled.Status == metav1.ConditionTrue {
		t.Errorf("campaign Stalled after the restart: %s: %s", stalled.Reason, stalled.Message)
	}
	t.Logf("%d of %d months existed when the manager stopped", stoppedAt, months)
}

// TestFanoutDoesNotHoldUpOtherCampaigns: while one campaign's pass fans it out into 2,400
// months, another campaign is planned and admits its first months; campaigns are reconciled
// side by side (controllers.CampaignWorkers), so a long pass delays no one else's admission.
func TestFanoutDoesNotHoldUpOtherCampaigns(t *testing.T) {
	ctx := context.Background()
	ns := env.NewNamespace(t, "fanout-aside")
	const bigMonths = 2400 // 1900–2099
	clock := clocktesting.NewFakeClock(time.Date(2026, 1, 15, 3, 0, 0, 0, time.UTC))
	mgr, err := env.StartManager(ctx, testenv.ManagerOptions{Clock: clock, Jobs: attemptjob.Builder{Image: "backfill-operator:test"},
		WatchNamespaces: []string{ns}})
	if err != nil {
		t.Fatal(err)
	}
	defer mgr.Stop()
	monthsOf := func(campaign string) []metav1.PartialObjectMetadata {
		var l metav1.PartialObjectMetadataList
		l.SetGroupVersionKind(v1alpha1.GroupVersion.WithKind("BackfillMonthList"))
		if err := env.Client.List(ctx, &l, client.InNamespace(ns), client.MatchingLabels{v1alpha1.LabelCampaign: campaign}); err != nil {
			t.Fatal(err)
		}
		return l.Items
	}

	big := builders.MakeCampaign("big", ns).Mode(v1alpha1.ModePlan).Phase("p", 1900, 2099, 20, 5).Obj()
	if err := env.Client.Create(ctx, big); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); len(monthsOf("big")) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the big campaign's fan-out did not start")
		}
	}
	small := builders.MakeCampaign("small", ns).Phase("p", 2020, 2020, 12, 2).Database("db", "url").Obj()
	if err := env.Client.Create(ctx, small); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(20 * time.Millisecond) {
		admitted := false
		for _, m := range monthsOf("small") {
			admitted = admitted || m.Annotations[v1alpha1.AnnotationFirstAdmittedAt] != ""
		}
		if admitted {
			if n := len(monthsOf("big")); n >= bigMonths {
				t.Fatalf("the small campaign admitted its first month only once the big campaign's %d months existed", n)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the small campaign admitted nothing")
		}
	}
}
