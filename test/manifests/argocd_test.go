package manifests

import (
	"os"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/ooheynerds/backfill-operator/internal/health"
)

// TestArgoCDConfigRegistersTheTestedHealthChecks makes sure the argocd-cm users paste holds the
// scripts internal/health tests, byte for byte, under the keys Argo CD looks up.
func TestArgoCDConfigRegistersTheTestedHealthChecks(t *testing.T) {
	cm := find(t, kustomize(t, repoPath("config/argocd")), "ConfigMap", "argocd-cm")
	data, _, err := unstructured.NestedStringMap(cm.Object, "data")
	if err != nil {
		t.Fatal(err)
	}
	checks := health.Checks()
	if len(data) != len(checks) {
		t.Errorf("argocd-cm has %d keys, want one per health check (%d)", len(data), len(checks))
	}
	for _, c := range checks {
		got, ok := data[c.ConfigKey()]
		if !ok {
			t.Errorf("argocd-cm lacks %s", c.ConfigKey())
			continue
		}
		if got != c.Script {
			t.Errorf("argocd-cm's %s differs from internal/health/lua/%s/%s/health.lua: copy the script again", c.ConfigKey(), c.Group, c.Kind)
		}
	}
}

// TestArgoCDSyncOrder checks what the example Application syncs: CRDs server-side in an earlier
// wave than the campaign, whose dry run is skipped while its CRD is missing.
func TestArgoCDSyncOrder(t *testing.T) {
	app := find(t, kustomize(t, repoPath("config/argocd")), "Application", "backfill-operator")
	path, _, _ := unstructured.NestedString(app.Object, "spec", "source", "path")
	if path != "config/argocd/app" {
		t.Fatalf("Application path = %q, want config/argocd/app", path)
	}
	objs := kustomize(t, repoPath(path))
	wave := func(o *unstructured.Unstructured) string { return o.GetAnnotations()["argocd.argoproj.io/sync-wave"] }
	options := func(o *unstructured.Unstructured) string {
		return o.GetAnnotations()["argocd.argoproj.io/sync-options"]
	}
	crds := ofKind(objs, "CustomResourceDefinition")
	campaigns := ofKind(objs, "BackfillCampaign")
	if len(crds) != 3 || len(campaigns) == 0 {
		t.Fatalf("%d CRDs and %d campaigns rendered, want 3 and at least 1", len(crds), len(campaigns))
	}
	for _, crd := range crds {
		if wave(crd) != "-1" || options(crd) != "ServerSideApply=true" {
			t.Errorf("CRD %s: wave %q, options %q; want wave -1 and ServerSideApply=true", crd.GetName(), wave(crd), options(crd))
		}
	}
	for _, c := range append(campaigns, ofKind(objs, "BackfillBudget")...) {
		if wave(c) != "1" || options(c) != "SkipDryRunOnMissingResource=true" {
			t.Errorf("campaign %s: wave %q, options %q; want wave 1 and SkipDryRunOnMissingResource=true", c.GetName(), wave(c), options(c))
		}
	}
	for _, o := range objs {
		if k := o.GetKind(); k != "CustomResourceDefinition" && k != "BackfillCampaign" && k != "BackfillBudget" && wave(o) != "" {
			t.Errorf("%s %s has wave %q; only CRDs, budgets and campaigns are ordered", k, o.GetName(), wave(o))
		}
	}
}

// TestArgoCDDocShowsTheTestedScripts keeps docs/argocd.md from showing stale scripts.
func TestArgoCDDocShowsTheTestedScripts(t *testing.T) {
	doc := string(must(os.ReadFile(repoPath("docs/argocd.md"))))
	for _, c := range health.Checks() {
		if !strings.Contains(doc, "```lua\n"+c.Script+"```") {
			t.Errorf("docs/argocd.md does not show the current %s health.lua", c.Kind)
		}
	}
}
