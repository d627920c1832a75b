package attempt

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/kstatus"
	"github.com/ooheynerds/backfill-operator/internal/naming"
	"github.com/ooheynerds/backfill-operator/internal/retry"
	"github.com/ooheynerds/backfill-operator/internal/textcut"
)

// Month event reasons: failures, stuck Jobs and reruns. Creating a Job and completing a month
// emit none (the Job and the month's Ready condition say it; the campaign's PhaseCompleted and
// CampaignCompleted events sum it up), so a month that succeeds costs no Event write.
const (
	EventAttemptFailed   = "AttemptFailed"
	EventMonthFailed     = "MonthFailed"
	EventStuckJobDeleted = "StuckJobDeleted"
	EventRerunStarted    = "RerunStarted"
)

// MaxHistory bounds a month's attempt history.
const MaxHistory = 10

// maxMessage bounds a failure message in status (the API's MaxLength).
const maxMessage = 1024

// resultRetry is how soon to look again when the database cannot say whether a result exists.
const resultRetry = 15 * time.Second

// JobPhase is where an attempt's Job stands.
type JobPhase int

const (
	// JobWaiting: created, no pod running yet.
	JobWaiting JobPhase = iota
	// JobQueued: the Job is held suspended by a queueing system such as Kueue; no deadline runs
	// until the queue admits it.
	JobQueued
	// JobRunning: a pod is running.
	JobRunning
	// JobSucceeded: the Job is Complete.
	JobSucceeded
	// JobFailed: the Job failed.
	JobFailed
	// JobPendingTooLong: the Job waited for a running pod past the pending deadline.
	JobPendingTooLong
	// JobRunningTooLong: the attempt ran past the running deadline.
	JobRunningTooLong
	// JobBlocked: its pod waits for something that will not come by itself (a missing Secret
	// or key, an image that cannot be pulled): the attempt fails now, for Verdict.Cause.
	JobBlocked
	// JobMissing: no Job of this attempt exists (deleted, or never created by this incarnation).
	JobMissing
)

// Verdict is the judgement of an attempt's Job (and its pod) at a moment.
type Verdict struct {
	Phase   JobPhase
	Message string
	// Permanent: the Job failed through its pod failure policy (the worker's permanent exit code).
	Permanent bool
	// Cause of a JobBlocked verdict.
	Cause v1alpha1.FailureCause
	// Waiting is the pod's kubelet waiting reason and message while it lasts ("ErrImagePull: …").
	Waiting string
	// Recheck is when the verdict could change without any event (a deadline passing).
	Recheck *time.Time
}

// Report is what the manager found of the worker's report.
type Report struct {
	Result Result
	Found  bool
	// Unknown: nothing found, but the database could not be asked, so absence is not certain.
	Unknown bool
}

// Observation is what the month controller saw of the current attempt (Processing only).
type Observation struct {
	Job    Verdict
	Report Report
}

// Policy bounds a run's attempts.
type Policy struct {
	MaxAttempts             int
	BackoffBase, BackoffCap time.Duration
	// OutsideBudget bounds the failures of a run caused outside the month.
	OutsideBudget int
}

// OutsideBudgetPerAttempt is how many failures caused outside the month (infrastructure,
// provider quota) a run tolerates per allowed attempt: with the default 5 attempts, 20 such
// failures, backed off like attempts up to the campaign's backoffCap (2h by default, so
// about a day and a half of outage), before the month is Failed rather than looping forever.
const OutsideBudgetPerAttempt = 4

// PolicyOf reads a campaign's retry policy.
func PolicyOf(c *v1alpha1.BackfillCampaign) Policy {
	r := c.Spec.EffectiveRetry()
	return Policy{
		MaxAttempts: int(r.MaxAttempts), BackoffBase: r.BackoffBase.Duration, BackoffCap: r.BackoffCap.Duration,
		OutsideBudget: OutsideBudgetPerAttempt * int(r.MaxAttempts),
	}
}

// Month is the month as the state machine needs it.
type Month struct {
	Name       string
	Generation int64
	Suspended  bool
	// RerunToken is the value of the rerun annotation ("" when absent).
	RerunToken string
	Status     v1alpha1.BackfillMonthStatus
}

// Event is a month event, emitted only after the status that makes it true is stored.
type Event struct {
	Type, Reason, Action, Note string
}

// Decision is what the month controller applies, in this order: delete the stuck Job, create
// the Job of attempt Start, set spec.suspend, write Status, then emit Events.
type Decision struct {
	Status v1alpha1.BackfillMonthStatus
	// Start > 0: create the Job of this attempt before writing Status.
	Start int
	// DeleteJob: delete the current attempt's Job (stuck, or blocked by its configuration).
	DeleteJob bool
	// Suspend: spec.suspend must become true before Status is written, so a month going back to
	// Retry or Pending is not taken for re-admitted.
	Suspend bool
	Requeue time.Duration
	Events  []Event
	// Finished is the outcome of an attempt that ended in this pass (for metrics).
	Finished v1alpha1.AttemptOutcome
}

// Next decides a month's next status from what was observed of its current attempt.
func Next(m Month, obs Observation, p Policy, now time.Time) Decision {
	if WaitsForFirstAdmission(m) {
		return Decision{Status: *m.Status.DeepCopy()}
	}
	d := &decider{m: m, p: p, now: now, d: Decision{Status: *m.Status.DeepCopy()}}
	s := &d.d.Status
	if s.State == "" {
		s.State = v1alpha1.MonthPending
	}
	if s.RunAttempts == 0 && s.OutsideFailures == 0 && s.Run == 0 && s.Attempts > 0 && s.State != v1alpha1.MonthPending {
		s.RunAttempts = s.Attempts // a month from before runs were counted: every attempt was its own
	}
	note := d.rerun()
	switch {
	case note != "":
	case s.State.Finished():
	case s.State == v1alpha1.MonthProcessing:
		note = d.observe(obs)
	case !m.Suspended && (s.State == v1alpha1.MonthPending || s.State == v1alpha1.MonthRetry):
		d.start()
	}
	setConditions(s, m.Generation, note)
	return d.d
}

// WaitsForFirstAdmission reports a month planned and not yet admitted whose status was never
// written: Next leaves it as it is. Its empty status already reads as Pending (EffectiveState,
// backfill_log), and writing it would cost every month a write (and the fan-out a request per
// month); its first status is the attempt it starts. Nothing about it depends on its campaign.
func WaitsForFirstAdmission(m Month) bool {
	return m.Suspended && m.RerunToken == "" && Unwritten(m.Status)
}

// Unwritten reports a status nobody has written: a month as the campaign created it.
func Unwritten(s v1alpha1.BackfillMonthStatus) bool {
	return equality.Semantic.DeepEqual(s, v1alpha1.BackfillMonthStatus{})
}

type decider struct {
	m   Month
	p   Policy
	now time.Time
	d   Decision
}

// rerun starts a new run when the rerun annotation carries a token not yet honoured: at once
// for a finished month, once it finishes for a running one.
func (d *decider) rerun() string {
	s, token := &d.d.Status, d.m.RerunToken
	if token == "" || token == s.RerunToken {
		return ""
	}
	if s.State == v1alpha1.MonthPending && s.RunAttempts == 0 && s.OutsideFailures == 0 {
		s.RerunToken = token // the run about to start is the one asked for
		return ""
	}
	if !s.State.Finished() {
		return ""
	}
	s.RerunToken = token
	s.Run++
	s.RunAttempts, s.OutsideFailures = 0, 0
	s.State = v1alpha1.MonthPending
	s.CompletedAt, s.NextRetryAt = nil, nil
	s.LastError = ""
	d.d.Suspend = !d.m.Suspended
	d.event(corev1.EventTypeNormal, EventRerunStarted, "Rerun", "Rerun %d requested: waiting for admission; attempt numbering continues after %d", s.Run, s.Attempts)
	return noteRerun
}

func (d *decider) start() {
	s := &d.d.Status
	n := int(s.Attempts) + 1
	start := metav1.NewTime(d.now)
	d.d.Start = n
	s.Attempts = int32(n)
	s.RunAttempts++
	s.State = v1alpha1.MonthProcessing
	s.StartedAt = &start
	s.CompletedAt = nil // a restarted attempt is not complete (the seed's check2 bug)
	s.NextRetryAt = nil
	if n > 1 {
		s.LastRetryAt = &start
	}
	s.History = append(s.History, v1alpha1.AttemptRecord{Attempt: int32(n), JobName: naming.Job(d.m.Name, n), StartedAt: start, Outcome: v1alpha1.AttemptRunning, Run: s.Run})
	if len(s.History) > MaxHistory {
		s.History = s.History[len(s.History)-MaxHistory:]
	}
}

func (d *decider) observe(obs Observation) string {
	s, v, rep := &d.d.Status, obs.Job, obs.Report
	job := naming.Job(d.m.Name, int(s.Attempts))
	switch v.Phase {
	case JobQueued:
		s.LastError = previousError(s)
		return noteQueued
	case JobWaiting, JobRunning:
		if v.Recheck != nil {
			d.requeue(max(v.Recheck.Sub(d.now), time.Second))
		}
		if v.Waiting != "" {
			s.LastError = textcut.Cut(v.Waiting, maxMessage)
			return notePodWaiting + v.Waiting
		}
		s.LastError = previousError(s)
	case JobSucceeded:
		switch {
		case rep.Found:
			d.finish(rep.Result, v1alpha1.FailureWorkerFailed)
		case rep.Unknown:
			d.requeue(resultRetry)
			return noteResultPending
		default:
			d.fail(v1alpha1.FailureWorkerFailed, v1alpha1.CauseWorkerError, fmt.Sprintf("Job %s completed but its worker recorded no result", job), nil, false)
		}
	case JobFailed:
		if rep.Found {
			res := rep.Result
			res.Succeeded = false
			res.Permanent = res.Permanent || v.Permanent
			if res.Message == "" {
				res.Message = v.Message
			}
			d.finish(res, v1alpha1.FailureJobFailed)
			return ""
		}
		reason, cause := v1alpha1.FailureJobFailed, v1alpha1.CauseJobFailed
		if v.Permanent {
			reason, cause = v1alpha1.FailurePermanent, v1alpha1.CauseInvalidConfig
		}
		d.fail(reason, cause, fmt.Sprintf("Job %s failed: %s", job, v.Message), nil, v.Permanent)
	case JobPendingTooLong, JobRunningTooLong:
		d.d.DeleteJob = true
		d.event(corev1.EventTypeWarning, EventStuckJobDeleted, "Delete", "Deleted Job %s: %s", job, v.Message)
		reason, cause := v1alpha1.FailurePendingTooLong, v1alpha1.CausePendingTooLong
		if v.Phase == JobRunningTooLong {
			reason, cause = v1alpha1.FailureRunningTooLong, v1alpha1.CauseRunningTooLong
		}
		d.fail(reason, cause, fmt.Sprintf("Job %s: %s", job, v.Message), nil, false)
	case JobBlocked:
		d.d.DeleteJob = true
		d.event(corev1.EventTypeWarning, EventStuckJobDeleted, "Delete", "Deleted Job %s: %s", job, v.Message)
		d.fail(v1alpha1.FailureOutside, v.Cause, fmt.Sprintf("Job %s: %s", job, v.Message), nil, false)
	case JobMissing:
		switch {
		case rep.Found:
			d.finish(rep.Result, v1alpha1.FailureWorkerFailed)
		case rep.Unknown:
			d.requeue(resultRetry) // cannot tell whether the worker finished before its Job vanished
		default:
			d.fail(v1alpha1.FailureJobVanished, v1alpha1.CauseJobVanished, fmt.Sprintf("Job %s disappeared before its worker reported a result", job), nil, false)
		}
	}
	return ""
}

// finish records a reported result: success completes the month; a failure is retried.
func (d *decider) finish(res Result, failureReason string) {
	if !res.Succeeded {
		msg := res.Message
		if msg == "" {
			msg = "worker reported a failed attempt"
		}
		if res.Permanent {
			failureReason = v1alpha1.FailurePermanent
		}
		cause := res.Cause
		if cause == "" {
			cause = v1alpha1.CauseWorkerError
		}
		d.fail(failureReason, cause, msg, &res, res.Permanent)
		return
	}
	s := &d.d.Status
	done := metav1.NewTime(d.now)
	rec := d.current()
	rec.Outcome, rec.FinishedAt, rec.Reason, rec.Message, rec.Cause = v1alpha1.AttemptSucceeded, &done, "", "", ""
	rec.Calls, rec.QuotaExhausted = res.Calls, res.QuotaExhausted
	d.d.Finished = v1alpha1.AttemptSucceeded
	s.State = v1alpha1.MonthCompleted
	s.CompletedAt = &done
	s.Metrics = res.Metrics
	s.LastError = ""
	s.NextRetryAt = nil
}

// fail records a failed attempt: Retry with backoff (suspended until re-admitted), or Failed
// after the run's last attempt, a permanent failure, or an exhausted outside budget. A failure
// caused outside the month gives its attempt back and spends the outside budget instead.
func (d *decider) fail(reason string, cause v1alpha1.FailureCause, msg string, res *Result, permanent bool) {
	msg = textcut.Cut(msg, maxMessage)
	s := &d.d.Status
	done := metav1.NewTime(d.now)
	outside := cause.Outside() && !permanent
	if outside {
		reason = v1alpha1.FailureOutside
		s.RunAttempts = max(s.RunAttempts-1, 0)
		s.OutsideFailures++
	}
	rec := d.current()
	rec.Outcome, rec.FinishedAt, rec.Reason, rec.Message, rec.Cause = v1alpha1.AttemptFailed, &done, reason, msg, cause
	if res != nil {
		rec.Calls, rec.QuotaExhausted = res.Calls, res.QuotaExhausted
		s.Metrics = res.Metrics
	}
	s.LastError = msg
	d.d.Finished = v1alpha1.AttemptFailed
	exhausted := int(s.RunAttempts) >= d.p.MaxAttempts
	if outside {
		exhausted = int(s.OutsideFailures) >= d.p.OutsideBudget
	}
	if permanent || exhausted {
		s.State = v1alpha1.MonthFailed
		s.CompletedAt = &done
		s.NextRetryAt = nil
		d.event(corev1.EventTypeWarning, EventMonthFailed, "Fail", "Failed after attempt %d (%s, %s): %s", s.Attempts, reason, cause, msg)
		return
	}
	n := int(s.RunAttempts)
	if outside {
		n = int(s.OutsideFailures)
	}
	next := metav1.NewTime(d.now.Add(retry.Backoff(n, d.p.BackoffBase, d.p.BackoffCap)))
	s.State = v1alpha1.MonthRetry
	s.CompletedAt = nil
	s.NextRetryAt = &next
	d.d.Suspend = !d.m.Suspended
	d.event(corev1.EventTypeWarning, EventAttemptFailed, "Retry", "Attempt %d failed (%s, %s), retry after %s: %s",
		s.Attempts, reason, cause, next.UTC().Format(time.RFC3339), msg)
}

// current is the history record of the running attempt, added if a crash lost it.
func (d *decider) current() *v1alpha1.AttemptRecord {
	s := &d.d.Status
	if n := len(s.History); n > 0 && s.History[n-1].Attempt == s.Attempts {
		return &s.History[n-1]
	}
	s.History = append(s.History, v1alpha1.AttemptRecord{Attempt: s.Attempts, JobName: naming.Job(d.m.Name, int(s.Attempts)), StartedAt: metav1.NewTime(d.now), Run: s.Run})
	if len(s.History) > MaxHistory {
		s.History = s.History[len(s.History)-MaxHistory:]
	}
	return &s.History[len(s.History)-1]
}

func (d *decider) requeue(after time.Duration) {
	if d.d.Requeue == 0 || after < d.d.Requeue {
		d.d.Requeue = after
	}
}

func (d *decider) event(eventType, reason, action, format string, args ...any) {
	d.d.Events = append(d.d.Events, Event{Type: eventType, Reason: reason, Action: action, Note: fmt.Sprintf(format, args...)})
}

// previousError is the latest finished attempt's failure, which lastError shows again once a
// pod's waiting reason no longer lasts.
func previousError(s *v1alpha1.BackfillMonthStatus) string {
	for i := len(s.History) - 1; i >= 0; i-- {
		if r := s.History[i]; r.Outcome == v1alpha1.AttemptFailed && r.Run == s.Run {
			return r.Message
		}
	}
	return ""
}

// Notes that choose a condition other than the state's own.
const (
	notePodWaiting    = "pod waiting: "
	noteResultPending = "result pending"
	noteRerun         = "rerun"
	noteQueued        = "queued"
)

// setConditions chooses the month's kstatus conditions from its state.
func setConditions(s *v1alpha1.BackfillMonthStatus, gen int64, note string) {
	s.ObservedGeneration = gen
	st := kstatus.State{Reconciling: true}
	switch {
	case s.State == v1alpha1.MonthProcessing && note == noteResultPending:
		st.Reason, st.Message = v1alpha1.ReasonResultUnavailable, "Job completed; waiting for the database to read its result"
	case s.State == v1alpha1.MonthProcessing && len(note) > len(notePodWaiting) && note[:len(notePodWaiting)] == notePodWaiting:
		st.Reason, st.Message = v1alpha1.ReasonPodWaiting, fmt.Sprintf("attempt %d: %s", s.Attempts, note)
	case s.State == v1alpha1.MonthProcessing && note == noteQueued:
		st.Reason, st.Message = v1alpha1.ReasonJobQueued, fmt.Sprintf("attempt %d: its Job is held suspended by a queue (Kueue, for example); the pending deadline starts when the queue admits it", s.Attempts)
	case s.State == v1alpha1.MonthPending && note == noteRerun:
		st.Reason, st.Message = v1alpha1.ReasonRerunRequested, fmt.Sprintf("rerun %d: waiting for the campaign to admit this month", s.Run)
	case s.State == v1alpha1.MonthCompleted:
		st = kstatus.State{Ready: true, Reason: v1alpha1.ReasonCompleted, Message: fmt.Sprintf("completed in %d attempt(s)", s.Attempts)}
	case s.State == v1alpha1.MonthFailed:
		st = kstatus.State{Stalled: true, Reason: v1alpha1.ReasonAttemptsExhausted, Message: s.LastError}
		if n := len(s.History); n > 0 && s.History[n-1].Cause.Outside() {
			st.Reason = v1alpha1.ReasonOutsideBudgetExhausted
		}
	case s.State == v1alpha1.MonthProcessing:
		if c := meta.FindStatusCondition(s.Conditions, v1alpha1.ConditionReady); c != nil && c.Reason == v1alpha1.ReasonResultUnavailable {
			// still waiting for the database: keep saying so
			st.Reason, st.Message = c.Reason, c.Message
			break
		}
		st.Reason, st.Message = v1alpha1.ReasonJobRunning, fmt.Sprintf("attempt %d is running", s.Attempts)
	case s.State == v1alpha1.MonthRetry:
		st.Reason, st.Message = v1alpha1.ReasonAttemptFailed, "waiting for backoff and re-admission: "+s.LastError
	default:
		st.Reason, st.Message = v1alpha1.ReasonWaitingForAdmission, "waiting for the campaign to admit this month"
	}
	kstatus.Set(&s.Conditions, gen, st)
}
