package mirror

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/dev/builders"
	"github.com/ooheynerds/backfill-operator/internal/dev/testdb"
)

// gatedDB holds the first statement until release is closed, so the rows that arrive meanwhile
// must wait for, and then share, the next statement; it counts the statements sent.
type gatedDB struct {
	db         Execer
	release    chan struct{}
	statements atomic.Int32
	// beforeRelease, when set, runs once every row is queued, before the first statement goes
	beforeRelease func()
}

func (g *gatedDB) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if g.statements.Add(1) == 1 {
		<-g.release
	}
	return g.db.Exec(ctx, sql, args...)
}

func (b *Batcher) waiting() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.queue)
}

// upsertBehind writes first while the others queue behind its statement, so that the others go
// together in the next; it returns each row's error, in order.
func upsertBehind(t *testing.T, b *Batcher, gate *gatedDB, first Row, others ...Row) []error {
	t.Helper()
	ctx := context.Background()
	errs := make([]error, len(others)+1)
	var wg sync.WaitGroup
	wg.Go(func() { errs[0] = b.Upsert(ctx, first) })
	for gate.statements.Load() == 0 { // the first row's statement is on its way
		runtime.Gosched()
	}
	for i, r := range others {
		wg.Go(func() { errs[i+1] = b.Upsert(ctx, r) })
		for b.waiting() != i+1 { // queued in this order
			runtime.Gosched()
		}
	}
	if gate.beforeRelease != nil {
		gate.beforeRelease()
	}
	close(gate.release)
	wg.Wait()
	return errs
}

func pendingRow(year, month int32) Row {
	return RowFor(builders.MakeMonth("c", "ns", "p", year, month).Obj())
}

func TestBatcherSendsRowsArrivingDuringAStatementTogether(t *testing.T) {
	pool := testdb.Pool(t)
	gate := &gatedDB{db: pool, release: make(chan struct{})}
	const months = 12
	var others []Row
	for m := int32(2); m <= months; m++ {
		others = append(others, pendingRow(2000, m))
	}
	for _, err := range upsertBehind(t, &Batcher{DB: gate}, gate, pendingRow(2000, 1), others...) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := gate.statements.Load(); n != 2 {
		t.Errorf("%d statements, want 2: the first row alone, then the %d rows that arrived while it was sent", n, months-1)
	}
	if n := count(t, pool, "status = 'pending'"); n != months {
		t.Errorf("%d pending rows written, want %d", n, months)
	}
}

// The multi-row statement writes exactly what the single-row one writes, NULLs included.
func TestBatcherWritesWhatUpsertWrites(t *testing.T) {
	ctx := context.Background()
	pool := testdb.Pool(t)
	start := time.Date(2026, 1, 13, 10, 0, 0, 0, time.UTC)
	processing := builders.MakeMonth("c", "ns", "p", 2020, 2).State(v1alpha1.MonthProcessing).Obj()
	processing.Status.StartedAt = &metav1.Time{Time: start}
	completed := builders.MakeMonth("c", "ns", "p", 2020, 3).State(v1alpha1.MonthCompleted).Results(40, 37).
		Attempt(v1alpha1.AttemptFailed, start, map[string]int32{"gemini": 1, "isbndb": 3}).
		Attempt(v1alpha1.AttemptSucceeded, start.Add(time.Hour), map[string]int32{"gemini": 1, "xai": 1, "isbndb": 5}).Obj()
	completed.Status.Metrics.ISBNsQueued, completed.Status.Metrics.ResolutionRate = 30, "92.50"
	completed.Status.StartedAt, completed.Status.CompletedAt = &metav1.Time{Time: start}, &metav1.Time{Time: start.Add(2 * time.Hour)}
	completed.Status.LastRetryAt = &metav1.Time{Time: start.Add(time.Hour)}
	failed := builders.MakeMonth("c", "ns", "p", 2020, 4).State(v1alpha1.MonthFailed).Obj()
	failed.Status.LastError = "gemini: quota 'exhausted'; \"retry\" later\n"
	months := []*v1alpha1.BackfillMonth{builders.MakeMonth("c", "ns", "p", 2020, 1).Obj(), processing, completed, failed}

	var rows []Row
	for _, m := range months {
		single := RowFor(m)
		single.Namespace = "single"
		if err := Upsert(ctx, pool, single); err != nil {
			t.Fatal(err)
		}
		many := RowFor(m)
		many.Namespace = "many"
		rows = append(rows, many)
	}
	if err := (&Batcher{DB: pool}).write(ctx, rows); err != nil {
		t.Fatal(err)
	}
	read := func(ns string) []string {
		r, err := pool.Query(ctx, `SELECT concat_ws('|', campaign, phase, year, month, status, books_generated,
			isbns_resolved, coalesce(resolution_rate::text, 'NULL'), isbns_queued, gemini_calls, xai_calls, isbndb_calls,
			coalesce(started_at::text, 'NULL'), coalesce(completed_at::text, 'NULL'), coalesce(error_message, 'NULL'),
			retry_count, coalesce(last_retry_at::text, 'NULL'), prompt_variant, batch_size)
			FROM backfill_log WHERE namespace = $1 ORDER BY year, month`, ns)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for r.Next() {
			var s string
			if err := r.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		return out
	}
	single, many := read("single"), read("many")
	if len(single) != len(months) || strings.Join(single, "\n") != strings.Join(many, "\n") {
		t.Errorf("one statement for all rows wrote\n%s\nwant what one statement per row wrote\n%s", strings.Join(many, "\n"), strings.Join(single, "\n"))
	}
}

func TestBatcherFailsOnlyTheRowsTheDatabaseRefuses(t *testing.T) {
	pool := testdb.Pool(t)
	gate := &gatedDB{db: pool, release: make(chan struct{})}
	bad := pendingRow(2001, 2)
	bad.Status = "unknown" // the table's CHECK refuses it
	errs := upsertBehind(t, &Batcher{DB: gate}, gate, pendingRow(2001, 3), pendingRow(2001, 1), bad, pendingRow(2001, 4))
	for i, err := range []error{errs[0], errs[1], errs[3]} {
		if err != nil {
			t.Errorf("good row %d: %v", i, err)
		}
	}
	var refused *pgconn.PgError
	if err := errs[2]; !errors.As(err, &refused) || !strings.Contains(err.Error(), "2001-02") {
		t.Errorf("refused row: error %v, want the database's refusal naming its month", err)
	}
	if n := count(t, pool, "year = 2001"); n != 3 {
		t.Errorf("%d rows written, want the 3 good ones", n)
	}
}

func TestBatcherKeepsTheLastRowOfAMonthQueuedTwice(t *testing.T) {
	pool := testdb.Pool(t)
	gate := &gatedDB{db: pool, release: make(chan struct{})}
	newer := pendingRow(2002, 2)
	newer.Status = "processing"
	for _, err := range upsertBehind(t, &Batcher{DB: gate}, gate, pendingRow(2002, 1), pendingRow(2002, 2), newer, pendingRow(2002, 3)) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := gate.statements.Load(); n != 2 {
		t.Errorf("%d statements, want 2", n)
	}
	if n := count(t, pool, "year = 2002 AND month = 2 AND status = 'processing'"); n != 1 {
		t.Errorf("month 2002-02 has %d processing rows, want the newer row", n)
	}
}

func TestBatcherFailsEveryRowWhenTheDatabaseIsGone(t *testing.T) {
	pool := testdb.Pool(t)
	gate := &gatedDB{db: pool, release: make(chan struct{}), beforeRelease: pool.Close}
	for _, err := range upsertBehind(t, &Batcher{DB: gate}, gate, pendingRow(2003, 1), pendingRow(2003, 2), pendingRow(2003, 3)) {
		if err == nil || !strings.Contains(err.Error(), "2003-0") {
			t.Errorf("error %v, want one naming its month", err)
		}
	}
	if n := gate.statements.Load(); n != 2 {
		t.Errorf("%d statements, want 2: no row-by-row retry when the database cannot be reached", n)
	}
}

func count(t *testing.T, db interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, where string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), "SELECT count(*) FROM backfill_log WHERE "+where).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// countingDB counts the statements sent.
type countingDB struct {
	db         Execer
	statements atomic.Int32
}

func (c *countingDB) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	c.statements.Add(1)
	return c.db.Exec(ctx, sql, args...)
}

// queueAll queues rows and returns a channel with each one's outcome, by month.
func queueAll(b *Batcher, rows ...Row) map[int32]chan error {
	out := map[int32]chan error{}
	for _, r := range rows {
		ch := make(chan error, 1)
		out[r.Month] = ch
		b.Queue(r, func(err error) { ch <- err })
	}
	return out
}

func TestBatcherSendsQueuedRowsTogetherAfterTheLinger(t *testing.T) {
	pool := testdb.Pool(t)
	db := &countingDB{db: pool}
	b := &Batcher{DB: db, Linger: 200 * time.Millisecond}
	var rows []Row
	for m := int32(1); m <= 12; m++ {
		rows = append(rows, pendingRow(2004, m))
	}
	started := time.Now()
	for month, ch := range queueAll(b, rows...) {
		if err := <-ch; err != nil {
			t.Errorf("month %d: %v", month, err)
		}
	}
	if n := db.statements.Load(); n != 1 {
		t.Errorf("%d statements, want 1 for the 12 rows queued within the linger", n)
	}
	if waited := time.Since(started); waited < b.Linger {
		t.Errorf("the rows were written after %v, before the linger of %v", waited, b.Linger)
	}
	if n := count(t, pool, "year = 2004 AND status = 'pending'"); n != 12 {
		t.Errorf("%d rows written, want 12", n)
	}
}

// An Upsert does not wait for the linger, and takes the queued rows along: a month's queued
// row never lands after its newer row written with Upsert.
func TestBatcherUpsertTakesTheQueuedRowsAlong(t *testing.T) {
	pool := testdb.Pool(t)
	db := &countingDB{db: pool}
	b := &Batcher{DB: db, Linger: time.Hour}
	queuedRows := queueAll(b, pendingRow(2005, 1), pendingRow(2005, 2))
	newer := pendingRow(2005, 2)
	newer.Status = "processing"
	if err := b.Upsert(context.Background(), newer); err != nil {
		t.Fatal(err)
	}
	for month, ch := range queuedRows {
		if err := <-ch; err != nil {
			t.Errorf("queued row of month %d: %v", month, err)
		}
	}
	if n := db.statements.Load(); n != 1 {
		t.Errorf("%d statements, want 1", n)
	}
	if n := count(t, pool, "year = 2005 AND month = 2 AND status = 'processing'"); n != 1 {
		t.Error("the queued pending row replaced the newer processing row of 2005-02")
	}
	if n := count(t, pool, "year = 2005 AND month = 1"); n != 1 {
		t.Error("the queued row of 2005-01 was not written")
	}
}

func TestBatcherTellsAQueuedRowItsFailure(t *testing.T) {
	pool := testdb.Pool(t)
	b := &Batcher{DB: pool, Linger: 50 * time.Millisecond}
	bad := pendingRow(2006, 2)
	bad.BatchSize = 0 // the table's CHECK refuses it
	outcomes := queueAll(b, pendingRow(2006, 1), bad)
	if err := <-outcomes[1]; err != nil {
		t.Errorf("good row: %v", err)
	}
	var refused *pgconn.PgError
	if err := <-outcomes[2]; !errors.As(err, &refused) || !strings.Contains(err.Error(), "2006-02") {
		t.Errorf("refused row: error %v, want the database's refusal naming its month", err)
	}
}

// Only an error about a row's data sends a batch again row by row; the database's own trouble
// (too many connections, a cancelled statement, a lost connection) fails the batch at once.
func TestRefusedRow(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Code: "23514"}, true},                            // check_violation
		{fmt.Errorf("wrapped: %w", &pgconn.PgError{Code: "22003"}), true}, // numeric_value_out_of_range
		{&pgconn.PgError{Code: "23505"}, true},                            // unique_violation
		{&pgconn.PgError{Code: "53300"}, false},                           // too_many_connections
		{&pgconn.PgError{Code: "57014"}, false},                           // query_canceled
		{&pgconn.PgError{Code: "40001"}, false},                           // serialization_failure
		{errors.New("failed to connect: connection refused"), false},
		{context.DeadlineExceeded, false},
		{nil, false},
	} {
		if got := refusedRow(tc.err); got != tc.want {
			t.Errorf("refusedRow(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
