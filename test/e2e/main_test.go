// Package e2e runs the operator end to end on one machine: a real control plane with
// Kubernetes' own Job and garbage-collection controllers, a real PostgreSQL, the provider fakes,
// the built binary as manager (a subprocess the tests can SIGKILL) and as every Job's worker,
// run by the pod runner. One system is shared by the tests, which run one after another (fault
// injection on the fakes and restarts are global), each in its own namespace.
package e2e

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/ooheynerds/backfill-operator/internal/dev/fakes"
	"github.com/ooheynerds/backfill-operator/internal/dev/localsystem"
)

// sys is the system every test and benchmark runs on.
var sys *localsystem.System

// metricsURL is the manager's /metrics, served over plain HTTP on loopback for the scrape test
// (a deployed manager serves HTTPS with authentication and authorization).
var metricsURL string

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("e2e: skipped under -short (needs the control plane in bin/k8s and PostgreSQL)")
		os.Exit(0)
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "backfill-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	_ = os.Chmod(dir, 0o755)
	keep := os.Getenv("E2E_KEEP") != ""
	defer func() {
		if !keep {
			_ = os.RemoveAll(dir)
		}
	}()
	binary := filepath.Join(dir, "backfill-operator")
	build := exec.Command("go", "build", "-o", binary, "./cmd/backfill-operator")
	build.Dir = repoRoot()
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: building the operator binary: %v\n%s", err, out)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	logf := func(string, ...any) {}
	if testing.Verbose() {
		logf = func(format string, args ...any) { fmt.Printf("e2e: "+format+"\n", args...) }
	}
	metricsAddr, err := freeLoopbackAddr()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	metricsURL = "http://" + metricsAddr + "/metrics"
	sys, err = localsystem.Start(ctx, localsystem.Options{
		Binary: binary, RepoRoot: repoRoot(), Dir: filepath.Join(dir, "system"),
		// The fake ISBNdb enforces a paid plan's 3 requests/s by default; the tests are about
		// the operator, not about that plan.
		Fakes:       fakes.Options{ISBNdbRate: 100},
		Logf:        logf,
		ManagerArgs: []string{"--metrics-bind-address", metricsAddr, "--metrics-secure=false"},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: starting the local system: %v\n", err)
		return 1
	}
	defer sys.Stop()
	if keep {
		fmt.Printf("e2e: logs kept in %s\n", dir)
	}
	return m.Run()
}

func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
