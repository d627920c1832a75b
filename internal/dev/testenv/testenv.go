// Package testenv starts the real control plane for integration tests and benchmarks:
// kube-apiserver and etcd from KUBEBUILDER_ASSETS (built by hack/build-control-plane.sh) with
// the operator's CRDs installed, and the operator's manager wired to a test clock.
package testenv

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/ooheynerds/backfill-operator/controllers"
	"github.com/ooheynerds/backfill-operator/internal/dev/localpg"
	"github.com/ooheynerds/backfill-operator/internal/manager"
)

// Env is a running API server with the CRDs installed.
type Env struct {
	Config *rest.Config
	Client client.Client
	env    *envtest.Environment
}

// RepoRoot is the repository's top directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// Start starts kube-apiserver and etcd and installs the CRDs.
func Start() (*Env, error) {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		assets = filepath.Join(RepoRoot(), "bin", "k8s")
	}
	for _, bin := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(assets, bin)); err != nil {
			return nil, fmt.Errorf("%s not found in %s: run hack/build-control-plane.sh (make control-plane)", bin, assets)
		}
	}
	if os.Getenv("TEST_LOGS") != "" {
		logf.SetLogger(zap.New(zap.UseDevMode(true), zap.WriteTo(os.Stderr)))
	} else {
		logf.SetLogger(zap.New(zap.WriteTo(discard{})))
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     []string{filepath.Join(RepoRoot(), "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting the test control plane: %w", err)
	}
	cfg.QPS, cfg.Burst = 500, 1000
	c, err := client.New(cfg, client.Options{Scheme: manager.Scheme()})
	if err != nil {
		_ = env.Stop()
		return nil, err
	}
	return &Env{Config: cfg, Client: c, env: env}, nil
}

// Suite says when a test package uses the control plane (see Main).
type Suite struct {
	// Name starts the line printed when the package's tests are skipped.
	Name string
	// BenchmarksOnly says the package holds only benchmarks: without -bench nothing starts.
	BenchmarksOnly bool
	// ShortWithout says that under -short the tests run without the control plane (the
	// package's Env stays nil and its tests that need it skip); otherwise none runs.
	ShortWithout bool
}

// Main is a test package's whole TestMain: it starts the control plane into *env, runs the
// tests, stops it and any throwaway PostgreSQL they used (localpg), and exits with their result.
func Main(m *testing.M, env **Env, s Suite) {
	flag.Parse()
	switch {
	case testing.Short() && s.ShortWithout:
		os.Exit(m.Run())
	case testing.Short() || s.BenchmarksOnly && flag.Lookup("test.bench").Value.String() == "":
		fmt.Printf("%s: skipped under -short or, for benchmarks, without -bench (needs the control plane in bin/k8s)\n", s.Name)
		os.Exit(0)
	}
	started, err := Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	*env = started
	code := m.Run()
	_ = started.Stop()
	localpg.Cleanup()
	os.Exit(code)
}

// Stop stops the control plane.
func (e *Env) Stop() error { return e.env.Stop() }

// Namespace creates a fresh namespace for one test.
func (e *Env) Namespace(ctx context.Context, prefix string) (string, error) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-"}}
	if err := e.Client.Create(ctx, ns); err != nil {
		return "", err
	}
	return ns.Name, nil
}

// NewNamespace is Namespace for a test or benchmark, which fails when it cannot be created.
func (e *Env) NewNamespace(t testing.TB, prefix string) string {
	t.Helper()
	ns, err := e.Namespace(context.Background(), prefix)
	if err != nil {
		t.Fatalf("creating a namespace: %v", err)
	}
	return ns
}

// Manager is a running operator manager that a test can stop (as a crash would) and restart.
type Manager struct {
	cancel context.CancelFunc
	done   chan error
	close  func()
	once   sync.Once
}

// ManagerOptions adapt the manager for tests.
type ManagerOptions struct {
	Clock       clock.PassiveClock
	DatabaseURL string
	Jobs        controllers.JobFactory
	// WrapTransport, when set, wraps the manager's HTTP transport to the API server (after any
	// wrapper of Config), so benchmarks can count the requests the manager makes.
	WrapTransport func(http.RoundTripper) http.RoundTripper
	// CoalesceMonthEvents overrides how long month events wait before a campaign pass; zero
	// keeps the short delay tests use (20ms). Benchmarks set controllers.DefaultCoalesce.
	CoalesceMonthEvents time.Duration
	// WatchNamespaces restricts the manager to these namespaces (see manager.Options), so a
	// test's manager neither reconciles nor mirrors what other tests left in the shared API
	// server.
	WatchNamespaces []string
}

// StartManager starts the operator's manager against the environment.
func (e *Env) StartManager(ctx context.Context, o ManagerOptions) (*Manager, error) {
	ctx, cancel := context.WithCancel(ctx)
	cfg := e.Config
	if o.WrapTransport != nil {
		cfg = rest.CopyConfig(e.Config)
		cfg.Wrap(o.WrapTransport)
	}
	coalesce := o.CoalesceMonthEvents
	if coalesce == 0 {
		coalesce = 20 * time.Millisecond
	}
	mgr, closeDB, err := manager.New(ctx, cfg, manager.Options{
		MetricsAddr: "0", ProbeAddr: "0", DatabaseURL: o.DatabaseURL, Jobs: o.Jobs, Clock: o.Clock,
		CoalesceMonthEvents: coalesce, SkipNameValidation: true, WatchNamespaces: o.WatchNamespaces,
	})
	if err != nil {
		cancel()
		return nil, err
	}
	m := &Manager{cancel: cancel, done: make(chan error, 1), close: closeDB}
	go func() { m.done <- mgr.Start(ctx) }()
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		m.Stop()
		return nil, errors.New("manager cache did not sync")
	}
	return m, nil
}

// Stop stops the manager and waits for it to return.
func (m *Manager) Stop() {
	m.once.Do(func() {
		m.cancel()
		<-m.done
		m.close()
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
