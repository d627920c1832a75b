package manifests

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
)

const (
	namespace       = "backfill-system"
	deploymentName  = "backfill-controller-manager"
	managerSA       = "backfill-controller-manager"
	workerSA        = "backfill-worker"
	workerImageNote = "alexandria.ooheynerds.com/worker-image"
)

func managerDeployment(t *testing.T, objs []*unstructured.Unstructured) (*appsv1.Deployment, corev1.Container) {
	t.Helper()
	d := typed[appsv1.Deployment](t, find(t, objs, "Deployment", deploymentName))
	if d.Namespace != namespace {
		t.Errorf("Deployment namespace = %q, want %q", d.Namespace, namespace)
	}
	for _, c := range d.Spec.Template.Spec.Containers {
		if c.Name == "manager" {
			return d, c
		}
	}
	t.Fatal("the Deployment has no manager container")
	return nil, corev1.Container{}
}

// TestDeploymentMeetsRestrictedPodSecurity checks the controls of the restricted Pod Security
// Standard, which backfill-system enforces: a Deployment that breaks one never gets a pod.
func TestDeploymentMeetsRestrictedPodSecurity(t *testing.T) {
	objs := kustomize(t, repoPath("config/default"))
	d, _ := managerDeployment(t, objs)
	pod := d.Spec.Template.Spec
	if psc := pod.SecurityContext; psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot ||
		psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod securityContext = %+v, want runAsNonRoot and seccomp RuntimeDefault", psc)
	}
	if pod.HostNetwork || pod.HostPID || pod.HostIPC {
		t.Error("the pod shares a host namespace")
	}
	for _, c := range append(pod.InitContainers, pod.Containers...) {
		sc := c.SecurityContext
		if sc == nil {
			t.Errorf("container %s has no securityContext", c.Name)
			continue
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Errorf("container %s allows privilege escalation", c.Name)
		}
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			t.Errorf("container %s has a writable root filesystem", c.Name)
		}
		if sc.Privileged != nil && *sc.Privileged {
			t.Errorf("container %s is privileged", c.Name)
		}
		if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
			t.Errorf("container %s capabilities = %+v, want drop ALL and add none", c.Name, sc.Capabilities)
		}
		if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
			t.Errorf("container %s resources = %+v, want CPU and memory requests and a memory limit", c.Name, c.Resources)
		}
	}
	ns := find(t, objs, "Namespace", namespace)
	if got := ns.GetLabels()["pod-security.kubernetes.io/enforce"]; got != "restricted" {
		t.Errorf("namespace enforces Pod Security %q, want restricted", got)
	}
}

func TestManagerContainer(t *testing.T) {
	objs := kustomize(t, repoPath("config/default"))
	d, c := managerDeployment(t, objs)
	if got := d.Spec.Template.Spec.ServiceAccountName; got != managerSA {
		t.Errorf("serviceAccountName = %q, want %q", got, managerSA)
	}
	find(t, objs, "ServiceAccount", managerSA)
	if g := d.Spec.Template.Spec.TerminationGracePeriodSeconds; g == nil || *g <= 0 {
		t.Error("terminationGracePeriodSeconds is not set")
	}
	if !slices.Equal(c.Command, []string{"/backfill-operator"}) {
		t.Errorf("command = %q, want the Dockerfile's /backfill-operator", c.Command)
	}
	for _, arg := range []string{"manager", "--leader-elect", "--health-probe-bind-address=:8081", "--metrics-bind-address=:8443"} {
		if !slices.Contains(c.Args, arg) {
			t.Errorf("args %q lack %s", c.Args, arg)
		}
	}
	if c.Args[0] != "manager" {
		t.Errorf("first arg = %q, want the manager command", c.Args[0])
	}
	probes := map[string]*corev1.Probe{"/healthz": c.LivenessProbe, "/readyz": c.ReadinessProbe}
	for path, p := range probes {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != path || p.HTTPGet.Port != intstr.FromInt32(8081) {
			t.Errorf("probe for %s = %+v, want HTTP GET %s on 8081", path, p, path)
		}
	}
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	db := env["DATABASE_URL"]
	if db.Value != "" || db.ValueFrom == nil || db.ValueFrom.SecretKeyRef == nil ||
		db.ValueFrom.SecretKeyRef.Name != "backfill-database" || db.ValueFrom.SecretKeyRef.Key != "url" {
		t.Errorf("DATABASE_URL = %+v, want a secretKeyRef to backfill-database/url", db)
	}
	wi := env["WORKER_IMAGE"]
	want := "metadata.annotations['" + workerImageNote + "']"
	if wi.ValueFrom == nil || wi.ValueFrom.FieldRef == nil || wi.ValueFrom.FieldRef.FieldPath != want {
		t.Errorf("WORKER_IMAGE = %+v, want it from the pod annotation %s", wi, workerImageNote)
	}
	if got := d.Spec.Template.Annotations[workerImageNote]; got != c.Image {
		t.Errorf("worker image annotation %q differs from the manager image %q", got, c.Image)
	}

	svc := typed[corev1.Service](t, find(t, objs, "Service", "backfill-controller-manager-metrics-service"))
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 8443 || svc.Spec.Ports[0].TargetPort != intstr.FromInt32(8443) {
		t.Errorf("metrics Service ports = %+v, want 8443 -> 8443", svc.Spec.Ports)
	}
	for k, v := range svc.Spec.Selector {
		if d.Spec.Template.Labels[k] != v {
			t.Errorf("metrics Service selects %s=%s, which the manager pod does not carry", k, v)
		}
	}
}

// deployedImages renders config/default through the Makefile's own deploy pipeline
// (kubectl kustomize | sed ...) and returns the manager's image and the worker image annotation.
func TestMakeDeploySetsManagerAndWorkerImage(t *testing.T) {
	makefile, err := os.ReadFile(repoPath("Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`kubectl kustomize config/default \| sed "([^"]+)"`).FindSubmatch(makefile)
	if m == nil {
		t.Fatal("the Makefile's deploy target no longer pipes config/default through sed; update this test and docs/deploy.md")
	}
	const img = "registry.example.com/backfill-operator:v1.2.3"
	expr := strings.ReplaceAll(string(m[1]), "$(IMG)", img)
	cmd := exec.Command("sh", "-c", `kubectl kustomize "$1" | sed "$2"`, "sh", repoPath("config/default"), expr)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("rendering like make deploy: %v", err)
	}
	d, c := managerDeployment(t, decodeObjects(t, out))
	if c.Image != img {
		t.Errorf("manager image = %q, want %q", c.Image, img)
	}
	if got := d.Spec.Template.Annotations[workerImageNote]; got != img {
		t.Errorf("worker image = %q, want the manager's %q", got, img)
	}
}

// TestKustomizeImagesSetManagerAndWorkerImage covers `kustomize edit set image` in
// config/default and Argo CD's spec.source.kustomize.images in config/argocd/app.
func TestKustomizeImagesSetManagerAndWorkerImage(t *testing.T) {
	for _, dir := range []string{"config/default", "config/argocd/app"} {
		t.Run(dir, func(t *testing.T) {
			root := t.TempDir()
			if err := os.CopyFS(filepath.Join(root, "config"), os.DirFS(repoPath("config"))); err != nil {
				t.Fatal(err)
			}
			k := filepath.Join(root, dir, "kustomization.yaml")
			f, err := os.OpenFile(k, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.WriteString("\nimages:\n- name: controller\n  newName: ghcr.io/example/backfill-operator\n  newTag: v9.9.9\n")
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				t.Fatal(err)
			}
			d, c := managerDeployment(t, kustomize(t, filepath.Join(root, dir)))
			const want = "ghcr.io/example/backfill-operator:v9.9.9"
			if c.Image != want {
				t.Errorf("manager image = %q, want %q", c.Image, want)
			}
			if got := d.Spec.Template.Annotations[workerImageNote]; got != want {
				t.Errorf("worker image = %q, want the manager's %q", got, want)
			}
		})
	}
}

// rbacObjects collects the roles and bindings of config/default by kind and name.
type rbacObjects struct {
	clusterRoles map[string]*rbacv1.ClusterRole
	roles        map[string]*rbacv1.Role
	crbs         []*rbacv1.ClusterRoleBinding
	rbs          []*rbacv1.RoleBinding
}

func loadRBAC(t *testing.T, objs []*unstructured.Unstructured) rbacObjects {
	r := rbacObjects{clusterRoles: map[string]*rbacv1.ClusterRole{}, roles: map[string]*rbacv1.Role{}}
	for _, o := range objs {
		switch o.GetKind() {
		case "ClusterRole":
			r.clusterRoles[o.GetName()] = typed[rbacv1.ClusterRole](t, o)
		case "Role":
			r.roles[o.GetName()] = typed[rbacv1.Role](t, o)
		case "ClusterRoleBinding":
			r.crbs = append(r.crbs, typed[rbacv1.ClusterRoleBinding](t, o))
		case "RoleBinding":
			r.rbs = append(r.rbs, typed[rbacv1.RoleBinding](t, o))
		}
	}
	return r
}

// rulesOf returns every rule granted to a service account, and the names of the roles granting them.
func (r rbacObjects) rulesOf(t *testing.T, sa string) ([]rbacv1.PolicyRule, []string) {
	t.Helper()
	var rules []rbacv1.PolicyRule
	var roles []string
	isSubject := func(subjects []rbacv1.Subject) bool {
		return slices.ContainsFunc(subjects, func(s rbacv1.Subject) bool {
			return s.Kind == "ServiceAccount" && s.Name == sa && s.Namespace == namespace
		})
	}
	resolve := func(ref rbacv1.RoleRef) {
		roles = append(roles, ref.Name)
		switch ref.Kind {
		case "ClusterRole":
			cr, ok := r.clusterRoles[ref.Name]
			if !ok {
				t.Errorf("a binding refers to the missing ClusterRole %s", ref.Name)
				return
			}
			rules = append(rules, cr.Rules...)
		case "Role":
			role, ok := r.roles[ref.Name]
			if !ok {
				t.Errorf("a binding refers to the missing Role %s", ref.Name)
				return
			}
			rules = append(rules, role.Rules...)
		}
	}
	for _, b := range r.crbs {
		if isSubject(b.Subjects) {
			resolve(b.RoleRef)
		}
	}
	for _, b := range r.rbs {
		if isSubject(b.Subjects) {
			resolve(b.RoleRef)
		}
	}
	return rules, roles
}

func grants(rules []rbacv1.PolicyRule, group, resource, verb string) bool {
	return slices.ContainsFunc(rules, func(r rbacv1.PolicyRule) bool {
		return (slices.Contains(r.APIGroups, group) || slices.Contains(r.APIGroups, "*")) &&
			(slices.Contains(r.Resources, resource) || slices.Contains(r.Resources, "*")) &&
			(slices.Contains(r.Verbs, verb) || slices.Contains(r.Verbs, "*"))
	})
}

func TestManagerRBAC(t *testing.T) {
	r := loadRBAC(t, kustomize(t, repoPath("config/default")))
	rules, roles := r.rulesOf(t, managerSA)
	// API keys and the database URL live in Secrets; the manager only ever names them in the
	// Jobs it builds, so it must not be able to read them.
	for _, verb := range []string{"get", "list", "watch"} {
		if grants(rules, "", "secrets", verb) {
			t.Errorf("the manager may %s Secrets (roles %v)", verb, roles)
		}
	}
	for _, need := range []struct{ group, resource, verb string }{
		{"alexandria.ooheynerds.com", "backfillcampaigns", "watch"},
		{"alexandria.ooheynerds.com", "backfillmonths/status", "patch"},
		{"alexandria.ooheynerds.com", "backfillbudgets", "watch"},
		{"alexandria.ooheynerds.com", "backfillbudgets/status", "update"},
		{"batch", "jobs", "create"},
		{"coordination.k8s.io", "leases", "update"},
		{"authentication.k8s.io", "tokenreviews", "create"},
		{"authorization.k8s.io", "subjectaccessreviews", "create"},
	} {
		if !grants(rules, need.group, need.resource, need.verb) {
			t.Errorf("the manager may not %s %s.%s (roles %v)", need.verb, need.resource, need.group, roles)
		}
	}
	for _, rb := range r.rbs {
		if rb.RoleRef.Name == "backfill-leader-election-role" && rb.Namespace != namespace {
			t.Errorf("leader election is bound in namespace %q, want %q", rb.Namespace, namespace)
		}
	}
}

func TestWorkerServiceAccountHasNoRights(t *testing.T) {
	objs := kustomize(t, repoPath("config/default"))
	sa := typed[corev1.ServiceAccount](t, find(t, objs, "ServiceAccount", workerSA))
	if sa.Namespace != namespace {
		t.Errorf("worker ServiceAccount namespace = %q, want %q", sa.Namespace, namespace)
	}
	if sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
		t.Error("the worker ServiceAccount mounts a token; the worker never calls the API")
	}
	if _, roles := loadRBAC(t, objs).rulesOf(t, workerSA); len(roles) > 0 {
		t.Errorf("the worker ServiceAccount is bound to %v; it needs no rights", roles)
	}
	// The sample campaign runs its Jobs under this account.
	campaign := find(t, kustomize(t, repoPath("config/samples")), "BackfillCampaign", "alexandria-backfill")
	if got, _, _ := unstructured.NestedString(campaign.Object, "spec", "job", "serviceAccountName"); got != workerSA {
		t.Errorf("sample campaign's job.serviceAccountName = %q, want %q", got, workerSA)
	}
}

func TestMetricsReaderAndUserRoles(t *testing.T) {
	r := loadRBAC(t, kustomize(t, repoPath("config/default")))
	reader, ok := r.clusterRoles["backfill-metrics-reader"]
	if !ok {
		t.Fatal("no metrics-reader ClusterRole")
	}
	if len(reader.Rules) != 1 || !slices.Equal(reader.Rules[0].NonResourceURLs, []string{"/metrics"}) ||
		!slices.Equal(reader.Rules[0].Verbs, []string{"get"}) {
		t.Errorf("metrics-reader rules = %+v, want only GET /metrics", reader.Rules)
	}
	for _, b := range r.crbs {
		if b.RoleRef.Name == reader.Name {
			t.Errorf("metrics-reader is bound by %s; scrapers are bound by the user, not by default", b.Name)
		}
	}
	for _, plural := range []string{"backfillbudgets", "backfillcampaigns", "backfillmonths"} {
		kind := strings.TrimSuffix(plural, "s")
		editor, viewer := r.clusterRoles["backfill-"+kind+"-editor-role"], r.clusterRoles["backfill-"+kind+"-viewer-role"]
		if editor == nil || viewer == nil {
			t.Errorf("no editor or viewer ClusterRole for %s", plural)
			continue
		}
		if editor.Labels["rbac.authorization.k8s.io/aggregate-to-edit"] != "true" || viewer.Labels["rbac.authorization.k8s.io/aggregate-to-view"] != "true" {
			t.Errorf("%s roles do not aggregate into edit/view", plural)
		}
		if !grants(editor.Rules, "alexandria.ooheynerds.com", plural, "create") || !grants(viewer.Rules, "alexandria.ooheynerds.com", plural, "list") {
			t.Errorf("%s editor cannot create or viewer cannot list", plural)
		}
		for _, verb := range []string{"create", "update", "patch", "delete"} {
			if grants(viewer.Rules, "alexandria.ooheynerds.com", plural, verb) {
				t.Errorf("%s viewer may %s", plural, verb)
			}
		}
	}
}
