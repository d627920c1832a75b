package manifests

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/lint"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ooheynerds/backfill-operator/internal/installmanifest"
)

const releaseImage = "ghcr.io/ooheynerds/backfill-operator"

// chartAppVersion is the release version's one home (the Makefile reads it too).
func chartAppVersion(t *testing.T) string {
	ch, err := loader.Load(repoPath("charts/backfill-operator"))
	if err != nil {
		t.Fatal(err)
	}
	return ch.Metadata.AppVersion
}

// TestInstallManifestIsFresh fails when dist/install.yaml is not what config/default renders now.
func TestInstallManifestIsFresh(t *testing.T) {
	want, err := installmanifest.Render(repoPath("config"), releaseImage+":"+chartAppVersion(t))
	if err != nil {
		t.Fatal(err)
	}
	got := must(os.ReadFile(repoPath("dist/install.yaml")))
	if string(got) != string(want) {
		t.Error("dist/install.yaml is stale: run make install-manifest and commit")
	}
	_, c := managerDeployment(t, decodeObjects(t, got))
	if c.Image != releaseImage+":"+chartAppVersion(t) {
		t.Errorf("install.yaml image %q", c.Image)
	}
	for _, bad := range []string{"ghcr.io/x", "ghcr.io/x:", "a b:c", "x@md5:1"} {
		if _, err := installmanifest.Render(repoPath("config"), bad); err == nil {
			t.Errorf("image %q was accepted", bad)
		}
	}
}

// apply server-side-applies objects to the real API server, the way users install them.
func apply(t *testing.T, owner string, objs []*unstructured.Unstructured) {
	t.Helper()
	ctx := context.Background()
	for _, kind := range []string{"Namespace", "CustomResourceDefinition", ""} {
		for _, o := range objs {
			if (kind == "" && (o.GetKind() == "Namespace" || o.GetKind() == "CustomResourceDefinition")) || (kind != "" && o.GetKind() != kind) {
				continue
			}
			obj := o.DeepCopy()
			if err := env.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), client.FieldOwner(owner), client.ForceOwnership); err != nil {
				t.Errorf("the API server rejected %s %s: %v", o.GetKind(), o.GetName(), err)
			}
		}
	}
}

func TestInstallManifestApplies(t *testing.T) {
	needAPIServer(t)
	objs := decodeObjects(t, must(os.ReadFile(repoPath("dist/install.yaml"))))
	if len(ofKind(objs, "CustomResourceDefinition")) != 3 || len(ofKind(objs, "Deployment")) != 1 {
		t.Fatalf("install.yaml lacks the CRDs or the Deployment")
	}
	apply(t, "install-yaml-test", objs)
}

func renderChart(t *testing.T, values map[string]any) []*unstructured.Unstructured {
	t.Helper()
	ch, err := loader.Load(repoPath("charts/backfill-operator"))
	if err != nil {
		t.Fatal(err)
	}
	vals, err := chartutil.ToRenderValues(ch, values, chartutil.ReleaseOptions{Name: "backfill", Namespace: namespace, IsInstall: true}, chartutil.DefaultCapabilities)
	if err != nil {
		t.Fatal(err)
	}
	files, err := engine.Render(ch, vals)
	if err != nil {
		t.Fatalf("helm template: %v", err)
	}
	var objs []*unstructured.Unstructured
	for name, text := range files {
		if strings.HasSuffix(name, ".yaml") && strings.TrimSpace(text) != "" {
			objs = append(objs, decodeObjects(t, []byte(text))...)
		}
	}
	return objs
}

func TestChartLints(t *testing.T) {
	l := lint.All(repoPath("charts/backfill-operator"), nil, namespace, false)
	for _, m := range l.Messages {
		if m.Severity >= 2 {
			t.Errorf("helm lint: %s", m)
		}
	}
}

// TestChartMatchesKustomize compares what both install paths share: the CRDs, the manager's
// rules, and the Deployment's security, args and env.
func TestChartMatchesKustomize(t *testing.T) {
	chart := renderChart(t, nil)
	kust := kustomize(t, repoPath("config/default"))
	for _, crd := range ofKind(kust, "CustomResourceDefinition") {
		got := find(t, chart, "CustomResourceDefinition", crd.GetName())
		if got.GetAnnotations()["helm.sh/resource-policy"] != "keep" {
			t.Errorf("chart CRD %s is not kept on uninstall", crd.GetName())
		}
		if diff := cmp.Diff(crd.Object["spec"], got.Object["spec"]); diff != "" {
			t.Errorf("CRD %s spec differs (-kustomize +chart):\n%s", crd.GetName(), diff)
		}
	}
	for _, name := range []string{"backfill-manager-role", "backfill-metrics-auth-role", "backfill-metrics-reader", "backfill-backfillcampaign-editor-role"} {
		if diff := cmp.Diff(viaJSON(t, find(t, kust, "ClusterRole", name).Object["rules"]), viaJSON(t, find(t, chart, "ClusterRole", name).Object["rules"])); diff != "" {
			t.Errorf("ClusterRole %s rules differ (-kustomize +chart):\n%s", name, diff)
		}
	}
	kd, kc := managerDeployment(t, kust)
	cd, cc := managerDeployment(t, chart)
	if diff := cmp.Diff(kd.Spec.Template.Spec.SecurityContext, cd.Spec.Template.Spec.SecurityContext); diff != "" {
		t.Errorf("pod securityContext differs:\n%s", diff)
	}
	for what, pair := range map[string][2]any{
		"container securityContext": {kc.SecurityContext, cc.SecurityContext},
		"args":                      {kc.Args, cc.Args},
		"env":                       {kc.Env, cc.Env},
		"command":                   {kc.Command, cc.Command},
		"resources":                 {kc.Resources, cc.Resources},
		"serviceAccount":            {kd.Spec.Template.Spec.ServiceAccountName, cd.Spec.Template.Spec.ServiceAccountName},
	} {
		if diff := cmp.Diff(pair[0], pair[1]); diff != "" {
			t.Errorf("%s differs (-kustomize +chart):\n%s", what, diff)
		}
	}
	if cc.Image != releaseImage+":"+chartAppVersion(t) || cd.Spec.Template.Annotations[workerImageNote] != cc.Image {
		t.Errorf("chart image %q, worker image %q", cc.Image, cd.Spec.Template.Annotations[workerImageNote])
	}
	noCRDs := renderChart(t, map[string]any{"crds": map[string]any{"install": false}})
	if len(ofKind(noCRDs, "CustomResourceDefinition")) != 0 {
		t.Error("crds.install=false still renders CRDs")
	}
}

func TestChartApplies(t *testing.T) {
	needAPIServer(t)
	apply(t, "helm-chart-test", renderChart(t, nil))
}
