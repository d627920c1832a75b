package integration

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/aggregate"
	"github.com/ooheynerds/backfill-operator/internal/database"
)

// outcome is what a simulated attempt does.
type outcome struct {
	fail     bool // the worker reports a failed attempt and the Job fails
	stuck    bool // no pod ever starts: the Job waits until the pending deadline
	vanish   bool // the Job is deleted before it reports anything
	noDB     bool // the database is down: the worker cannot record anything and fails
	books    int
	resolved int
	isbndb   int
	quota    bool // the worker reports ISBNdb's quota exhausted
}

// sim plays the part of Kubernetes' Job controller and the worker: it finishes the operator's
// Jobs the way the scenario says, writing the worker's backfill_attempts row first, as the
// real worker does in its transaction.
type sim struct {
	t       *testing.T
	ctx     context.Context
	c       client.Client
	ns      string
	pool    *pgxpool.Pool
	clock   *clocktesting.FakeClock
	outcome func(m *v1alpha1.BackfillMonth, attempt int) outcome
	done    map[string]bool // Jobs already handled
	dbDown  bool
	tick    int
	// maxLive is the largest number of unfinished Jobs seen at once.
	maxLive int
}

func (s *sim) jobs() []batchv1.Job {
	var jobs batchv1.JobList
	if err := s.c.List(s.ctx, &jobs, client.InNamespace(s.ns)); err != nil {
		s.t.Fatal(err)
	}
	return jobs.Items
}

func (s *sim) months() []v1alpha1.BackfillMonth {
	var months v1alpha1.BackfillMonthList
	if err := s.c.List(s.ctx, &months, client.InNamespace(s.ns)); err != nil {
		s.t.Fatal(err)
	}
	return months.Items
}

func (s *sim) campaign(name string) *v1alpha1.BackfillCampaign {
	var c v1alpha1.BackfillCampaign
	if err := s.c.Get(s.ctx, client.ObjectKey{Namespace: s.ns, Name: name}, &c); err != nil {
		s.t.Fatal(err)
	}
	return &c
}

// editSpec changes a campaign's spec as a user applying a new version of it would (a merge
// patch, as kubectl sends).
func (s *sim) editSpec(name string, edit func(*v1alpha1.BackfillCampaign)) {
	s.t.Helper()
	c := s.campaign(name)
	patch := client.MergeFrom(c.DeepCopy())
	edit(c)
	if err := s.c.Patch(s.ctx, c, patch); err != nil {
		s.t.Fatal(err)
	}
}

// runJobs finishes every unfinished Job that is not meant to hang.
func (s *sim) runJobs() {
	months := map[string]*v1alpha1.BackfillMonth{}
	for _, m := range s.months() {
		months[m.Name] = &m
	}
	live := 0
	for _, job := range s.jobs() {
		if finished(&job) || s.done[job.Name] {
			if !finished(&job) {
				live++
			}
			continue
		}
		live++
		m := months[job.Labels[v1alpha1.LabelMonth]]
		attempt, _ := strconv.Atoi(job.Labels[v1alpha1.LabelAttempt])
		o := s.outcome(m, attempt)
		if s.dbDown {
			o = outcome{noDB: true}
		}
		s.done[job.Name] = true
		switch {
		case o.stuck:
			continue
		case o.vanish:
			if err := s.c.Delete(s.ctx, &job, client.PropagationPolicy(metav1.DeletePropagationBackground)); err != nil {
				s.t.Fatal(err)
			}
			continue
		case o.noDB:
			s.setJob(&job, false, "BackoffLimitExceeded", "worker exited 2: database unavailable")
			continue
		}
		a := database.Attempt{
			AttemptKey: database.AttemptKey{Namespace: s.ns, Campaign: m.Spec.Campaign, Year: int(m.Spec.Year), Month: int(m.Spec.Month), MonthUID: string(m.UID), Attempt: attempt},
			Mode:       "Live", Outcome: database.OutcomeSucceeded, PromptVariant: string(m.Spec.PromptVariant),
			BooksRequested: int(m.Spec.BooksPerMonth), BooksGenerated: o.books, ISBNsResolved: o.resolved, ISBNsQueued: o.resolved,
			Calls:     map[string]int{"gemini": 1, "xai": 1, aggregate.PaidSource: o.isbndb},
			StartedAt: s.clock.Now().Add(-time.Minute), FinishedAt: s.clock.Now(),
		}
		if o.quota {
			a.QuotaExhausted = []string{aggregate.PaidSource}
		}
		if o.fail {
			a.Outcome, a.Error = database.OutcomeFailed, "both models refused: nothing to resolve"
			a.BooksGenerated, a.ISBNsResolved, a.ISBNsQueued = 0, 0, 0
		}
		if _, err := database.InsertAttempt(s.ctx, s.pool, a); err != nil {
			s.t.Fatalf("recording %s: %v", a.AttemptKey, err)
		}
		s.setJob(&job, !o.fail, "BackoffLimitExceeded", "worker exited 2")
	}
	if live > s.maxLive {
		s.maxLive = live
	}
}

// setJob finishes a Job the way the Job controller does, conditions first.
func (s *sim) setJob(job *batchv1.Job, ok bool, reason, msg string) {
	now := metav1.Now()
	job.Status.StartTime = &now
	job.Status.Active = 0
	if ok {
		job.Status.Succeeded = 1
		job.Status.CompletionTime = &now
		job.Status.Conditions = append(job.Status.Conditions,
			batchv1.JobCondition{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue, LastTransitionTime: now, LastProbeTime: now, Reason: "CompletionsReached"},
			batchv1.JobCondition{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, LastTransitionTime: now, LastProbeTime: now, Reason: "CompletionsReached"})
	} else {
		job.Status.Failed = 1
		job.Status.Conditions = append(job.Status.Conditions,
			batchv1.JobCondition{Type: batchv1.JobFailureTarget, Status: corev1.ConditionTrue, LastTransitionTime: now, LastProbeTime: now, Reason: reason, Message: msg},
			batchv1.JobCondition{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, LastTransitionTime: now, LastProbeTime: now, Reason: reason, Message: msg})
	}
	if err := s.c.Status().Update(s.ctx, job); err != nil {
		s.t.Fatalf("finishing Job %s: %v", job.Name, err)
	}
}

// settle waits until the operator has reacted to everything: no admitted month waits for its
// Job, no finished Job waits for its month, and the campaign's counts match its months.
func (s *sim) settle(campaign string) {
	deadline := time.Now().Add(60 * time.Second)
	for {
		why := s.unsettled(campaign)
		if why == "" {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("tick %d (%s): the operator did not settle: %s", s.tick, s.clock.Now().Format(time.RFC3339), why)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *sim) unsettled(campaign string) string {
	months := s.months()
	jobs := map[string]*batchv1.Job{}
	for _, j := range s.jobs() {
		jobs[j.Name] = &j
	}
	var counts v1alpha1.MonthCounts
	for _, m := range months {
		if m.Spec.Campaign != campaign {
			continue
		}
		counts.Total++
		switch m.EffectiveState() {
		case v1alpha1.MonthPending:
			counts.Pending++
		case v1alpha1.MonthProcessing:
			counts.Processing++
		case v1alpha1.MonthRetry:
			counts.Retry++
		case v1alpha1.MonthCompleted:
			counts.Completed++
		case v1alpha1.MonthFailed:
			counts.Failed++
		}
		if !m.Spec.Suspend && (m.EffectiveState() == v1alpha1.MonthPending || m.EffectiveState() == v1alpha1.MonthRetry) {
			return fmt.Sprintf("month %s is admitted but has no Job yet", m.Name)
		}
		if m.Status.State == v1alpha1.MonthProcessing {
			if j := jobs[fmt.Sprintf("%s-a%d", m.Name, m.Status.Attempts)]; j != nil && finished(j) {
				return fmt.Sprintf("month %s has not seen its finished Job", m.Name)
			}
		}
	}
	c := s.campaign(campaign)
	if c.Status.Months != counts {
		return fmt.Sprintf("campaign counts %+v, months say %+v", c.Status.Months, counts)
	}
	if c.Status.ObservedGeneration != c.Generation {
		return "campaign generation not observed"
	}
	return ""
}

// waitForJobs waits until at least n Jobs exist. Settling alone does not prove the campaign has
// admitted: an admission that lost an update conflict is decided again on the month's next event.
func (s *sim) waitForJobs(n int) {
	s.t.Helper()
	for deadline := time.Now().Add(30 * time.Second); len(s.jobs()) < n; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			s.t.Fatalf("fewer than %d Jobs after 30s", n)
		}
	}
}

// step moves the clock and nudges the controllers, as the passing of time would through their
// requeue timers (which run on real time).
func (s *sim) step(d time.Duration, campaign string) {
	s.clock.Step(d)
	s.tick++
	touch := func(o client.Object) {
		patch := client.MergeFrom(o.DeepCopyObject().(client.Object))
		ann := o.GetAnnotations()
		if ann == nil {
			ann = map[string]string{}
		}
		ann["test.alexandria.ooheynerds.com/tick"] = strconv.Itoa(s.tick)
		o.SetAnnotations(ann)
		if err := s.c.Patch(s.ctx, o, patch); client.IgnoreNotFound(err) != nil {
			s.t.Fatal(err)
		}
	}
	for _, m := range s.months() {
		if m.Status.State == v1alpha1.MonthProcessing {
			touch(&m)
		}
	}
	touch(s.campaign(campaign))
	s.quiet(campaign)
}

// quietFor is how long nothing may change for the operator to count as done reacting to a step.
const quietFor = 300 * time.Millisecond

// quiet waits until the operator has settled and then changed nothing for quietFor. A step's
// touch makes the campaign decide again (an admission due at the new time); settling alone
// can pass before that pass has run, and a Job admitted after the next step would be created
// at a time that step then skips past, timing it out as if it were stuck.
func (s *sim) quiet(campaign string) {
	deadline := time.Now().Add(60 * time.Second)
	seen, since := "", time.Now()
	for {
		s.settle(campaign)
		now := s.fingerprint(campaign)
		if now != seen {
			seen, since = now, time.Now()
		} else if time.Since(since) >= quietFor {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("tick %d: the operator kept changing objects for 60s after a step", s.tick)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fingerprint names every object of the simulation at its resourceVersion.
func (s *sim) fingerprint(campaign string) string {
	var b strings.Builder
	b.WriteString(s.campaign(campaign).ResourceVersion)
	for _, m := range s.months() {
		b.WriteString(" " + m.Name + "@" + m.ResourceVersion)
	}
	for _, j := range s.jobs() {
		b.WriteString(" " + j.Name + "@" + j.ResourceVersion)
	}
	return b.String()
}

func finished(j *batchv1.Job) bool {
	for _, c := range j.Status.Conditions {
		if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}
