package integration

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/dev/builders"
	"github.com/ooheynerds/backfill-operator/internal/dev/testdb"
	"github.com/ooheynerds/backfill-operator/internal/dev/testenv"
)

// newSim starts a manager with its own database and namespace, creates the campaign, and
// returns a simulator for it.
func newSim(t *testing.T, c *v1alpha1.BackfillCampaign, outcomeOf func(*v1alpha1.BackfillMonth, int) outcome) *sim {
	t.Helper()
	ns := env.NewNamespace(t, "rules")
	return newSimIn(t, ns, c, outcomeOf)
}

// newSimIn is newSim in an existing namespace. Its manager watches that namespace and the
// others named in also, nothing else: what other tests left in the shared API server is not
// its business (and would land in its backfill_log).
func newSimIn(t *testing.T, ns string, c *v1alpha1.BackfillCampaign, outcomeOf func(*v1alpha1.BackfillMonth, int) outcome, also ...string) *sim {
	t.Helper()
	ctx := context.Background()
	dbURL, pool := testdb.New(t)
	clock := clocktesting.NewFakeClock(start)
	mgr, err := env.StartManager(ctx, testenv.ManagerOptions{Clock: clock, DatabaseURL: dbURL, Jobs: jobs, WatchNamespaces: append([]string{ns}, also...)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mgr.Stop)
	c.Namespace = ns
	if err := env.Client.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	return &sim{t: t, ctx: ctx, c: env.Client, ns: ns, pool: pool, clock: clock, outcome: outcomeOf, done: map[string]bool{}}
}

// advance runs one round: finish Jobs, let the operator react, and move the clock when nothing
// is running.
func (s *sim) advance(campaign string) {
	s.settle(campaign)
	s.runJobs()
	s.settle(campaign)
	if s.liveJobs() == 0 || s.onlyStuck() {
		s.step(s.nextEvent(s.campaign(campaign)), campaign)
		s.settle(campaign)
	}
}

// until advances until cond holds, failing after maxRounds.
func (s *sim) until(campaign string, maxRounds int, what string, cond func(*v1alpha1.BackfillCampaign) bool) *v1alpha1.BackfillCampaign {
	s.t.Helper()
	for i := 0; i < maxRounds; i++ {
		s.settle(campaign)
		if c := s.campaign(campaign); cond(c) {
			return c
		}
		s.advance(campaign)
	}
	c := s.campaign(campaign)
	s.t.Fatalf("after %d rounds: %s never happened; campaign status %+v", maxRounds, what, c.Status)
	return nil
}

func good(books, resolved int) func(*v1alpha1.BackfillMonth, int) outcome {
	return func(*v1alpha1.BackfillMonth, int) outcome {
		return outcome{books: books, resolved: resolved, isbndb: 2}
	}
}

func admittedIn(s *sim, phase string) int {
	n := 0
	for _, m := range s.months() {
		if m.Spec.Phase == phase && m.FirstAdmittedAt() != nil {
			n++
		}
	}
	return n
}

func phaseState(c *v1alpha1.BackfillCampaign, name string) v1alpha1.PhaseState {
	for _, p := range c.Status.Phases {
		if p.Name == name {
			return p.State
		}
	}
	return ""
}

func TestGateBlocksBelowThresholdUntilTheSpecChanges(t *testing.T) {
	c := builders.MakeCampaign("gated", "").
		Phase("validate", 2020, 2020, 5, 2).Months(1, 3).Gate(90).
		Phase("next", 2021, 2021, 5, 2).Months(1, 2).Database("db", "url").Obj()
	s := newSim(t, c, good(20, 17)) // 85%
	got := s.until("gated", 40, "the gate to block", func(c *v1alpha1.BackfillCampaign) bool {
		return meta.IsStatusConditionTrue(c.Status.Conditions, v1alpha1.ConditionGateBlocked)
	})
	stalled := meta.FindStatusCondition(got.Status.Conditions, v1alpha1.ConditionStalled)
	if stalled == nil || stalled.Status != metav1.ConditionTrue || stalled.Reason != v1alpha1.ReasonGateBlocked ||
		stalled.Message != "phase validate gate does not hold: resolution rate 85.00% is below minResolutionRate 90%" {
		t.Errorf("Stalled condition = %+v", stalled)
	}
	// time passes; nothing of the next phase is admitted while the gate blocks
	for i := 0; i < 3; i++ {
		s.step(24*time.Hour, "gated")
		s.settle("gated")
	}
	if n := admittedIn(s, "next"); n != 0 {
		t.Fatalf("%d months of the next phase admitted behind a blocked gate", n)
	}

	// the user lowers the bar in Git; the campaign moves on
	s.editSpec("gated", func(c *v1alpha1.BackfillCampaign) { c.Spec.Phases[0].Gate.MinResolutionRate = ptr.To[int32](85) })
	done := s.until("gated", 40, "the campaign to complete", func(c *v1alpha1.BackfillCampaign) bool {
		return meta.IsStatusConditionTrue(c.Status.Conditions, v1alpha1.ConditionReady)
	})
	if phaseState(done, "validate") != v1alpha1.PhaseCompleted || done.Status.Phases[0].Gate != "resolution rate 85.00% meets minResolutionRate 85%" {
		t.Errorf("phases = %+v", done.Status.Phases)
	}
}

func TestManualApprovalLivesInTheSpec(t *testing.T) {
	c := builders.MakeCampaign("approval", "").
		Phase("validate", 2020, 2020, 5, 2).Months(1, 2).
		Phase("history", 2000, 2000, 5, 2).Months(1, 2).ManualApproval().Database("db", "url").Obj()
	s := newSim(t, c, good(20, 19))
	got := s.until("approval", 30, "the history phase to await approval", func(c *v1alpha1.BackfillCampaign) bool {
		return phaseState(c, "history") == v1alpha1.PhaseAwaitingApproval
	})
	ready := meta.FindStatusCondition(got.Status.Conditions, v1alpha1.ConditionReady)
	if ready.Reason != v1alpha1.ReasonAwaitingApproval || ready.Message != "phase history needs approval: add it to spec.approvedPhases" {
		t.Errorf("Ready = %+v", ready)
	}
	s.step(48*time.Hour, "approval")
	s.settle("approval")
	if n := admittedIn(s, "history"); n != 0 {
		t.Fatalf("%d months of an unapproved phase admitted", n)
	}
	s.editSpec("approval", func(c *v1alpha1.BackfillCampaign) { c.Spec.ApprovedPhases = []string{"history"} })
	s.until("approval", 30, "the campaign to complete after approval", func(c *v1alpha1.BackfillCampaign) bool {
		return meta.IsStatusConditionTrue(c.Status.Conditions, v1alpha1.ConditionReady)
	})
}

func TestPlanModeCreatesNoJobs(t *testing.T) {
	c := builders.MakeCampaign("plan", "").
		Phase("validate", 2020, 2020, 5, 2).
		Phase("recent", 2021, 2023, 15, 5).Mode(v1alpha1.ModePlan).Budget(7000, 10).Obj()
	s := newSim(t, c, good(1, 1))
	got := s.until("plan", 5, "the plan to be ready", func(c *v1alpha1.BackfillCampaign) bool {
		return meta.IsStatusConditionTrue(c.Status.Conditions, v1alpha1.ConditionReady)
	})
	s.step(72*time.Hour, "plan")
	s.settle("plan")
	if n := len(s.jobs()); n != 0 {
		t.Fatalf("Plan mode created %d Jobs", n)
	}
	p := got.Status.Plan
	if got.Status.Months.Total != 48 || p == nil || p.MonthsRemaining != 48 || p.Days != 5 || p.LLMCalls != 96 || p.ISBNdbCalls != 480 {
		t.Fatalf("plan = %+v (months %+v)", p, got.Status.Months)
	}
	if len(p.FirstMonths) != 12 || p.FirstMonths[0] != "plan-2020-12" {
		t.Errorf("first months = %v, want the next 12 in admission order from plan-2020-12", p.FirstMonths)
	}
	if got.Status.EstimatedCompletionTime == nil {
		t.Error("no ETA")
	}
}

func TestSuspendStopsAdmissionAndResumeContinues(t *testing.T) {
	c := builders.MakeCampaign("pause", "").Phase("p", 2020, 2020, 12, 3).Suspend(true).Database("db", "url").Obj()
	s := newSim(t, c, good(10, 10))
	for i := 0; i < 3; i++ {
		s.advance("pause")
	}
	if n := admittedIn(s, "p"); n != 0 {
		t.Fatalf("%d months admitted while suspended", n)
	}
	if r := meta.FindStatusCondition(s.campaign("pause").Status.Conditions, v1alpha1.ConditionReady); r == nil || r.Reason != v1alpha1.ReasonSuspended {
		t.Errorf("Ready = %+v, want reason Suspended", r)
	}
	// a merge patch, as kubectl does: the manager writes the campaign's status meanwhile
	resume := client.RawPatch(types.MergePatchType, []byte(`{"spec":{"suspend":false}}`))
	if err := s.c.Patch(s.ctx, s.campaign("pause"), resume); err != nil {
		t.Fatal(err)
	}
	s.until("pause", 30, "the campaign to complete after resuming", func(c *v1alpha1.BackfillCampaign) bool {
		return meta.IsStatusConditionTrue(c.Status.Conditions, v1alpha1.ConditionReady)
	})
}

func TestQuotaExhaustionPausesAdmissionUntilTheUTCReset(t *testing.T) {
	first := true
	c := builders.MakeCampaign("quota", "").Phase("p", 2019, 2019, 12, 1).Database("db", "url").Obj()
	s := newSim(t, c, func(m *v1alpha1.BackfillMonth, _ int) outcome {
		o := outcome{books: 10, resolved: 8, isbndb: 5}
		if first {
			o.quota, first = true, false
		}
		return o
	})
	// the first admitted month's worker reports the quota exhausted; settling alone does not
	// prove the campaign has admitted yet (an admission that lost a conflict is retried on the
	// month's next event), so wait for the Job
	s.waitForJobs(1)
	s.settle("quota")
	s.runJobs()
	s.settle("quota")
	got := s.campaign("quota")
	for deadline := time.Now().Add(30 * time.Second); !meta.IsStatusConditionTrue(got.Status.Conditions, v1alpha1.ConditionBudgetExhausted); got = s.campaign("quota") {
		if time.Now().After(deadline) {
			t.Fatalf("no quota pause after a worker reported ISBNdb's quota exhausted: %+v", got.Status.Conditions)
		}
		time.Sleep(100 * time.Millisecond)
	}
	reset := time.Date(start.Year(), start.Month(), start.Day()+1, 0, 0, 0, 0, time.UTC)
	cond := meta.FindStatusCondition(got.Status.Conditions, v1alpha1.ConditionBudgetExhausted)
	if cond.Reason != v1alpha1.ReasonQuotaExhausted || got.Status.NextAdmissionTime == nil || !got.Status.NextAdmissionTime.Time.Equal(reset) {
		t.Fatalf("BudgetExhausted = %+v, next admission %v; want QuotaExhausted until %v", cond, got.Status.NextAdmissionTime, reset)
	}
	admitted := admittedIn(s, "p")
	s.step(reset.Sub(s.clock.Now())-time.Minute, "quota")
	s.settle("quota")
	if n := admittedIn(s, "p"); n != admitted {
		t.Fatalf("admitted %d more months before the UTC reset", n-admitted)
	}
	s.step(2*time.Minute, "quota")
	s.settle("quota")
	if n := admittedIn(s, "p"); n != admitted+1 {
		t.Fatalf("after the reset %d months admitted, want %d", n, admitted+1)
	}
}

func TestPermanentWorkerFailureIsNotRetried(t *testing.T) {
	c := builders.MakeCampaign("permanent", "").Phase("p", 2020, 2020, 5, 1).Months(1, 1).Database("db", "url").Obj()
	s := newSim(t, c, good(1, 1))
	s.waitForJobs(1)
	s.settle("permanent")
	jobs := s.jobs()
	if len(jobs) != 1 {
		t.Fatalf("%d Jobs, want 1", len(jobs))
	}
	// the worker exited with its permanent-failure code; the Job's pod failure policy failed the Job
	s.done[jobs[0].Name] = true
	s.setJob(&jobs[0], false, "PodFailurePolicy", "Container worker for pod permanent-2020-01-a1-x failed with exit code 3 matching FailJob rule at index 0")
	s.settle("permanent")
	m := s.months()[0]
	if m.Status.State != v1alpha1.MonthFailed || m.Status.Attempts != 1 || m.Status.History[0].Reason != v1alpha1.FailurePermanent {
		t.Fatalf("month %s after attempt %d (history %+v), want Failed after 1 with %s", m.Status.State, m.Status.Attempts, m.Status.History, v1alpha1.FailurePermanent)
	}
}

func TestJobHeldSuspendedByAQueueIsLeftAlone(t *testing.T) {
	c := builders.MakeCampaign("queued", "").Phase("p", 2020, 2020, 5, 1).Months(1, 1).
		Deadlines(10*time.Minute, time.Hour).Database("db", "url").Obj()
	c.Spec.Job.Labels = map[string]v1alpha1.LabelValue{"kueue.x-k8s.io/queue-name": "backfill"}
	s := newSim(t, c, good(1, 1))
	s.waitForJobs(1)
	s.settle("queued")
	job := s.jobs()[0]
	if job.Labels["kueue.x-k8s.io/queue-name"] != "backfill" || job.Spec.Template.Labels["kueue.x-k8s.io/queue-name"] != "backfill" {
		t.Fatalf("the queue label did not reach the Job and its pods: %v", job.Labels)
	}
	// a queueing system suspends the Job until it has capacity
	job.Spec.Suspend = ptr.To(true)
	if err := s.c.Update(s.ctx, &job); err != nil {
		t.Fatal(err)
	}
	s.done[job.Name] = true
	s.step(3*time.Hour, "queued") // far past the pending and running deadlines
	s.settle("queued")
	m := s.months()[0]
	if m.Status.State != v1alpha1.MonthProcessing || m.Status.Attempts != 1 {
		t.Fatalf("a queued (suspended) Job was treated as stuck: month %s after %d attempts", m.Status.State, m.Status.Attempts)
	}
	var got = s.jobs()[0]
	if got.Spec.Suspend == nil || !*got.Spec.Suspend {
		t.Fatal("the operator reset the Job's spec.suspend")
	}
}

func TestNameCollisionIsRefusedNotAdopted(t *testing.T) {
	ctx := context.Background()
	ns := env.NewNamespace(t, "collide")
	// someone else's month already holds a name the campaign would use
	squatter := builders.MakeMonth("other", ns, "p", 2020, 1).Obj()
	squatter.Name = "mine-2020-01"
	squatter.Status = v1alpha1.BackfillMonthStatus{}
	if err := env.Client.Create(ctx, squatter); err != nil {
		t.Fatal(err)
	}
	c := builders.MakeCampaign("mine", ns).Phase("p", 2020, 2020, 5, 1).Months(1, 2).Database("db", "url").Obj()
	s := newSimIn(t, ns, c, good(1, 1))
	got := s.until("mine", 5, "the conflict to be reported", func(c *v1alpha1.BackfillCampaign) bool {
		return meta.IsStatusConditionTrue(c.Status.Conditions, v1alpha1.ConditionStalled)
	})
	stalled := meta.FindStatusCondition(got.Status.Conditions, v1alpha1.ConditionStalled)
	if stalled.Reason != v1alpha1.ReasonNameConflict || stalled.Message != "month names taken by objects this campaign does not own: mine-2020-01; delete or rename them" {
		t.Errorf("Stalled = %+v", stalled)
	}
	var still v1alpha1.BackfillMonth
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(squatter), &still); err != nil {
		t.Fatal(err)
	}
	if len(still.OwnerReferences) != 0 || still.Spec.Campaign != "other" {
		t.Errorf("the campaign took over a month it does not own: %+v", still.ObjectMeta.OwnerReferences)
	}
	if n := len(s.jobs()); n != 0 {
		t.Errorf("%d Jobs started while the campaign has a name conflict", n)
	}
}

func TestOrphanedMonthIsAdoptedWithItsHistory(t *testing.T) {
	ctx := context.Background()
	ns := env.NewNamespace(t, "adopt")
	// a month this campaign left behind (deleted with --cascade=orphan), already completed
	orphan := builders.MakeMonth("again", ns, "p", 2020, 1).Obj()
	orphan.Status = v1alpha1.BackfillMonthStatus{}
	if err := env.Client.Create(ctx, orphan); err != nil {
		t.Fatal(err)
	}
	orphan.Status = v1alpha1.BackfillMonthStatus{State: v1alpha1.MonthCompleted, Attempts: 1,
		Metrics: v1alpha1.MonthMetrics{BooksGenerated: 20, ISBNsResolved: 19, ResolutionRate: "95.00"}}
	if err := env.Client.Status().Update(ctx, orphan); err != nil {
		t.Fatal(err)
	}
	c := builders.MakeCampaign("again", ns).Phase("p", 2020, 2020, 5, 1).Months(1, 2).Database("db", "url").Obj()
	s := newSimIn(t, ns, c, good(10, 9))
	s.until("again", 20, "the campaign to complete", func(c *v1alpha1.BackfillCampaign) bool {
		return meta.IsStatusConditionTrue(c.Status.Conditions, v1alpha1.ConditionReady)
	})
	var got v1alpha1.BackfillMonth
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(orphan), &got); err != nil {
		t.Fatal(err)
	}
	if owner := metav1.GetControllerOf(&got); owner == nil || owner.Name != "again" {
		t.Fatalf("the orphan was not adopted: owners %+v", got.OwnerReferences)
	}
	if got.Status.Attempts != 1 || got.Status.Metrics.BooksGenerated != 20 {
		t.Errorf("adoption lost the month's history: %+v", got.Status)
	}
	if n := len(s.jobs()); n != 1 {
		t.Errorf("%d Jobs, want 1 (only the month that had not run)", n)
	}
}
