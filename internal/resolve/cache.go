package resolve

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ooheynerds/backfill-operator/internal/textmatch"
)

// CacheEntry is a remembered answer for a book key. ISBN13 "" is a negative answer.
type CacheEntry struct {
	ISBN13, Source string
	ResolvedAt     time.Time
}

// Cache answers book keys from earlier attempts.
type Cache interface {
	Lookup(ctx context.Context, keys []textmatch.Key) (map[textmatch.Key]CacheEntry, error)
}

// PGCache reads backfill_resolution_cache. DB is a *pgxpool.Pool, *pgx.Conn or pgx.Tx.
type PGCache struct {
	DB interface {
		Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	}
}

const lookupSQL = `
SELECT c.title_key, c.author_key, COALESCE(c.isbn13, ''), COALESCE(c.source, ''), c.resolved_at
FROM backfill_resolution_cache c
JOIN unnest($1::text[], $2::text[]) AS k(title_key, author_key)
  ON c.title_key = k.title_key AND c.author_key = k.author_key`

// Lookup returns the cached entries of the keys it knows.
func (c PGCache) Lookup(ctx context.Context, keys []textmatch.Key) (map[textmatch.Key]CacheEntry, error) {
	titles := make([]string, len(keys))
	authors := make([]string, len(keys))
	for i, k := range keys {
		titles[i], authors[i] = k.Title, k.Author
	}
	rows, err := c.DB.Query(ctx, lookupSQL, titles, authors)
	if err != nil {
		return nil, fmt.Errorf("querying backfill_resolution_cache: %w", err)
	}
	out := map[textmatch.Key]CacheEntry{}
	for rows.Next() {
		var k textmatch.Key
		var e CacheEntry
		if err := rows.Scan(&k.Title, &k.Author, &e.ISBN13, &e.Source, &e.ResolvedAt); err != nil {
			rows.Close()
			return nil, fmt.Errorf("reading backfill_resolution_cache: %w", err)
		}
		out[k] = e
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading backfill_resolution_cache: %w", err)
	}
	return out, nil
}

const storeSQL = `
INSERT INTO backfill_resolution_cache (title_key, author_key, isbn13, source, resolved_at)
VALUES ($1, $2, NULLIF($3, ''), NULLIF($4, ''), $5)
ON CONFLICT (title_key, author_key) DO UPDATE
SET isbn13 = EXCLUDED.isbn13, source = EXCLUDED.source, resolved_at = EXCLUDED.resolved_at`

// StoreCache upserts the results of this attempt that were not answered by the cache: found ISBNs,
// and misses that every source answered (an Incomplete miss is not a negative answer). It returns
// the number of keys written; a key appearing twice in res is written once.
func StoreCache(ctx context.Context, tx pgx.Tx, res []Resolution, now time.Time) (int, error) {
	written := map[textmatch.Key]bool{}
	for _, r := range res {
		if r.Cached || written[r.Key] || r.Key.Title == "" || (r.ISBN13 == "" && r.Incomplete) {
			continue
		}
		if _, err := tx.Exec(ctx, storeSQL, r.Key.Title, r.Key.Author, r.ISBN13, r.Source, now); err != nil {
			return len(written), fmt.Errorf("caching the resolution of %q by %q: %w", r.Key.Title, r.Key.Author, err)
		}
		written[r.Key] = true
	}
	return len(written), nil
}
