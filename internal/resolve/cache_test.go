package resolve

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ooheynerds/backfill-operator/internal/dev/testdb"
)

func TestCacheInPostgreSQL(t *testing.T) {
	ctx := t.Context()
	pool := testdb.Pool(t)

	outage := false
	google := newStub(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if outage {
			writeBody(w, 503, `{"error":{"code":503,"message":"The service is currently unavailable."}}`)
			return
		}
		if strings.Contains(r.URL.Query().Get("q"), "The Road") {
			writeBody(w, 200, googleList(googleVolume("The Road", "Cormac McCarthy", "2006", "9780307265432")))
			return
		}
		writeBody(w, 200, googleList())
	})
	now := time.Date(2026, 11, 29, 6, 0, 0, 0, time.UTC)
	r, _ := testResolver(t, StrategyOrdered, [][2]string{{SourceGoogleBooks, google.URL}}, func(c *Config) {
		c.NegativeCacheTTL = 7 * 24 * time.Hour
		c.Now = func() time.Time { return now }
	})
	cache := PGCache{DB: pool}
	road := Query{Title: "The Road", Author: "Cormac McCarthy", Year: 2006}
	invented := Query{Title: "The Glass Orchard", Author: "Cormac McCarthy", Year: 2006}
	unreachable := Query{Title: "Blood Meridian", Author: "Cormac McCarthy", Year: 1985}

	store := func(res []Resolution) int {
		t.Helper()
		var n int
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			var err error
			n, err = StoreCache(ctx, tx, res, now)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	// First attempt: both books cost calls; the found ISBN and the complete miss are cached.
	res, rep, err := r.Resolve(ctx, []Query{road, invented}, cache)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Calls[SourceGoogleBooks] != 2 || res[0].ISBN13 != "9780307265432" || res[1].ISBN13 != "" || res[0].Cached {
		t.Fatalf("first attempt: %+v %+v", res, rep)
	}
	if n := store(res); n != 2 {
		t.Errorf("stored %d keys, want 2", n)
	}

	// A book whose lookup failed is an incomplete miss and is not cached as a negative answer.
	outage = true
	res, _, err = r.Resolve(ctx, []Query{unreachable}, cache)
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].Incomplete {
		t.Fatalf("outage miss not marked incomplete: %+v", res[0])
	}
	if n := store(res); n != 0 {
		t.Errorf("stored %d keys for an incomplete miss, want 0", n)
	}
	outage = false

	// Second attempt, a different spelling of the same book: the cache answers, zero calls.
	before := google.count()
	res, rep, err = r.Resolve(ctx, []Query{{Title: "Road, The", Author: "McCarthy, Cormac", Year: 2006}, invented}, cache)
	if err != nil {
		t.Fatal(err)
	}
	if google.count() != before || rep.Calls[SourceGoogleBooks] != 0 {
		t.Errorf("cache hits cost %d calls", google.count()-before)
	}
	if !res[0].Cached || res[0].ISBN13 != "9780307265432" || res[0].Source != SourceGoogleBooks || !res[1].Cached || res[1].ISBN13 != "" {
		t.Errorf("cached answers: %+v", res)
	}
	if n := store(res); n != 0 {
		t.Errorf("re-stored %d cached answers", n)
	}

	// Once the negative answer is older than NegativeCacheTTL it is asked again; the positive one is kept.
	now = now.Add(8 * 24 * time.Hour)
	res, rep, err = r.Resolve(ctx, []Query{road, invented}, cache)
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].Cached || res[1].Cached || rep.Calls[SourceGoogleBooks] != 1 {
		t.Errorf("after the TTL: %+v, calls %v", res, rep.Calls)
	}
}

// TestCacheNeverServesAnotherEdition: an answer cached for one edition (a title's edition marks,
// its publication year) is not served for another; a spelling of the same edition is.
func TestCacheNeverServesAnotherEdition(t *testing.T) {
	ctx := t.Context()
	pool := testdb.Pool(t)
	google := newStub(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeBody(w, 200, googleList(
			googleVolume("Kindred", "Octavia E. Butler", "1979", "9780385137607"),
			googleVolume("Kindred: A Graphic Novel Adaptation", "Octavia E. Butler", "2017", "9781419709470"),
			googleVolume("Kindred", "Octavia E. Butler", "2004", "9780807083697"),
		))
	})
	now := time.Date(2026, 11, 29, 6, 0, 0, 0, time.UTC)
	r, _ := testResolver(t, StrategyOrdered, [][2]string{{SourceGoogleBooks, google.URL}}, func(c *Config) {
		c.Now = func() time.Time { return now }
	})
	cache := PGCache{DB: pool}
	resolve := func(q Query) Resolution {
		t.Helper()
		res, _, err := r.Resolve(ctx, []Query{q}, cache)
		if err != nil {
			t.Fatal(err)
		}
		if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { _, err := StoreCache(ctx, tx, res, now); return err }); err != nil {
			t.Fatal(err)
		}
		return res[0]
	}
	steps := []struct {
		q          Query
		isbn       string
		fromCache  bool
		whyCorrect string
	}{
		{Query{Title: "Kindred", Author: "Octavia E. Butler", Year: 1979}, "9780385137607", false, "first seen"},
		{Query{Title: "Kindred: A Graphic Novel Adaptation", Author: "Butler, Octavia E.", Year: 2017}, "9781419709470", false, "another book (edition marks)"},
		{Query{Title: "Kindred", Author: "Octavia Butler", Year: 2004}, "9780807083697", false, "another edition (year)"},
		{Query{Title: "Kindred: A Novel", Author: "Butler, Octavia E.", Year: 1979}, "9780385137607", true, "the first edition again, spelled otherwise"},
		{Query{Title: "Kindred: The Graphic Novel", Author: "Octavia E. Butler", Year: 2017}, "9781419709470", true, "the graphic novel again, its mark spelled otherwise"},
	}
	for _, s := range steps {
		before := google.count()
		got := resolve(s.q)
		if got.ISBN13 != s.isbn || got.Cached != s.fromCache || (google.count() == before) != s.fromCache {
			t.Errorf("%q (%d), %s: ISBN %s cached %v after %d calls; want %s cached %v",
				s.q.Title, s.q.Year, s.whyCorrect, got.ISBN13, got.Cached, google.count()-before, s.isbn, s.fromCache)
		}
	}
}
