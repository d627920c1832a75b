package controllers

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
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
	"github.com/ooheynerds/backfill-operator/internal/naming"
)

// JobFactory builds the Job of an attempt.
type JobFactory interface {
	Job(campaign *v1alpha1.BackfillCampaign, month *v1alpha1.BackfillMonth, attempt int) (*batchv1.Job, error)
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

	// Workers tells the manager's readiness check when this controller's workers run.
	Workers WorkerProbe

	mirrorMarks mirrorMarks
	// queue is the controller's work queue, for months whose queued row failed
	queue atomic.Pointer[workqueue.TypedRateLimitingInterface[reconcile.Request]]
}

// +kubebuilder:rbac:groups=alexandria.ooheynerds.com,resources=backfillmonths,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=alexandria.ooheynerds.com,resources=backfillmonths/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=batch,resources=jobs,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile: fetch → observe → decide → apply → write status once → emit events → requeue.
func (r *MonthReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	if r.Workers.Take(req) {
		return ctrl.Result{}, nil
	}
	var month v1alpha1.BackfillMonth
	if err := r.Get(ctx, req.NamespacedName, &month); err != nil || !month.DeletionTimestamp.IsZero() {
		if apierrors.IsNotFound(err) {
			r.mirrorMarks.forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if r.mirrorMarks.behind(req.NamespacedName, &month) {
		// the cache has not caught up with this controller's own last status write (a Job
		// event can come first): deciding now would re-read around the cache or conflict,
		// and the watch event of that write brings the next pass
		return ctrl.Result{}, nil
	}
	am := attempt.Month{Name: month.Name, Generation: month.Generation, Suspended: month.Spec.Suspend,
		RerunToken: month.Annotations[v1alpha1.AnnotationRerun], Status: month.Status}
	if attempt.WaitsForFirstAdmission(am) {
		// Nothing to decide or write until the campaign admits it, so the campaign is not read
		// (a copy and a conversion, most of what a new month cost the manager at fan-out);
		// only its pending row is mirrored.
		if r.Mirror != nil && !r.mirrorPending(ctx, req.NamespacedName, &month) {
			return ctrl.Result{RequeueAfter: resultRecheck}, nil
		}
		return ctrl.Result{}, nil
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
	d := attempt.Next(am, obs, attempt.PolicyOf(campaign), now)

	created, wait, err := r.apply(ctx, &month, campaign, job, &d)
	if err != nil || wait > 0 {
		return ctrl.Result{RequeueAfter: wait}, ignoreConflict(err)
	}
	if r.Mirror != nil {
		claimMirrored(&d.Status, &month)
	}
	if !equality.Semantic.DeepEqual(month.Status, d.Status) {
		queueWait, waited := metrics.QueueWait(&month, now)
		month.Status = d.Status
		// The update carries the resourceVersion this pass read: a pass computed from a stale
		// cached month loses with a conflict and is redone from the fresh one.
		if err := r.Status().Update(ctx, &month); err != nil {
			return ctrl.Result{}, ignoreConflict(err) // a conflicting pass is redone: nothing emitted, nothing counted
		}
		r.mirrorMarks.stored(req.NamespacedName, &month)
		if created != nil {
			// no Event: the Job's own creation is the record, and an Event per month is a write per month
			log.FromContext(ctx).V(1).Info("Created Job", "job", created.Name, "attempt", d.Start)
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
	}
	if r.Mirror != nil && !r.mirror(ctx, req.NamespacedName, &month) {
		d.Requeue = shortest(d.Requeue, resultRecheck)
	}
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
// never start an attempt twice or one that was not admitted, so it is confirmed first with
// the one read around the cache a month costs.
//
// Why this read stays: without it, a cached month that still shows the admission the campaign
// has since withdrawn (re-suspended) would create a Job whose status write then conflicts,
// leaving a running attempt nobody admitted. Writing Processing first (its resourceVersion
// proves the admission fresh) and creating the Job after would avoid the read but open another
// hole: a crash between the two leaves a Processing month without a Job, which no later pass
// can tell from a Job that vanished (the attempt is failed as JobVanished, spending an
// attempt), unless the status recorded the Job's creation, which costs another write. The
// deterministic Job name with AlreadyExists and the owner UID check below keep a repeated
// pass (one whose status write was lost) from creating a second Job.
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

// MonthWorkers is how many months are reconciled at once (never one month twice): a wave of
// admitted months starts its Jobs side by side, and the pending rows of a fan-out reach the
// database together, in the mirror's shared batches, instead of one transaction per month.
const MonthWorkers = 8

// SetupWithManager watches months, the operator's own Jobs, and their pods' waiting reasons
// (a Job's status does not change while its pod waits on a missing Secret or an image).
func (r *MonthReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.BackfillMonth{}).
		Owns(&batchv1.Job{}).
		Watches(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(monthOfPod), builder.WithPredicates(waitingChanged)).
		WatchesRawSource(r.Workers.Source()).
		WatchesRawSource(r.queueSource()).
		WithOptions(controller.Options{MaxConcurrentReconciles: MonthWorkers}).
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
