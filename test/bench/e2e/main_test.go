// Package e2e measures the deployed configuration from outside: the built binary runs as the
// manager in its own process with its default flags and the PostgreSQL mirror on (the local
// system: control plane, PostgreSQL, provider fakes, pod runner), and the API server's audit
// log (Metadata level) tells what each client sent. Each benchmark is meant to run in its own
// `go test` process (`make bench-e2e`), so that each starts from a fresh system and manager.
package e2e

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/ooheynerds/backfill-operator/internal/dev/fakes"
	"github.com/ooheynerds/backfill-operator/internal/dev/localsystem"
)

var (
	sys *localsystem.System
	// auditLog is the API server's audit log: one JSON event per request.
	auditLog string
	// binary is the product binary the manager runs from.
	binary string
	// metricsURL and readyzURL are the manager's, on loopback (plain HTTP for the scrape).
	metricsURL, readyzURL string
)

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// TestMain starts the local system only when a benchmark was asked for.
func TestMain(m *testing.M) {
	flag.Parse()
	if flag.Lookup("test.bench").Value.String() == "" || testing.Short() {
		fmt.Println("test/bench/e2e holds only benchmarks; run with -bench (make bench-e2e)")
		os.Exit(0)
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "backfill-bench-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	_ = os.Chmod(dir, 0o755)
	if os.Getenv("E2E_KEEP") == "" {
		defer os.RemoveAll(dir)
	} else {
		fmt.Printf("bench-e2e: logs kept in %s\n", dir)
	}
	binary = filepath.Join(dir, "backfill-operator")
	build := exec.Command("go", "build", "-o", binary, "./cmd/backfill-operator")
	build.Dir = repoRoot()
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "bench-e2e: building the operator: %v\n%s", err, out)
		return 1
	}
	metricsAddr, err1 := freeLoopbackAddr()
	probeAddr, err2 := freeLoopbackAddr()
	if err1 != nil || err2 != nil {
		fmt.Fprintln(os.Stderr, err1, err2)
		return 1
	}
	metricsURL, readyzURL = "http://"+metricsAddr+"/metrics", "http://"+probeAddr+"/readyz"
	auditLog = filepath.Join(dir, "audit.log")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sys, err = localsystem.Start(ctx, localsystem.Options{
		Binary: binary, RepoRoot: repoRoot(), Dir: filepath.Join(dir, "system"), AuditLog: auditLog,
		// the models answer after a fixed latency, so that every Job of the Live run lasts
		// about as long and the makespan has an ideal to compare with
		Fakes: fakes.Options{ISBNdbRate: 1000, Faults: map[string]fakes.Faults{
			fakes.ProviderGemini: {LatencyMS: int(modelLatency.Milliseconds())},
			fakes.ProviderXAI:    {LatencyMS: int(modelLatency.Milliseconds())},
		}},
		// Default flags but for where metrics and probes listen: loopback, plain HTTP, so the
		// benchmark can read the Go heap and wait for readiness.
		ManagerArgs: []string{"--metrics-bind-address", metricsAddr, "--metrics-secure=false", "--health-probe-bind-address", probeAddr},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench-e2e: starting the local system: %v\n", err)
		return 1
	}
	defer sys.Stop()
	if err := waitReady(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// waitReady waits for the manager's /readyz (its controllers' workers run).
func waitReady(ctx context.Context) error {
	for {
		resp, err := http.Get(readyzURL)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the manager did not become ready: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
