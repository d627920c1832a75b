package controllers

import (
	"context"
	"fmt"
	"reflect"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/attemptjob"
	"github.com/ooheynerds/backfill-operator/internal/metrics"
	"github.com/ooheynerds/backfill-operator/internal/mirror"
	"github.com/ooheynerds/backfill-operator/internal/naming"
	"github.com/ooheynerds/backfill-operator/internal/retry"
)

// Month event reasons.
const (
	EventJobCreated      = "JobCreated"
	EventMonthCompleted  = "MonthCompleted"
	EventAttemptFailed   = "AttemptFailed"
	EventMonthFailed     = "MonthFailed"
	EventStuckJobDeleted = "StuckJobDeleted"
)

// maxHistory bounds a month's attempt history (attempts are capped at 5).
const maxHistory = 10

// JobFactory builds the Job of an attempt.
type JobFactory interface {
	Job(campaign *v1alpha1.BackfillCampaign, month *v1alpha1.BackfillMonth, attempt int) (*batchv1.Job, error)
}

// Mirror writes a month's row into backfill_log; nil when the manager runs without a database.
type Mirror interface {
	Upsert(ctx context.Context, row mirror.Row) error
}

// MonthReconciler runs what the campaign controller admitted: one Job per attempt, the
// attempt's outcome from its Job's conditions and its numbers from the worker's report,
// retry or failure, stuck-Job recovery, and the backfill_log mirror.
type MonthReconciler struct {
	client.Client
	// APIReader reads around the cache where a stale read could start a Job twice.
	APIReader client.Reader
	Scheme    *runtime.Scheme
	Clock     clock.PassiveClock
	Recorder  recorder.EventRecorder
	Jobs      JobFactory
	Results   ResultReader
	Mirror    Mirror
}

// +kubebuilder:rbac:groups=alexandria.ooheynerds.com,resources=backfillmonths,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=alexandria.ooheynerds.com,resources=backfillmonths/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=batch,resources=jobs,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile moves one month through Pending → Processing → Completed | Retry | Failed.
func (r *MonthReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	logger := log.FromContext(ctx)
	var month v1alpha1.BackfillMonth
	if err := r.Get(ctx, req.NamespacedName, &month); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !month.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	_, campaign, err := getCampaign(ctx, r.Client, types.NamespacedName{Namespace: month.Namespace, Name: month.Spec.Campaign})
	if _, ok := asUndecodable(err); ok {
		// the campaign is Stalled/InvalidSpec; its months wait, looking again now and then
		logger.V(1).Info("the month's campaign cannot be interpreted; waiting", "error", err.Error())
		return ctrl.Result{RequeueAfter: time.Minute}, nil
	}
	if err != nil {
		// without its campaign the month has no Job settings; the garbage collector removes it
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}

	now := r.Clock.Now()
	p := &pass{month: &month, campaign: campaign, now: now, status: *month.Status.DeepCopy()}
	if p.status.State == "" {
		p.status.State = v1alpha1.MonthPending
	}

	switch state := p.status.State; {
	case state.Finished():
	case state == v1alpha1.MonthProcessing:
		err = r.observeAttempt(ctx, p)
	case !month.Spec.Suspend && (state == v1alpha1.MonthPending || state == v1alpha1.MonthRetry):
		err = r.startAttempt(ctx, p)
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	if p.restart {
		return ctrl.Result{RequeueAfter: time.Second}, nil
	}
	setMonthConditions(p)

	if p.suspend && !month.Spec.Suspend {
		// Suspend before publishing Retry: a Retry month that is still unsuspended would look
		// re-admitted and start its next attempt without waiting for backoff and admission.
		month.Spec.Suspend = true
		if err := r.Update(ctx, &month); err != nil {
			return ctrl.Result{}, ignoreConflict(err)
		}
	}
	if r.Mirror != nil {
		r.mirror(ctx, p)
	}
	if !equality.Semantic.DeepEqual(month.Status, p.status) {
		month.Status = p.status
		if err := r.Status().Update(ctx, &month); err != nil {
			return ctrl.Result{}, ignoreConflict(err)
		}
		// observed once the start or outcome is stored: a conflicting pass is redone, not counted twice
		if p.queueWait != nil {
			metrics.AttemptStarted(&month, *p.queueWait)
		}
		if p.finished != "" {
			metrics.AttemptFinished(&month)
		}
		logger.V(1).Info("Updated BackfillMonth status", "state", p.status.State, "attempts", p.status.Attempts)
	}
	return ctrl.Result{RequeueAfter: p.requeueAfter()}, nil
}

// pass carries one reconcile's working state.
type pass struct {
	month     *v1alpha1.BackfillMonth
	campaign  *v1alpha1.BackfillCampaign
	now       time.Time
	status    v1alpha1.BackfillMonthStatus
	suspend   bool                    // spec.suspend must become true (the attempt failed and will be retried)
	recheck   *time.Time              // a deadline to look again at
	retrySoon bool                    // a dependency (database) was unavailable
	restart   bool                    // the cache was stale; start the pass again
	conflict  string                  // a name collision that needs a human
	finished  v1alpha1.AttemptOutcome // an attempt ended in this pass
	queueWait *time.Duration          // an attempt started in this pass after waiting this long
}

func (p *pass) requeueAfter() time.Duration {
	var d time.Duration
	if p.recheck != nil {
		d = max(p.recheck.Sub(p.now), time.Second)
	}
	if p.retrySoon && (d == 0 || d > 15*time.Second) {
		d = 15 * time.Second
	}
	return d
}

func (r *MonthReconciler) startAttempt(ctx context.Context, p *pass) error {
	// The admission must be fresh: a stale cache must never start an attempt twice or one that
	// was not admitted, so confirm against the API server before creating anything.
	var fresh v1alpha1.BackfillMonth
	if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(p.month), &fresh); err != nil {
		return client.IgnoreNotFound(err)
	}
	if fresh.ResourceVersion != p.month.ResourceVersion {
		p.restart = true
		return nil
	}
	attempt := int(p.status.Attempts) + 1
	job, err := r.Jobs.Job(p.campaign, p.month, attempt)
	if err != nil {
		return fmt.Errorf("building Job of %s attempt %d: %w", p.month.Name, attempt, err)
	}
	if err := ctrl.SetControllerReference(p.month, job, r.Scheme); err != nil {
		return err
	}
	if err := r.Create(ctx, job); err != nil {
		if !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating Job %s: %w", job.Name, err)
		}
		var existing batchv1.Job
		if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(job), &existing); err != nil {
			return err
		}
		if owner := metav1.GetControllerOf(&existing); owner == nil || owner.UID != p.month.UID {
			p.conflict = fmt.Sprintf("Job %s exists and is not owned by this month: delete or rename it", job.Name)
			return nil
		}
	} else {
		r.Recorder.Eventf(p.month, job, corev1.EventTypeNormal, EventJobCreated, "Create", "Created Job %s for attempt %d", job.Name, attempt)
	}
	if wait, ok := metrics.QueueWait(p.month, p.now); ok {
		p.queueWait = &wait
	}
	start := metav1.NewTime(p.now)
	s := &p.status
	s.Attempts = int32(attempt)
	s.State = v1alpha1.MonthProcessing
	s.StartedAt = &start
	s.CompletedAt = nil // a restarted attempt is not complete (the seed's check2 bug)
	s.NextRetryAt = nil
	if attempt > 1 {
		s.LastRetryAt = &start
	}
	s.History = append(s.History, v1alpha1.AttemptRecord{Attempt: int32(attempt), JobName: job.Name, StartedAt: start, Outcome: v1alpha1.AttemptRunning})
	if len(s.History) > maxHistory {
		s.History = s.History[len(s.History)-maxHistory:]
	}
	return nil
}

func (r *MonthReconciler) observeAttempt(ctx context.Context, p *pass) error {
	attempt := int(p.status.Attempts)
	name := naming.Job(p.month.Name, attempt)
	var job batchv1.Job
	err := r.Get(ctx, types.NamespacedName{Namespace: p.month.Namespace, Name: name}, &job)
	if apierrors.IsNotFound(err) {
		// the cache may lag a Job created moments ago: only the API server can say it is gone
		err = r.APIReader.Get(ctx, types.NamespacedName{Namespace: p.month.Namespace, Name: name}, &job)
	}
	if apierrors.IsNotFound(err) {
		res, found, rerr := r.Results.Result(ctx, p.month, attempt)
		if found {
			r.finish(p, res, v1alpha1.FailureWorkerFailed)
			return nil
		}
		if rerr != nil {
			p.retrySoon = true // cannot tell whether the worker finished before its Job vanished
			return nil
		}
		r.fail(p, v1alpha1.FailureJobVanished, fmt.Sprintf("Job %s disappeared before its worker reported a result", name), nil)
		return nil
	}
	if err != nil {
		return err
	}
	st := attemptjob.Observe(&job, r.current(p).StartedAt.Time, p.now, attemptjob.DeadlinesOf(p.campaign))
	switch st.Phase {
	case attemptjob.Waiting, attemptjob.Running:
		p.recheck = st.Recheck
	case attemptjob.Succeeded:
		res, found, rerr := r.Results.Result(ctx, p.month, attempt)
		switch {
		case found:
			r.finish(p, res, v1alpha1.FailureWorkerFailed)
		case rerr != nil:
			p.retrySoon = true
			meta.SetStatusCondition(&p.status.Conditions, metav1.Condition{Type: v1alpha1.ConditionReady, Status: metav1.ConditionFalse,
				Reason: v1alpha1.ReasonResultPending, Message: "Job completed; waiting for the database to read its result", ObservedGeneration: p.month.Generation})
		default:
			r.fail(p, v1alpha1.FailureWorkerFailed, fmt.Sprintf("Job %s completed but its worker recorded no result", name), nil)
		}
	case attemptjob.Failed:
		res, found, _ := r.Results.Result(ctx, p.month, attempt)
		permanent := jobFailedPermanently(&job)
		if found {
			res.Succeeded = false
			res.Permanent = res.Permanent || permanent
			if res.Message == "" {
				res.Message = st.Message
			}
			r.finish(p, res, v1alpha1.FailureJobFailed)
			return nil
		}
		reason := v1alpha1.FailureJobFailed
		if permanent {
			reason = v1alpha1.FailurePermanent
		}
		r.fail(p, reason, fmt.Sprintf("Job %s failed: %s", name, st.Message), &AttemptResult{Permanent: permanent})
	case attemptjob.PendingTooLong, attemptjob.RunningTooLong:
		if err := r.Delete(ctx, &job, client.PropagationPolicy(metav1.DeletePropagationBackground)); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("deleting stuck Job %s: %w", name, err)
		}
		r.Recorder.Eventf(p.month, &job, corev1.EventTypeWarning, EventStuckJobDeleted, "Delete", "Deleted Job %s: %s", name, st.Message)
		reason := v1alpha1.FailurePendingTooLong
		if st.Phase == attemptjob.RunningTooLong {
			reason = v1alpha1.FailureRunningTooLong
		}
		r.fail(p, reason, fmt.Sprintf("Job %s: %s", name, st.Message), nil)
	}
	return nil
}

// jobFailedPermanently reports a Job failed by its pod failure policy: the worker exited with
// the permanent-failure code (bad configuration), which no retry can fix.
func jobFailedPermanently(job *batchv1.Job) bool {
	for _, c := range job.Status.Conditions {
		if c.Type == batchv1.JobFailed && c.Status == corev1.ConditionTrue && c.Reason == batchv1.JobReasonPodFailurePolicy {
			return true
		}
	}
	return false
}

// finish records a reported result: success completes the month; a failure is retried.
func (r *MonthReconciler) finish(p *pass, res AttemptResult, failureReason string) {
	if !res.Succeeded {
		msg := res.Message
		if msg == "" {
			msg = "worker reported a failed attempt"
		}
		if res.Permanent {
			failureReason = v1alpha1.FailurePermanent
		}
		r.fail(p, failureReason, msg, &res)
		return
	}
	s := &p.status
	done := metav1.NewTime(p.now)
	rec := r.current(p)
	rec.Outcome, rec.FinishedAt, rec.Reason, rec.Message = v1alpha1.AttemptSucceeded, &done, "", ""
	rec.Calls, rec.QuotaExhausted = res.Calls, res.QuotaExhausted
	p.finished = v1alpha1.AttemptSucceeded
	s.State = v1alpha1.MonthCompleted
	s.CompletedAt = &done
	s.Metrics = res.Metrics
	s.LastError = ""
	s.NextRetryAt = nil
	r.Recorder.Eventf(p.month, nil, corev1.EventTypeNormal, EventMonthCompleted, "Complete",
		"Completed attempt %d: %d books, %d ISBNs resolved (%s%%)", s.Attempts, res.Metrics.BooksGenerated, res.Metrics.ISBNsResolved, res.Metrics.ResolutionRate)
}

// fail records a failed attempt: Retry with backoff (suspended until re-admitted), or Failed
// after the last attempt or a permanent failure.
func (r *MonthReconciler) fail(p *pass, reason, msg string, res *AttemptResult) {
	if len(msg) > 1024 {
		msg = msg[:1021] + "..."
	}
	s := &p.status
	done := metav1.NewTime(p.now)
	rec := r.current(p)
	rec.Outcome, rec.FinishedAt, rec.Reason, rec.Message = v1alpha1.AttemptFailed, &done, reason, msg
	if res != nil {
		rec.Calls, rec.QuotaExhausted = res.Calls, res.QuotaExhausted
		s.Metrics = res.Metrics
	}
	s.LastError = msg
	p.finished = v1alpha1.AttemptFailed
	policy := p.campaign.Spec.EffectiveRetry()
	maxAttempts := int(policy.MaxAttempts)
	if maxAttempts == 0 {
		maxAttempts = 5
	}
	if (res != nil && res.Permanent) || int(s.Attempts) >= maxAttempts {
		s.State = v1alpha1.MonthFailed
		s.CompletedAt = &done
		s.NextRetryAt = nil
		r.Recorder.Eventf(p.month, nil, corev1.EventTypeWarning, EventMonthFailed, "Fail", "Failed after attempt %d (%s): %s", s.Attempts, reason, msg)
		return
	}
	next := metav1.NewTime(p.now.Add(retry.Backoff(int(s.Attempts), policy.BackoffBase.Duration, policy.BackoffCap.Duration)))
	s.State = v1alpha1.MonthRetry
	s.CompletedAt = nil
	s.NextRetryAt = &next
	p.suspend = true
	r.Recorder.Eventf(p.month, nil, corev1.EventTypeWarning, EventAttemptFailed, "Retry",
		"Attempt %d failed (%s), retry after %s: %s", s.Attempts, reason, next.UTC().Format(time.RFC3339), msg)
}

// current is the history record of the running attempt, added if a crash lost it.
func (r *MonthReconciler) current(p *pass) *v1alpha1.AttemptRecord {
	s := &p.status
	if n := len(s.History); n > 0 && s.History[n-1].Attempt == s.Attempts {
		return &s.History[n-1]
	}
	s.History = append(s.History, v1alpha1.AttemptRecord{Attempt: s.Attempts, JobName: naming.Job(p.month.Name, int(s.Attempts)), StartedAt: metav1.NewTime(p.now)})
	return &s.History[len(s.History)-1]
}

func (r *MonthReconciler) mirror(ctx context.Context, p *pass) {
	shown := p.month.DeepCopy()
	shown.Status = p.status
	row := mirror.RowFor(shown)
	if meta.IsStatusConditionTrue(p.status.Conditions, v1alpha1.ConditionMirrored) && reflect.DeepEqual(mirror.RowFor(p.month), row) {
		return
	}
	// The row is written before the status update, which a pass computed from a stale cached
	// month loses with a conflict; its row would then describe a state never stored, and the
	// next pass (Mirrored already True for the stored state) would not rewrite it. So a pass
	// that read an older month than the API server holds writes nothing: its status update
	// will conflict as well, and the pass redone from the new month mirrors that.
	var stored v1alpha1.BackfillMonth
	if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(p.month), &stored); err == nil && stored.ResourceVersion != p.month.ResourceVersion {
		p.retrySoon = true
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := r.Mirror.Upsert(ctx, row); err != nil {
		log.FromContext(ctx).Info("Could not mirror BackfillMonth into backfill_log; will retry", "error", err.Error())
		setCondition(&p.status.Conditions, p.month.Generation, v1alpha1.ConditionMirrored, metav1.ConditionFalse, v1alpha1.ReasonDatabaseDown, "backfill_log not updated: "+err.Error())
		p.retrySoon = true
		return
	}
	setCondition(&p.status.Conditions, p.month.Generation, v1alpha1.ConditionMirrored, metav1.ConditionTrue, v1alpha1.ReasonMirrored, "backfill_log holds this state")
}

func setMonthConditions(p *pass) {
	s, gen := &p.status, p.month.Generation
	s.ObservedGeneration = gen
	if p.conflict != "" {
		setKstatus(&s.Conditions, gen, false, false, true, v1alpha1.ReasonNameConflict, p.conflict)
		return
	}
	if c := meta.FindStatusCondition(s.Conditions, v1alpha1.ConditionReady); c != nil && c.Reason == v1alpha1.ReasonResultPending && s.State == v1alpha1.MonthProcessing {
		return
	}
	switch s.State {
	case v1alpha1.MonthCompleted:
		setKstatus(&s.Conditions, gen, true, false, false, v1alpha1.ReasonCompleted, fmt.Sprintf("completed in %d attempt(s)", s.Attempts))
	case v1alpha1.MonthFailed:
		setKstatus(&s.Conditions, gen, false, false, true, v1alpha1.ReasonAttemptsExceeded, s.LastError)
	case v1alpha1.MonthProcessing:
		setKstatus(&s.Conditions, gen, false, true, false, v1alpha1.ReasonJobRunning, fmt.Sprintf("attempt %d is running", s.Attempts))
	case v1alpha1.MonthRetry:
		setKstatus(&s.Conditions, gen, false, true, false, v1alpha1.ReasonAttemptFailed, "waiting for backoff and re-admission: "+s.LastError)
	default:
		setKstatus(&s.Conditions, gen, false, true, false, v1alpha1.ReasonWaitingAdmission, "waiting for the campaign to admit this month")
	}
}

// ignoreConflict drops errors a later event resolves by itself: a conflict (the fresh object
// triggers another pass) and not-found (the object was deleted meanwhile).
func ignoreConflict(err error) error {
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// SetupWithManager watches months and the operator's own Jobs.
func (r *MonthReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.BackfillMonth{}).
		Owns(&batchv1.Job{}).
		Named("backfillmonth").
		Complete(r)
}
