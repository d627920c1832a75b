package attempt

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

var now = time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC)

var policy = Policy{MaxAttempts: 3, BackoffBase: time.Minute, BackoffCap: time.Hour, OutsideBudget: 4}

// processing is a month running attempt n of its run, after failed earlier attempts.
func processing(n int32) v1alpha1.BackfillMonthStatus {
	s := v1alpha1.BackfillMonthStatus{State: v1alpha1.MonthProcessing, Attempts: n, RunAttempts: n}
	for i := int32(1); i < n; i++ {
		s.History = append(s.History, v1alpha1.AttemptRecord{Attempt: i, Outcome: v1alpha1.AttemptFailed, Cause: v1alpha1.CauseProviderError, Message: "earlier"})
	}
	s.History = append(s.History, v1alpha1.AttemptRecord{Attempt: n, JobName: "m-a" + string(rune('0'+n)), Outcome: v1alpha1.AttemptRunning, StartedAt: metav1.NewTime(now.Add(-time.Minute))})
	return s
}

func ok() Report {
	return Report{Found: true, Result: Result{Succeeded: true, Metrics: v1alpha1.MonthMetrics{BooksGenerated: 20, ISBNsResolved: 18, ResolutionRate: "90.00"}, Calls: map[string]int32{"gemini": 1}}}
}

func failed(cause v1alpha1.FailureCause, permanent bool) Report {
	return Report{Found: true, Result: Result{Cause: cause, Permanent: permanent, Message: string(cause) + " happened", Calls: map[string]int32{"gemini": 2}}}
}

func TestNext(t *testing.T) {
	later := now.Add(5 * time.Minute)
	tests := map[string]struct {
		month    Month
		obs      Observation
		state    v1alpha1.MonthState
		reason   string // Ready's reason
		start    int
		delete   bool
		suspend  bool
		requeue  time.Duration
		events   []string
		counted  int32 // RunAttempts after the pass
		outside  int32 // OutsideFailures after the pass
		lastErr  string
		cause    v1alpha1.FailureCause // of the latest record
		finished v1alpha1.AttemptOutcome
	}{
		"pending and suspended waits for admission": {
			month: Month{Suspended: true, Status: v1alpha1.BackfillMonthStatus{State: v1alpha1.MonthPending, ObservedGeneration: 1}},
			state: v1alpha1.MonthPending, reason: v1alpha1.ReasonWaitingForAdmission},
		"a month never written that waits for admission stays unwritten (reads as Pending)": {
			month: Month{Suspended: true}},
		"admitted pending starts attempt 1": {
			month: Month{}, state: v1alpha1.MonthProcessing, reason: v1alpha1.ReasonJobRunning, start: 1, counted: 1},
		"admitted retry starts the next attempt": {
			month: Month{Status: v1alpha1.BackfillMonthStatus{State: v1alpha1.MonthRetry, Attempts: 2, RunAttempts: 1, OutsideFailures: 1}},
			state: v1alpha1.MonthProcessing, reason: v1alpha1.ReasonJobRunning, start: 3, counted: 2, outside: 1},
		"retry still suspended waits": {
			month: Month{Suspended: true, Status: v1alpha1.BackfillMonthStatus{State: v1alpha1.MonthRetry, Attempts: 1, RunAttempts: 1}},
			state: v1alpha1.MonthRetry, reason: v1alpha1.ReasonAttemptFailed, counted: 1},
		"waiting Job rechecks at its deadline": {
			month: Month{Status: processing(1)}, obs: Observation{Job: Verdict{Phase: JobWaiting, Recheck: &later}},
			state: v1alpha1.MonthProcessing, reason: v1alpha1.ReasonJobRunning, requeue: 5 * time.Minute, counted: 1},
		"Kueue-suspended Job waits without deadline, saying it is queued": {
			month: Month{Status: processing(1)}, obs: Observation{Job: Verdict{Phase: JobQueued, Message: "Job is suspended"}},
			state: v1alpha1.MonthProcessing, reason: v1alpha1.ReasonJobQueued, counted: 1},
		"running Job": {
			month: Month{Status: processing(1)}, obs: Observation{Job: Verdict{Phase: JobRunning, Recheck: &later}},
			state: v1alpha1.MonthProcessing, reason: v1alpha1.ReasonJobRunning, requeue: 5 * time.Minute, counted: 1},
		"pod waiting reason shown while it lasts": {
			month: Month{Status: processing(2)}, obs: Observation{Job: Verdict{Phase: JobWaiting, Waiting: "ErrImagePull: not found", Recheck: &later}},
			state: v1alpha1.MonthProcessing, reason: v1alpha1.ReasonPodWaiting, requeue: 5 * time.Minute, counted: 2, lastErr: "ErrImagePull: not found"},
		"succeeded with result completes": {
			month: Month{Status: processing(1)}, obs: Observation{Job: Verdict{Phase: JobSucceeded}, Report: ok()},
			state: v1alpha1.MonthCompleted, reason: v1alpha1.ReasonCompleted, counted: 1, finished: v1alpha1.AttemptSucceeded},
		"succeeded, database down, no termination message: wait": {
			month: Month{Status: processing(1)}, obs: Observation{Job: Verdict{Phase: JobSucceeded}, Report: Report{Unknown: true}},
			state: v1alpha1.MonthProcessing, reason: v1alpha1.ReasonResultUnavailable, requeue: resultRetry, counted: 1},
		"succeeded without any result fails the attempt": {
			month: Month{Status: processing(1)}, obs: Observation{Job: Verdict{Phase: JobSucceeded}},
			state: v1alpha1.MonthRetry, reason: v1alpha1.ReasonAttemptFailed, suspend: true, events: []string{EventAttemptFailed}, counted: 1,
			lastErr: "Job m-a1 completed but its worker recorded no result", cause: v1alpha1.CauseWorkerError, finished: v1alpha1.AttemptFailed},
		"worker reported a failure, attempts left: retry": {
			month: Month{Status: processing(1)}, obs: Observation{Job: Verdict{Phase: JobFailed, Message: "BackoffLimitExceeded"}, Report: failed(v1alpha1.CauseProviderError, false)},
			state: v1alpha1.MonthRetry, reason: v1alpha1.ReasonAttemptFailed, suspend: true, events: []string{EventAttemptFailed}, counted: 1,
			lastErr: "ProviderError happened", cause: v1alpha1.CauseProviderError, finished: v1alpha1.AttemptFailed},
		"bad answer on the last attempt: failed": {
			month: Month{Status: processing(3)}, obs: Observation{Job: Verdict{Phase: JobFailed}, Report: failed(v1alpha1.CauseBadAnswer, false)},
			state: v1alpha1.MonthFailed, reason: v1alpha1.ReasonAttemptsExhausted, events: []string{EventMonthFailed}, counted: 3,
			lastErr: "BadAnswer happened", cause: v1alpha1.CauseBadAnswer, finished: v1alpha1.AttemptFailed},
		"permanent failure reported: failed at once": {
			month: Month{Status: processing(1)}, obs: Observation{Job: Verdict{Phase: JobFailed}, Report: failed(v1alpha1.CauseInvalidConfig, true)},
			state: v1alpha1.MonthFailed, reason: v1alpha1.ReasonAttemptsExhausted, events: []string{EventMonthFailed}, counted: 1,
			lastErr: "InvalidConfig happened", cause: v1alpha1.CauseInvalidConfig, finished: v1alpha1.AttemptFailed},
		"Job failed by its pod failure policy, no report: failed at once": {
			month: Month{Status: processing(1)}, obs: Observation{Job: Verdict{Phase: JobFailed, Message: "PodFailurePolicy", Permanent: true}},
			state: v1alpha1.MonthFailed, reason: v1alpha1.ReasonAttemptsExhausted, events: []string{EventMonthFailed}, counted: 1,
			lastErr: "Job m-a1 failed: PodFailurePolicy", cause: v1alpha1.CauseInvalidConfig, finished: v1alpha1.AttemptFailed},
		"Job failed, database down and no report: the month's failure": {
			month: Month{Status: processing(1)}, obs: Observation{Job: Verdict{Phase: JobFailed, Message: "BackoffLimitExceeded"}, Report: Report{Unknown: true}},
			state: v1alpha1.MonthRetry, reason: v1alpha1.ReasonAttemptFailed, suspend: true, events: []string{EventAttemptFailed}, counted: 1,
			lastErr: "Job m-a1 failed: BackoffLimitExceeded", cause: v1alpha1.CauseJobFailed, finished: v1alpha1.AttemptFailed},
		"database unreachable gives the attempt back": {
			month: Month{Status: processing(3)}, obs: Observation{Job: Verdict{Phase: JobFailed}, Report: failed(v1alpha1.CauseDatabaseUnreachable, false)},
			state: v1alpha1.MonthRetry, reason: v1alpha1.ReasonAttemptFailed, suspend: true, events: []string{EventAttemptFailed}, counted: 2, outside: 1,
			lastErr: "DatabaseUnreachable happened", cause: v1alpha1.CauseDatabaseUnreachable, finished: v1alpha1.AttemptFailed},
		"provider quota gives the attempt back": {
			month: Month{Status: processing(1)}, obs: Observation{Job: Verdict{Phase: JobFailed}, Report: failed(v1alpha1.CauseProviderQuota, false)},
			state: v1alpha1.MonthRetry, reason: v1alpha1.ReasonAttemptFailed, suspend: true, events: []string{EventAttemptFailed}, counted: 0, outside: 1,
			lastErr: "ProviderQuota happened", cause: v1alpha1.CauseProviderQuota, finished: v1alpha1.AttemptFailed},
		"outside budget spent: failed": {
			month: Month{Status: func() v1alpha1.BackfillMonthStatus { s := processing(1); s.OutsideFailures = 3; return s }()},
			obs:   Observation{Job: Verdict{Phase: JobFailed}, Report: failed(v1alpha1.CauseDatabaseUnreachable, false)},
			state: v1alpha1.MonthFailed, reason: v1alpha1.ReasonOutsideBudgetExhausted, events: []string{EventMonthFailed}, counted: 0, outside: 4,
			lastErr: "DatabaseUnreachable happened", cause: v1alpha1.CauseDatabaseUnreachable, finished: v1alpha1.AttemptFailed},
		"missing Secret fails the attempt at once, not counted": {
			month: Month{Status: processing(1)}, obs: Observation{Job: Verdict{Phase: JobBlocked, Cause: v1alpha1.CauseSecretMissing, Message: `CreateContainerConfigError: secret "llm" not found`}},
			state: v1alpha1.MonthRetry, reason: v1alpha1.ReasonAttemptFailed, delete: true, suspend: true, events: []string{EventStuckJobDeleted, EventAttemptFailed}, counted: 0, outside: 1,
			lastErr: `Job m-a1: CreateContainerConfigError: secret "llm" not found`, cause: v1alpha1.CauseSecretMissing, finished: v1alpha1.AttemptFailed},
		"pending deadline deletes the Job and counts": {
			month: Month{Status: processing(1)}, obs: Observation{Job: Verdict{Phase: JobPendingTooLong, Message: "late"}},
			state: v1alpha1.MonthRetry, reason: v1alpha1.ReasonAttemptFailed, delete: true, suspend: true, events: []string{EventStuckJobDeleted, EventAttemptFailed}, counted: 1,
			lastErr: "Job m-a1: late", cause: v1alpha1.CausePendingTooLong, finished: v1alpha1.AttemptFailed},
		"running deadline on the last attempt: failed": {
			month: Month{Status: processing(3)}, obs: Observation{Job: Verdict{Phase: JobRunningTooLong, Message: "slow"}},
			state: v1alpha1.MonthFailed, reason: v1alpha1.ReasonAttemptsExhausted, delete: true, events: []string{EventStuckJobDeleted, EventMonthFailed}, counted: 3,
			lastErr: "Job m-a3: slow", cause: v1alpha1.CauseRunningTooLong, finished: v1alpha1.AttemptFailed},
		"vanished Job with a result in the database completes": {
			month: Month{Status: processing(1)}, obs: Observation{Job: Verdict{Phase: JobMissing}, Report: ok()},
			state: v1alpha1.MonthCompleted, reason: v1alpha1.ReasonCompleted, counted: 1, finished: v1alpha1.AttemptSucceeded},
		"vanished Job, database down: wait": {
			month: Month{Status: processing(1)}, obs: Observation{Job: Verdict{Phase: JobMissing}, Report: Report{Unknown: true}},
			state: v1alpha1.MonthProcessing, reason: v1alpha1.ReasonJobRunning, requeue: resultRetry, counted: 1},
		"vanished Job without a result fails the attempt": {
			month: Month{Status: processing(1)}, obs: Observation{Job: Verdict{Phase: JobMissing}},
			state: v1alpha1.MonthRetry, reason: v1alpha1.ReasonAttemptFailed, suspend: true, events: []string{EventAttemptFailed}, counted: 1,
			lastErr: "Job m-a1 disappeared before its worker reported a result", cause: v1alpha1.CauseJobVanished, finished: v1alpha1.AttemptFailed},
		"completed stays completed": {
			month: Month{Status: v1alpha1.BackfillMonthStatus{State: v1alpha1.MonthCompleted, Attempts: 1, RunAttempts: 1}},
			state: v1alpha1.MonthCompleted, reason: v1alpha1.ReasonCompleted, counted: 1},
		"rerun of a completed month: back to pending, suspended": {
			month: Month{RerunToken: "t1", Status: v1alpha1.BackfillMonthStatus{State: v1alpha1.MonthCompleted, Attempts: 2, RunAttempts: 2}},
			state: v1alpha1.MonthPending, reason: v1alpha1.ReasonRerunRequested, suspend: true, events: []string{EventRerunStarted}},
		"rerun of a failed month": {
			month: Month{Suspended: true, RerunToken: "t1", Status: v1alpha1.BackfillMonthStatus{State: v1alpha1.MonthFailed, Attempts: 3, RunAttempts: 3, LastError: "x"}},
			state: v1alpha1.MonthPending, reason: v1alpha1.ReasonRerunRequested, events: []string{EventRerunStarted}},
		"a rerun token already honoured changes nothing": {
			month: Month{RerunToken: "t1", Status: v1alpha1.BackfillMonthStatus{State: v1alpha1.MonthCompleted, Attempts: 3, RunAttempts: 1, Run: 1, RerunToken: "t1"}},
			state: v1alpha1.MonthCompleted, reason: v1alpha1.ReasonCompleted, counted: 1},
		"a rerun token on a running month waits for it to finish": {
			month: Month{RerunToken: "t1", Status: processing(1)}, obs: Observation{Job: Verdict{Phase: JobRunning}},
			state: v1alpha1.MonthProcessing, reason: v1alpha1.ReasonJobRunning, counted: 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tc.month.Name = "m"
			d := Next(tc.month, tc.obs, policy, now)
			s := d.Status
			ready := readyReason(s)
			if s.State != tc.state || ready != tc.reason || d.Start != tc.start || d.DeleteJob != tc.delete || d.Suspend != tc.suspend || d.Requeue != tc.requeue || d.Finished != tc.finished {
				t.Fatalf("Next: state %s ready %s start %d delete %v suspend %v requeue %s finished %q; want %s %s %d %v %v %s %q",
					s.State, ready, d.Start, d.DeleteJob, d.Suspend, d.Requeue, d.Finished, tc.state, tc.reason, tc.start, tc.delete, tc.suspend, tc.requeue, tc.finished)
			}
			var events []string
			for _, e := range d.Events {
				events = append(events, e.Reason)
			}
			if strings.Join(events, ",") != strings.Join(tc.events, ",") {
				t.Errorf("events %v, want %v", events, tc.events)
			}
			if s.RunAttempts != tc.counted || s.OutsideFailures != tc.outside {
				t.Errorf("runAttempts %d outsideFailures %d, want %d %d", s.RunAttempts, s.OutsideFailures, tc.counted, tc.outside)
			}
			if tc.lastErr != "" && s.LastError != tc.lastErr {
				t.Errorf("lastError %q, want %q", s.LastError, tc.lastErr)
			}
			if tc.cause != "" {
				if rec := s.History[len(s.History)-1]; rec.Cause != tc.cause {
					t.Errorf("latest record cause %q, want %q", rec.Cause, tc.cause)
				}
			}
			if tc.finished == v1alpha1.AttemptFailed && tc.state == v1alpha1.MonthRetry && (s.NextRetryAt == nil || !s.NextRetryAt.After(now)) {
				t.Errorf("a retry needs a backoff: nextRetryAt %v", s.NextRetryAt)
			}
		})
	}
}

func readyReason(s v1alpha1.BackfillMonthStatus) string {
	for _, c := range s.Conditions {
		if c.Type == v1alpha1.ConditionReady {
			return c.Reason
		}
	}
	return ""
}

// A rerun keeps the history and continues numbering; the new run counts only its own attempts.
func TestRerunContinuesNumbering(t *testing.T) {
	s := processing(2)
	d := Next(Month{Name: "m", Status: s}, Observation{Job: Verdict{Phase: JobSucceeded}, Report: ok()}, policy, now)
	d = Next(Month{Name: "m", RerunToken: "again", Status: d.Status}, Observation{}, policy, now)
	if d.Status.Run != 1 || d.Status.RunAttempts != 0 || d.Status.RerunToken != "again" || len(d.Status.History) != 2 {
		t.Fatalf("after the rerun: %+v", d.Status)
	}
	d = Next(Month{Name: "m", RerunToken: "again", Status: d.Status}, Observation{}, policy, now) // admitted
	if d.Start != 3 || d.Status.History[2].JobName != "m-a3" || d.Status.History[2].Run != 1 || d.Status.RunAttempts != 1 {
		t.Fatalf("the rerun's first attempt must be attempt 3 of run 1: start %d, %+v", d.Start, d.Status.History)
	}
}

// A token set while the month waits for its first attempt is that run; no extra rerun follows.
func TestRerunTokenBeforeTheFirstRunIsAbsorbed(t *testing.T) {
	d := Next(Month{Name: "m", Suspended: true, RerunToken: "early"}, Observation{}, policy, now)
	if d.Status.RerunToken != "early" || d.Status.Run != 0 {
		t.Fatalf("status %+v", d.Status)
	}
}

// Months stored before runs were counted keep their attempts as this run's.
func TestLegacyMonthCountsItsAttempts(t *testing.T) {
	s := processing(3)
	s.RunAttempts = 0
	d := Next(Month{Name: "m", Status: s}, Observation{Job: Verdict{Phase: JobFailed}, Report: failed(v1alpha1.CauseBadAnswer, false)}, policy, now)
	if d.Status.State != v1alpha1.MonthFailed {
		t.Fatalf("a legacy month on its third attempt must fail: %s", d.Status.State)
	}
}
