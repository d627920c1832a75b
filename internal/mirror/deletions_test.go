package mirror

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/dev/builders"
	"github.com/ooheynerds/backfill-operator/internal/dev/testdb"
)

// Unfinished rows of months that are gone are removed; finished rows (history), rows of
// months that exist, and rows of namespaces outside the sweep are kept.
func TestSweepDeletedKeepsOnlyTruth(t *testing.T) {
	ctx := context.Background()
	pool := testdb.Pool(t)
	put := func(ns string, month int32, state v1alpha1.MonthState) {
		m := builders.MakeMonth("c", ns, "p", 2020, month).State(state).Obj()
		if err := Upsert(ctx, pool, RowFor(m)); err != nil {
			t.Fatal(err)
		}
	}
	put("a", 1, v1alpha1.MonthCompleted)  // gone, finished: history
	put("a", 2, v1alpha1.MonthFailed)     // gone, finished: history
	put("a", 3, v1alpha1.MonthProcessing) // gone: removed
	put("a", 4, v1alpha1.MonthPending)    // gone: removed
	put("a", 5, v1alpha1.MonthRetry)      // gone: removed
	put("a", 6, v1alpha1.MonthProcessing) // exists: kept
	put("b", 7, v1alpha1.MonthProcessing) // other namespace: not this sweep's
	exists := func(k Key) bool { return k.Namespace == "a" && k.Month == 6 }

	removed, err := SweepDeleted(ctx, pool, []string{"a"}, exists)
	if err != nil {
		t.Fatal(err)
	}
	var months []int32
	for _, k := range removed {
		months = append(months, k.Month)
	}
	slices.Sort(months)
	if !slices.Equal(months, []int32{3, 4, 5}) {
		t.Fatalf("removed months %v, want [3 4 5]", months)
	}
	got := statuses(t, ctx, pool)
	want := map[string]string{"a/1": "completed", "a/2": "failed", "a/6": "processing", "b/7": "processing"}
	if !maps.Equal(got, want) {
		t.Fatalf("rows after the sweep %v, want %v", got, want)
	}

	// Every namespace: b's month is gone too.
	if _, err := SweepDeleted(ctx, pool, nil, exists); err != nil {
		t.Fatal(err)
	}
	delete(want, "b/7")
	if got := statuses(t, ctx, pool); !maps.Equal(got, want) {
		t.Fatalf("rows after the sweep of every namespace %v, want %v", got, want)
	}
}

// A row written after the sweep read the table belongs to a month recreated meanwhile: the
// sweep's delete must not take it.
func TestSweepNeverRemovesARowWrittenAfterItBegan(t *testing.T) {
	ctx := context.Background()
	pool := testdb.Pool(t)
	m := builders.MakeMonth("c", "a", "p", 2020, 1).State(v1alpha1.MonthProcessing).Obj()
	if err := Upsert(ctx, pool, RowFor(m)); err != nil {
		t.Fatal(err)
	}
	before := time.Now().Add(-time.Hour)
	tag, err := deleteUnfinished(ctx, pool, Key{Namespace: "a", Campaign: "c", Year: 2020, Month: 1}, before)
	if err != nil {
		t.Fatal(err)
	}
	if tag.RowsAffected() != 0 {
		t.Fatal("a row written after the sweep began was removed")
	}
	// The sweep itself, with the recreation happening while it asks the cache.
	removed, err := SweepDeleted(ctx, pool, nil, func(Key) bool {
		m.Status.State = v1alpha1.MonthPending
		if err := Upsert(ctx, pool, RowFor(m)); err != nil {
			t.Fatal(err)
		}
		return false
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 0 {
		t.Fatalf("removed %v although the month's row was rewritten during the sweep", removed)
	}
	if got := statuses(t, ctx, pool); got["a/1"] != "pending" {
		t.Fatalf("rows %v, want a/1 pending", got)
	}
}

func statuses(t *testing.T, ctx context.Context, db Querier) map[string]string {
	t.Helper()
	rows, err := db.Query(ctx, `SELECT namespace, month, status FROM backfill_log`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var ns, status string
		var month int32
		if err := rows.Scan(&ns, &month, &status); err != nil {
			t.Fatal(err)
		}
		out[fmt.Sprintf("%s/%d", ns, month)] = status
	}
	return out
}
