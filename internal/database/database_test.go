package database

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ooheynerds/backfill-operator/internal/dev/localpg"
)

func TestMain(m *testing.M) { localpg.RunTests(m) }

// migratedPool is a pool on a fresh database of the test's own, with every migration applied
// by Connect (testdb's, which this package's tests cannot import).
func migratedPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool, err := Connect(context.Background(), localpg.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func TestMigrationsAreSafeConcurrently(t *testing.T) {
	ctx := context.Background()
	url := localpg.NewDatabase(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pool, err := Connect(ctx, url)
			if err != nil {
				errs <- err
				return
			}
			pool.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent migration: %v", err)
	}
}

func TestAttemptRoundTripAndIdempotence(t *testing.T) {
	ctx := context.Background()
	pool := migratedPool(t)
	start := time.Date(2026, 1, 13, 10, 0, 0, 0, time.UTC)
	want := Attempt{
		AttemptKey:     AttemptKey{Namespace: "ns", Campaign: "c", Year: 2023, Month: 11, Attempt: 1},
		Mode:           "Live",
		Outcome:        OutcomeSucceeded,
		PromptVariant:  "contemporary-notable",
		BooksRequested: 20,
		BooksGenerated: 39,
		ISBNsResolved:  36,
		ISBNsQueued:    30,
		Calls:          map[string]int{"gemini": 1, "xai": 1, "isbndb": 3},
		Refusals:       []string{},
		QuotaExhausted: []string{"isbndb"}, BooksLost: 2, TruncatedModels: []string{"gemini: MAX_TOKENS"}, BooksOverLimit: 1,
		StartedAt:  start,
		FinishedAt: start.Add(135 * time.Second),
	}
	if _, err := GetAttempt(ctx, pool, want.AttemptKey); !errors.Is(err, ErrNoAttempt) {
		t.Fatalf("GetAttempt before insert: err = %v, want ErrNoAttempt", err)
	}
	inserted, err := InsertAttempt(ctx, pool, want)
	if err != nil || !inserted {
		t.Fatalf("first insert: inserted=%v err=%v", inserted, err)
	}
	changed := want
	changed.BooksGenerated = 40
	inserted, err = InsertAttempt(ctx, pool, changed)
	if err != nil || inserted {
		t.Fatalf("second insert of the same attempt: inserted=%v err=%v, want false, nil", inserted, err)
	}
	got, err := GetAttempt(ctx, pool, want.AttemptKey)
	if err != nil {
		t.Fatal(err)
	}
	got.StartedAt, got.FinishedAt = got.StartedAt.UTC(), got.FinishedAt.UTC()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("attempt round trip (-want +got):\n%s", diff)
	}
}

func TestAttemptConstraintsRejectUntrueCounts(t *testing.T) {
	ctx := context.Background()
	pool := migratedPool(t)
	now := time.Now()
	_, err := InsertAttempt(ctx, pool, Attempt{
		AttemptKey: AttemptKey{Namespace: "ns", Campaign: "c", Year: 2020, Month: 1, Attempt: 1},
		Mode:       "Live", Outcome: OutcomeSucceeded, PromptVariant: "baseline",
		BooksGenerated: 3, ISBNsResolved: 4, StartedAt: now, FinishedAt: now,
	})
	if err == nil {
		t.Fatal("an attempt resolving more ISBNs than books generated was accepted")
	}
}
