package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/dev/builders"
)

// A campaign stored while the CRD had no duration rules (an older CRD, or validation off) must
// not stop the operator: it alone is Stalled/InvalidSpec with the field named, and a campaign in
// another namespace is planned, admitted and completes beside it.
func TestUninterpretableCampaignAffectsOnlyItself(t *testing.T) {
	ctx := context.Background()
	badNS := env.NewNamespace(t, "undecodable")
	bad := campaignFromYAML(t, strings.Replace(valid, "NAME", "stored-before-the-rules", 1), badNS)
	bad.Object["spec"].(map[string]any)["job"] = map[string]any{"pendingDeadline": "abc"}
	storeWithoutDurationRules(t, ctx, bad)
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), bad) })

	good := builders.MakeCampaign("good", "").Phase("p", 2020, 2020, 5, 2).Months(1, 2).
		Deadlines(10*time.Minute, time.Hour).Database("db", "url").Obj()
	goodNS := env.NewNamespace(t, "rules")
	s := newSimIn(t, goodNS, good, goodOutcome, badNS) // one manager sees both
	s.waitForJobs(1)
	s.until("good", 20, "the good campaign completes", func(c *v1alpha1.BackfillCampaign) bool {
		return c.Status.Months.Completed == 2
	})

	key := types.NamespacedName{Namespace: badNS, Name: bad.GetName()}
	stalled := waitForCondition(t, ctx, key, v1alpha1.ConditionStalled)
	if stalled.Reason != v1alpha1.ReasonInvalidSpec || !strings.Contains(stalled.Message, "spec.job.pendingDeadline") ||
		!strings.Contains(stalled.Message, `invalid duration "abc"`) {
		t.Fatalf("Stalled = %+v, want reason %s naming spec.job.pendingDeadline", stalled, v1alpha1.ReasonInvalidSpec)
	}
	var months v1alpha1.BackfillMonthList
	if err := env.Client.List(ctx, &months, client.InNamespace(badNS)); err != nil || len(months.Items) != 0 {
		t.Fatalf("the uninterpretable campaign got months (%d, %v)", len(months.Items), err)
	}

	// Correcting the field resumes the campaign.
	fix := client.RawPatch(types.MergePatchType, []byte(`{"spec":{"job":{"pendingDeadline":"15m"}}}`))
	if err := env.Client.Patch(ctx, bad.DeepCopy(), fix); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		var c v1alpha1.BackfillCampaign
		if err := env.Client.Get(ctx, key, &c); err != nil {
			t.Fatal(err)
		}
		if !meta.IsStatusConditionTrue(c.Status.Conditions, v1alpha1.ConditionStalled) && c.Status.Months.Total == 48 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the corrected campaign did not resume: %+v", c.Status)
		}
	}
}

func goodOutcome(*v1alpha1.BackfillMonth, int) outcome { return outcome{books: 10, resolved: 9} }

// storeWithoutDurationRules stores obj while the campaign CRD lacks the rules on
// spec.job.pendingDeadline, then puts the CRD back as it was.
func storeWithoutDurationRules(t *testing.T, ctx context.Context, obj *unstructured.Unstructured) {
	t.Helper()
	crd := &unstructured.Unstructured{}
	crd.SetGroupVersionKind(schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"})
	key := types.NamespacedName{Name: "backfillcampaigns.alexandria.ooheynerds.com"}
	if err := env.Client.Get(ctx, key, crd); err != nil {
		t.Fatal(err)
	}
	original, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	loosened := crd.DeepCopy()
	versions, _, _ := unstructured.NestedSlice(loosened.Object, "spec", "versions")
	path := []string{"schema", "openAPIV3Schema", "properties", "spec", "properties", "job", "properties", "pendingDeadline"}
	v0 := versions[0].(map[string]any)
	field, ok, _ := unstructured.NestedMap(v0, path...)
	if !ok {
		t.Fatal("the CRD has no spec.job.pendingDeadline")
	}
	delete(field, "x-kubernetes-validations")
	delete(field, "maxLength")
	if err := unstructured.SetNestedMap(v0, field, path...); err != nil {
		t.Fatal(err)
	}
	_ = unstructured.SetNestedSlice(loosened.Object, versions, "spec", "versions")
	if err := env.Client.Update(ctx, loosened); err != nil {
		t.Fatal(err)
	}
	restore := func() {
		for i := 0; i < 10; i++ {
			if err := env.Client.Get(ctx, key, crd); err != nil {
				continue
			}
			_ = unstructured.SetNestedSlice(crd.Object, original, "spec", "versions")
			if err := env.Client.Update(ctx, crd); err == nil {
				return
			}
		}
		t.Fatal("could not restore the campaign CRD")
	}
	// the API server picks up the loosened schema shortly after the update
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		err := env.Client.Create(ctx, obj.DeepCopy())
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			restore()
			t.Fatalf("storing the object under the loosened CRD: %v", err)
		}
	}
	restore()
	probe := obj.DeepCopy()
	probe.SetName("probe-" + obj.GetName())
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if err := env.Client.Create(ctx, probe.DeepCopy()); err != nil {
			return // validation is back
		}
		_ = env.Client.Delete(ctx, probe)
		if time.Now().After(deadline) {
			t.Fatal("the restored CRD still accepts the invalid duration")
		}
	}
}

func waitForCondition(t *testing.T, ctx context.Context, key types.NamespacedName, condition string) *storedCondition {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(v1alpha1.GroupVersion.WithKind("BackfillCampaign"))
		if err := env.Client.Get(ctx, key, u); err != nil {
			t.Fatal(err)
		}
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		for _, c := range conds {
			m := c.(map[string]any)
			if m["type"] == condition && m["status"] == "True" {
				return &storedCondition{Reason: m["reason"].(string), Message: m["message"].(string)}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never became True on %s: %v", condition, key, conds)
		}
	}
}

// storedCondition is the part of a stored condition the test reads (the object itself cannot
// be decoded into the typed API).
type storedCondition struct{ Reason, Message string }
