package mirror

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ooheynerds/backfill-operator/internal/dev/builders"
	"github.com/ooheynerds/backfill-operator/internal/dev/testdb"
)

// gatedSender holds the first batch until release is closed, so the rows that arrive meanwhile
// must wait for, and then share, the next batch; it counts the batches sent.
type gatedSender struct {
	db      BatchSender
	release chan struct{}
	batches atomic.Int32
}

func (g *gatedSender) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if g.batches.Add(1) == 1 {
		<-g.release
	}
	return g.db.SendBatch(ctx, b)
}

func (b *Batcher) waiting() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.queue)
}

func TestBatcherSendsRowsArrivingDuringABatchTogether(t *testing.T) {
	ctx := context.Background()
	pool := testdb.Pool(t)
	gate := &gatedSender{db: pool, release: make(chan struct{})}
	b := &Batcher{DB: gate}
	const months = 12
	errs := make(chan error, months)
	var wg sync.WaitGroup
	wg.Go(func() { errs <- b.Upsert(ctx, RowFor(builders.MakeMonth("c", "ns", "p", 2000, 1).Obj())) })
	for gate.batches.Load() == 0 { // the first row's batch is on its way
		runtime.Gosched()
	}
	for m := 2; m <= months; m++ {
		wg.Go(func() { errs <- b.Upsert(ctx, RowFor(builders.MakeMonth("c", "ns", "p", 2000, int32(m)).Obj())) })
	}
	for b.waiting() != months-1 {
		runtime.Gosched()
	}
	close(gate.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := gate.batches.Load(); n != 2 {
		t.Errorf("%d batches, want 2: the first row alone, then the %d rows that arrived while it was sent", n, months-1)
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM backfill_log WHERE status = 'pending'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != months {
		t.Errorf("%d pending rows written, want %d", n, months)
	}
}

func TestBatcherFailsEveryRowOfARolledBackBatch(t *testing.T) {
	ctx := context.Background()
	pool := testdb.Pool(t)
	gate := &gatedSender{db: pool, release: make(chan struct{})}
	b := &Batcher{DB: gate}
	good := RowFor(builders.MakeMonth("c", "ns", "p", 2001, 1).Obj())
	bad := RowFor(builders.MakeMonth("c", "ns", "p", 2001, 2).Obj())
	bad.Status = "unknown" // the table's CHECK refuses it
	first := make(chan error, 1)
	go func() { first <- b.Upsert(ctx, RowFor(builders.MakeMonth("c", "ns", "p", 2001, 3).Obj())) }()
	for gate.batches.Load() == 0 {
		runtime.Gosched()
	}
	results := map[int32]chan error{1: make(chan error, 1), 2: make(chan error, 1)}
	go func() { results[1] <- b.Upsert(ctx, good) }()
	for b.waiting() != 1 {
		runtime.Gosched()
	}
	go func() { results[2] <- b.Upsert(ctx, bad) }()
	for b.waiting() != 2 {
		runtime.Gosched()
	}
	close(gate.release)
	if err := <-first; err != nil {
		t.Fatalf("the first batch held only a good row: %v", err)
	}
	for month, ch := range results {
		err := <-ch
		if err == nil || !strings.Contains(err.Error(), "2001-0") {
			t.Errorf("row of month %d in the rolled-back batch: error %v, want one naming its month", month, err)
		}
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM backfill_log WHERE year = 2001 AND month IN (1, 2)").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d rows of the rolled-back batch were written, want 0", n)
	}
}
