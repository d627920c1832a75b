package mirror

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Batcher writes rows with group commit: the rows that arrive while a statement is on its way
// go together in the next one, a single multi-row upsert: one round trip, one statement and one
// transaction for all of them. Upsert returns once its row is written (or not), so a caller
// keeps its order: a month's next row is never sent before its previous one is settled. Queue
// does not wait: its row lingers a moment for others to join it, so that a fan-out's thousands
// of pending rows cost the database a few statements instead of one or two per month.
type Batcher struct {
	DB Execer
	// Timeout bounds one statement (5s when zero).
	Timeout time.Duration
	// Linger is how long a queued row waits for others before its statement is sent
	// (DefaultLinger when zero). A row written with Upsert takes the queued rows along at once.
	Linger time.Duration

	mu       sync.Mutex
	queue    []queued
	flushing bool // a caller (or the linger's timer) is sending the queue
	armed    bool // the linger's timer runs
}

// DefaultLinger keeps the mirror's lag for queued rows far below anything a reader notices.
const DefaultLinger = 25 * time.Millisecond

type queued struct {
	row  Row
	done func(error)
}

// most rows in one statement: bounds one transaction's size and the wait of the rows behind it
const maxBatch = 500

// upsertManySQL is upsertSQL for many rows, passed as one array per column.
const upsertManySQL = `INSERT INTO backfill_log (` + columns + `)
SELECT ns, campaign, phase, year, month, status, books, resolved, rate::numeric, queued,
    gemini, xai, isbndb, started, completed, err, retries, last_retry, variant, batch, NOW()
FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::text[], $7::int[],
    $8::int[], $9::text[], $10::int[], $11::int[], $12::int[], $13::int[], $14::timestamptz[],
    $15::timestamptz[], $16::text[], $17::int[], $18::timestamptz[], $19::text[], $20::int[])
    AS u(ns, campaign, phase, year, month, status, books, resolved, rate, queued, gemini, xai,
    isbndb, started, completed, err, retries, last_retry, variant, batch)` + replaceRow

// Upsert writes the row, replacing the month's previous row, in the next statement. The caller
// that finds no statement on its way sends the batches until none is waiting.
func (b *Batcher) Upsert(ctx context.Context, r Row) error {
	done := make(chan error, 1)
	b.mu.Lock()
	b.queue = append(b.queue, queued{row: r, done: func(err error) { done <- err }})
	lead := !b.flushing
	b.flushing = true
	b.mu.Unlock()
	if lead {
		b.flush(context.WithoutCancel(ctx))
	}
	// Waits even if ctx ends: a row still on its way could otherwise land after the caller's
	// next, newer row. The statement's own timeout bounds the wait.
	return <-done
}

// Queue writes the row, replacing the month's previous row, within Linger (or with the next
// Upsert) and calls done with the outcome, from another goroutine; it does not wait. Rows of
// one month are written in the order they were queued, with Upsert's rows too.
func (b *Batcher) Queue(r Row, done func(error)) {
	linger := b.Linger
	if linger <= 0 {
		linger = DefaultLinger
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.queue = append(b.queue, queued{row: r, done: done})
	switch {
	case b.flushing:
		// the statement on its way is followed by the queue's
	case len(b.queue) >= maxBatch:
		b.flushing = true
		go b.flush(context.Background())
	case !b.armed:
		b.armed = true
		time.AfterFunc(linger, b.lingered)
	}
}

// lingered sends the queue unless a caller already does.
func (b *Batcher) lingered() {
	b.mu.Lock()
	b.armed = false
	lead := !b.flushing && len(b.queue) > 0
	b.flushing = b.flushing || lead
	b.mu.Unlock()
	if lead {
		b.flush(context.Background())
	}
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
	err := b.write(ctx, latestPerMonth(batch))
	if len(batch) > 1 && refusedRow(err) {
		// The database refused a row (a CHECK, say), which rolls back the statement: each row
		// goes again on its own, so that only the rows it refuses fail.
		for _, q := range batch {
			q.done(q.row.failed(b.write(ctx, []Row{q.row})))
		}
		return
	}
	for _, q := range batch {
		q.done(q.row.failed(err))
	}
}

// refusedRow reports an error about the data of some row (SQLSTATE class 22, data exception,
// or 23, integrity constraint violation), not about the database or the connection.
func refusedRow(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (strings.HasPrefix(pg.Code, "22") || strings.HasPrefix(pg.Code, "23"))
}

// write upserts rows (one per month) in one statement.
func (b *Batcher) write(ctx context.Context, rows []Row) error {
	timeout := b.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if len(rows) == 1 {
		_, err := b.DB.Exec(ctx, upsertSQL, rows[0].args()...)
		return err
	}
	var columns [][]any
	for _, r := range rows {
		args := r.args()
		if columns == nil {
			columns = make([][]any, len(args))
		}
		for i, v := range args {
			columns[i] = append(columns[i], v)
		}
	}
	arrays := make([]any, len(columns))
	for i, c := range columns {
		arrays[i] = c
	}
	_, err := b.DB.Exec(ctx, upsertManySQL, arrays...)
	return err
}

// latestPerMonth keeps the last of the rows queued for one month: a statement may change a
// row only once, and the later row is the newer one (rows for one month are queued in order).
func latestPerMonth(batch []queued) []Row {
	type month struct {
		namespace, campaign string
		year, month         int32
	}
	at := make(map[month]int, len(batch))
	rows := make([]Row, 0, len(batch))
	for _, q := range batch {
		k := month{q.row.Namespace, q.row.Campaign, q.row.Year, q.row.Month}
		if i, ok := at[k]; ok {
			rows[i] = q.row
			continue
		}
		at[k] = len(rows)
		rows = append(rows, q.row)
	}
	return rows
}
