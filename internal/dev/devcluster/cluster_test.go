package devcluster_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/ooheynerds/backfill-operator/internal/dev/devcluster"
)

var cluster *devcluster.Cluster

func TestMain(m *testing.M) {
	ctx := context.Background()
	started := time.Now()
	c, err := devcluster.Start(ctx, devcluster.Options{BinDir: binDir()})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting dev cluster:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "dev cluster started in %s\n", time.Since(started).Round(time.Millisecond))
	cluster = c
	code := m.Run()
	c.Stop()
	os.Exit(code)
}

func binDir() string {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir
	}
	return filepath.Join("..", "..", "..", "bin", "k8s")
}

func client(t *testing.T) kubernetes.Interface {
	t.Helper()
	c, err := kubernetes.NewForConfig(cluster.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func createNamespace(t *testing.T, labels map[string]string) string {
	t.Helper()
	ns, err := client(t).CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "devcluster-test-", Labels: labels},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := cluster.WaitForDefaultServiceAccount(t.Context(), ns.Name); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

func TestKubectlWorksWithTheWrittenKubeconfig(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatalf("kubectl is needed on PATH for this test: %v", err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{name: "lists namespaces", args: []string{"get", "ns", "-o", "name"}, want: "namespace/kube-system"},
		{name: "server version is stamped", args: []string{"version", "-o", "json"}, want: `"gitVersion": "v1.37.2"`},
		{name: "admin may create jobs", args: []string{"auth", "can-i", "create", "jobs.batch", "--all-namespaces"}, want: "yes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := exec.CommandContext(t.Context(), kubectl, append([]string{"--kubeconfig", cluster.Kubeconfig}, tc.args...)...).CombinedOutput()
			if err != nil {
				t.Fatalf("kubectl %v: %v\n%s", tc.args, err, out)
			}
			if !strings.Contains(string(out), tc.want) {
				t.Fatalf("kubectl %v output lacks %q:\n%s", tc.args, tc.want, out)
			}
		})
	}
}

func TestPodSecurityAdmission(t *testing.T) {
	ns := createNamespace(t, map[string]string{"pod-security.kubernetes.io/enforce": "restricted"})
	yes, no := true, false
	restricted := corev1.PodSpec{
		RestartPolicy: corev1.RestartPolicyNever,
		SecurityContext: &corev1.PodSecurityContext{
			RunAsNonRoot:   &yes,
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		Containers: []corev1.Container{{
			Name: "main", Image: "example.com/worker:v1",
			SecurityContext: &corev1.SecurityContext{
				AllowPrivilegeEscalation: &no,
				Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			},
		}},
	}
	privileged := restricted.DeepCopy()
	privileged.Containers[0].SecurityContext = nil

	for _, tc := range []struct {
		name       string
		spec       corev1.PodSpec
		wantReject bool
	}{
		{name: "restricted-compliant", spec: restricted},
		{name: "no-container-security-context", spec: *privileged, wantReject: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client(t).CoreV1().Pods(ns).Create(t.Context(), &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: tc.name}, Spec: tc.spec,
			}, metav1.CreateOptions{})
			switch {
			case tc.wantReject && err == nil:
				t.Fatal("pod was admitted into a restricted namespace")
			case tc.wantReject && !(apierrors.IsForbidden(err) && strings.Contains(err.Error(), `violates PodSecurity "restricted`)):
				t.Fatalf("want a PodSecurity rejection, got %v", err)
			case !tc.wantReject && err != nil:
				t.Fatalf("compliant pod rejected: %v", err)
			}
		})
	}
}

func TestGarbageCollectorDeletesOwnedJob(t *testing.T) {
	ctx := t.Context()
	c := client(t)
	ns := createNamespace(t, nil)
	owner, err := c.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "owner"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	suspend := true
	job, err := c.BatchV1().Jobs(ns).Create(ctx, &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "owned", OwnerReferences: []metav1.OwnerReference{{
			APIVersion: "v1", Kind: "ConfigMap", Name: owner.Name, UID: owner.UID,
		}}},
		Spec: batchv1.JobSpec{
			Suspend: &suspend,
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy: corev1.RestartPolicyNever,
				Containers:    []corev1.Container{{Name: "main", Image: "example.com/worker:v1"}},
			}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CoreV1().ConfigMaps(ns).Delete(ctx, owner.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := c.BatchV1().Jobs(ns).Get(ctx, job.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	})
	if err != nil {
		t.Fatalf("owned Job still present after its owner was deleted: %v", err)
	}
}

func TestStopLeavesNoProcessesOrFiles(t *testing.T) {
	c, err := devcluster.Start(t.Context(), devcluster.Options{BinDir: binDir(), Controllers: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	pids := controlPlanePIDs(t, c.Dir)
	if len(pids) != 2 {
		t.Fatalf("want etcd and kube-apiserver running from %s, found pids %v", c.Dir, pids)
	}
	c.Stop()
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("process %d still exists after Stop (kill -0: %v)", pid, err)
		}
	}
	if _, err := os.Stat(c.Dir); !os.IsNotExist(err) {
		t.Errorf("temporary cluster directory %s still exists after Stop: %v", c.Dir, err)
	}
}

func TestStartRefusesWithAnExplanation(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts devcluster.Options
		want string
	}{
		{name: "binaries missing", opts: devcluster.Options{BinDir: t.TempDir()}, want: "hack/build-control-plane.sh"},
		{name: "directory in use by a running cluster", opts: devcluster.Options{BinDir: binDir(), Dir: cluster.Dir},
			want: "another dev cluster is running from " + cluster.Dir},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := devcluster.Start(t.Context(), tc.opts)
			if err == nil {
				c.Stop()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error containing %q, got %v", tc.want, err)
			}
		})
	}
	// The refused start must not have disturbed the running cluster.
	if _, err := client(t).CoreV1().Namespaces().Get(t.Context(), "default", metav1.GetOptions{}); err != nil {
		t.Fatalf("shared cluster broken after a refused start: %v", err)
	}
}

// BenchmarkStartStop measures a full start (etcd, kube-apiserver,
// kube-controller-manager with the default controllers, until WaitReady) and
// the Stop that follows, reported separately.
func BenchmarkStartStop(b *testing.B) {
	var startTotal, stopTotal time.Duration
	for b.Loop() {
		began := time.Now()
		c, err := devcluster.Start(b.Context(), devcluster.Options{BinDir: binDir()})
		if err != nil {
			b.Fatal(err)
		}
		started := time.Now()
		c.Stop()
		startTotal += started.Sub(began)
		stopTotal += time.Since(started)
	}
	b.ReportMetric(startTotal.Seconds()/float64(b.N), "start-s/op")
	b.ReportMetric(stopTotal.Seconds()/float64(b.N), "stop-s/op")
}

// controlPlanePIDs finds processes whose command line mentions dir, which
// every control-plane process started for that cluster does.
func controlPlanePIDs(t *testing.T, dir string) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscan(e.Name(), &pid); err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(cmdline), dir) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func TestUpCommandExplainsMissingBinaries(t *testing.T) {
	cmd := devcluster.NewCommand()
	var out strings.Builder
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs([]string{"up", "--dir", t.TempDir(), "--bin-dir", t.TempDir()})
	err := cmd.ExecuteContext(t.Context())
	if err == nil || !strings.Contains(err.Error(), "hack/build-control-plane.sh") {
		t.Fatalf("want an error pointing at hack/build-control-plane.sh, got %v (output %q)", err, out.String())
	}
}
