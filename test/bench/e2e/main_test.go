// Package e2e measures the deployed configuration from outside: the built binary runs as the
// manager in its own process with its default flags and the PostgreSQL mirror on (the local
// system: control plane, PostgreSQL, provider fakes, pod runner), and the API server's audit
// log (Metadata level) tells what each client sent. Each benchmark is meant to run in its own
// `go test` process (`make bench-e2e`), so that each starts from a fresh system and manager.
package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
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

// TestMain starts the local system only when a benchmark was asked for (make bench-e2e).
func TestMain(m *testing.M) {
	localsystem.Main(m, &sys, localsystem.Suite{Name: "bench-e2e", KeepEnv: "E2E_KEEP", BenchmarksOnly: true, Options: options,
		Ready: func(ctx context.Context, s *localsystem.System) error {
			binary = s.Binary()
			return waitReady(ctx)
		}})
}

// options run the manager with its default flags but for where metrics and probes listen:
// loopback, plain HTTP, so the benchmark can read the Go heap and wait for readiness. The API
// server writes its audit log into the suite's directory.
func options(dir string) (localsystem.Options, error) {
	metricsAddr, err1 := localsystem.FreeLoopbackAddr()
	probeAddr, err2 := localsystem.FreeLoopbackAddr()
	if err1 != nil || err2 != nil {
		return localsystem.Options{}, errors.Join(err1, err2)
	}
	metricsURL, readyzURL = "http://"+metricsAddr+"/metrics", "http://"+probeAddr+"/readyz"
	auditLog = filepath.Join(dir, "audit.log")
	return localsystem.Options{
		AuditLog: auditLog,
		// the models answer after a fixed latency, so that every Job of the Live run lasts
		// about as long and the makespan has an ideal to compare with
		Fakes: fakes.Options{ISBNdbRate: 1000, Faults: map[string]fakes.Faults{
			fakes.ProviderGemini: {LatencyMS: int(modelLatency.Milliseconds())},
			fakes.ProviderXAI:    {LatencyMS: int(modelLatency.Milliseconds())},
		}},
		ManagerArgs: []string{"--metrics-bind-address", metricsAddr, "--metrics-secure=false", "--health-probe-bind-address", probeAddr},
	}, nil
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
