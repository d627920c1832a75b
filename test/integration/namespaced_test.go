package integration

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/dev/builders"
	"github.com/ooheynerds/backfill-operator/internal/dev/testenv"
	"github.com/ooheynerds/backfill-operator/internal/manager"
)

// A manager that watches one namespace, running as a ServiceAccount whose only rights are the
// generated manager role bound by a RoleBinding in that namespace (what the namespaced
// kustomize overlay and the chart's watchNamespaces install), reconciles the campaign there and
// leaves a campaign in another namespace alone.
func TestNamespacedManagerNeedsOnlyItsNamespacesRights(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	watched := env.NewNamespace(t, "watched")
	other := env.NewNamespace(t, "other")
	home := env.NewNamespace(t, "operator")

	// The generated rules, as config/rbac/role.yaml has them, bound in the watched namespace only.
	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var role rbacv1.ClusterRole
	if err := yaml.Unmarshal(raw, &role); err != nil {
		t.Fatal(err)
	}
	role.ObjectMeta = metav1.ObjectMeta{Name: "manager-role-" + watched}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "manager", Namespace: home}}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "manager", Namespace: watched},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: sa.Name, Namespace: home}},
	}
	for _, obj := range []client.Object{&role, sa, binding} {
		if err := env.Client.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), &role) })
	cfg := rest.CopyConfig(env.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + home + ":manager"}

	// RBAC is enforced for that identity: nothing outside the watched namespace.
	as, err := client.New(cfg, client.Options{Scheme: manager.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	if err := as.List(ctx, &v1alpha1.BackfillMonthList{}, client.InNamespace(other)); !apierrors.IsForbidden(err) {
		t.Fatalf("listing months in %s as the manager: %v, want Forbidden", other, err)
	}
	if err := as.List(ctx, &v1alpha1.BackfillMonthList{}); !apierrors.IsForbidden(err) {
		t.Fatalf("listing months cluster-wide as the manager: %v, want Forbidden", err)
	}

	mgr, _, err := manager.New(ctx, cfg, manager.Options{
		MetricsAddr: "0", ProbeAddr: "0", Jobs: jobs, Clock: clocktesting.NewFakeClock(start),
		CoalesceMonthEvents: 20 * time.Millisecond, SkipNameValidation: true, WatchNamespaces: []string{watched},
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	for _, ns := range []string{watched, other} {
		c := builders.MakeCampaign("scoped", ns).Phase("p", 2020, 2020, 5, 2).Months(1, 3).Database("db", "url").Obj()
		if err := env.Client.Create(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-done:
			t.Fatalf("the namespaced manager stopped: %v", err)
		default:
		}
		c, months := scoped(t, watched)
		if len(months.Items) == 3 && c.Status.Months.Total == 3 && c.Status.Months.Processing == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the campaign in the watched namespace was not reconciled: %d months, status %+v", len(months.Items), c.Status.Months)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The other namespace's campaign: never touched (no status, no months).
	c, months := scoped(t, other)
	if len(months.Items) != 0 || c.Status.ObservedGeneration != 0 || len(c.Status.Conditions) != 0 {
		t.Fatalf("the campaign outside the watched namespace was touched: %d months, status %+v", len(months.Items), c.Status)
	}
}

// scoped reads the campaign "scoped" of a namespace and the months there.
func scoped(t *testing.T, ns string) (v1alpha1.BackfillCampaign, v1alpha1.BackfillMonthList) {
	t.Helper()
	var c v1alpha1.BackfillCampaign
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "scoped"}, &c); err != nil {
		t.Fatal(err)
	}
	var months v1alpha1.BackfillMonthList
	if err := env.Client.List(context.Background(), &months, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	return c, months
}
