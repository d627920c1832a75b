package controllers

import (
	"testing"

	"k8s.io/apimachinery/pkg/types"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/dev/builders"
	"github.com/ooheynerds/backfill-operator/internal/mirror"
)

// The marks decide whether a pass writes the backfill_log row: a month never marked (first
// pass, or after a restart) writes; a stored status writes until its row is written; a cached
// month older than the status stored last writes nothing; another incarnation starts afresh.
func TestMirrorMarks(t *testing.T) {
	key := types.NamespacedName{Namespace: "ns", Name: "c-2020-03"}
	pending := builders.MakeMonth("c", "ns", "validate", 2020, 3).Obj()
	pending.UID = "uid-1"
	processing := pending.DeepCopy()
	processing.Status.State = v1alpha1.MonthProcessing
	processing.Status.Attempts = 1
	recreated := processing.DeepCopy()
	recreated.UID = "uid-2"

	var mm mirrorMarks
	check := func(what string, m *v1alpha1.BackfillMonth, want markState) {
		t.Helper()
		if got := mm.check(key, m.UID, mirror.RowFor(m)); got != want {
			t.Errorf("%s: got %d, want %d", what, got, want)
		}
	}
	check("never marked", pending, markUnwritten)
	mm.written(key, pending.UID, mirror.RowFor(pending))
	check("written", pending, markWritten)

	mm.stored(key, processing)
	check("stored, row not yet written", processing, markUnwritten)
	check("cached month older than the stored status", pending, markStale)
	mm.written(key, processing.UID, mirror.RowFor(processing))
	check("stored and written", processing, markWritten)
	check("still stale after the write", pending, markStale)

	check("another incarnation of the month", recreated, markUnwritten)
	mm.forget(key)
	check("forgotten (month deleted)", processing, markUnwritten)
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
	mm.written(key, stored.UID, mirror.RowFor(stored)) // the row written keeps the version
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
