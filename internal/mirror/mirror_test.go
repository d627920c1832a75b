package mirror

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/dev/builders"
	"github.com/ooheynerds/backfill-operator/internal/dev/localpg"
	"github.com/ooheynerds/backfill-operator/internal/dev/testdb"
)

func TestMain(m *testing.M) { localpg.RunTests(m) }

func TestRowForIsTrue(t *testing.T) {
	now := time.Date(2026, 1, 13, 12, 0, 0, 0, time.UTC)
	m := builders.MakeMonth("c", "ns", "validate", 2023, 11).State(v1alpha1.MonthCompleted).Results(39, 36).
		Attempt(v1alpha1.AttemptFailed, now.Add(-time.Hour), map[string]int32{"gemini": 1, "isbndb": 4}).
		Attempt(v1alpha1.AttemptSucceeded, now, map[string]int32{"gemini": 1, "xai": 1, "isbndb": 2}).Obj()
	m.Status.Metrics.ISBNsQueued = 30
	m.Status.Metrics.ResolutionRate = "92.31"
	r := RowFor(m)
	if r.Status != "completed" || r.BooksGenerated != 39 || r.ISBNsResolved != 36 || r.ISBNsQueued != 30 {
		t.Errorf("row = %+v", r)
	}
	if r.GeminiCalls != 2 || r.XAICalls != 1 || r.ISBNdbCalls != 6 {
		t.Errorf("calls gemini=%d xai=%d isbndb=%d, want every attempt's real calls 2/1/6", r.GeminiCalls, r.XAICalls, r.ISBNdbCalls)
	}
	if r.RetryCount != 1 {
		t.Errorf("retry_count = %d, want 1 failed attempt", r.RetryCount)
	}
}

func TestUpsertAndOperationsQueries(t *testing.T) {
	ctx := context.Background()
	pool := testdb.Pool(t)
	start := time.Date(2026, 1, 13, 10, 0, 0, 0, time.UTC)
	m := builders.MakeMonth("c", "ns", "validate", 2020, 9).State(v1alpha1.MonthProcessing).Obj()
	m.Status.StartedAt = &metav1.Time{Time: start}
	if err := Upsert(ctx, pool, RowFor(m)); err != nil {
		t.Fatal(err)
	}
	// a retry clears completed_at (the seed's check2 bug) and the row is replaced, not duplicated
	m.Status.State = v1alpha1.MonthRetry
	m.Status.LastError = "gemini: empty response"
	m.Status.History = []v1alpha1.AttemptRecord{{Attempt: 1, Outcome: v1alpha1.AttemptFailed, Calls: map[string]int32{"gemini": 1}}}
	if err := Upsert(ctx, pool, RowFor(m)); err != nil {
		t.Fatal(err)
	}
	m.Status.State = v1alpha1.MonthFailed
	m.Status.CompletedAt = &metav1.Time{Time: start.Add(time.Hour)}
	if err := Upsert(ctx, pool, RowFor(m)); err != nil {
		t.Fatal(err)
	}
	var n int
	var status string
	if err := pool.QueryRow(ctx, "SELECT count(*), min(status) FROM backfill_log").Scan(&n, &status); err != nil {
		t.Fatal(err)
	}
	if n != 1 || status != "failed" {
		t.Fatalf("backfill_log has %d rows with status %q, want 1 failed row", n, status)
	}
	queries := OperationsQueries()
	if len(queries) != 4 {
		t.Fatalf("found %d operations queries, want 4", len(queries))
	}
	for _, q := range queries {
		rows, err := pool.Query(ctx, q.SQL)
		if err != nil {
			t.Fatalf("%s: %v", q.Name, err)
		}
		count := 0
		for rows.Next() {
			count++
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("%s: %v", q.Name, err)
		}
		rows.Close()
		if q.Name == "failed-months" && count != 1 {
			t.Errorf("failed-months returned %d rows, want 1", count)
		}
	}
}

func TestUpsertRejectsUntrueMetrics(t *testing.T) {
	ctx := context.Background()
	pool := testdb.Pool(t)
	m := builders.MakeMonth("c", "ns", "p", 2020, 1).State(v1alpha1.MonthCompleted).Results(10, 11).Obj()
	if err := Upsert(ctx, pool, RowFor(m)); err == nil {
		t.Fatal("a row resolving more ISBNs than books generated was accepted")
	}
}

// retry_count counts the current run's failed attempts and never breaks the seed's CHECK (0-5),
// however many attempts failed for causes outside the month or in earlier runs.
func TestRetryCountIsThisRunsAndBounded(t *testing.T) {
	m := builders.MakeMonth("c", "ns", "p", 2020, 1).State(v1alpha1.MonthRetry).Obj()
	for i := int32(1); i <= 9; i++ {
		run := int32(0)
		if i > 2 {
			run = 1
		}
		m.Status.History = append(m.Status.History, v1alpha1.AttemptRecord{Attempt: i, Outcome: v1alpha1.AttemptFailed, Cause: v1alpha1.CauseDatabaseUnreachable, Run: run})
	}
	m.Status.Run = 1
	if r := RowFor(m); r.RetryCount != 5 {
		t.Errorf("retry_count = %d, want 5 (7 failures of this run, capped by the CHECK)", r.RetryCount)
	}
	m.Status.History = m.Status.History[:4]
	if r := RowFor(m); r.RetryCount != 2 {
		t.Errorf("retry_count = %d, want 2 (only this run's failures)", r.RetryCount)
	}
}
