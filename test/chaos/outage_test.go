package chaos

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ooheynerds/backfill-operator/internal/dev/fakes"
	"github.com/ooheynerds/backfill-operator/internal/dev/localsystem"
)

// PostgreSQL is down for much longer than the retry backoff: the outage is the system's, not
// the months', so every month still ends Completed.
func TestPostgresDownLongerThanBackoff(t *testing.T) {
	sys.InjectFaults(t, map[string]fakes.Faults{fakes.ProviderGemini: {LatencyMS: 1500}})
	ns := sys.NewNamespace(t, "pgdown", localsystem.NamespaceOptions{})
	c := sys.Campaign(ns, "pgdown", localsystem.Phase("only", 2016, 1, 12, 3))
	c.Spec.Retry.MaxAttempts = 2 // backoff 1–2s: many attempts would be admitted into the outage
	sys.Create(t, c)

	sys.Eventually(t, 2*time.Minute, "some months to complete before the outage, most still to run", func() (bool, string) {
		cm := monthCounts(t, ns, c.Name)
		return cm.Completed >= 1 && cm.Completed <= 6, fmt.Sprintf("%+v", cm)
	})
	down := time.Now()
	if err := sys.Postgres.Restart(context.Background(), 45*time.Second); err != nil {
		t.Fatalf("restarting PostgreSQL: %v", err)
	}
	up := time.Now()
	holds(t, c, 12, true, 4*time.Minute)
	// The fault must have met the months: some attempt ran while the database was down.
	during := 0
	for _, m := range sys.ListMonths(t, ns, c.Name) {
		for _, a := range m.Status.History {
			end := up
			if a.FinishedAt != nil {
				end = a.FinishedAt.Time
			}
			if a.StartedAt.Time.Before(up) && end.After(down) {
				during++
			}
		}
	}
	if during == 0 {
		t.Error("no attempt ran during the outage: the test did not exercise it")
	}
	t.Logf("%d attempts overlapped the %s outage", during, up.Sub(down).Round(time.Second))
}

// kube-apiserver is stopped while workers run (some finish during the outage) and started
// again: the pod runner records their ends, the manager catches up, nothing runs twice.
func TestAPIServerRestart(t *testing.T) {
	sys.InjectFaults(t, map[string]fakes.Faults{fakes.ProviderGemini: {LatencyMS: 1500}})
	ns := sys.NewNamespace(t, "apirestart", localsystem.NamespaceOptions{})
	c := sys.Campaign(ns, "apirestart", localsystem.Phase("only", 2012, 1, 6, 3))
	sys.Create(t, c)
	sys.Eventually(t, 2*time.Minute, "workers to run", func() (bool, string) {
		cm := monthCounts(t, ns, c.Name)
		return cm.Processing > 0, fmt.Sprintf("%+v", cm)
	})
	sys.Cluster.StopAPIServer()
	time.Sleep(8 * time.Second) // the running workers (1.5s per call) end meanwhile
	if err := sys.Cluster.StartAPIServer(context.Background()); err != nil {
		t.Fatalf("starting kube-apiserver again: %v", err)
	}
	if exited, err := sys.ManagerExited(); exited {
		t.Logf("the manager exited during the outage (%v); starting it again", err)
		_ = sys.KillManager()
		if err := sys.StartManager(); err != nil {
			t.Fatal(err)
		}
	}
	holds(t, c, 6, true, 4*time.Minute)
}
