package worker

import (
	"context"
	"testing"
	"time"

	"github.com/ooheynerds/backfill-operator/internal/dev/fakes"
)

// BenchmarkMonth40Books runs whole months (both models asked for 20 books each, so up to 40
// distinct books) against the fakes with ISBNdb limited to its Premium rate of 3 req/s, on an
// empty cache each time. "free-sources-unthrottled" lets the free sources go as fast as the fakes
// answer; "real-rates" also holds them to their providers' published rates, as in production.
func BenchmarkMonth40Books(b *testing.B) {
	for _, bc := range []struct {
		name      string
		freeRates float64
	}{{"free-sources-unthrottled", -1}, {"real-rates", 0}} {
		b.Run(bc.name, func(b *testing.B) {
			e := newEnv(b, fakes.Options{Seed: 21, ISBNdbRate: fakes.DefaultISBNdbRate})
			ctx := context.Background()
			var books, isbndb, resolved int
			var wall time.Duration
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				if _, err := e.pool.Exec(ctx, `TRUNCATE backfill_books, backfill_isbn_queue, backfill_resolution_cache, backfill_attempts`); err != nil {
					b.Fatal(err)
				}
				e.srv.Reset()
				c := e.config(2014, 10, 1)
				c.ISBNdbRate = fakes.DefaultISBNdbRate
				c.GoogleBooksRate, c.OpenLibraryRate, c.LOCRate, c.WikidataRate, c.ArchiveRate = bc.freeRates, bc.freeRates, bc.freeRates, bc.freeRates, bc.freeRates
				r := e.runner(c)
				b.StartTimer()
				start := time.Now()
				s := r.Run(ctx)
				wall += time.Since(start)
				if s.ExitCode() != ExitSucceeded {
					b.Fatalf("month failed: %+v", s)
				}
				books += s.BooksGenerated
				resolved += s.ISBNsResolved
				isbndb += s.Calls["isbndb"]
			}
			n := float64(b.N)
			b.ReportMetric(wall.Seconds()/n, "wall-s/month")
			b.ReportMetric(float64(books)/n, "books/month")
			b.ReportMetric(float64(isbndb)/float64(books), "isbndb-calls/book")
			b.ReportMetric(100*float64(resolved)/float64(books), "resolution-%")
		})
	}
}
