package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/dev/fakes"
	"github.com/ooheynerds/backfill-operator/internal/plugin"
)

// TestPluginEndToEnd drives the built kubectl-backfill binary, through kubectl's own plugin
// mechanism where it matters, against a campaign the whole system ran: months that failed in a
// provider outage show up in status, heatmap and months, a rerun after the outage completes
// them, and logs reads a worker's log through the pods/log API.
func TestPluginEndToEnd(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "kubectl-backfill")
	build := exec.Command("go", "build", "-o", bin, "./cmd/kubectl-backfill")
	build.Dir = repoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building kubectl-backfill: %v\n%s", err, out)
	}
	run := func(t *testing.T, args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"--kubeconfig", sys.Cluster.Kubeconfig}, args...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("kubectl-backfill %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return stdout.String()
	}

	ns, c, months := runInModelOutage(t, "plugin", phase("validate", 2019, 1, 2, 2), 1, 2)
	for _, m := range months {
		if m.Status.State != v1alpha1.MonthFailed {
			t.Fatalf("%s ended %s during the outage, want Failed", m.Name, m.Status.State)
		}
	}
	sys.InjectFaults(t, map[string]fakes.Faults{fakes.ProviderGemini: {}, fakes.ProviderXAI: {}})

	t.Run("status", func(t *testing.T) {
		out := run(t, "status", c.Name, "-n", ns)
		for _, want := range []string{"Campaign " + ns + "/outage", "2 failed", "Last errors (2 months failing)", "outage-2019-01"} {
			if !strings.Contains(out, want) {
				t.Errorf("status lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("heatmap", func(t *testing.T) {
		out := run(t, "heatmap", c.Name, "-n", ns)
		if strings.Contains(out, "\x1b") {
			t.Error("colour codes in output that is not a terminal")
		}
		if !strings.Contains(out, "2019   X   X ") {
			t.Errorf("the 2019 row does not show two failed months:\n%s", out)
		}
	})
	t.Run("kubectl finds the plugin", func(t *testing.T) {
		cmd := exec.Command("kubectl", "backfill", "months", "-n", ns, "--state", "Failed", "-o", "name")
		cmd.Env = append(os.Environ(), "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"), "KUBECONFIG="+sys.Cluster.Kubeconfig)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl backfill: %v\n%s", err, out)
		}
		if want := "backfillmonth.alexandria.ooheynerds.com/outage-2019-02\nbackfillmonth.alexandria.ooheynerds.com/outage-2019-01\n"; string(out) != want {
			t.Errorf("kubectl backfill months -o name = %q, want %q", out, want)
		}
	})
	t.Run("rerun", func(t *testing.T) {
		out := run(t, "rerun", c.Name, "--state", "Failed", "-n", ns)
		if strings.Count(out, "rerun requested") != 2 {
			t.Errorf("rerun: %q", out)
		}
		for _, m := range listMonths(t, ns, c.Name) {
			if m.Annotations[plugin.AnnotationRerun] == "" {
				t.Errorf("%s has no rerun token", m.Name)
			}
		}
		// the operator honours the token: with the outage over, each month runs once more,
		// continuing its attempt numbering and keeping the failed attempt in its history
		eventually(t, 3*time.Minute, "the rerun months to complete", func() (bool, string) {
			done, seen := true, ""
			for _, m := range listMonths(t, ns, c.Name) {
				seen += fmt.Sprintf("%s %s attempts=%d; ", m.Name, m.Status.State, m.Status.Attempts)
				done = done && m.Status.State == v1alpha1.MonthCompleted
			}
			return done, seen
		})
		for _, m := range listMonths(t, ns, c.Name) {
			if m.Status.Attempts != 2 || len(m.Status.History) != 2 || m.Status.History[0].Outcome != v1alpha1.AttemptFailed {
				t.Errorf("%s after its rerun: attempts %d, history %+v; want attempt 2 after the failed attempt 1", m.Name, m.Status.Attempts, m.Status.History)
			}
		}
		// the campaign's status follows its months within a pass (the last completion's pass
		// may still be on its way when the months read Completed)
		eventually(t, 30*time.Second, "the campaign status to count the rerun months completed", func() (bool, string) {
			out := run(t, "status", c.Name, "-n", ns)
			return strings.Contains(out, "2 completed, 0 failed"), out
		})
	})
	// Needs the pod runner to serve pods/log (the runtime track's work): until it does, the API
	// server answers that the pod's node has no log to give.
	t.Run("logs", func(t *testing.T) {
		out := run(t, "logs", months[0].Name, "-n", ns, "--attempt", "1")
		if strings.TrimSpace(out) == "" {
			t.Errorf("the worker log of %s attempt 1 is empty", months[0].Name)
		}
	})
}
