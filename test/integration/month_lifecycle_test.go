package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/database"
	"github.com/ooheynerds/backfill-operator/internal/dev/builders"
	"github.com/ooheynerds/backfill-operator/internal/dev/testdb"
	"github.com/ooheynerds/backfill-operator/internal/dev/testenv"
)

// lifecycle drives one month of a one-month campaign through the running manager, standing in
// for the worker (its attempt row) and the Job controller (the Job's conditions).
type lifecycle struct {
	t     *testing.T
	ctx   context.Context
	ns    string
	name  string
	clock *clocktesting.FakeClock
}

func (l *lifecycle) month() *v1alpha1.BackfillMonth {
	var m v1alpha1.BackfillMonth
	if err := env.Client.Get(l.ctx, client.ObjectKey{Namespace: l.ns, Name: l.name}, &m); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		l.t.Fatal(err)
	}
	return &m
}

// waitFor polls until cond holds for the month (the manager works on the real clock's events).
func (l *lifecycle) waitFor(what string, cond func(m *v1alpha1.BackfillMonth) bool) *v1alpha1.BackfillMonth {
	l.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if m := l.month(); m != nil && cond(m) {
			return m
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("month never %s: %+v", what, l.month())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// finish reports attempt n of the month's current incarnation and finishes its Job.
func (l *lifecycle) finish(pool database.Querier, m *v1alpha1.BackfillMonth, n int, ok bool, calls map[string]int) {
	l.t.Helper()
	outcome, books, cause, msg := database.OutcomeSucceeded, 20, "", ""
	if !ok {
		outcome, books, cause, msg = database.OutcomeFailed, 0, string(v1alpha1.CauseBadAnswer), "AllModelsRefused: nothing"
	}
	if _, err := database.InsertAttempt(l.ctx, pool, database.Attempt{
		AttemptKey: database.AttemptKey{Namespace: l.ns, Campaign: m.Spec.Campaign, Year: int(m.Spec.Year), Month: int(m.Spec.Month), MonthUID: string(m.UID), Attempt: n},
		Mode:       "Live", Outcome: outcome, Cause: cause, Error: msg, PromptVariant: "baseline", BooksRequested: 20, BooksGenerated: books, ISBNsResolved: books,
		Calls: calls, StartedAt: l.clock.Now(), FinishedAt: l.clock.Now(),
	}); err != nil {
		l.t.Fatal(err)
	}
	var job batchv1.Job
	if err := env.Client.Get(l.ctx, client.ObjectKey{Namespace: l.ns, Name: fmt.Sprintf("%s-a%d", m.Name, n)}, &job); err != nil {
		l.t.Fatal(err)
	}
	now := metav1.Now()
	job.Status.StartTime = &now
	if ok {
		job.Status.Succeeded, job.Status.CompletionTime = 1, &now
		job.Status.Conditions = []batchv1.JobCondition{
			{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, LastTransitionTime: now}}
	} else {
		job.Status.Failed = 1
		job.Status.Conditions = []batchv1.JobCondition{
			{Type: batchv1.JobFailureTarget, Status: corev1.ConditionTrue, LastTransitionTime: now, Reason: "BackoffLimitExceeded"},
			{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, LastTransitionTime: now, Reason: "BackoffLimitExceeded"}}
	}
	if err := env.Client.Status().Update(l.ctx, &job); err != nil {
		l.t.Fatal(err)
	}
}

// A Failed month deleted by its user is recreated by the campaign as a new incarnation that
// runs real attempts of its own and reports only them; a rerun of the completed month goes
// through admission, keeps history and continues numbering.
func TestRecreatedMonthAndRerun(t *testing.T) {
	ctx := context.Background()
	ns := env.NewNamespace(t, "lifecycle")
	dbURL, pool := testdb.New(t)
	clock := clocktesting.NewFakeClock(start)
	mgr, err := env.StartManager(ctx, testenv.ManagerOptions{Clock: clock, DatabaseURL: dbURL, Jobs: jobs})
	if err != nil {
		t.Fatal(err)
	}
	defer mgr.Stop()
	c := builders.MakeCampaign("life", ns).Phase("validate", 2020, 2020, 5, 2).Months(6, 6).
		Retry(1, time.Minute, time.Hour).Database("db", "url").Obj()
	if err := env.Client.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	l := &lifecycle{t: t, ctx: ctx, ns: ns, name: "life-2020-06", clock: clock}

	// the first incarnation fails its only attempt after 16 calls
	first := l.waitFor("started", func(m *v1alpha1.BackfillMonth) bool { return m.Status.State == v1alpha1.MonthProcessing })
	l.finish(pool, first, 1, false, map[string]int{"gemini": 8, "xai": 8})
	first = l.waitFor("failed", func(m *v1alpha1.BackfillMonth) bool { return m.Status.State == v1alpha1.MonthFailed })

	// the user deletes it; the garbage collector (not running here) would remove its Job
	if err := env.Client.Delete(ctx, first); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Delete(ctx, &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: l.name + "-a1"}},
		client.PropagationPolicy(metav1.DeletePropagationBackground)); client.IgnoreNotFound(err) != nil {
		t.Fatal(err)
	}
	second := l.waitFor("recreated and started", func(m *v1alpha1.BackfillMonth) bool {
		return m.UID != first.UID && m.Status.State == v1alpha1.MonthProcessing
	})
	if second.Status.Attempts != 1 || len(second.Status.History) != 1 {
		t.Fatalf("the recreated month starts its own attempt 1: %+v", second.Status)
	}
	l.finish(pool, second, 1, true, map[string]int{"gemini": 1, "xai": 1})
	second = l.waitFor("completed", func(m *v1alpha1.BackfillMonth) bool { return m.Status.State == v1alpha1.MonthCompleted })
	if calls := second.Status.History[0].Calls; calls["gemini"] != 1 || calls["xai"] != 1 || second.Status.Metrics.BooksGenerated != 20 {
		t.Fatalf("the recreated month reports %v calls and %d books: want only its own 2 calls and 20 books", calls, second.Status.Metrics.BooksGenerated)
	}

	// a rerun: back through admission, attempt 2, history kept
	second.Annotations = map[string]string{v1alpha1.AnnotationRerun: "again-1"}
	if err := env.Client.Update(ctx, second); err != nil {
		t.Fatal(err)
	}
	rerun := l.waitFor("rerun started", func(m *v1alpha1.BackfillMonth) bool {
		return m.Status.Run == 1 && m.Status.State == v1alpha1.MonthProcessing
	})
	if rerun.Status.Attempts != 2 || rerun.Status.RunAttempts != 1 || rerun.Status.RerunToken != "again-1" || len(rerun.Status.History) != 2 {
		t.Fatalf("the rerun's attempt is attempt 2 of run 1 with history kept: %+v", rerun.Status)
	}
	l.finish(pool, rerun, 2, true, map[string]int{"gemini": 1})
	done := l.waitFor("completed again", func(m *v1alpha1.BackfillMonth) bool {
		return m.Status.State == v1alpha1.MonthCompleted && m.Status.Attempts == 2
	})
	if done.Status.History[1].Run != 1 || done.Status.History[1].JobName != l.name+"-a2" {
		t.Fatalf("history %+v", done.Status.History)
	}
	var log struct {
		status  string
		retries int
	}
	if err := pool.QueryRow(ctx, `SELECT status, retry_count FROM backfill_log WHERE namespace = $1 AND campaign = 'life' AND year = 2020 AND month = 6`, ns).
		Scan(&log.status, &log.retries); err != nil {
		t.Fatal(err)
	}
	if log.status != "completed" || log.retries != 0 {
		t.Errorf("backfill_log says %s with %d retries, want completed with 0 (this run's own failures)", log.status, log.retries)
	}
}
