package podrunner_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/ooheynerds/backfill-operator/internal/dev/devcluster"
	"github.com/ooheynerds/backfill-operator/internal/dev/podrunner"
)

// The pods in these tests run this test binary itself: the container env
// sets helperEnv, and TestMain then acts as the "image" named by args[0].
const (
	helperEnv   = "PODRUNNER_TEST_HELPER"
	helperImage = "example.com/helper:v1"
	nodeName    = "podrunner-test"
	managedBy   = "app.kubernetes.io/managed-by"
)

var (
	cluster   *devcluster.Cluster
	clientset kubernetes.Interface
	logDir    string
	helperBin string
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(runHelper(os.Args[1:]))
	}
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	binDir := os.Getenv("KUBEBUILDER_ASSETS")
	if binDir == "" {
		binDir = filepath.Join("..", "..", "..", "bin", "k8s")
	}
	c, err := devcluster.Start(ctx, devcluster.Options{BinDir: binDir})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting dev cluster:", err)
		return 1
	}
	defer c.Stop()
	cluster = c
	if clientset, err = kubernetes.NewForConfig(c.RESTConfig()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if helperBin, err = os.Executable(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if logDir, err = os.MkdirTemp("", "podrunner-test-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(logDir)

	// One runner for the package, with the operator's default selector.
	done := make(chan error, 1)
	go func() {
		done <- podrunner.Run(ctx, c.RESTConfig(), runnerOptions(nodeName, podrunner.DefaultSelector, "runner.log"))
	}()
	code := m.Run()
	cancel()
	// A run that ends before the runner got going (a quick -run selection) is cancelled, not failed.
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "podrunner:", err)
		code = 1
	}
	if code != 0 {
		fmt.Fprintln(os.Stderr, "podrunner log:", tail(filepath.Join(logDir, "runner.log")))
	}
	return code
}

func runnerOptions(node, selector, logName string) podrunner.Options {
	logFile, err := os.OpenFile(filepath.Join(logDir, logName), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		panic(err)
	}
	return podrunner.Options{
		NodeName: node,
		Selector: selector,
		Mappings: []podrunner.Mapping{{Name: "helper", Binary: helperBin}},
		LogDir:   logDir,
		Logger:   slog.New(slog.NewTextHandler(logFile, nil)),
	}
}

func tail(path string) string {
	data, _ := os.ReadFile(path)
	lines := strings.Split(string(data), "\n")
	return strings.Join(lines[max(0, len(lines)-40):], "\n")
}

// runHelper is the program inside the test pods.
func runHelper(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "helper: no mode")
		return 2
	}
	writeMessage := func(message string) {
		if err := os.WriteFile(os.Getenv("TERMINATION_MESSAGE_PATH"), []byte(message), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "helper: writing termination message:", err)
		}
	}
	switch args[0] {
	case "succeed": // succeed MESSAGE
		fmt.Println("helper: working")
		writeMessage(args[1])
		return 0
	case "fail": // fail CODE: logs a reason, writes no message
		code, _ := strconv.Atoi(args[1])
		fmt.Println("helper: starting month 2020-01")
		fmt.Fprintln(os.Stderr, "helper: quota exhausted for provider gemini")
		return code
	case "fail-once": // fail-once FILE: exits 1 unless FILE exists (creating it), then succeeds
		if _, err := os.Stat(args[1]); err != nil {
			_ = os.WriteFile(args[1], nil, 0o644)
			fmt.Fprintln(os.Stderr, "helper: transient failure")
			return 1
		}
		writeMessage("succeeded on retry")
		return 0
	case "env": // env NAME...: reports NAME=value (or NAME unset) per line
		var lines []string
		for _, name := range args[1:] {
			if value, ok := os.LookupEnv(name); ok {
				lines = append(lines, name+"="+value)
			} else {
				lines = append(lines, name+" unset")
			}
		}
		writeMessage(strings.Join(lines, "\n"))
		return 0
	case "await": // await RELEASE EXITED: waits for RELEASE to exist, creates EXITED, succeeds
		fmt.Println("helper: awaiting release")
		for {
			if _, err := os.Stat(args[1]); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		writeMessage("released")
		fmt.Println("helper: released")
		if err := os.WriteFile(args[2], nil, 0o644); err != nil {
			return 1
		}
		return 0
	case "sleep": // sleep FILE: appends its pid to FILE, then runs until killed
		f, err := os.OpenFile(args[1], os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Fprintln(f, os.Getpid())
		f.Close()
		time.Sleep(time.Hour)
		return 0
	}
	fmt.Fprintln(os.Stderr, "helper: unknown mode", args[0])
	return 2
}

// restrictedPodSpec is a pod that the restricted Pod Security Standard admits.
func restrictedPodSpec(args ...string) corev1.PodSpec {
	yes, no := true, false
	return corev1.PodSpec{
		RestartPolicy: corev1.RestartPolicyNever,
		SecurityContext: &corev1.PodSecurityContext{
			RunAsNonRoot:   &yes,
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		Containers: []corev1.Container{{
			Name:    "worker",
			Image:   helperImage,
			Command: []string{"/helper"},
			Args:    args,
			Env:     []corev1.EnvVar{{Name: helperEnv, Value: "1"}},
			SecurityContext: &corev1.SecurityContext{
				AllowPrivilegeEscalation: &no,
				Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			},
		}},
	}
}

func newNamespace(t *testing.T) string {
	t.Helper()
	ns, err := clientset.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		GenerateName: "podrunner-",
		Labels:       map[string]string{"pod-security.kubernetes.io/enforce": "restricted"},
	}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := cluster.WaitForDefaultServiceAccount(t.Context(), ns.Name); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

func createJob(t *testing.T, ns, name string, spec corev1.PodSpec) *batchv1.Job {
	t.Helper()
	backoffLimit := int32(0)
	job, err := clientset.BatchV1().Jobs(ns).Create(t.Context(), &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: batchv1.JobSpec{
			BackoffLimit: &backoffLimit,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{managedBy: "backfill-operator"}},
				Spec:       spec,
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating Job: %v", err)
	}
	return job
}

func createPod(t *testing.T, ns, name string, labels map[string]string, spec corev1.PodSpec) *corev1.Pod {
	t.Helper()
	if labels == nil {
		labels = map[string]string{managedBy: "backfill-operator"}
	}
	pod, err := clientset.CoreV1().Pods(ns).Create(t.Context(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}, Spec: spec,
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating pod: %v", err)
	}
	return pod
}

func waitFor(t *testing.T, what string, condition func(ctx context.Context) (bool, error)) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, 60*time.Second, true, condition); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// waitUntil reads an object with get until done holds for it, and returns what it read last.
func waitUntil[T any](t *testing.T, what string, get func(ctx context.Context) (T, error), done func(T) (bool, error)) T {
	t.Helper()
	var obj T
	waitFor(t, what, func(ctx context.Context) (bool, error) {
		var err error
		if obj, err = get(ctx); err != nil {
			return false, err
		}
		return done(obj)
	})
	return obj
}

func waitForJobCondition(t *testing.T, ns, name string, want batchv1.JobConditionType) *batchv1.Job {
	t.Helper()
	get := func(ctx context.Context) (*batchv1.Job, error) {
		return clientset.BatchV1().Jobs(ns).Get(ctx, name, metav1.GetOptions{})
	}
	return waitUntil(t, fmt.Sprintf("Job %s condition %s", name, want), get, func(job *batchv1.Job) (bool, error) {
		for _, c := range job.Status.Conditions {
			if c.Status == corev1.ConditionTrue && (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) {
				if c.Type != want {
					return false, fmt.Errorf("job finished with %s (%s: %s), want %s", c.Type, c.Reason, c.Message, want)
				}
				return true, nil
			}
		}
		return false, nil
	})
}

func waitForPod(t *testing.T, ns, name, what string, done func(*corev1.Pod) bool) *corev1.Pod {
	t.Helper()
	get := func(ctx context.Context) (*corev1.Pod, error) {
		return clientset.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
	}
	return waitUntil(t, fmt.Sprintf("pod %s %s", name, what), get, func(pod *corev1.Pod) (bool, error) { return done(pod), nil })
}

func jobPod(t *testing.T, ns, job string) corev1.Pod {
	t.Helper()
	pods, err := clientset.CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{LabelSelector: "batch.kubernetes.io/job-name=" + job})
	if err != nil {
		t.Fatal(err)
	}
	if len(pods.Items) != 1 {
		t.Fatalf("want exactly one pod for Job %s (backoffLimit 0), got %d", job, len(pods.Items))
	}
	return pods.Items[0]
}

func terminated(t *testing.T, pod *corev1.Pod) *corev1.ContainerStateTerminated {
	t.Helper()
	if len(pod.Status.ContainerStatuses) != 1 || pod.Status.ContainerStatuses[0].State.Terminated == nil {
		t.Fatalf("pod %s: want one terminated container, got %+v", pod.Name, pod.Status.ContainerStatuses)
	}
	return pod.Status.ContainerStatuses[0].State.Terminated
}

func hasPhase(phase corev1.PodPhase) func(*corev1.Pod) bool {
	return func(p *corev1.Pod) bool { return p.Status.Phase == phase }
}

func readPIDs(t *testing.T, path string) []int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var pids []int
	for _, field := range strings.Fields(string(data)) {
		pid, err := strconv.Atoi(field)
		if err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	return pids
}

func processGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

func TestJobCompletesWithTerminationMessage(t *testing.T) {
	ns := newNamespace(t)
	createJob(t, ns, "month-2020-01", restrictedPodSpec("succeed", "imported 12 books for 2020-01"))
	waitForJobCondition(t, ns, "month-2020-01", batchv1.JobComplete)

	pod := jobPod(t, ns, "month-2020-01")
	if pod.Spec.NodeName != nodeName || pod.Status.Phase != corev1.PodSucceeded {
		t.Fatalf("pod on node %q in phase %s, want node %q and Succeeded", pod.Spec.NodeName, pod.Status.Phase, nodeName)
	}
	got := terminated(t, &pod)
	if got.ExitCode != 0 || got.Reason != "Completed" || got.Message != "imported 12 books for 2020-01" {
		t.Fatalf("terminated state = exit %d reason %q message %q", got.ExitCode, got.Reason, got.Message)
	}
	logFile := filepath.Join(logDir, fmt.Sprintf("%s_%s_%s", ns, pod.Name, pod.UID), "worker", "0.log")
	if data, err := os.ReadFile(logFile); err != nil || !strings.Contains(string(data), "helper: working") {
		t.Fatalf("container log %s: %q, %v", logFile, data, err)
	}
}

func TestJobFailsWhenCommandFails(t *testing.T) {
	ns := newNamespace(t)
	spec := restrictedPodSpec("fail", "3")
	spec.Containers[0].TerminationMessagePolicy = corev1.TerminationMessageFallbackToLogsOnError
	createJob(t, ns, "month-2020-02", spec)
	job := waitForJobCondition(t, ns, "month-2020-02", batchv1.JobFailed)
	if job.Status.Failed != 1 {
		t.Fatalf("Job counted %d failed pods, want 1", job.Status.Failed)
	}
	pod := jobPod(t, ns, "month-2020-02")
	got := terminated(t, &pod)
	if pod.Status.Phase != corev1.PodFailed || got.ExitCode != 3 || got.Reason != "Error" ||
		!strings.Contains(got.Message, "quota exhausted for provider gemini") {
		t.Fatalf("pod phase %s, terminated = exit %d reason %q message %q", pod.Status.Phase, got.ExitCode, got.Reason, got.Message)
	}
}

func TestOnFailureRestartsTheContainerInPlace(t *testing.T) {
	ns := newNamespace(t)
	spec := restrictedPodSpec("fail-once", filepath.Join(t.TempDir(), "attempted"))
	spec.RestartPolicy = corev1.RestartPolicyOnFailure
	createPod(t, ns, "flaky", nil, spec)
	pod := waitForPod(t, ns, "flaky", "to succeed", hasPhase(corev1.PodSucceeded))
	status := pod.Status.ContainerStatuses[0]
	last := status.LastTerminationState.Terminated
	if status.RestartCount != 1 || last == nil || last.ExitCode != 1 || terminated(t, pod).Message != "succeeded on retry" {
		t.Fatalf("restartCount %d, last termination %+v, message %q", status.RestartCount, last, terminated(t, pod).Message)
	}
}

func TestContainerEnvironment(t *testing.T) {
	ctx := t.Context()
	ns := newNamespace(t)
	if _, err := clientset.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "providers"},
		Data:       map[string][]byte{"gemini-api-key": []byte("test-key-123")},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := clientset.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "settings"},
		Data:       map[string]string{"month": "2020-03"},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	yes := true
	names := []string{"GEMINI_API_KEY", "MONTH", "MONTH_FLAG", "OPTIONAL_SECRET", "OPTIONAL_KEY", "POD_NAME", "POD_NAMESPACE", "HOSTNAME", "TERMINATION_MESSAGE_PATH"}
	spec := restrictedPodSpec(append([]string{"env"}, names...)...)
	spec.Containers[0].Env = append(spec.Containers[0].Env,
		corev1.EnvVar{Name: "GEMINI_API_KEY", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: "providers"}, Key: "gemini-api-key"}}},
		corev1.EnvVar{Name: "MONTH", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: "settings"}, Key: "month"}}},
		corev1.EnvVar{Name: "MONTH_FLAG", Value: "--month=$(MONTH)"},
		corev1.EnvVar{Name: "OPTIONAL_SECRET", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: "absent"}, Key: "k", Optional: &yes}}},
		corev1.EnvVar{Name: "OPTIONAL_KEY", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: "settings"}, Key: "absent", Optional: &yes}}},
		corev1.EnvVar{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
		corev1.EnvVar{Name: "POD_NAMESPACE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}},
	)
	createPod(t, ns, "env", nil, spec)
	pod := waitForPod(t, ns, "env", "to finish", func(p *corev1.Pod) bool {
		return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
	})

	lines := strings.Split(terminated(t, pod).Message, "\n")
	messagePath := ""
	if len(lines) == len(names) {
		messagePath, _ = strings.CutPrefix(lines[len(lines)-1], "TERMINATION_MESSAGE_PATH=")
		lines = lines[:len(lines)-1]
	}
	want := []string{"GEMINI_API_KEY=test-key-123", "MONTH=2020-03", "MONTH_FLAG=--month=2020-03",
		"OPTIONAL_SECRET unset", "OPTIONAL_KEY unset", "POD_NAME=env", "POD_NAMESPACE=" + ns, "HOSTNAME=env"}
	if !slices.Equal(lines, want) {
		t.Fatalf("container saw\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if !strings.HasPrefix(messagePath, logDir) {
		t.Fatalf("TERMINATION_MESSAGE_PATH %q is not a file under the runner's log dir %s", messagePath, logDir)
	}
}

// A missing Secret, then a missing key, keep the container waiting with the
// kubelet's reason and message shapes; each fix is picked up on a retry.
func TestMissingSecretWaitsWithConfigError(t *testing.T) {
	ns := newNamespace(t)
	spec := restrictedPodSpec("succeed", "started once the secret existed")
	spec.Containers[0].Env = append(spec.Containers[0].Env, corev1.EnvVar{Name: "KEY", ValueFrom: &corev1.EnvVarSource{
		SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "late"}, Key: "k"}}})
	createPod(t, ns, "late-secret", nil, spec)
	waitForPod(t, ns, "late-secret", "to wait with CreateContainerConfigError (no Secret)",
		waitingWith(podrunner.ReasonCreateContainerConfigError, `secret "late" not found`))
	secret, err := clientset.CoreV1().Secrets(ns).Create(t.Context(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "late"}, Data: map[string][]byte{"other": []byte("v")},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitForPod(t, ns, "late-secret", "to wait with CreateContainerConfigError (no key)",
		waitingWith(podrunner.ReasonCreateContainerConfigError, "couldn't find key k in Secret "+ns+"/late"))
	secret.Data["k"] = []byte("v")
	if _, err := clientset.CoreV1().Secrets(ns).Update(t.Context(), secret, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := waitForPod(t, ns, "late-secret", "to succeed once the secret exists", hasPhase(corev1.PodSucceeded))
	if got := terminated(t, pod).Message; got != "started once the secret existed" {
		t.Fatalf("termination message %q", got)
	}
}

// waitingWith is true while the pod is Pending and its one container waits
// with reason and a message that is exactly message.
func waitingWith(reason, message string) func(*corev1.Pod) bool {
	return func(p *corev1.Pod) bool {
		s := p.Status.ContainerStatuses
		return p.Status.Phase == corev1.PodPending && len(s) == 1 && s[0].State.Waiting != nil &&
			s[0].State.Waiting.Reason == reason && (message == "" || s[0].State.Waiting.Message == message)
	}
}

func TestDeletedPodHasItsProcessKilled(t *testing.T) {
	ns := newNamespace(t)
	pidFile := filepath.Join(t.TempDir(), "pids")
	createPod(t, ns, "long", nil, restrictedPodSpec("sleep", pidFile))
	waitForPod(t, ns, "long", "to run", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	waitFor(t, "the helper to record its pid", func(context.Context) (bool, error) { return len(readPIDs(t, pidFile)) == 1, nil })
	pid := readPIDs(t, pidFile)[0]
	if processGone(pid) {
		t.Fatalf("helper %d is not running while its pod is Running", pid)
	}

	if err := clientset.CoreV1().Pods(ns).Delete(t.Context(), "long", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the pod to be gone", func(ctx context.Context) (bool, error) {
		_, err := clientset.CoreV1().Pods(ns).Get(ctx, "long", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if !processGone(pid) {
		t.Fatalf("helper process %d still exists after its pod was deleted", pid)
	}
}

func TestActiveDeadlineKillsThePod(t *testing.T) {
	ns := newNamespace(t)
	pidFile := filepath.Join(t.TempDir(), "pids")
	spec := restrictedPodSpec("sleep", pidFile)
	deadline := int64(2)
	spec.ActiveDeadlineSeconds = &deadline
	createPod(t, ns, "slow", nil, spec)
	pod := waitForPod(t, ns, "slow", "to fail", hasPhase(corev1.PodFailed))
	if pod.Status.Reason != podrunner.ReasonDeadlineExceeded {
		t.Fatalf("pod reason %q (%s), want %s", pod.Status.Reason, pod.Status.Message, podrunner.ReasonDeadlineExceeded)
	}
	if got := terminated(t, pod); got.ExitCode != 143 {
		t.Fatalf("container exit code %d, want 143 (SIGTERM)", got.ExitCode)
	}
	for _, pid := range readPIDs(t, pidFile) {
		if !processGone(pid) {
			t.Fatalf("helper %d survived the deadline", pid)
		}
	}
}

// An image no --map rule names cannot be "pulled": the pod stays Pending with
// ErrImagePull, then ImagePullBackOff, the command's base name does not rescue
// it, and once the pod's image is changed to a known one it runs.
func TestUnknownImageWaitsWithPullBackOff(t *testing.T) {
	ns := newNamespace(t)
	spec := restrictedPodSpec("succeed", "pulled at last")
	const unknown = "example.com/not-mapped:v1"
	spec.Containers[0].Image = unknown
	spec.Containers[0].Command = []string{"/helper"} // the mapped binary's name: images decide, not commands
	createPod(t, ns, "unpullable", nil, spec)
	waitForPod(t, ns, "unpullable", "to wait with ErrImagePull", waitingWith(podrunner.ReasonErrImagePull, ""))
	pod := waitForPod(t, ns, "unpullable", "to wait with ImagePullBackOff",
		waitingWith(podrunner.ReasonImagePullBackOff, `Back-off pulling image "`+unknown+`"`))
	if pod.Spec.NodeName != nodeName {
		t.Fatalf("pod bound to %q, want %q", pod.Spec.NodeName, nodeName)
	}
	// Back-off repeats: the pull is tried again and fails again.
	waitForPod(t, ns, "unpullable", "to try the pull again", func(p *corev1.Pod) bool {
		return waitingWith(podrunner.ReasonErrImagePull, "")(p) &&
			strings.Contains(p.Status.ContainerStatuses[0].State.Waiting.Message, `Failed to pull image "`+unknown+`"`)
	})
	patch := `{"spec":{"containers":[{"name":"worker","image":"` + helperImage + `"}]}}`
	if _, err := clientset.CoreV1().Pods(ns).Patch(t.Context(), "unpullable", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	pod = waitForPod(t, ns, "unpullable", "to succeed with a known image", hasPhase(corev1.PodSucceeded))
	if got := terminated(t, pod).Message; got != "pulled at last" {
		t.Fatalf("termination message %q", got)
	}
}

func TestMalformedImageIsAnInvalidImageName(t *testing.T) {
	ns := newNamespace(t)
	spec := restrictedPodSpec("succeed", "x")
	spec.Containers[0].Image = "Example.com/UPPER:v1"
	createPod(t, ns, "malformed", nil, spec)
	waitForPod(t, ns, "malformed", "to wait with InvalidImageName", waitingWith(podrunner.ReasonInvalidImageName,
		`Failed to apply default image tag "Example.com/UPPER:v1": couldn't parse image name "Example.com/UPPER:v1": invalid reference format`))
}

// The API server is down at the moment the pod's process ends: the runner
// keeps the outcome and records it once the API server is back.
func TestFinalStatusSurvivesAPIServerOutage(t *testing.T) {
	ns := newNamespace(t)
	dir := t.TempDir()
	release, exited := filepath.Join(dir, "release"), filepath.Join(dir, "exited")
	createPod(t, ns, "outlives-outage", nil, restrictedPodSpec("await", release, exited))
	waitForPod(t, ns, "outlives-outage", "to run", hasPhase(corev1.PodRunning))

	cluster.StopAPIServer()
	restarted := false
	defer func() {
		if !restarted {
			_ = cluster.StartAPIServer(context.Background())
		}
	}()
	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := wait.PollUntilContextTimeout(t.Context(), 50*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		_, err := os.Stat(exited)
		return err == nil, nil
	}); err != nil {
		t.Fatalf("the helper did not exit: %v", err)
	}
	// Let the runner's first writes fail against the stopped API server.
	time.Sleep(2 * time.Second)
	restarted = true
	if err := cluster.StartAPIServer(t.Context()); err != nil {
		t.Fatalf("restarting kube-apiserver: %v", err)
	}
	pod := waitForPod(t, ns, "outlives-outage", "to be recorded Succeeded after the outage", hasPhase(corev1.PodSucceeded))
	if got := terminated(t, pod).Message; got != "released" {
		t.Fatalf("termination message %q, want the helper's", got)
	}
}

func TestPodsOutsideTheSelectorAreLeftAlone(t *testing.T) {
	ns := newNamespace(t)
	createPod(t, ns, "someone-elses", map[string]string{managedBy: "other"}, restrictedPodSpec("succeed", "x"))
	// A pod the runner does handle, created after, shows the runner has had
	// its chance at the first one.
	createPod(t, ns, "ours", nil, restrictedPodSpec("succeed", "x"))
	waitForPod(t, ns, "ours", "to succeed", hasPhase(corev1.PodSucceeded))
	pod, err := clientset.CoreV1().Pods(ns).Get(t.Context(), "someone-elses", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pod.Spec.NodeName != "" || pod.Status.Phase != corev1.PodPending {
		t.Fatalf("unselected pod was touched: node %q phase %s", pod.Spec.NodeName, pod.Status.Phase)
	}
}

// TestRunnerRestartNeverRunsAPodTwice runs its own runner (own node, own
// selector) so it can stop and restart it.
func TestRunnerRestartNeverRunsAPodTwice(t *testing.T) {
	ns := newNamespace(t)
	labels := map[string]string{"podrunner-test": "restart"}
	opts := runnerOptions("restart-node", "podrunner-test=restart", "restart-runner.log")
	startRunner := func() (stop func()) {
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- podrunner.Run(ctx, cluster.RESTConfig(), opts) }()
		return func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("runner returned %v", err)
			}
		}
	}

	// A runner stopped while its pod runs stops the process and says so.
	pidFile := filepath.Join(t.TempDir(), "pids")
	stop := startRunner()
	createPod(t, ns, "interrupted", labels, restrictedPodSpec("sleep", pidFile))
	waitForPod(t, ns, "interrupted", "to run", hasPhase(corev1.PodRunning))
	waitFor(t, "the helper to record its pid", func(context.Context) (bool, error) { return len(readPIDs(t, pidFile)) == 1, nil })
	stop()
	pod, err := clientset.CoreV1().Pods(ns).Get(t.Context(), "interrupted", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pod.Status.Phase != corev1.PodFailed || pod.Status.Reason != podrunner.ReasonRunnerStopped {
		t.Fatalf("after runner stop: phase %s reason %q, want Failed %s", pod.Status.Phase, pod.Status.Reason, podrunner.ReasonRunnerStopped)
	}
	if pid := readPIDs(t, pidFile)[0]; !processGone(pid) {
		t.Fatalf("helper %d survived the runner's shutdown", pid)
	}

	// A runner that crashed leaves a pod recorded Running with no process;
	// recreate that state, then start the runner again.
	orphanPIDs := filepath.Join(t.TempDir(), "pids")
	spec := restrictedPodSpec("sleep", orphanPIDs)
	spec.NodeName = "restart-node"
	orphan := createPod(t, ns, "orphan", labels, spec)
	now := metav1.Now()
	orphan.Status = corev1.PodStatus{Phase: corev1.PodRunning, StartTime: &now, ContainerStatuses: []corev1.ContainerStatus{{
		Name: "worker", Image: helperImage, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
	}}}
	if _, err := clientset.CoreV1().Pods(ns).UpdateStatus(t.Context(), orphan, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	stop = startRunner()
	defer stop()
	createPod(t, ns, "fresh", labels, restrictedPodSpec("succeed", "fresh pod ran"))
	waitForPod(t, ns, "fresh", "to succeed under the restarted runner", hasPhase(corev1.PodSucceeded))
	pod = waitForPod(t, ns, "orphan", "to be marked failed", hasPhase(corev1.PodFailed))
	if pod.Status.Reason != podrunner.ReasonRunnerRestarted {
		t.Fatalf("orphan reason %q, want %s", pod.Status.Reason, podrunner.ReasonRunnerRestarted)
	}
	if pids := readPIDs(t, orphanPIDs); len(pids) != 0 {
		t.Fatalf("the orphaned pod was run again (pids %v)", pids)
	}
	pod, err = clientset.CoreV1().Pods(ns).Get(t.Context(), "interrupted", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(readPIDs(t, pidFile)) != 1 || pod.Status.Reason != podrunner.ReasonRunnerStopped {
		t.Fatalf("the interrupted pod was touched by the restarted runner: pids %v, reason %q", readPIDs(t, pidFile), pod.Status.Reason)
	}
}

func TestNodeIsRegisteredReadyWithALease(t *testing.T) {
	var node *corev1.Node
	var lease *coordinationv1.Lease
	// The package's runner starts alongside the tests; give it a moment.
	waitFor(t, "the runner's node and lease", func(ctx context.Context) (bool, error) {
		var err error
		if node, err = clientset.CoreV1().Nodes().Get(ctx, nodeName, metav1.GetOptions{}); apierrors.IsNotFound(err) {
			return false, nil
		} else if err != nil {
			return false, err
		}
		lease, err = clientset.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, nodeName, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil, err
	})
	ready := false
	for _, c := range node.Status.Conditions {
		ready = ready || (c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue)
	}
	if !ready || node.Status.Capacity.Cpu().IsZero() || node.Status.Allocatable.Pods().Value() == 0 {
		t.Fatalf("node not Ready with capacity: conditions %+v, capacity %v", node.Status.Conditions, node.Status.Capacity)
	}
	if lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity != nodeName || lease.Spec.RenewTime == nil {
		t.Fatalf("node lease not held and renewed by the runner: %+v", lease.Spec)
	}
}

func TestCommandRejectsBadMappings(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{name: "not NAME=BINARY", args: []string{"--map", "backfill-operator"}, want: "want NAME=/path/to/binary"},
		{name: "binary missing", args: []string{"--map", "backfill-operator=/nonexistent/backfill-operator"}, want: "/nonexistent/backfill-operator"},
		{name: "binary not executable", args: []string{"--map", "x=" + filepath.Join(logDir, "runner.log")}, want: "is not an executable file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := podrunner.NewCommand()
			cmd.SetArgs(append([]string{"--kubeconfig", cluster.Kubeconfig, "--node-name", "never-registered"}, tc.args...))
			cmd.SetOut(io.Discard)
			cmd.SetErr(io.Discard)
			err := cmd.ExecuteContext(t.Context())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error containing %q, got %v", tc.want, err)
			}
		})
	}
	if _, err := clientset.CoreV1().Nodes().Get(t.Context(), "never-registered", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("a runner with a bad mapping registered its node anyway: %v", err)
	}
}

func TestInitContainersAreRefusedNotSkipped(t *testing.T) {
	ns := newNamespace(t)
	spec := restrictedPodSpec("succeed", "main ran")
	init := spec.Containers[0]
	init.Name = "migrate"
	spec.InitContainers = []corev1.Container{init}
	createPod(t, ns, "with-init", nil, spec)
	pod := waitForPod(t, ns, "with-init", "to fail", hasPhase(corev1.PodFailed))
	if pod.Status.Reason != podrunner.ReasonUnsupported || !strings.Contains(pod.Status.Message, "init containers") {
		t.Fatalf("pod reason %q message %q, want %s about init containers", pod.Status.Reason, pod.Status.Message, podrunner.ReasonUnsupported)
	}
	if got := terminated(t, pod); got.Message == "main ran" {
		t.Fatal("the main container ran although its init container could not")
	}
}

// kubectl logs works: kube-apiserver proxies pods/log to the runner's endpoint on its Node,
// authenticating with its kubelet client certificate; tailLines and follow behave as a
// kubelet's.
func TestContainerLogsThroughTheAPIServer(t *testing.T) {
	ns := newNamespace(t)
	createPod(t, ns, "logged", nil, restrictedPodSpec("fail", "3"))
	waitForPod(t, ns, "logged", "to fail", hasPhase(corev1.PodFailed))
	logs := func(name string, o *corev1.PodLogOptions) string {
		t.Helper()
		b, err := clientset.CoreV1().Pods(ns).GetLogs(name, o).DoRaw(t.Context())
		if err != nil {
			t.Fatalf("reading logs of %s: %v (%s)", name, err, b)
		}
		return string(b)
	}
	all := logs("logged", &corev1.PodLogOptions{Container: "worker"})
	if !strings.Contains(all, "helper: starting month 2020-01") || !strings.Contains(all, "quota exhausted for provider gemini") {
		t.Fatalf("logs %q, want the helper's stdout and stderr", all)
	}
	one := int64(1)
	if got := logs("logged", &corev1.PodLogOptions{Container: "worker", TailLines: &one}); strings.Count(got, "\n") != 1 || !strings.HasPrefix(got, "helper: ") {
		t.Fatalf("tailLines=1 gave %q", got)
	}

	// Follow a running container until it ends.
	dir := t.TempDir()
	release := filepath.Join(dir, "release")
	createPod(t, ns, "followed", nil, restrictedPodSpec("await", release, filepath.Join(dir, "exited")))
	waitForPod(t, ns, "followed", "to run", hasPhase(corev1.PodRunning))
	stream, err := clientset.CoreV1().Pods(ns).GetLogs("followed", &corev1.PodLogOptions{Container: "worker", Follow: true}).Stream(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	got := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(stream)
		got <- string(b)
	}()
	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		if s != "helper: awaiting release\nhelper: released\n" {
			t.Fatalf("followed logs %q", s)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the followed log did not end with the container")
	}
}
