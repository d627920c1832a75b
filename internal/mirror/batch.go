package mirror

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// BatchSender is what a pool offers for sending several statements in one round trip.
type BatchSender interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// Batcher writes rows with group commit: rows that arrive while a batch is on its way go
// together in the next one, one round trip and one transaction for all of them. A fan-out of
// thousands of months (each with its pending row) then costs the database a few transactions,
// each with its own WAL flush, instead of one per month. Upsert still returns only once its
// row is written (or not), so callers keep their order: a month's next row is never sent
// before its previous one is settled.
type Batcher struct {
	DB BatchSender
	// Timeout bounds one batch (5s when zero).
	Timeout time.Duration

	mu       sync.Mutex
	queue    []queued
	flushing bool
}

type queued struct {
	row  Row
	done chan error
}

// most rows in one batch: bounds one transaction's size and the wait of the rows behind it
const maxBatch = 500

// Upsert writes the row, replacing the month's previous row, in the next batch. The caller
// that finds no batch on its way sends the batches until none is waiting.
func (b *Batcher) Upsert(ctx context.Context, r Row) error {
	q := queued{row: r, done: make(chan error, 1)}
	b.mu.Lock()
	b.queue = append(b.queue, q)
	lead := !b.flushing
	b.flushing = true
	b.mu.Unlock()
	if lead {
		b.flush(context.WithoutCancel(ctx))
	}
	// Waits even if ctx ends: a row still on its way could otherwise land after the caller's
	// next, newer row. The batch's own timeout bounds the wait.
	return <-q.done
}

// flush sends the waiting rows, batch after batch, until none is left.
func (b *Batcher) flush(ctx context.Context) {
	for {
		b.mu.Lock()
		n := min(len(b.queue), maxBatch)
		if n == 0 {
			b.flushing = false
			b.mu.Unlock()
			return
		}
		batch := b.queue[:n:n]
		b.queue = b.queue[n:]
		b.mu.Unlock()
		b.send(ctx, batch)
	}
}

func (b *Batcher) send(ctx context.Context, batch []queued) {
	timeout := b.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var pb pgx.Batch
	for _, q := range batch {
		pb.Queue(upsertSQL, q.row.args()...)
	}
	results := b.DB.SendBatch(ctx, &pb)
	errs := make([]error, len(batch))
	for i := range batch {
		_, errs[i] = results.Exec()
	}
	// The batch is one implicit transaction: one failed statement rolls back the others, which
	// reported success before it.
	failed := results.Close()
	for _, err := range errs {
		if err != nil {
			failed = err
			break
		}
	}
	for i, q := range batch {
		err := errs[i]
		if err == nil {
			err = failed
		}
		if err != nil {
			err = q.row.failed(err)
		}
		q.done <- err
	}
}
