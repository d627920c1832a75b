package controllers

import (
	"errors"
	"testing"

	"k8s.io/apimachinery/pkg/types"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/dev/builders"
	"github.com/ooheynerds/backfill-operator/internal/mirror"
)

// The marks decide whether a pass writes the backfill_log row: a month never marked (first
// pass, or after a restart) writes; a stored status writes until its row is written; a cached
// month older than the status stored last writes nothing; a row that changed with the spec
// (a pending month re-planned into another phase) writes; another incarnation starts afresh.
func TestMirrorMarks(t *testing.T) {
	key := types.NamespacedName{Namespace: "ns", Name: "c-2020-03"}
	pending := builders.MakeMonth("c", "ns", "validate", 2020, 3).Obj()
	pending.UID, pending.ResourceVersion = "uid-1", "5"
	replanned := pending.DeepCopy()
	replanned.Spec.Phase, replanned.ResourceVersion = "recent", "6"
	processing := replanned.DeepCopy()
	processing.Status.State = v1alpha1.MonthProcessing
	processing.Status.Attempts = 1
	processing.ResourceVersion = "7"
	recreated := processing.DeepCopy()
	recreated.UID, recreated.ResourceVersion = "uid-2", "9"

	var mm mirrorMarks
	check := func(what string, m *v1alpha1.BackfillMonth, want markState) {
		t.Helper()
		if got := mm.check(key, m, rowHash(mirror.RowFor(m))); got != want {
			t.Errorf("%s: got %d, want %d", what, got, want)
		}
	}
	check("never marked", pending, markUnwritten)
	mm.written(key, pending.UID, rowHash(mirror.RowFor(pending)))
	check("written", pending, markWritten)
	check("re-planned into another phase", replanned, markUnwritten)
	mm.written(key, replanned.UID, rowHash(mirror.RowFor(replanned)))

	mm.stored(key, processing)
	check("stored, row not yet written", processing, markUnwritten)
	check("cached month older than the stored status", replanned, markStale)
	mm.written(key, processing.UID, rowHash(mirror.RowFor(processing)))
	check("stored and written", processing, markWritten)
	check("still stale after the write", replanned, markStale)

	check("another incarnation of the month", recreated, markUnwritten)
	mm.forget(key)
	check("forgotten (month deleted)", processing, markUnwritten)
}

// A pending row is queued once; while it is on its way it is not queued again; a failure sends
// the next pass to write it and wait; an outcome that comes after the row changed is moot.
func TestMirrorMarksClaimPendingRows(t *testing.T) {
	key := types.NamespacedName{Namespace: "ns", Name: "c-2020-03"}
	m := builders.MakeMonth("c", "ns", "validate", 2020, 3).Obj()
	m.UID = "uid-1"
	row := rowHash(mirror.RowFor(m))
	var mm mirrorMarks
	expect := func(what string, got, want claimState) {
		t.Helper()
		if got != want {
			t.Errorf("%s: claim %d, want %d", what, got, want)
		}
	}
	expect("first pass", mm.claim(key, m, row), claimQueue)
	expect("again while queued", mm.claim(key, m, row), claimOnItsWay)
	if !mm.settle(key, m.UID, row, errors.New("connection refused")) {
		t.Error("the outcome of the queued row was not recorded")
	}
	expect("after the queued row failed", mm.claim(key, m, row), claimWrite)
	if got := mm.check(key, m, row); got != markUnwritten {
		t.Errorf("a failed queued row checks %d, want unwritten", got)
	}
	mm.written(key, m.UID, rowHash(mirror.RowFor(m)))
	expect("written", mm.claim(key, m, row), claimWrite)

	replanned := m.DeepCopy()
	replanned.Spec.Phase = "recent"
	newRow := rowHash(mirror.RowFor(replanned))
	if got := mm.claim(key, replanned, newRow); got != claimQueue {
		t.Errorf("re-planned: claim %d, want queue", got)
	}
	if mm.settle(key, m.UID, row, nil) {
		t.Error("the outcome of the older row was recorded against the newer one")
	}
	if !mm.settle(key, m.UID, newRow, nil) || mm.check(key, replanned, newRow) != markWritten {
		t.Error("the queued row's success was not recorded as written")
	}
	// the month deleted and created again under its name while the old one's row was queued
	recreated := replanned.DeepCopy()
	recreated.UID = "uid-2"
	if got := mm.claim(key, recreated, newRow); got != claimQueue {
		t.Errorf("another incarnation: claim %d, want queue", got)
	}
	if mm.settle(key, m.UID, newRow, errors.New("connection refused")) {
		t.Error("the old incarnation's outcome was recorded against the new one")
	}
	if got := mm.claim(key, recreated, newRow); got != claimOnItsWay {
		t.Errorf("the new incarnation's row: claim %d, want still on its way", got)
	}
}

// A cached month older than the status this controller stored last is not decided on; the
// watch event of that write brings the pass.
func TestMirrorMarksTellACacheBehindTheLastWrite(t *testing.T) {
	key := types.NamespacedName{Namespace: "ns", Name: "c-2020-03"}
	m := builders.MakeMonth("c", "ns", "validate", 2020, 3).Obj()
	m.UID, m.ResourceVersion = "uid-1", "10"
	var mm mirrorMarks
	if mm.behind(key, m) {
		t.Fatal("behind with no write")
	}
	stored := m.DeepCopy()
	stored.ResourceVersion = "12"
	mm.stored(key, stored)
	mm.written(key, stored.UID, rowHash(mirror.RowFor(stored))) // the row written keeps the version
	if !mm.behind(key, m) {
		t.Error("a cached month at 10 is not behind a write at 12")
	}
	if mm.behind(key, stored) {
		t.Error("the month as written is behind itself")
	}
	other := m.DeepCopy()
	other.UID = "uid-2"
	if mm.behind(key, other) {
		t.Error("another incarnation is never behind this one's writes")
	}
}
