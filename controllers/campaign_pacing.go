package controllers

import (
	"context"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

// monthEvents maps month events to a pass of their campaign. A month that frees a concurrency
// slot or finishes (the events admission waits for) starts a pass at once — the leading edge
// of a short window (urgentWindow); further such events inside it wait for its end. Every
// other month change (creation, first status, Processing, mirror flips) waits for the end of
// the coalescing delay, where the work queue merges the burst into one pass — the trailing
// edge. A pass in progress absorbs the events that arrive meanwhile into one pass after it.
// Admission latency is thus about one pass, and a burst of thousands of month changes costs
// about one pass per delay.
type monthEvents struct {
	delay  time.Duration
	urgent time.Duration // the leading-edge window: delay / urgentFraction
	now    func() time.Time

	mu      sync.Mutex
	leading map[types.NamespacedName]time.Time // when the current window of a campaign opened
}

// urgentFraction divides the coalescing delay into the window of slot-freeing events: a wave
// of months finishing together (equal Jobs) waits at most delay/10 behind its first, and a
// storm of them (a mass failure) still costs at most ten passes per delay.
const urgentFraction = 10

func newMonthEvents(delay time.Duration) *monthEvents {
	return &monthEvents{delay: delay, urgent: delay / urgentFraction, now: time.Now, leading: map[types.NamespacedName]time.Time{}}
}

// after is how long a campaign pass caused by an event waits: zero on a window's leading edge.
func (h *monthEvents) after(campaign types.NamespacedName, urgent bool) time.Duration {
	if !urgent {
		return h.delay
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.now()
	if opened, ok := h.leading[campaign]; ok && now.Sub(opened) < h.urgent {
		return h.urgent - now.Sub(opened)
	}
	if len(h.leading) > 256 { // forget closed windows (deleted campaigns)
		for k, opened := range h.leading {
			if now.Sub(opened) >= h.urgent {
				delete(h.leading, k)
			}
		}
	}
	h.leading[campaign] = now
	return 0
}

func (h *monthEvents) enqueue(o client.Object, urgent bool, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	m, ok := o.(*v1alpha1.BackfillMonth)
	if !ok {
		return
	}
	req := reconcile.Request{NamespacedName: types.NamespacedName{Namespace: m.Namespace, Name: m.Spec.Campaign}}
	if d := h.after(req.NamespacedName, urgent); d > 0 {
		q.AddAfter(req, d)
	} else {
		q.Add(req)
	}
}

// freesSlot reports a month change admission waits for: the month stops counting against the
// campaign's concurrency (finished, or suspended again after a failed attempt) or finishes.
func freesSlot(old, cur *v1alpha1.BackfillMonth) bool {
	return (old.Admitted() && !cur.Admitted()) || (!old.Status.State.Finished() && cur.Status.State.Finished())
}

func (h *monthEvents) Create(_ context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	h.enqueue(e.Object, false, q)
}

func (h *monthEvents) Update(_ context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	old, ok1 := e.ObjectOld.(*v1alpha1.BackfillMonth)
	cur, ok2 := e.ObjectNew.(*v1alpha1.BackfillMonth)
	h.enqueue(e.ObjectNew, ok1 && ok2 && freesSlot(old, cur), q)
}

func (h *monthEvents) Delete(_ context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	m, ok := e.Object.(*v1alpha1.BackfillMonth)
	h.enqueue(e.Object, ok && m.Admitted(), q)
}

func (h *monthEvents) Generic(_ context.Context, e event.GenericEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	h.enqueue(e.Object, false, q)
}

var _ handler.EventHandler = &monthEvents{}

// statusWrites spaces a campaign's count-only status writes: a status whose conditions,
// phases and generation are unchanged is written one interval after the first such change
// since the last write (the trailing edge), so the changes of a month's admission, its Job
// starting and, in a fast campaign, its completion ride in one write, and a running campaign
// costs at most one status write per interval, not one per month event.
type statusWrites struct {
	mu   sync.Mutex
	last map[types.NamespacedName]time.Time
	// dirty is when the first count-only change since the last write was seen.
	dirty map[types.NamespacedName]time.Time
}

// forget drops what is kept of a deleted campaign.
func (w *statusWrites) forget(campaign types.NamespacedName) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.last, campaign)
	delete(w.dirty, campaign)
}

// lastWrite is when this process last wrote the object's status.
func (w *statusWrites) lastWrite(key types.NamespacedName) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	t, ok := w.last[key]
	return t, ok
}

// conflictRetry is how soon a pass whose status write lost a conflict runs again: these
// controllers' own status writes do not trigger passes, so it must not wait for that event.
const conflictRetry = 100 * time.Millisecond

// store writes obj's status and records the write. stored is false when nothing was written:
// res retries the pass soon after a conflict, err is any other failure (not-found dropped).
func (w *statusWrites) store(ctx context.Context, c client.StatusClient, key types.NamespacedName, obj client.Object) (stored bool, res ctrl.Result, err error) {
	if err := c.Status().Update(ctx, obj); err != nil {
		if apierrors.IsConflict(err) {
			return false, ctrl.Result{RequeueAfter: conflictRetry}, nil
		}
		return false, ctrl.Result{}, client.IgnoreNotFound(err)
	}
	w.record(key)
	return true, ctrl.Result{}, nil
}

func (w *statusWrites) record(campaign types.NamespacedName) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.last == nil {
		w.last = map[types.NamespacedName]time.Time{}
	}
	w.last[campaign] = time.Now()
	delete(w.dirty, campaign)
}

// wait is how long the write from old to cur should wait: zero writes it now, a negative
// value skips it without a retry. A significant change is written at once, and so is any
// change of a campaign this process has not written yet (after a restart); a change of counts
// waits one interval from the first such change since the last write (the caller requeues for
// it); a change of only the time-derived estimates (ETA, next admission, plan) rides along
// with the next write, or is written by a pass that finds it staleWindows intervals old.
func (w *statusWrites) wait(campaign types.NamespacedName, old, cur *v1alpha1.BackfillCampaignStatus, interval time.Duration) time.Duration {
	if significant(old, cur) {
		return 0
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	last, written := w.last[campaign]
	if !written {
		return 0
	}
	now := time.Now()
	if estimatesOnly(old, cur) {
		if now.Sub(last) < staleWindows*interval {
			return -1
		}
		return 0
	}
	first, ok := w.dirty[campaign]
	if !ok {
		if w.dirty == nil {
			w.dirty = map[types.NamespacedName]time.Time{}
		}
		first = now
		w.dirty[campaign] = first
	}
	return max(first.Add(interval).Sub(now), 0)
}

// staleWindows is how many status intervals a time-derived estimate may lag before a pass
// rewrites it alone.
const staleWindows = 6

// estimatesOnly reports a change confined to what moves with the clock alone.
func estimatesOnly(old, cur *v1alpha1.BackfillCampaignStatus) bool {
	a, b := *old, *cur
	a.EstimatedCompletionTime, b.EstimatedCompletionTime = nil, nil
	a.NextAdmissionTime, b.NextAdmissionTime = nil, nil
	a.Plan, b.Plan = nil, nil
	return equality.Semantic.DeepEqual(a, b)
}

// significant reports a status change a user or a tool waits for: a new generation observed,
// a different current phase or phase state, a condition that changed status or reason, a
// different number of months, or a rerun that changed state (its record must be stored before
// its months are asked, and a user waits for Finished).
func significant(old, cur *v1alpha1.BackfillCampaignStatus) bool {
	if old.ObservedGeneration != cur.ObservedGeneration || old.CurrentPhase != cur.CurrentPhase ||
		old.Months.Total != cur.Months.Total || len(old.Phases) != len(cur.Phases) ||
		len(old.Reruns) != len(cur.Reruns) {
		return true
	}
	for i := range cur.Reruns {
		if old.Reruns[i].Name != cur.Reruns[i].Name || old.Reruns[i].State != cur.Reruns[i].State || old.Reruns[i].Removed != cur.Reruns[i].Removed {
			return true
		}
	}
	for i := range cur.Phases {
		if old.Phases[i].Name != cur.Phases[i].Name || old.Phases[i].State != cur.Phases[i].State {
			return true
		}
	}
	return conditionsChanged(old.Conditions, cur.Conditions)
}

// conditionsChanged reports a condition added, removed, or changed in status, reason or
// observed generation: what a reader acts on (messages alone only move counts).
func conditionsChanged(old, cur []metav1.Condition) bool {
	if len(old) != len(cur) {
		return true
	}
	for _, c := range cur {
		was := meta.FindStatusCondition(old, c.Type)
		if was == nil || was.Status != c.Status || was.Reason != c.Reason || was.ObservedGeneration != c.ObservedGeneration {
			return true
		}
	}
	return false
}
