package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/attempt"
	"github.com/ooheynerds/backfill-operator/internal/dev/fakes"
	"github.com/ooheynerds/backfill-operator/internal/dev/kueue"
	"github.com/ooheynerds/backfill-operator/internal/dev/localsystem"
)

// Campaigns whose Jobs a real Kueue (bin/kueue, built by `make kueue`) queues: Kueue, not the
// campaign's maxConcurrent, decides how many run, no month fails while Kueue holds its Job, and
// the pending deadline counts from Kueue's admission (docs/kueue.md). Kueue runs out of cluster
// for this test only and is stopped, its webhooks removed, before the next test.
func TestKueue(t *testing.T) {
	k := startKueue(t)
	t.Run("QueueLimitsRunningJobs", func(t *testing.T) { testKueueLimitsRunningJobs(t, k) })
	t.Run("PendingDeadlineCountsFromAdmission", func(t *testing.T) { testKueuePendingDeadlineFromAdmission(t, k) })
}

// A campaign with maxConcurrent 4 and a queue that fits 2 Jobs: its first 4 Jobs are created and
// held by Kueue (the ClusterQueue starts on hold) past the pending deadline without a month
// failing; once the queue admits, never more than 2 Jobs are unsuspended at once, and every
// month completes on its first attempt.
func testKueueLimitsRunningJobs(t *testing.T, k *kueue.Kueue) {
	sys.InjectFaults(t, map[string]fakes.Faults{fakes.ProviderGemini: {LatencyMS: 1000}})
	ns := newNamespace(t, "kueue", localsystem.NamespaceOptions{})
	q := kueue.Queues{Name: "backfill-" + ns, Namespace: ns, Held: true, // the flavor and ClusterQueue are cluster-wide
		Quota: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m")}}
	createQueues(t, k, q)

	const months, pending = 8, 15 * time.Second
	c := newCampaign(ns, "queued", phase("only", 2016, 1, months, 4))
	c.Spec.Job.Labels = map[string]v1alpha1.LabelValue{kueue.QueueLabel: v1alpha1.LabelValue(q.Name)}
	c.Spec.Job.Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m")}
	c.Spec.Job.PendingDeadline = &metav1.Duration{Duration: pending}
	jobs := watchJobs(t, ns)
	create(t, c)

	eventually(t, 2*time.Minute, "the first 4 Jobs, all held by Kueue", func() (bool, string) {
		s := jobs.snapshot()
		return len(s.jobs) == 4 && s.admitted == 0, s.String()
	})
	// Hold every Job past the pending deadline: none may count as pending while Kueue holds it.
	time.Sleep(time.Until(jobs.snapshot().lastCreated.Add(pending + 5*time.Second)))
	for _, m := range listMonths(t, ns, c.Name) {
		if m.Spec.Suspend {
			continue
		}
		if m.Status.State != v1alpha1.MonthProcessing || m.Status.Attempts != 1 || m.Status.LastError != "" {
			t.Errorf("%s while Kueue holds its Job: %s, attempt %d, last error %q; want Processing, attempt 1, no error",
				m.Name, m.Status.State, m.Status.Attempts, m.Status.LastError)
		}
		if c := meta.FindStatusCondition(m.Status.Conditions, v1alpha1.ConditionReady); c == nil || c.Reason != v1alpha1.ReasonJobQueued {
			t.Errorf("%s while Kueue holds its Job: Ready condition %+v, want reason %s", m.Name, c, v1alpha1.ReasonJobQueued)
		}
	}
	if err := q.Release(context.Background(), sys.Client); err != nil {
		t.Fatal(err)
	}

	_, all := waitFinished(t, ns, c.Name, months, 5*time.Minute)
	s := jobs.snapshot()
	if s.err != nil {
		t.Fatalf("watching Jobs: %v", s.err)
	}
	t.Logf("Jobs as the watch saw them: %s", s)
	if s.maxAdmitted != 2 {
		t.Errorf("at most %d Jobs were unsuspended at once, want 2 (the ClusterQueue's quota): %s", s.maxAdmitted, s)
	}
	for name, j := range s.jobs {
		if !j.createdSuspended {
			t.Errorf("Job %s was not suspended by Kueue's webhook when it was created", name)
		}
		if j.resumed.IsZero() {
			t.Errorf("Job %s has no Suspended=False condition: Kueue never admitted it", name)
		}
	}
	for _, m := range all {
		if m.Status.State != v1alpha1.MonthCompleted || m.Status.Attempts != 1 {
			t.Errorf("%s ended %s after %d attempts (history %+v); want Completed on the first", m.Name, m.Status.State, m.Status.Attempts, m.Status.History)
		}
	}
	noStuckJobEvents(t, ns)
	checkMonthsEndedOnce(t, ns, c.Name, all)
}

// An attempt whose pod never starts (its image cannot be pulled, and the pull grace is longer
// than the pending deadline) fails PendingTooLong once the deadline has passed since Kueue
// admitted its Job, not since the Job was created: Kueue held it for twice the deadline first.
func testKueuePendingDeadlineFromAdmission(t *testing.T, k *kueue.Kueue) {
	ns := newNamespace(t, "kueue-deadline", localsystem.NamespaceOptions{})
	q := kueue.Queues{Name: "backfill-" + ns, Namespace: ns, Held: true, // the flavor and ClusterQueue are cluster-wide
		Quota: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}}
	createQueues(t, k, q)

	const pending = 10 * time.Second
	c := newCampaign(ns, "unpullable", phase("only", 2016, 11, 11, 1))
	c.Spec.Job.Image = "registry.invalid/backfill/unpullable:1"
	c.Spec.Job.Labels = map[string]v1alpha1.LabelValue{kueue.QueueLabel: v1alpha1.LabelValue(q.Name)}
	c.Spec.Job.Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m")}
	c.Spec.Job.PendingDeadline = &metav1.Duration{Duration: pending}
	c.Spec.Retry.MaxAttempts = 1
	jobs := watchJobs(t, ns)
	create(t, c)

	eventually(t, 2*time.Minute, "the Job, held by Kueue", func() (bool, string) {
		s := jobs.snapshot()
		return len(s.jobs) == 1, s.String()
	})
	time.Sleep(time.Until(jobs.snapshot().lastCreated.Add(2 * pending)))
	if err := q.Release(context.Background(), sys.Client); err != nil {
		t.Fatal(err)
	}
	_, months := waitFinished(t, ns, c.Name, 1, 3*time.Minute)
	m := months[0]
	if m.Status.State != v1alpha1.MonthFailed || len(m.Status.History) != 1 || m.Status.History[0].Reason != v1alpha1.FailurePendingTooLong {
		t.Fatalf("%s: %s, history %+v; want Failed by its one attempt's pending deadline", m.Name, m.Status.State, m.Status.History)
	}
	s := jobs.snapshot()
	j := s.jobs[m.Status.History[0].JobName]
	if j == nil || j.resumed.IsZero() {
		t.Fatalf("Job %s was never seen admitted by Kueue: %s", m.Status.History[0].JobName, s)
	}
	failed := m.Status.History[0].FinishedAt.Time
	if !j.resumed.After(j.created.Add(pending)) {
		t.Errorf("Kueue admitted Job %s at %s, within the pending deadline of its creation at %s: the test proves nothing", m.Status.History[0].JobName, j.resumed, j.created)
	}
	if failed.Before(j.resumed.Add(pending)) {
		t.Errorf("the attempt failed at %s, before the pending deadline (%s) had passed since Kueue admitted its Job at %s", failed, pending, j.resumed)
	}
	checkMonthsEndedOnce(t, ns, c.Name, months)
}

// startKueue starts Kueue on the shared system for one test and stops it when the test ends.
func startKueue(t *testing.T) *kueue.Kueue {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	k, err := kueue.Start(ctx, kueue.Options{
		BinDir: filepath.Join(repoRoot(), "bin", "kueue"), Dir: filepath.Join(sys.Dir, "kueue"),
		Kubeconfig: sys.Cluster.Kubeconfig, Client: sys.Client, Logf: t.Logf,
	})
	if err != nil {
		t.Fatalf("starting Kueue: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("--- kueue log (tail) ---\n%s", localsystem.Tail(k.Log(), 6000))
		}
		k.Stop(context.Background())
	})
	return k
}

func createQueues(t *testing.T, k *kueue.Kueue, q kueue.Queues) {
	t.Helper()
	if err := q.Create(context.Background(), sys.Client); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Minute, "Kueue to take the queues in", func() (bool, string) {
		if err := k.Running(); err != nil {
			t.Fatalf("Kueue exited: %v", err)
		}
		return q.Ready(context.Background(), sys.Client)
	})
}

func noStuckJobEvents(t *testing.T, ns string) {
	t.Helper()
	var events corev1.EventList
	if err := sys.Client.List(context.Background(), &events, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for _, e := range events.Items {
		if e.Reason == attempt.EventStuckJobDeleted || e.Reason == attempt.EventAttemptFailed {
			t.Errorf("event %s on %s: %s", e.Reason, e.InvolvedObject.Name, e.Message)
		}
	}
}

// jobTimeline is what a watch saw of a namespace's Jobs: each Job's creation, whether Kueue's
// webhook had suspended it by then, when it was admitted, and how many were admitted (unsuspended
// and not finished) at once, at every event.
type jobTimeline struct {
	mu          sync.Mutex
	jobs        map[string]*jobSeen
	admitted    int
	maxAdmitted int
	lastCreated time.Time
	err         error
}

type jobSeen struct {
	created          time.Time
	createdSuspended bool
	// resumed is the Suspended=False condition's time (the Job controller's record of Kueue's
	// admission); zero while never admitted.
	resumed  time.Time
	admitted bool
}

func (s *jobTimeline) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d Jobs, %d admitted now, at most %d at once:", len(s.jobs), s.admitted, s.maxAdmitted)
	for name, j := range s.jobs {
		fmt.Fprintf(&b, " %s(admitted=%v resumed=%s)", name, j.admitted, j.resumed.Format(time.TimeOnly))
	}
	return b.String()
}

func (s *jobTimeline) snapshot() *jobTimeline {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &jobTimeline{jobs: map[string]*jobSeen{}, admitted: s.admitted, maxAdmitted: s.maxAdmitted, lastCreated: s.lastCreated, err: s.err}
	for n, j := range s.jobs {
		cp := *j
		c.jobs[n] = &cp
	}
	return c
}

func (s *jobTimeline) observe(typ watch.EventType, j *batchv1.Job) {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := s.jobs[j.Name]
	if seen == nil {
		seen = &jobSeen{created: j.CreationTimestamp.Time, createdSuspended: j.Spec.Suspend != nil && *j.Spec.Suspend}
		s.jobs[j.Name] = seen
		if seen.created.After(s.lastCreated) {
			s.lastCreated = seen.created
		}
	}
	finished := false
	for _, c := range j.Status.Conditions {
		if c.Status == corev1.ConditionTrue && (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) {
			finished = true
		}
		if c.Type == batchv1.JobSuspended && c.Status == corev1.ConditionFalse {
			seen.resumed = c.LastTransitionTime.Time
		}
	}
	seen.admitted = typ != watch.Deleted && j.DeletionTimestamp == nil && !finished && (j.Spec.Suspend == nil || !*j.Spec.Suspend)
	s.admitted = 0
	for _, o := range s.jobs {
		if o.admitted {
			s.admitted++
		}
	}
	s.maxAdmitted = max(s.maxAdmitted, s.admitted)
}

// watchJobs records the namespace's Jobs from now until the test ends, every event in order.
func watchJobs(t *testing.T, ns string) *jobTimeline {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	api := sys.Kube.BatchV1().Jobs(ns)
	list, err := api.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := watchtools.NewRetryWatcherWithContext(ctx, list.ResourceVersion, &cache.ListWatch{
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) { return api.Watch(ctx, o) },
	})
	if err != nil {
		t.Fatal(err)
	}
	tl := &jobTimeline{jobs: map[string]*jobSeen{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.ResultChan() {
			j, ok := ev.Object.(*batchv1.Job)
			if !ok {
				if ev.Type == watch.Error {
					tl.mu.Lock()
					tl.err = fmt.Errorf("watch error: %v", ev.Object)
					tl.mu.Unlock()
				}
				continue
			}
			tl.observe(ev.Type, j)
		}
	}()
	t.Cleanup(func() { cancel(); w.Stop(); <-done })
	return tl
}
