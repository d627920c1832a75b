package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/dev/fakes"
	"github.com/ooheynerds/backfill-operator/internal/dev/localsystem"
)

// The manager is killed with SIGKILL at random moments while a campaign runs, with 20% of the
// model's answers failing, and started again each time.
func TestManagerKilledRepeatedly(t *testing.T) {
	// Workers take a second or two, so kills land while Jobs run, finish and get admitted.
	sys.InjectFaults(t, map[string]fakes.Faults{fakes.ProviderGemini: {LatencyMS: 1500, JitterMS: 500, ErrorRate: 0.2}})
	ns := sys.NewNamespace(t, "sigkill", localsystem.NamespaceOptions{})
	c := sys.Campaign(ns, "sigkill", localsystem.Phase("first", 2017, 1, 4, 2), localsystem.Phase("second", 2017, 5, 8, 2))
	c.Spec.Retry.MaxAttempts = 5
	sys.Create(t, c)

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	var killedAt []string
	for len(killedAt) < 5 {
		time.Sleep(time.Duration(200+rng.IntN(1500)) * time.Millisecond)
		cm := monthCounts(t, ns, c.Name)
		if cm.Total > 0 && cm.Completed+cm.Failed == cm.Total {
			t.Fatalf("the campaign finished after only %d kills (%v): it is too short for this test", len(killedAt), killedAt)
		}
		if err := sys.KillManager(); err != nil {
			t.Fatal(err)
		}
		killedAt = append(killedAt, fmt.Sprintf("%d/%d completed", cm.Completed, cm.Total))
		time.Sleep(time.Duration(rng.IntN(1000)) * time.Millisecond) // down for a while; Jobs go on
		if err := sys.StartManager(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("killed the manager (SIGKILL) %d times, at: %v", len(killedAt), killedAt)
	holds(t, c, 8, true, 4*time.Minute)
}

// Two managers elect a leader; the leader is killed (SIGKILL, no lease release) twice while a
// campaign runs, and the other takes over each time.
func TestLeaderFailover(t *testing.T) {
	if err := sys.KillManager(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sys.StartManager(); err != nil {
			t.Errorf("restarting the system's manager: %v", err)
		}
	})
	elect := []string{"--leader-elect", "--leader-election-namespace=default"}
	replicas := map[string]*localsystem.Replica{}
	start := func(name string) {
		r, err := sys.StartReplica(name, elect...)
		if err != nil {
			t.Fatal(err)
		}
		replicas[name] = r
	}
	start("a")
	start("b")
	t.Cleanup(func() {
		for _, r := range replicas {
			r.Kill()
		}
	})
	leader := func() string {
		var found string
		sys.Eventually(t, time.Minute, "a leader", func() (bool, string) {
			var seen []string
			for name, r := range replicas {
				ok, err := r.Leading()
				if ok {
					found = name
					return true, ""
				}
				seen = append(seen, fmt.Sprintf("replica %s: not leading (%v); log tail:\n%s", name, err, localsystem.Tail(r.Log, 1500)))
			}
			return false, strings.Join(seen, "\n")
		})
		return found
	}

	sys.InjectFaults(t, map[string]fakes.Faults{fakes.ProviderGemini: {LatencyMS: 1500, JitterMS: 500}})
	ns := sys.NewNamespace(t, "failover", localsystem.NamespaceOptions{})
	c := sys.Campaign(ns, "failover", localsystem.Phase("only", 2013, 1, 8, 2))
	sys.Create(t, c)
	for kill := 0; kill < 2; kill++ {
		first := leader()
		sys.Eventually(t, time.Minute, "the leader to admit work", func() (bool, string) {
			cm := monthCounts(t, ns, c.Name)
			return cm.Processing > 0, fmt.Sprintf("%+v", cm)
		})
		replicas[first].Kill()
		start(first) // back as a follower; the lease is the other's once it expires
		next := leader()
		if cm := monthCounts(t, ns, c.Name); cm.Completed == cm.Total {
			t.Fatalf("the campaign finished before failover %d: it is too short for this test", kill+1)
		}
		t.Logf("failover %d: the leader (%s) was killed, now %s leads", kill+1, first, next)
	}
	holds(t, c, 8, true, 4*time.Minute)
}

// Pods are deleted while their workers run: each is a failed attempt, retried by a new Job,
// and no month stays Processing.
func TestPodsDeletedMidRun(t *testing.T) {
	sys.InjectFaults(t, map[string]fakes.Faults{fakes.ProviderGemini: {LatencyMS: 20000}})
	ns := sys.NewNamespace(t, "podgone", localsystem.NamespaceOptions{})
	c := sys.Campaign(ns, "podgone", localsystem.Phase("only", 2015, 1, 3, 3))
	sys.Create(t, c)

	var pods []corev1.Pod
	sys.Eventually(t, 2*time.Minute, "the first attempts' pods to run", func() (bool, string) {
		pods = nil
		for _, p := range sys.ListPods(t, ns, client.MatchingLabels{v1alpha1.LabelAttempt: "1"}) {
			if p.Status.Phase == corev1.PodRunning {
				pods = append(pods, p)
			}
		}
		return len(pods) == 3, fmt.Sprintf("%d running", len(pods))
	})
	for _, p := range pods {
		if err := sys.Client.Delete(context.Background(), &p); err != nil {
			t.Fatalf("deleting pod %s: %v", p.Name, err)
		}
	}
	sys.Eventually(t, 2*time.Minute, "every attempt 1 to be recorded as failed", func() (bool, string) {
		ms := sys.ListMonths(t, ns, c.Name)
		failed := 0
		for _, m := range ms {
			if len(m.Status.History) > 0 && m.Status.History[0].Outcome == v1alpha1.AttemptFailed {
				failed++
			}
		}
		return failed == 3, fmt.Sprintf("%d of %d months have a failed attempt 1", failed, len(ms))
	})
	// The provider answers promptly again: the retries complete the months.
	sys.InjectFaults(t, map[string]fakes.Faults{fakes.ProviderGemini: {}})
	holds(t, c, 3, true, 3*time.Minute)
	for _, m := range sys.ListMonths(t, ns, c.Name) {
		if m.Status.Attempts < 2 {
			t.Errorf("%s completed in %d attempts although its first pod was deleted", m.Name, m.Status.Attempts)
		}
	}
}
