package resolve

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ooheynerds/backfill-operator/internal/textmatch"
)

// CacheEntry is a remembered answer for a book key. ISBN13 "" is a negative answer.
type CacheEntry struct {
	ISBN13, Source string
	ResolvedAt     time.Time
}

// CacheKey is what a cached answer is valid for: the book's key (whose title carries its edition
// marks, see textmatch.KeyOf) and the edition the answer was chosen for — the publication year,
// which decides between a first edition and a later one, and the stated format, which decides
// between a hardcover and a paperback of one year ("2006", "2006 paperback"; "" when the book
// gave neither).
type CacheKey struct {
	textmatch.Key
	Edition string
}

// CacheKeyOf returns the key a query's answer is cached under.
func CacheKeyOf(q Query) CacheKey {
	k := CacheKey{Key: textmatch.KeyOf(q.Title, q.Author)}
	var edition []string
	if q.Year != 0 {
		edition = append(edition, strconv.Itoa(q.Year))
	}
	if f := canonicalFormat(q.Format); f != "" {
		edition = append(edition, f)
	}
	k.Edition = strings.Join(edition, " ")
	return k
}

// Cache answers book keys from earlier attempts.
type Cache interface {
	Lookup(ctx context.Context, keys []CacheKey) (map[CacheKey]CacheEntry, error)
}

// PGCache reads backfill_resolution_cache. DB is a *pgxpool.Pool, *pgx.Conn or pgx.Tx.
type PGCache struct {
	DB interface {
		Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	}
}

const lookupSQL = `
SELECT c.title_key, c.author_key, c.edition_key, COALESCE(c.isbn13, ''), COALESCE(c.source, ''), c.resolved_at
FROM backfill_resolution_cache c
JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(title_key, author_key, edition_key)
  ON c.title_key = k.title_key AND c.author_key = k.author_key AND c.edition_key = k.edition_key`

// Lookup returns the cached entries of the keys it knows.
func (c PGCache) Lookup(ctx context.Context, keys []CacheKey) (map[CacheKey]CacheEntry, error) {
	titles := make([]string, len(keys))
	authors := make([]string, len(keys))
	editions := make([]string, len(keys))
	for i, k := range keys {
		titles[i], authors[i], editions[i] = k.Title, k.Author, k.Edition
	}
	rows, err := c.DB.Query(ctx, lookupSQL, titles, authors, editions)
	if err != nil {
		return nil, fmt.Errorf("querying backfill_resolution_cache: %w", err)
	}
	out := map[CacheKey]CacheEntry{}
	for rows.Next() {
		var k CacheKey
		var e CacheEntry
		if err := rows.Scan(&k.Title, &k.Author, &k.Edition, &e.ISBN13, &e.Source, &e.ResolvedAt); err != nil {
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
INSERT INTO backfill_resolution_cache (title_key, author_key, edition_key, isbn13, source, resolved_at)
VALUES ($1, $2, $3, NULLIF($4, ''), NULLIF($5, ''), $6)
ON CONFLICT (title_key, author_key, edition_key) DO UPDATE
SET isbn13 = EXCLUDED.isbn13, source = EXCLUDED.source, resolved_at = EXCLUDED.resolved_at`

// StoreCache upserts the results of this attempt that were not answered by the cache: found ISBNs,
// and misses that every source answered (an Incomplete miss is not a negative answer), each under
// its CacheKey. It returns the number of keys written; a key appearing twice in res is written
// once.
func StoreCache(ctx context.Context, tx pgx.Tx, res []Resolution, now time.Time) (int, error) {
	written := map[CacheKey]bool{}
	for _, r := range res {
		k := CacheKeyOf(r.Query)
		if r.Cached || written[k] || k.Title == "" || (r.ISBN13 == "" && r.Incomplete) {
			continue
		}
		if _, err := tx.Exec(ctx, storeSQL, k.Title, k.Author, k.Edition, r.ISBN13, r.Source, now); err != nil {
			return len(written), fmt.Errorf("caching the resolution of %q by %q: %w", k.Title, k.Author, err)
		}
		written[k] = true
	}
	return len(written), nil
}
