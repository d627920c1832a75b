package controllers

import (
	"context"
	"fmt"
	"reflect"
	"strings"
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
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/attempt"
	"github.com/ooheynerds/backfill-operator/internal/attemptjob"
	"github.com/ooheynerds/backfill-operator/internal/kstatus"
	"github.com/ooheynerds/backfill-operator/internal/metrics"
	"github.com/ooheynerds/backfill-operator/internal/mirror"
	"github.com/ooheynerds/backfill-operator/internal/naming"
)

// JobFactory builds the Job of an attempt.
type JobFactory interface {
	Job(campaign *v1alpha1.BackfillCampaign, month *v1alpha1.BackfillMonth, attempt int) (*batchv1.Job, error)
}

// Mirror writes a month's row into backfill_log; nil when the manager runs without a database.
type Mirror interface {
	Upsert(ctx context.Context, row mirror.Row) error
}

// MonthReconciler runs what the campaign controller admitted. It observes the current
// attempt (its Job, its pod, the worker's report), lets attempt.Next decide, applies the
// decision (Job, suspend, backfill_log), writes the status once and only then emits events.
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

// Reconcile: fetch → observe → decide → apply → write status once → emit events → requeue.
func (r *MonthReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var month v1alpha1.BackfillMonth
	if err := r.Get(ctx, req.NamespacedName, &month); err != nil || !month.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	_, campaign, err := getCampaign(ctx, r.Client, types.NamespacedName{Namespace: month.Namespace, Name: month.Spec.Campaign})
	if _, ok := asUndecodable(err); ok {
		// the campaign is Stalled/InvalidSpec; its months wait, looking again now and then
		return ctrl.Result{RequeueAfter: time.Minute}, nil
	}
	if err != nil { // without its campaign the month has no Job settings; the garbage collector removes it
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	now := r.Clock.Now()
	obs, job, err := r.observe(ctx, &month, campaign, now)
	if err != nil {
		return ctrl.Result{}, err
	}
	d := attempt.Next(attempt.Month{Name: month.Name, Generation: month.Generation, Suspended: month.Spec.Suspend,
		RerunToken: month.Annotations[v1alpha1.AnnotationRerun], Status: month.Status}, obs, attempt.PolicyOf(campaign), now)

	created, wait, err := r.apply(ctx, &month, campaign, job, &d)
	if err != nil || wait > 0 {
		return ctrl.Result{RequeueAfter: wait}, ignoreConflict(err)
	}
	if r.Mirror != nil && !r.mirror(ctx, &month, &d.Status) {
		d.Requeue = shortest(d.Requeue, resultRecheck)
	}
	if equality.Semantic.DeepEqual(month.Status, d.Status) {
		return ctrl.Result{RequeueAfter: d.Requeue}, nil
	}
	queueWait, waited := metrics.QueueWait(&month, now)
	month.Status = d.Status
	if err := r.Status().Update(ctx, &month); err != nil {
		return ctrl.Result{}, ignoreConflict(err) // a conflicting pass is redone: nothing emitted, nothing counted
	}
	if created != nil {
		r.Recorder.Eventf(&month, created, corev1.EventTypeNormal, attempt.EventJobCreated, "Create", "Created Job %s for attempt %d", created.Name, d.Start)
		if waited {
			metrics.AttemptStarted(&month, queueWait)
		}
	}
	for _, e := range d.Events {
		r.Recorder.Eventf(&month, nil, e.Type, e.Reason, e.Action, "%s", e.Note)
	}
	if d.Finished != "" {
		metrics.AttemptFinished(&month)
	}
	log.FromContext(ctx).V(1).Info("Updated BackfillMonth status", "state", d.Status.State, "attempts", d.Status.Attempts)
	return ctrl.Result{RequeueAfter: d.Requeue}, nil
}

// resultRecheck is how soon to look again when a dependency (the database) did not answer.
const resultRecheck = 15 * time.Second

// observe reads the current attempt of a Processing month: its Job (only this incarnation's),
// its pods' waiting reasons while it runs, and the worker's report once it has ended.
func (r *MonthReconciler) observe(ctx context.Context, m *v1alpha1.BackfillMonth, c *v1alpha1.BackfillCampaign, now time.Time) (attempt.Observation, *batchv1.Job, error) {
	var obs attempt.Observation
	if m.Status.State != v1alpha1.MonthProcessing {
		return obs, nil, nil
	}
	n := int(m.Status.Attempts)
	key := types.NamespacedName{Namespace: m.Namespace, Name: naming.Job(m.Name, n)}
	job := &batchv1.Job{}
	err := r.Get(ctx, key, job)
	if apierrors.IsNotFound(err) { // the cache may lag a Job created moments ago: only the API server can say it is gone
		err = r.APIReader.Get(ctx, key, job)
	}
	switch {
	case apierrors.IsNotFound(err) || (err == nil && !ownedBy(job, m)):
		job = nil
		obs.Job = attempt.Verdict{Phase: attempt.JobMissing}
	case err != nil:
		return obs, nil, err
	default:
		pods, err := attemptPods(ctx, r.Client, m, n)
		if err != nil {
			return obs, nil, err
		}
		obs.Job = attemptjob.Observe(job, pods, startedAt(m, now), now, attemptjob.DeadlinesOf(c))
	}
	switch obs.Job.Phase {
	case attempt.JobSucceeded, attempt.JobFailed, attempt.JobMissing:
		obs.Report = r.Results.Report(ctx, m, n)
	}
	return obs, job, nil
}

// apply carries out what the decision needs before its status is written: delete a stuck Job,
// create the next attempt's Job, suspend the month. wait > 0 means: write nothing, look again.
func (r *MonthReconciler) apply(ctx context.Context, m *v1alpha1.BackfillMonth, c *v1alpha1.BackfillCampaign, job *batchv1.Job, d *attempt.Decision) (created *batchv1.Job, wait time.Duration, err error) {
	if d.DeleteJob && job != nil {
		if err := r.Delete(ctx, job, client.PropagationPolicy(metav1.DeletePropagationBackground)); client.IgnoreNotFound(err) != nil {
			return nil, 0, fmt.Errorf("deleting Job %s: %w", job.Name, err)
		}
	}
	if d.Start > 0 {
		if created, wait, err = r.start(ctx, m, c, d); err != nil || wait > 0 {
			return nil, wait, err
		}
	}
	if d.Suspend && !m.Spec.Suspend {
		// Suspend before publishing Retry or a rerun's Pending: an unsuspended month in either
		// state would look re-admitted and start without waiting for backoff and admission.
		m.Spec.Suspend = true
		if err := r.Update(ctx, m); err != nil {
			return nil, 0, err
		}
	}
	return created, 0, nil
}

// start creates the Job of attempt d.Start. The admission must be fresh: a stale cache must
// never start an attempt twice or one that was not admitted, so it is confirmed first.
func (r *MonthReconciler) start(ctx context.Context, m *v1alpha1.BackfillMonth, c *v1alpha1.BackfillCampaign, d *attempt.Decision) (*batchv1.Job, time.Duration, error) {
	var fresh v1alpha1.BackfillMonth
	if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(m), &fresh); err != nil {
		return nil, 0, err
	}
	if fresh.ResourceVersion != m.ResourceVersion {
		return nil, time.Second, nil
	}
	job, err := r.Jobs.Job(c, m, d.Start)
	if err != nil {
		return nil, 0, fmt.Errorf("building Job of %s attempt %d: %w", m.Name, d.Start, err)
	}
	if err := ctrl.SetControllerReference(m, job, r.Scheme); err != nil {
		return nil, 0, err
	}
	err = r.Create(ctx, job)
	if err == nil {
		return job, 0, nil
	}
	if !apierrors.IsAlreadyExists(err) {
		return nil, 0, fmt.Errorf("creating Job %s: %w", job.Name, err)
	}
	var existing batchv1.Job
	if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(job), &existing); err != nil {
		return nil, 0, err
	}
	owner := metav1.GetControllerOf(&existing)
	switch {
	case owner != nil && owner.UID == m.UID:
		// created by an earlier pass whose status write was lost: this pass records it (and
		// announces it, once the write succeeds)
		return &existing, 0, nil
	case owner != nil && owner.Kind == "BackfillMonth" && owner.Name == m.Name:
		// an earlier incarnation of this month: the garbage collector is removing its Job
		return nil, 5 * time.Second, nil
	}
	d.Status = *m.Status.DeepCopy()
	d.Start, d.Events, d.Finished = 0, nil, ""
	d.Status.ObservedGeneration = m.Generation
	kstatus.Set(&d.Status.Conditions, m.Generation, kstatus.State{Stalled: true, Reason: v1alpha1.ReasonNameConflict,
		Message: fmt.Sprintf("Job %s exists and is not owned by this month: delete or rename it", job.Name)})
	return nil, 0, nil
}

// mirror writes the month's backfill_log row for the status about to be stored and records in
// Mirrored whether it could; false means look again soon.
func (r *MonthReconciler) mirror(ctx context.Context, m *v1alpha1.BackfillMonth, status *v1alpha1.BackfillMonthStatus) bool {
	shown := m.DeepCopy()
	shown.Status = *status
	row := mirror.RowFor(shown)
	if meta.IsStatusConditionTrue(status.Conditions, v1alpha1.ConditionMirrored) && reflect.DeepEqual(mirror.RowFor(m), row) {
		return true
	}
	// The row is written before the status update, which a pass computed from a stale cached
	// month loses with a conflict; its row would then describe a state never stored, and the
	// next pass (Mirrored already True for the stored state) would not rewrite it. So a pass
	// that read an older month than the API server holds writes nothing: its status update
	// will conflict as well, and the pass redone from the new month mirrors that.
	var stored v1alpha1.BackfillMonth
	if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(m), &stored); err == nil && stored.ResourceVersion != m.ResourceVersion {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := r.Mirror.Upsert(ctx, row); err != nil {
		log.FromContext(ctx).Info("Could not mirror BackfillMonth into backfill_log; will retry", "error", err.Error())
		setCondition(&status.Conditions, m.Generation, v1alpha1.ConditionMirrored, metav1.ConditionFalse, v1alpha1.ReasonDatabaseUnavailable, "backfill_log not updated: "+err.Error())
		return false
	}
	setCondition(&status.Conditions, m.Generation, v1alpha1.ConditionMirrored, metav1.ConditionTrue, v1alpha1.ReasonMirrored, "backfill_log holds this state")
	return true
}

// startedAt is when the current attempt started, by the operator's clock.
func startedAt(m *v1alpha1.BackfillMonth, now time.Time) time.Time {
	if h := m.Status.History; len(h) > 0 && h[len(h)-1].Attempt == m.Status.Attempts {
		return h[len(h)-1].StartedAt.Time
	}
	if m.Status.StartedAt != nil {
		return m.Status.StartedAt.Time
	}
	return now
}

// ownedBy reports whether this incarnation of the month created the Job.
func ownedBy(job *batchv1.Job, m *v1alpha1.BackfillMonth) bool {
	owner := metav1.GetControllerOf(job)
	return owner != nil && owner.UID == m.UID
}

func shortest(a, b time.Duration) time.Duration {
	if a == 0 || b < a {
		return b
	}
	return a
}

// ignoreConflict drops errors a later event resolves by itself: a conflict (the fresh object
// triggers another pass) and not-found (the object was deleted meanwhile).
func ignoreConflict(err error) error {
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// SetupWithManager watches months, the operator's own Jobs, and their pods' waiting reasons
// (a Job's status does not change while its pod waits on a missing Secret or an image).
func (r *MonthReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.BackfillMonth{}).
		Owns(&batchv1.Job{}).
		Watches(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(monthOfPod), builder.WithPredicates(waitingChanged)).
		Named("backfillmonth").
		Complete(r)
}

// monthOfPod maps an attempt's pod to its month.
func monthOfPod(_ context.Context, o client.Object) []reconcile.Request {
	name := o.GetLabels()[v1alpha1.LabelMonth]
	if name == "" || o.GetLabels()[v1alpha1.LabelManagedBy] != v1alpha1.ManagedByValue {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: o.GetNamespace(), Name: name}}}
}

// waitingChanged passes pod events that can change the month's verdict before its Job's
// status does: a waiting reason or the scheduling condition appearing, changing or clearing.
var waitingChanged = predicate.Funcs{
	CreateFunc:  func(e event.CreateEvent) bool { return waitingOf(e.Object) != "" },
	DeleteFunc:  func(event.DeleteEvent) bool { return false },
	GenericFunc: func(event.GenericEvent) bool { return false },
	UpdateFunc:  func(e event.UpdateEvent) bool { return waitingOf(e.ObjectOld) != waitingOf(e.ObjectNew) },
}

func waitingOf(o client.Object) string {
	p, ok := o.(*corev1.Pod)
	if !ok {
		return ""
	}
	var b strings.Builder
	for _, cs := range p.Status.ContainerStatuses {
		if w := cs.State.Waiting; w != nil {
			b.WriteString(w.Reason + ":" + w.Message + ";")
		}
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
			b.WriteString(c.Reason + ":" + c.Message)
		}
	}
	return b.String()
}
