package manifests

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

// sampleCampaigns returns every BackfillCampaign under config/samples: the kustomization's and
// any other sample file's (such as the demo's).
func sampleCampaigns(t *testing.T) map[string]*unstructured.Unstructured {
	t.Helper()
	out := map[string]*unstructured.Unstructured{}
	for _, o := range ofKind(kustomize(t, repoPath("config/samples")), "BackfillCampaign") {
		out["kustomize config/samples: "+o.GetName()] = o
	}
	err := filepath.WalkDir(repoPath("config/samples"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") || d.Name() == "kustomization.yaml" {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, o := range decodeObjects(t, data) {
			if o.GetKind() == "BackfillCampaign" {
				rel, _ := filepath.Rel(repoPath(), p)
				out[rel+": "+o.GetName()] = o
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSampleCampaignIsTheSeedRollout pins the documented rollout: the sample is what people copy.
func TestSampleCampaignIsTheSeedRollout(t *testing.T) {
	c := typed[v1alpha1.BackfillCampaign](t, find(t, kustomize(t, repoPath("config/samples")), "BackfillCampaign", "alexandria-backfill"))
	want := []v1alpha1.Phase{
		{Name: "validate", Years: v1alpha1.YearRange{From: 2020, To: 2020}, MonthsPerDay: 5, MaxConcurrent: 2,
			Gate: &v1alpha1.Gate{MinResolutionRate: ptr.To[int32](90)}},
		{Name: "recent", Years: v1alpha1.YearRange{From: 2021, To: 2023}, MonthsPerDay: 15, MaxConcurrent: 5},
		{Name: "history", Years: v1alpha1.YearRange{From: 2000, To: 2019}, MonthsPerDay: 20, MaxConcurrent: 5, Approval: v1alpha1.ApprovalManual},
	}
	if diff := cmp.Diff(want, c.Spec.Phases); diff != "" {
		t.Errorf("phases (-want +got):\n%s", diff)
	}
	if c.Spec.EffectiveISBNdbCallsPerDay() != 7000 || c.Spec.Retry.MaxAttempts != 5 {
		t.Errorf("budget %d/day, %d attempts; want 7000 and 5", c.Spec.EffectiveISBNdbCallsPerDay(), c.Spec.Retry.MaxAttempts)
	}
	keys := map[string]*v1alpha1.SecretKeyRef{}
	if g := c.Spec.Generators; g.Gemini != nil && g.XAI != nil {
		keys["gemini"], keys["xai"] = g.Gemini.APIKeySecretRef, g.XAI.APIKeySecretRef
	}
	if r := c.Spec.Resolver; r.ISBNdb != nil && r.GoogleBooks != nil {
		keys["isbndb"], keys["googlebooks"] = r.ISBNdb.APIKeySecretRef, r.GoogleBooks.APIKeySecretRef
	}
	// Every key the campaign references exists in the example Secret users copy.
	secrets := decodeObjects(t, must(os.ReadFile(repoPath("config/samples/secrets-example.yaml"))))
	for _, provider := range []string{"gemini", "xai", "isbndb", "googlebooks"} {
		ref := keys[provider]
		if ref == nil {
			t.Errorf("no API key reference for %s", provider)
			continue
		}
		s := find(t, secrets, "Secret", ref.Name)
		if _, ok, _ := unstructured.NestedString(s.Object, "stringData", ref.Key); !ok {
			t.Errorf("secrets-example.yaml's %s has no key %s for %s", ref.Name, ref.Key, provider)
		}
	}
}

// viaJSON normalises decoded values (float64 from YAML, int64 from the API) for comparison.
func viaJSON(t *testing.T, v any) any {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestSampleCampaignsAreAccepted creates each sample in the real API server with the CRDs
// installed (schema, CEL rules), and checks the stored phases equal the sample's: a default
// added inside a list item would show as permanent drift in Argo CD.
func TestSampleCampaignsAreAccepted(t *testing.T) {
	needAPIServer(t)
	ctx := context.Background()
	for name, sample := range sampleCampaigns(t) {
		t.Run(name, func(t *testing.T) {
			ns, err := env.Namespace(ctx, "samples")
			if err != nil {
				t.Fatal(err)
			}
			obj := sample.DeepCopy()
			obj.SetNamespace(ns)
			if err := env.Client.Create(ctx, obj); err != nil {
				t.Fatalf("the API server rejected the sample: %v", err)
			}
			stored := &unstructured.Unstructured{}
			stored.SetGroupVersionKind(obj.GroupVersionKind())
			if err := env.Client.Get(ctx, client.ObjectKeyFromObject(obj), stored); err != nil {
				t.Fatal(err)
			}
			want, _, _ := unstructured.NestedSlice(sample.Object, "spec", "phases")
			got, _, _ := unstructured.NestedSlice(stored.Object, "spec", "phases")
			if diff := cmp.Diff(viaJSON(t, want), viaJSON(t, got)); diff != "" {
				t.Errorf("stored phases differ from the sample (-sample +stored):\n%s", diff)
			}
		})
	}
}

// TestRenderedObjectsAreValid creates everything config/default and the Argo CD files render in
// the real API server, so a misspelt field or an invalid value fails here, not in a cluster. The
// CRDs, already installed by the test environment, go through a dry-run update.
func TestRenderedObjectsAreValid(t *testing.T) {
	needAPIServer(t)
	ctx := context.Background()
	objs := kustomize(t, repoPath("config/default"))
	for _, o := range objs {
		if o.GetKind() == "Namespace" {
			if err := env.Client.Create(ctx, o.DeepCopy()); err != nil {
				t.Fatalf("creating Namespace %s: %v", o.GetName(), err)
			}
		}
	}
	secrets := decodeObjects(t, must(os.ReadFile(repoPath("config/samples/secrets-example.yaml"))))
	for _, o := range append(objs, secrets...) {
		if o.GetKind() == "Namespace" {
			continue
		}
		t.Run(o.GetKind()+"/"+o.GetName(), func(t *testing.T) {
			obj := o.DeepCopy()
			if o.GetKind() == "CustomResourceDefinition" {
				installed := &unstructured.Unstructured{}
				installed.SetGroupVersionKind(o.GroupVersionKind())
				if err := env.Client.Get(ctx, client.ObjectKeyFromObject(o), installed); err != nil {
					t.Fatal(err)
				}
				obj.SetResourceVersion(installed.GetResourceVersion())
				if err := env.Client.Update(ctx, obj, client.DryRunAll); err != nil {
					t.Errorf("the API server rejected %s %s: %v", o.GetKind(), o.GetName(), err)
				}
				return
			}
			if err := env.Client.Create(ctx, obj); err != nil {
				t.Errorf("the API server rejected %s %s: %v", o.GetKind(), o.GetName(), err)
			}
		})
	}
	// argocd-cm is a plain ConfigMap; the Application's CRD is Argo CD's and not installed here.
	cm := find(t, kustomize(t, repoPath("config/argocd")), "ConfigMap", "argocd-cm").DeepCopy()
	cm.SetNamespace(must(env.Namespace(ctx, "argocd")))
	if err := env.Client.Create(ctx, cm); err != nil {
		t.Errorf("the API server rejected argocd-cm: %v", err)
	}
}
