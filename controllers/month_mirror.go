package controllers

import (
	"context"
	"encoding/json"
	"hash/fnv"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/attempt"
	"github.com/ooheynerds/backfill-operator/internal/mirror"
)

// Mirror writes a month's row into backfill_log; nil when the manager runs without a database.
type Mirror interface {
	// Upsert writes the row and returns once it is written (or not).
	Upsert(ctx context.Context, row mirror.Row) error
	// Queue writes the row soon, with others, and calls done with the outcome; it does not
	// wait. A month's rows land in the order they were given, by either method.
	Queue(row mirror.Row, done func(error))
}

// claimMirrored marks a status about to be stored as mirrored unless the database is known to
// be down: the row follows right after the write (mirror), and should it fail, the condition
// turns False with the next write. So a healthy database costs no status write of its own.
func claimMirrored(status *v1alpha1.BackfillMonthStatus, m *v1alpha1.BackfillMonth) {
	if attempt.Unwritten(*status) {
		return // nothing is written: the row alone follows (see mirror)
	}
	if c := meta.FindStatusCondition(status.Conditions, v1alpha1.ConditionMirrored); c == nil || c.Status != metav1.ConditionFalse {
		setCondition(&status.Conditions, m.Generation, v1alpha1.ConditionMirrored, metav1.ConditionTrue, v1alpha1.ReasonMirrored, "backfill_log holds this state")
	}
}

// mirror brings the month's backfill_log row to m, a month as stored (the response of this
// pass's status write, or the cached month when the pass wrote nothing), and corrects Mirrored
// if it no longer says the truth; false means look again soon.
//
// The row is written only after the status it describes is stored, so no row describes a
// state the API server never held, and nothing is read around the cache to find out. A cached
// month older than the status this process last stored writes nothing: the watch event of that
// status brings another pass.
//
// A month whose status was never written (planned, waiting for admission) gets its pending
// row but no Mirrored condition: that would be a status write per month for a row that says
// only "pending". Should the row fail, Mirrored=False is written as for any month.
func (r *MonthReconciler) mirror(ctx context.Context, key types.NamespacedName, m *v1alpha1.BackfillMonth) bool {
	row := mirror.RowFor(m)
	return r.writeRow(ctx, key, m, row, rowHash(row))
}

// writeRow is mirror with m's row and its hash at hand.
func (r *MonthReconciler) writeRow(ctx context.Context, key types.NamespacedName, m *v1alpha1.BackfillMonth, row mirror.Row, hash uint64) bool {
	cond := meta.FindStatusCondition(m.Status.Conditions, v1alpha1.ConditionMirrored)
	unwritten := attempt.Unwritten(m.Status)
	switch r.mirrorMarks.check(key, m, hash) {
	case markStale:
		return true
	case markWritten:
		if unwritten || (cond != nil && cond.Status == metav1.ConditionTrue) {
			return true
		}
		return r.setMirrored(ctx, m, metav1.ConditionTrue, v1alpha1.ReasonMirrored, "backfill_log holds this state")
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := r.Mirror.Upsert(wctx, row); err != nil {
		log.FromContext(ctx).Info("Could not mirror BackfillMonth into backfill_log; will retry", "error", err.Error())
		if cond == nil || cond.Status != metav1.ConditionFalse || cond.Reason != v1alpha1.ReasonDatabaseUnavailable {
			r.setMirrored(ctx, m, metav1.ConditionFalse, v1alpha1.ReasonDatabaseUnavailable, "backfill_log not updated: "+err.Error())
		}
		return false
	}
	r.mirrorMarks.written(key, m.UID, hash)
	if unwritten || (cond != nil && cond.Status == metav1.ConditionTrue) {
		return true
	}
	return r.setMirrored(ctx, m, metav1.ConditionTrue, v1alpha1.ReasonMirrored, "backfill_log holds this state")
}

// mirrorPending queues the row of a month waiting for its first admission instead of waiting
// for it: nothing depends on the row, and the pending rows of a fan-out then share a few
// statements (mirror.Batcher). A queued row that fails brings its month back, which then
// writes the row the usual way (mirror), recording a failure in its Mirrored condition.
func (r *MonthReconciler) mirrorPending(ctx context.Context, key types.NamespacedName, m *v1alpha1.BackfillMonth) bool {
	row := mirror.RowFor(m)
	hash := rowHash(row)
	switch r.mirrorMarks.claim(key, m, hash) {
	case claimOnItsWay:
		return true
	case claimQueue:
		uid := m.UID
		r.Mirror.Queue(row, func(err error) {
			if !r.mirrorMarks.settle(key, uid, hash, err) || err == nil {
				return
			}
			log.FromContext(ctx).Info("Could not mirror BackfillMonth into backfill_log; will retry", "error", err.Error())
			if q := r.queue.Load(); q != nil {
				(*q).Add(reconcile.Request{NamespacedName: key})
			}
		})
		return true
	}
	return r.writeRow(ctx, key, m, row, hash)
}

// queueSource hands the controller's work queue to the queued rows' outcomes.
func (r *MonthReconciler) queueSource() source.Source {
	return source.Func(func(_ context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
		r.queue.Store(&q)
		return nil
	})
}

// setMirrored stores the Mirrored condition alone (a database outage or its end); a conflict
// means a newer month, whose pass sets it again.
func (r *MonthReconciler) setMirrored(ctx context.Context, m *v1alpha1.BackfillMonth, s metav1.ConditionStatus, reason, msg string) bool {
	setCondition(&m.Status.Conditions, m.Generation, v1alpha1.ConditionMirrored, s, reason, msg)
	if err := r.Status().Update(ctx, m); err != nil {
		log.FromContext(ctx).V(1).Info("Could not store the Mirrored condition; the next pass will", "error", err.Error())
		return false
	}
	return s == metav1.ConditionTrue
}

// mirrorMarks remembers, per month, the backfill_log row of the latest status this process
// stored or found, and whether that row is written (or queued). Only this controller writes a
// month's status, so a cached month older than the status stored last is not mirrored. After
// a restart nothing is marked and each month's row is written once more on its first pass:
// the row of a status stored just before a crash is not lost.
type mirrorMarks struct {
	mu    sync.Mutex
	marks map[types.NamespacedName]mirrorMark
}

type mirrorMark struct {
	uid     types.UID
	row     uint64 // hash of the row
	written bool
	// queued: the row is queued and its outcome unknown; failed: it came back with an error
	queued, failed bool
	// rv is the resourceVersion of the status this process stored last ("" when it found it)
	rv string
}

type markState int

const (
	markUnwritten markState = iota // no mark, or the marked row is not written yet
	markWritten
	markStale
)

type claimState int

const (
	claimQueue    claimState = iota // queue the row, now marked queued
	claimOnItsWay                   // the row is queued already
	claimWrite                      // write it and wait (mirror): written already, or it failed when queued
)

func rowHash(row mirror.Row) uint64 {
	h := fnv.New64a()
	_ = json.NewEncoder(h).Encode(row) // a Row always encodes
	return h.Sum64()
}

// stored marks the row of a status this pass has just stored, not yet written.
func (mm *mirrorMarks) stored(key types.NamespacedName, m *v1alpha1.BackfillMonth) {
	mm.set(key, mirrorMark{uid: m.UID, row: rowHash(mirror.RowFor(m)), rv: m.ResourceVersion})
}

// written marks the row of hash row as written.
func (mm *mirrorMarks) written(key types.NamespacedName, uid types.UID, row uint64) {
	mm.set(key, mirrorMark{uid: uid, row: row, written: true})
}

// set replaces the mark, keeping the stored resourceVersion of the same incarnation.
func (mm *mirrorMarks) set(key types.NamespacedName, mark mirrorMark) {
	mm.mu.Lock()
	defer mm.mu.Unlock()
	mm.setLocked(key, mark)
}

func (mm *mirrorMarks) setLocked(key types.NamespacedName, mark mirrorMark) {
	if mm.marks == nil {
		mm.marks = map[types.NamespacedName]mirrorMark{}
	}
	if old, ok := mm.marks[key]; ok && mark.rv == "" && old.uid == mark.uid {
		mark.rv = old.rv
	}
	mm.marks[key] = mark
}

// behind reports a cached month older than the status this process stored last.
func (mm *mirrorMarks) behind(key types.NamespacedName, m *v1alpha1.BackfillMonth) bool {
	mm.mu.Lock()
	mark, ok := mm.marks[key]
	mm.mu.Unlock()
	return ok && mark.uid == m.UID && mark.rv != "" && !atLeast(m.ResourceVersion, mark.rv)
}

func (mm *mirrorMarks) forget(key types.NamespacedName) {
	mm.mu.Lock()
	defer mm.mu.Unlock()
	delete(mm.marks, key)
}

// check tells whether m's row (of hash row) is to be written. A month's row changes with its
// status, which only this controller writes, and with its spec (a pending month's phase follows
// the campaign's plan): a row that differs from the marked one is written unless the month is
// older than the status stored last.
func (mm *mirrorMarks) check(key types.NamespacedName, m *v1alpha1.BackfillMonth, row uint64) markState {
	mm.mu.Lock()
	mark, ok := mm.marks[key]
	mm.mu.Unlock()
	switch {
	case !ok || mark.uid != m.UID:
		return markUnwritten
	case mark.rv != "" && !atLeast(m.ResourceVersion, mark.rv):
		return markStale
	case mark.row == row && mark.written:
		return markWritten
	}
	return markUnwritten
}

// claim decides how m's pending row (of hash row) is written, marking it queued when it is to
// be queued.
func (mm *mirrorMarks) claim(key types.NamespacedName, m *v1alpha1.BackfillMonth, row uint64) claimState {
	mm.mu.Lock()
	defer mm.mu.Unlock()
	mark, ok := mm.marks[key]
	if ok && mark.uid == m.UID && mark.row == row {
		switch {
		case mark.queued:
			return claimOnItsWay
		case mark.written, mark.failed:
			return claimWrite
		}
	}
	mm.setLocked(key, mirrorMark{uid: m.UID, row: row, queued: true})
	return claimQueue
}

// settle records the outcome of a queued row; false when the mark has moved on (a newer row,
// another incarnation, the month deleted), which makes the outcome moot.
func (mm *mirrorMarks) settle(key types.NamespacedName, uid types.UID, row uint64, err error) bool {
	mm.mu.Lock()
	defer mm.mu.Unlock()
	mark, ok := mm.marks[key]
	if !ok || mark.uid != uid || mark.row != row || !mark.queued {
		return false
	}
	mark.queued, mark.written, mark.failed = false, err == nil, err != nil
	mm.marks[key] = mark
	return true
}
