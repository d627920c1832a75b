package database

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/ooheynerds/backfill-operator/internal/dev/localpg"
)

// Two incarnations of the same month (deleted and recreated) have attempt 1 each, and neither
// sees the other's row.
func TestAttemptsBelongToOneIncarnation(t *testing.T) {
	ctx := context.Background()
	pool := migratedPool(t)
	now := time.Date(2026, 1, 13, 10, 0, 0, 0, time.UTC)
	old := Attempt{AttemptKey: AttemptKey{Namespace: "ns", Campaign: "c", Year: 2020, Month: 1, MonthUID: "uid-old", Attempt: 1},
		Mode: "Live", Outcome: OutcomeFailed, Cause: "BadAnswer", PromptVariant: "baseline", Calls: map[string]int{"gemini": 8}, StartedAt: now, FinishedAt: now}
	if ok, err := InsertAttempt(ctx, pool, old); err != nil || !ok {
		t.Fatalf("old incarnation: inserted=%v err=%v", ok, err)
	}
	newKey := old.AttemptKey
	newKey.MonthUID = "uid-new"
	if _, err := GetAttempt(ctx, pool, newKey); !errors.Is(err, ErrNoAttempt) {
		t.Fatalf("the recreated month reads the old incarnation's row: err = %v", err)
	}
	fresh := old
	fresh.AttemptKey, fresh.Outcome, fresh.Cause, fresh.Calls = newKey, OutcomeSucceeded, "", map[string]int{"gemini": 1}
	if ok, err := InsertAttempt(ctx, pool, fresh); err != nil || !ok {
		t.Fatalf("new incarnation's attempt 1 collides with the old one: inserted=%v err=%v", ok, err)
	}
	got, err := GetAttempt(ctx, pool, old.AttemptKey)
	if err != nil || got.Outcome != OutcomeFailed || got.Calls["gemini"] != 8 || got.Cause != "BadAnswer" {
		t.Fatalf("old incarnation's row changed: %+v, %v", got, err)
	}
}

// Rows written before migration 00003 survive it, belong to no current incarnation, and do
// not keep a new incarnation from recording the same attempt number.
func TestMigrationKeepsRowsOfUnnamedIncarnations(t *testing.T) {
	ctx := context.Background()
	pool, err := Open(ctx, localpg.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	upTo(t, ctx, db, 2)
	if _, err := pool.Exec(ctx, `INSERT INTO backfill_attempts (namespace, campaign, year, month, attempt, mode, outcome,
    prompt_variant, books_requested, books_generated, isbns_resolved, isbns_queued, started_at, finished_at)
VALUES ('ns', 'c', 2020, 1, 1, 'Live', 'failed', 'baseline', 20, 0, 0, 0, NOW(), NOW())`); err != nil {
		t.Fatal(err)
	}
	if err := Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	legacy := AttemptKey{Namespace: "ns", Campaign: "c", Year: 2020, Month: 1, Attempt: 1}
	if a, err := GetAttempt(ctx, pool, legacy); err != nil || a.Outcome != OutcomeFailed {
		t.Fatalf("the old row is gone after the migration: %+v, %v", a, err)
	}
	current := legacy
	current.MonthUID = "uid-1"
	if _, err := GetAttempt(ctx, pool, current); !errors.Is(err, ErrNoAttempt) {
		t.Fatalf("a month read an old row as its own: %v", err)
	}
	now := time.Now()
	if ok, err := InsertAttempt(ctx, pool, Attempt{AttemptKey: current, Mode: "Live", Outcome: OutcomeSucceeded, PromptVariant: "baseline", StartedAt: now, FinishedAt: now}); err != nil || !ok {
		t.Fatalf("recording attempt 1 of a current incarnation: inserted=%v err=%v", ok, err)
	}
}

func upTo(t *testing.T, ctx context.Context, db *sql.DB, version int64) {
	t.Helper()
	dir, err := fs.Sub(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, db, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provider.UpTo(ctx, version); err != nil {
		t.Fatal(err)
	}
}
