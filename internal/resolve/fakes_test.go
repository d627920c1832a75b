package resolve

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ooheynerds/backfill-operator/internal/dev/fakes"
	"github.com/ooheynerds/backfill-operator/internal/textmatch"
)

// chainAgainstFakes builds the default chain pointed at the in-repo fakes. ISBNdb keeps its real
// Premium rate (3/s); the free sources are not throttled here because the fakes do not limit them
// and the quality measurement does not depend on their pace.
func chainAgainstFakes(t testing.TB, srv *fakes.Server, strategy Strategy, isbndbRate float64) *Resolver {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Strategy = strategy
	cfg.Retry = RetryPolicy{MaxAttempts: 4, BaseDelay: 10 * time.Millisecond, MaxDelay: 100 * time.Millisecond, MaxWait: 2 * time.Second}
	urls := srv.BaseURLs()
	for i := range cfg.Sources {
		s := &cfg.Sources[i]
		s.BaseURL = urls[s.Name]
		if s.Name == SourceISBNdb {
			s.RatePerSecond, s.Burst, s.APIKey = isbndbRate, 1, "test-isbndb-key"
		} else {
			s.RatePerSecond = -1 // unlimited
		}
		if s.Name == SourceGoogleBooks {
			s.APIKey = "test-google-key"
		}
	}
	r, err := New(cfg, &http.Client{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// monthQueries is what a good model proposes for a month: its notable books and a few invented
// titles. Decoys are never proposed; they exist in the sources to be wrongly matched. With noisy,
// titles and authors are written the ways models write them: subtitle left out, "Last, First",
// an initial for the first name, lower case with '&' and a transposition typo in a long word.
func monthQueries(c *fakes.Catalog, year, month int, noisy bool) (qs []Query, truth map[Query]fakes.Book) {
	truth = map[Query]fakes.Book{}
	for i, b := range append(c.Notable(year, month), c.Fictional(year, month)...) {
		q := Query{Title: b.FullTitle(), Author: b.Author, Year: b.Year, Format: b.Format}
		if noisy {
			q = perturb(q, b, i)
		}
		qs = append(qs, q)
		truth[q] = b
	}
	return qs, truth
}

func perturb(q Query, b fakes.Book, i int) Query {
	names := strings.Fields(b.Author)
	switch i % 5 {
	case 0:
		// A model that leaves out a plain subtitle asks for the same book; one that left out
		// "The Graphic Novel" would be asking for another book, so edition subtitles stay.
		if len(textmatch.EditionMarks(b.Subtitle)) == 0 {
			q.Title = b.Title
		}
	case 1:
		if len(names) > 1 {
			q.Author = names[len(names)-1] + ", " + strings.Join(names[:len(names)-1], " ")
		}
	case 2:
		if len(names) > 1 && len(names[0]) > 1 {
			q.Author = names[0][:1] + ". " + strings.Join(names[1:], " ")
		}
	case 3:
		words := strings.Fields(strings.ReplaceAll(strings.ToLower(q.Title), " and ", " & "))
		longest := 0
		for j, w := range words {
			if len(w) > len(words[longest]) {
				longest = j
			}
		}
		if w := []byte(words[longest]); len(w) >= 8 {
			w[3], w[4] = w[4], w[3]
			words[longest] = string(w)
		}
		q.Title = strings.Join(words, " ")
	}
	return q
}

type quality struct {
	books, resolvable, resolvedRight, wrong, decoyHits, fictionalHits, isbndbCalls int
	calls                                                                          map[string]int
}

func (q quality) String() string {
	return fmt.Sprintf("books=%d resolvable=%d right=%d (%.1f%%) wrong=%d decoy-isbns=%d fictional-isbns=%d isbndb-calls/book=%.3f calls=%v",
		q.books, q.resolvable, q.resolvedRight, 100*float64(q.resolvedRight)/float64(max(1, q.resolvable)),
		q.wrong, q.decoyHits, q.fictionalHits, float64(q.isbndbCalls)/float64(max(1, q.books)), q.calls)
}

func measure(t testing.TB, c *fakes.Catalog, truth map[Query]fakes.Book, res []Resolution, rep Report, q *quality) {
	t.Helper()
	q.books += len(res)
	q.isbndbCalls += rep.Calls[SourceISBNdb]
	if q.calls == nil {
		q.calls = map[string]int{}
	}
	for s, n := range rep.Calls {
		q.calls[s] += n
	}
	for _, r := range res {
		b := truth[r.Query]
		if b.Kind == fakes.KindNotable && len(b.KnownBy.Names()) > 0 {
			q.resolvable++
		}
		switch {
		case r.ISBN13 == "":
			if b.Kind == fakes.KindNotable && len(b.KnownBy.Names()) > 0 {
				t.Logf("missed %q by %s (%d), known by %v", r.Query.Title, r.Query.Author, r.Query.Year, b.KnownBy.Names())
			}
		case b.Kind == fakes.KindFictional:
			q.fictionalHits++
			t.Errorf("fictional %q by %s resolved to %s via %s", r.Query.Title, r.Query.Author, r.ISBN13, r.Source)
		case r.ISBN13 == b.ISBN13:
			q.resolvedRight++
		default:
			q.wrong++
			if got, ok := c.Lookup(r.ISBN13); ok && got.Kind == fakes.KindDecoy {
				q.decoyHits++
			}
			got, _ := c.Lookup(r.ISBN13)
			t.Errorf("%q by %s (%d) resolved to %s via %v, which is %q by %s (%d, %s %s); want %s",
				r.Query.Title, r.Query.Author, r.Query.Year, r.ISBN13, r.Agreeing, got.FullTitle(), got.Author, got.Year, got.Kind, got.Variant, b.ISBN13)
		}
	}
}

// resolveMonth resolves a catalog month's books (spelled as models vary them when noisy), adds
// how well they resolved to q and returns the report.
func resolveMonth(t testing.TB, r *Resolver, c *fakes.Catalog, month [2]int, noisy bool, q *quality) Report {
	t.Helper()
	qs, truth := monthQueries(c, month[0], month[1], noisy)
	res, rep, err := r.Resolve(t.Context(), qs, nil)
	if err != nil {
		t.Fatal(err)
	}
	measure(t, c, truth, res, rep, q)
	return rep
}

var qualityMonths = [][2]int{{1998, 9}, {2003, 3}, {2006, 9}, {2008, 9}, {2012, 5}, {2015, 6}, {2019, 11}, {2021, 4}}

// TestChainQualityAgainstFakes resolves whole months of the fixture catalog through the real
// clients and the fakes and reports the resolution rate of resolvable books, wrong ISBNs (decoys),
// ISBNs given to invented titles and ISBNdb calls per book, for both strategies.
func TestChainQualityAgainstFakes(t *testing.T) {
	if testing.Short() {
		t.Skip("resolves several months against the fakes at ISBNdb's real rate")
	}
	ctx := t.Context()
	srv, err := fakes.Start(ctx, fakes.Options{ISBNdbRate: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c := srv.Catalog()
	// The fixture must hold the shapes that lead to wrong ISBNs: look-alike editions (same title,
	// author and month, told apart by an edition subtitle) in the sources, look-alike editions
	// among the books asked for, and authors filed under compound, particle or corporate headings.
	lookalikeDecoys, lookalikeBooks := 0, 0
	for _, m := range qualityMonths {
		for _, d := range c.Decoys(m[0], m[1]) {
			if d.Variant == fakes.DecoyEditionLookalike {
				lookalikeDecoys++
			}
		}
		for _, b := range c.Notable(m[0], m[1]) {
			if len(textmatch.EditionMarks(b.FullTitle())) > 0 && len(b.KnownBy.Names()) > 0 {
				lookalikeBooks++
			}
		}
	}
	t.Logf("fixture: %d months, %d edition look-alike decoys in the sources, %d resolvable look-alike editions asked for",
		len(qualityMonths), lookalikeDecoys, lookalikeBooks)
	if lookalikeDecoys < 2*len(qualityMonths) || lookalikeBooks < len(qualityMonths)/2 {
		t.Fatalf("fixture has %d look-alike decoys and %d resolvable look-alike books in %d months; the catalogue lost its edition look-alikes",
			lookalikeDecoys, lookalikeBooks, len(qualityMonths))
	}
	for _, tc := range []struct {
		strategy         Strategy
		noisy            bool
		maxISBNdbPerBook float64
	}{
		{StrategyFrugal, false, 0.25},
		{StrategyFrugal, true, 0.25},
		{StrategyOrdered, true, 1.5},
	} {
		t.Run(fmt.Sprintf("%s/noisy=%v", tc.strategy, tc.noisy), func(t *testing.T) {
			r := chainAgainstFakes(t, srv, tc.strategy, 1000)
			var q quality
			for _, m := range qualityMonths {
				if rep := resolveMonth(t, r, c, m, tc.noisy, &q); len(rep.QuotaExhausted) > 0 {
					t.Fatalf("quota exhausted on a healthy fake: %v", rep.QuotaExhausted)
				}
			}
			t.Logf("%s noisy=%v: %v", tc.strategy, tc.noisy, q)
			if rate := float64(q.resolvedRight) / float64(q.resolvable); rate < 0.99 {
				t.Errorf("resolution rate of resolvable books %.3f, want >= 0.99", rate)
			}
			if q.wrong != 0 || q.fictionalHits != 0 {
				t.Errorf("wrong ISBNs %d (decoys %d), fictional ISBNs %d; want none", q.wrong, q.decoyHits, q.fictionalHits)
			}
			if per := float64(q.isbndbCalls) / float64(q.books); per > tc.maxISBNdbPerBook {
				t.Errorf("ISBNdb calls per book %.3f, want <= %.2f", per, tc.maxISBNdbPerBook)
			}
		})
	}
}

// BenchmarkResolveMonth resolves a 40-book month against the fakes with every source at its
// default (real) rate, ISBNdb at Premium's 3 req/s, and reports the wall time next to the lower
// bound the rate limits impose (the slowest source's calls divided by its rate) and the ISBNdb
// calls per book.
func BenchmarkResolveMonth(b *testing.B) {
	ctx := b.Context()
	srv, err := fakes.Start(ctx, fakes.Options{ISBNdbRate: fakes.DefaultISBNdbRate})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	c := srv.Catalog()
	qs, _ := monthQueries(c, 2008, 9, true)
	more, _ := monthQueries(c, 2008, 10, true)
	qs = append(qs, more...)[:40]

	cfg := DefaultConfig()
	urls := srv.BaseURLs()
	for i := range cfg.Sources {
		cfg.Sources[i].BaseURL = urls[cfg.Sources[i].Name]
		switch cfg.Sources[i].Name {
		case SourceISBNdb:
			cfg.Sources[i].APIKey = "bench-isbndb-key"
		case SourceGoogleBooks:
			cfg.Sources[i].APIKey = "bench-google-key"
		}
	}
	var wall time.Duration
	var lowerBound float64
	var isbndbCalls, resolved int
	for b.Loop() {
		r, err := New(cfg, &http.Client{}) // fresh limiters: each iteration is one attempt
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		res, rep, err := r.Resolve(ctx, qs, nil)
		if err != nil {
			b.Fatal(err)
		}
		wall += time.Since(start)
		bound := 0.0
		for _, s := range cfg.Sources {
			if n := rep.Calls[s.Name] - s.Burst; n > 0 && s.RatePerSecond > 0 {
				bound = max(bound, float64(n)/s.RatePerSecond)
			}
		}
		lowerBound += bound
		isbndbCalls += rep.Calls[SourceISBNdb]
		for _, x := range res {
			if x.ISBN13 != "" {
				resolved++
			}
		}
		b.Logf("calls %v, resolved %d/%d, lower bound %.1fs, wall %s", rep.Calls, resolved, len(qs), bound, time.Since(start).Round(time.Millisecond))
	}
	n := float64(b.N)
	b.ReportMetric(wall.Seconds()/n, "wall-s/op")
	b.ReportMetric(lowerBound/n, "ratelimit-lower-bound-s/op")
	b.ReportMetric(float64(isbndbCalls)/n/float64(len(qs)), "isbndb-calls/book")
	b.ReportMetric(float64(resolved)/n/float64(len(qs)), "resolved/book")
}

// TestChainUnderFaults runs months against fakes that fail, rate-limit and cut bodies off, and
// whose ISBNdb quota runs out mid-attempt: the calls the resolver reports must equal the requests
// the providers received, ISBNdb must be reported exhausted and left alone, no wrong ISBN may be
// accepted, and the free sources must keep the resolution rate up.
func TestChainUnderFaults(t *testing.T) {
	ctx := t.Context()
	flaky := fakes.Faults{ErrorRate: 0.15, RateLimitRate: 0.1, RetryAfterSeconds: 1, MalformedRate: 0.05}
	srv, err := fakes.Start(ctx, fakes.Options{ISBNdbRate: 1000, Seed: 7, Faults: map[string]fakes.Faults{
		fakes.SourceGoogleBooks: flaky,
		fakes.SourceOpenLibrary: flaky,
		fakes.SourceLOC:         flaky,
		fakes.SourceISBNdb:      {QuotaExhaustedAfter: fakes.Ptr(3)},
		fakes.SourceWikidata:    {RateLimitRate: 1}, // refuses everything: must be given up, not hammered
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	r := chainAgainstFakes(t, srv, StrategyFrugal, 1000)
	r.sleep = func(ctx context.Context, d time.Duration) error { return ctx.Err() } // Retry-After honoured in the fake clock only
	c := srv.Catalog()
	var q quality
	total := map[string]int{}
	var perAttempt []int // ISBNdb calls per attempt
	for _, m := range qualityMonths[:4] {
		rep := resolveMonth(t, r, c, m, true, &q)
		for s, n := range rep.Calls {
			total[s] += n
		}
		perAttempt = append(perAttempt, rep.Calls[SourceISBNdb])
		if !slices.Contains(rep.QuotaExhausted, SourceISBNdb) || !slices.Contains(rep.QuotaExhausted, SourceWikidata) {
			t.Errorf("QuotaExhausted = %v, want isbndb and wikidata", rep.QuotaExhausted)
		}
	}
	t.Logf("under faults: %v", q)
	seen := srv.Calls()
	for _, s := range []string{SourceISBNdb, SourceGoogleBooks, SourceOpenLibrary, SourceLOC, SourceWikidata, SourceArchive} {
		if total[s] != seen[s] {
			t.Errorf("%s: resolver counted %d calls, the provider received %d", s, total[s], seen[s])
		}
	}
	// ISBNdb: 3 admitted, then the first refusal stops further calls; only requests already in
	// flight (at most MaxInFlight) also meet it. Later attempts learn it from their one batch call.
	if perAttempt[0] > 3+4 {
		t.Errorf("first attempt called ISBNdb %d times with a quota of 3", perAttempt[0])
	}
	for i, n := range perAttempt[1:] {
		if n != 1 {
			t.Errorf("attempt %d called ISBNdb %d times after its quota ran out, want 1", i+2, n)
		}
	}
	// Wikidata: one request and its retries per attempt, then left alone.
	if max := DefaultConfig().Retry.MaxAttempts * len(qualityMonths[:4]); total[SourceWikidata] > max {
		t.Errorf("Wikidata called %d times while refusing everything, want <= %d", total[SourceWikidata], max)
	}
	if rate := float64(q.resolvedRight) / float64(q.resolvable); rate < 0.9 {
		t.Errorf("resolution rate under faults %.3f, want >= 0.9", rate)
	}
	if q.wrong != 0 || q.fictionalHits != 0 {
		t.Errorf("wrong ISBNs %d, fictional ISBNs %d; want none", q.wrong, q.fictionalHits)
	}
}
