// Package testdb gives a test its own PostgreSQL database (from localpg) with the operator's
// schema applied, and a pool on it that closes when the test ends.
package testdb

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ooheynerds/backfill-operator/internal/database"
	"github.com/ooheynerds/backfill-operator/internal/dev/localpg"
)

// New creates an empty database, migrates it, and returns its URL (for a manager or a worker
// the test starts) and a pool on it.
func New(t testing.TB) (url string, pool *pgxpool.Pool) {
	t.Helper()
	url = localpg.NewDatabase(t)
	return url, Connect(t, url)
}

// Pool is New's pool, for a test that reads and writes only through it.
func Pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	_, pool := New(t)
	return pool
}

// Connect opens a pool on an existing database (migrating it, as database.Connect does) and
// closes it when the test ends.
func Connect(t testing.TB, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := database.Connect(context.Background(), url)
	if err != nil {
		t.Fatalf("connecting to the test database: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}
