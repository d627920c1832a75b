package mirror

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Querier is what a pool offers for a sweep: reads and writes.
type Querier interface {
	Execer
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Key names one month's row in backfill_log.
type Key struct {
	Namespace, Campaign string
	Year, Month         int32
}

func (k Key) String() string {
	return fmt.Sprintf("%s/%s %04d-%02d", k.Namespace, k.Campaign, k.Year, k.Month)
}

// Unfinished statuses describe work someone is still meant to do. A row in one of them whose
// month no longer exists claims work no one is doing; a completed or failed row stays true
// after its month is gone (the books it counts are in backfill_books), so it is kept as history.
var unfinishedStatuses = []string{"pending", "processing", "retry"}

// SweepDeleted removes the unfinished rows of months that no longer exist. exists is asked
// about every unfinished row; it must answer from a view at least as new as before — rows
// written after the sweep began are never removed, so a month recreated meanwhile keeps its
// row. Returns the keys of the removed rows.
// namespaces limits the sweep to the rows of those namespaces (nil means every namespace): a
// manager that watches some namespaces knows nothing of the months of others.
func SweepDeleted(ctx context.Context, db Querier, namespaces []string, exists func(Key) bool) ([]Key, error) {
	var began time.Time
	rows, err := db.Query(ctx, `
SELECT namespace, campaign, year, month, clock_timestamp() FROM backfill_log
WHERE status = ANY($1) AND ($2::text[] IS NULL OR namespace = ANY($2))`, unfinishedStatuses, namespaces)
	if err != nil {
		return nil, fmt.Errorf("listing unfinished backfill_log rows: %w", err)
	}
	var candidates []Key
	for rows.Next() {
		var k Key
		if err := rows.Scan(&k.Namespace, &k.Campaign, &k.Year, &k.Month, &began); err != nil {
			rows.Close()
			return nil, fmt.Errorf("reading backfill_log: %w", err)
		}
		candidates = append(candidates, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing unfinished backfill_log rows: %w", err)
	}
	var removed []Key
	for _, k := range candidates {
		if exists(k) {
			continue
		}
		tag, err := deleteUnfinished(ctx, db, k, began)
		if err != nil {
			return removed, err
		}
		if tag.RowsAffected() > 0 {
			removed = append(removed, k)
		}
	}
	return removed, nil
}

// deleteUnfinished removes k's row only if it is still unfinished and was not written since
// the sweep read it: a recreated month's first write wins over the sweep.
func deleteUnfinished(ctx context.Context, db Execer, k Key, notAfter time.Time) (pgconn.CommandTag, error) {
	tag, err := db.Exec(ctx, `
DELETE FROM backfill_log
WHERE namespace = $1 AND campaign = $2 AND year = $3 AND month = $4
  AND status = ANY($5) AND updated_at <= $6`,
		k.Namespace, k.Campaign, k.Year, k.Month, unfinishedStatuses, notAfter)
	if err != nil {
		return tag, fmt.Errorf("removing backfill_log row of deleted month %s: %w", k, err)
	}
	return tag, nil
}
