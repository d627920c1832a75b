package localsystem

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

// Suite describes a test package whose tests share one local system (the end-to-end tests,
// the chaos tests, the end-to-end benchmarks); see RunTests.
type Suite struct {
	// Name starts every line the suite prints and names its temporary directory.
	Name string
	// KeepEnv names the environment variable that, when set, keeps the directory with the
	// system's logs after the run.
	KeepEnv string
	// Options are the suite's own Start options (fakes, manager flags, an audit log in dir);
	// RunTests sets Binary, RepoRoot, Dir and, under -v, Logf. Nil means none.
	Options func(dir string) (Options, error)
	// Ready, when set, runs once the system is up and before the tests, to wait for more
	// than Start waits for.
	Ready func(ctx context.Context, sys *System) error
	// BenchmarksOnly says the package holds only benchmarks: without -bench nothing starts.
	BenchmarksOnly bool
}

// Main is a suite's whole TestMain: it builds the operator binary into a temporary directory,
// starts the system with it, keeps it in *sys while the tests run, stops it and exits with the
// tests' result. Under -short (which promises no control plane) nothing starts and nothing runs.
func Main(m *testing.M, sys **System, s Suite) {
	flag.Parse()
	if testing.Short() || s.BenchmarksOnly && flag.Lookup("test.bench").Value.String() == "" {
		fmt.Printf("%s: skipped under -short or, for benchmarks, without -bench (needs the control plane in bin/k8s and PostgreSQL)\n", s.Name)
		os.Exit(0)
	}
	os.Exit(run(m, sys, s))
}

func run(m *testing.M, sys **System, s Suite) int {
	dir, err := os.MkdirTemp("", "backfill-"+s.Name+"-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// PostgreSQL runs as the postgres user when we are root: it must be able to enter dir.
	_ = os.Chmod(dir, 0o755)
	if os.Getenv(s.KeepEnv) == "" {
		defer os.RemoveAll(dir)
	} else {
		fmt.Printf("%s: logs kept in %s\n", s.Name, dir)
	}
	opts := Options{}
	if s.Options != nil {
		if opts, err = s.Options(dir); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", s.Name, err)
			return 1
		}
	}
	opts.RepoRoot, opts.Dir = RepoRoot(), filepath.Join(dir, "system")
	opts.Binary = filepath.Join(dir, "backfill-operator")
	if err := buildOperator(opts.RepoRoot, opts.Binary); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", s.Name, err)
		return 1
	}
	if testing.Verbose() {
		opts.Logf = func(format string, args ...any) { fmt.Printf(s.Name+": "+format+"\n", args...) }
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	started, err := Start(ctx, opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: starting the local system: %v\n", s.Name, err)
		return 1
	}
	defer started.Stop()
	if s.Ready != nil {
		if err := s.Ready(ctx, started); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", s.Name, err)
			return 1
		}
	}
	*sys = started
	return m.Run()
}

// RepoRoot is the repository's top directory (where the suites build the operator from).
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// buildOperator builds the product binary as the image ships it: static, trimmed paths, no
// symbol table or DWARF (the Dockerfile's flags), so that what the suites measure is what runs.
func buildOperator(repoRoot, binary string) error {
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", binary, "./cmd/backfill-operator")
	build.Dir = repoRoot
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("building the operator binary: %v\n%s", err, out)
	}
	return nil
}

// Binary is the built operator binary the manager and the workers run.
func (s *System) Binary() string { return s.opts.Binary }

// FreeLoopbackAddr is a loopback address no one listens on now, for a manager flag such as
// --metrics-bind-address.
func FreeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// NewNamespace creates a namespace with a random suffix, as Namespace does, and waits until
// its default service account exists (before that, the namespace's pods are refused).
func (s *System) NewNamespace(t testing.TB, prefix string, o NamespaceOptions) string {
	t.Helper()
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	name := prefix + "-" + hex.EncodeToString(b)
	ctx := context.Background()
	if err := s.Namespace(ctx, name, o); err != nil {
		t.Fatal(err)
	}
	if err := s.Cluster.WaitForDefaultServiceAccount(ctx, name); err != nil {
		t.Fatal(err)
	}
	return name
}

// Create creates obj or fails the test.
func (s *System) Create(t testing.TB, obj client.Object) {
	t.Helper()
	if err := s.Client.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
}

// Eventually polls cond every 250ms until it holds or timeout passes; on timeout the test
// fails with what was last seen and the end of the manager's log.
func (s *System) Eventually(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, seen := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last seen: %s\n--- manager log (tail) ---\n%s",
				timeout, what, seen, Tail(s.ManagerLog(), 4000))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// GetCampaign reads a campaign or fails the test.
func (s *System) GetCampaign(t testing.TB, ns, name string) *v1alpha1.BackfillCampaign {
	t.Helper()
	c := &v1alpha1.BackfillCampaign{}
	if err := s.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, c); err != nil {
		t.Fatalf("reading campaign %s/%s: %v", ns, name, err)
	}
	return c
}

// ListMonths lists a campaign's months by name, or fails the test.
func (s *System) ListMonths(t testing.TB, ns, campaign string) []v1alpha1.BackfillMonth {
	t.Helper()
	var l v1alpha1.BackfillMonthList
	if err := s.Client.List(context.Background(), &l, client.InNamespace(ns), client.MatchingLabels{v1alpha1.LabelCampaign: campaign}); err != nil {
		t.Fatalf("listing months: %v", err)
	}
	sort.Slice(l.Items, func(i, j int) bool { return l.Items[i].Name < l.Items[j].Name })
	return l.Items
}

// ListPods lists a namespace's pods with the labels, or fails the test.
func (s *System) ListPods(t testing.TB, ns string, labels client.MatchingLabels) []corev1.Pod {
	t.Helper()
	var l corev1.PodList
	if err := s.Client.List(context.Background(), &l, client.InNamespace(ns), labels); err != nil {
		t.Fatalf("listing pods: %v", err)
	}
	return l.Items
}
