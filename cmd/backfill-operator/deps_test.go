package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestProductLinksNoDevelopmentTooling keeps the shipped binary the product: the fakes, the
// local control plane, the pod runner and the demo (internal/dev), and the release tooling's
// libraries, live in other binaries.
func TestProductLinksNoDevelopmentTooling(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	forbidden := []string{
		"github.com/ooheynerds/backfill-operator/internal/dev/",
		"github.com/ooheynerds/backfill-operator/internal/image",
		"github.com/ooheynerds/backfill-operator/internal/installmanifest",
		"helm.sh/helm/",
		"github.com/google/go-containerregistry/",
		"sigs.k8s.io/kustomize/",
		"sigs.k8s.io/controller-runtime/pkg/envtest",
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if strings.HasPrefix(pkg, f) {
				t.Errorf("backfill-operator links %s", pkg)
			}
		}
	}
}
