// Package e2e runs the operator end to end on one machine: a real control plane with
// Kubernetes' own Job and garbage-collection controllers, a real PostgreSQL, the provider fakes,
// the built binary as manager (a subprocess the tests can SIGKILL) and as every Job's worker,
// run by the pod runner. One system is shared by the tests, which run one after another (fault
// injection on the fakes and restarts are global), each in its own namespace.
package e2e

import (
	"testing"

	"github.com/ooheynerds/backfill-operator/internal/dev/fakes"
	"github.com/ooheynerds/backfill-operator/internal/dev/localsystem"
)

// sys is the system every test and benchmark runs on.
var sys *localsystem.System

// metricsURL is the manager's /metrics, served over plain HTTP on loopback for the scrape test
// (a deployed manager serves HTTPS with authentication and authorization).
var metricsURL string

func repoRoot() string { return localsystem.RepoRoot() }

func TestMain(m *testing.M) {
	localsystem.Main(m, &sys, localsystem.Suite{Name: "e2e", KeepEnv: "E2E_KEEP", Options: options})
}

// options serve the manager's metrics on a loopback port of its own, over plain HTTP, for the
// scrape test.
func options(string) (localsystem.Options, error) {
	metricsAddr, err := localsystem.FreeLoopbackAddr()
	if err != nil {
		return localsystem.Options{}, err
	}
	metricsURL = "http://" + metricsAddr + "/metrics"
	return localsystem.Options{
		// The fake ISBNdb enforces a paid plan's 3 requests/s by default; the tests are about
		// the operator, not about that plan.
		Fakes:       fakes.Options{ISBNdbRate: 100},
		ManagerArgs: []string{"--metrics-bind-address", metricsAddr, "--metrics-secure=false"},
	}, nil
}
