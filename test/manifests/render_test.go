package manifests

import (
	"bytes"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/ooheynerds/backfill-operator/internal/dev/testenv"
)

// env is the real API server; nil with -short, where only the rendering tests run.
var env *testenv.Env

func TestMain(m *testing.M) {
	testenv.Main(m, &env, testenv.Suite{Name: "manifests", ShortWithout: true})
}

func needAPIServer(t *testing.T) {
	t.Helper()
	if env == nil {
		t.Skip("needs the control plane; skipped with -short")
	}
}

// repoPath is a path inside the repository.
func repoPath(parts ...string) string {
	return filepath.Join(append([]string{testenv.RepoRoot()}, parts...)...)
}

// kustomize renders a kustomization directory the way `make deploy` and Argo CD do.
func kustomize(t *testing.T, dir string) []*unstructured.Unstructured {
	t.Helper()
	cmd := exec.Command("kubectl", "kustomize", dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kubectl kustomize %s: %v\n%s", dir, err, stderr.String())
	}
	return decodeObjects(t, out)
}

// decodeObjects splits a multi-document YAML stream into objects.
func decodeObjects(t *testing.T, data []byte) []*unstructured.Unstructured {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var objs []*unstructured.Unstructured
	for {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return objs
		}
		if err != nil {
			t.Fatalf("decoding YAML: %v", err)
		}
		if m == nil {
			continue
		}
		objs = append(objs, &unstructured.Unstructured{Object: m})
	}
}

// find returns the one object of a kind and name.
func find(t *testing.T, objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	t.Fatalf("no %s %q in the rendered objects", kind, name)
	return nil
}

func ofKind(objs []*unstructured.Unstructured, kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}

// typed converts a rendered object into its Go type.
func typed[T any](t *testing.T, o *unstructured.Unstructured) *T {
	t.Helper()
	out := new(T)
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(o.Object, out, true); err != nil {
		t.Fatalf("%s %s does not convert to %T: %v", o.GetKind(), o.GetName(), out, err)
	}
	return out
}

func TestKustomizationsRender(t *testing.T) {
	tests := []struct {
		dir   string
		kinds map[string]int // kind -> how many objects of it must be rendered
	}{
		{"config/crd", map[string]int{"CustomResourceDefinition": 3}},
		{"config/rbac", map[string]int{"ClusterRole": 9, "ClusterRoleBinding": 2, "Role": 1, "RoleBinding": 1, "ServiceAccount": 2}},
		{"config/manager", map[string]int{"Namespace": 1, "Deployment": 1, "Service": 1}},
		{"config/default", map[string]int{"CustomResourceDefinition": 3, "Namespace": 1, "Deployment": 1, "Service": 1,
			"ClusterRole": 9, "ClusterRoleBinding": 2, "Role": 1, "RoleBinding": 1, "ServiceAccount": 2}},
		{"config/samples", map[string]int{"BackfillCampaign": 1, "BackfillBudget": 1}},
		{"config/argocd", map[string]int{"Application": 1, "ConfigMap": 1}},
		{"config/argocd/app", map[string]int{"CustomResourceDefinition": 3, "Deployment": 1, "BackfillCampaign": 1, "BackfillBudget": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			objs := kustomize(t, repoPath(tt.dir))
			for kind, want := range tt.kinds {
				if got := len(ofKind(objs, kind)); got != want {
					t.Errorf("%d %s objects, want %d", got, kind, want)
				}
			}
		})
	}
}
