package manifests

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// Namespaced mode, through either install path: the manager watches only the listed namespaces
// and holds the generated manager rules there through a Role and RoleBinding per namespace; no
// cluster-wide binding gives it campaigns, months, Jobs or pods anywhere.
func TestNamespacedModeGrantsRightsOnlyInWatchedNamespaces(t *testing.T) {
	raw, err := os.ReadFile(repoPath("config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var generated rbacv1.ClusterRole
	if err := yaml.Unmarshal(raw, &generated); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		objs    []*unstructured.Unstructured
		watched []string
	}{
		{"kustomize config/namespaced", kustomize(t, repoPath("config/namespaced")), []string{"backfill-campaigns"}},
		{"chart watchNamespaces", renderChart(t, map[string]any{"watchNamespaces": []any{"team-a", "team-b"}}), []string{"team-a", "team-b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := loadRBAC(t, tc.objs)
			// Cluster-wide: only what config/default grants besides the manager role.
			for _, b := range r.crbs {
				if !slices.ContainsFunc(b.Subjects, func(s rbacv1.Subject) bool { return s.Name == managerSA }) {
					continue
				}
				cr := r.clusterRoles[b.RoleRef.Name]
				if cr == nil {
					t.Errorf("ClusterRoleBinding %s refers to the missing ClusterRole %s", b.Name, b.RoleRef.Name)
					continue
				}
				for _, res := range [][2]string{{"batch", "jobs"}, {"", "pods"}, {"alexandria.ooheynerds.com", "backfillmonths"}, {"alexandria.ooheynerds.com", "backfillcampaigns"}} {
					if grants(cr.Rules, res[0], res[1], "list") {
						t.Errorf("ClusterRoleBinding %s grants the manager %s.%s cluster-wide", b.Name, res[1], res[0])
					}
				}
			}
			for _, ns := range tc.watched {
				var role *rbacv1.Role
				for _, o := range ofKind(tc.objs, "Role") {
					if o.GetNamespace() == ns && o.GetName() == "backfill-manager-role" {
						role = typed[rbacv1.Role](t, o)
					}
				}
				if role == nil {
					t.Errorf("no manager Role in watched namespace %s", ns)
					continue
				}
				if diff := cmp.Diff(generated.Rules, role.Rules); diff != "" {
					t.Errorf("Role in %s differs from the generated manager rules (-generated +role):\n%s", ns, diff)
				}
				bound := slices.ContainsFunc(r.rbs, func(b *rbacv1.RoleBinding) bool {
					return b.Namespace == ns && b.RoleRef.Kind == "Role" && b.RoleRef.Name == role.Name &&
						slices.ContainsFunc(b.Subjects, func(s rbacv1.Subject) bool {
							return s.Kind == "ServiceAccount" && s.Name == managerSA && s.Namespace == namespace
						})
				})
				if !bound {
					t.Errorf("the manager Role in %s is not bound to %s/%s", ns, namespace, managerSA)
				}
			}
			_, c := managerDeployment(t, tc.objs)
			if want := "--watch-namespaces=" + strings.Join(tc.watched, ","); !slices.Contains(c.Args, want) {
				t.Errorf("manager args %v, want %s", c.Args, want)
			}
		})
	}
	// Without watched namespaces the chart keeps the cluster-wide mode.
	_, c := managerDeployment(t, renderChart(t, nil))
	for _, a := range c.Args {
		if strings.HasPrefix(a, "--watch-namespaces") {
			t.Errorf("default chart passes %s", a)
		}
	}
}
