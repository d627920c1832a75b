package resolve

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/ooheynerds/backfill-operator/internal/dev/fakes"
)

// TestSourceSetAsideAfterBadAnswers: a source that keeps answering with something other than its
// API's answers, or keeps failing, is set aside for the rest of the attempt with a reason after
// SetAsideAfter bad answers in a row, instead of being asked about every book; the books it was
// not asked about are Incomplete misses (not cached as "no such book").
func TestSourceSetAsideAfterBadAnswers(t *testing.T) {
	const portal = `<!DOCTYPE html><html><head><title>Guest Wi-Fi login</title></head><body>Sign in</body></html>`
	tests := []struct {
		name       string
		source     string
		answer     func(w http.ResponseWriter, r *http.Request, n int)
		wantCalls  int
		wantReason string
	}{
		{"Google Books behind a captive portal", SourceGoogleBooks,
			func(w http.ResponseWriter, _ *http.Request, _ int) { writeBody(w, 200, portal) }, 5, `HTML page ("Guest Wi-Fi login")`},
		{"ISBNdb answering 200 with an error object", SourceISBNdb,
			func(w http.ResponseWriter, _ *http.Request, _ int) {
				writeBody(w, 200, `{"errorType":"InternalServerErrorException","errorMessage":"Internal server error"}`)
			}, 5, "a JSON object without books or data"},
		{"Open Library answering empty bodies", SourceOpenLibrary,
			func(w http.ResponseWriter, _ *http.Request, _ int) { writeBody(w, 200, "") }, 5, "an empty body"},
		{"Library of Congress answering SRU diagnostics", SourceLOC,
			func(w http.ResponseWriter, _ *http.Request, _ int) {
				writeBody(w, 200, `<?xml version="1.0"?><zs:searchRetrieveResponse xmlns:zs="http://www.loc.gov/zing/srw/"><zs:numberOfRecords>0</zs:numberOfRecords>`+
					`<zs:diagnostics><diag:diagnostic xmlns:diag="http://www.loc.gov/zing/srw/diagnostic/"><diag:uri>info:srw/diagnostic/1/1</diag:uri>`+
					`<diag:message>General system error</diag:message></diag:diagnostic></zs:diagnostics></zs:searchRetrieveResponse>`)
			}, 5, "SRU diagnostic info:srw/diagnostic/1/1: General system error"},
		{"Library of Congress behind a maintenance page", SourceLOC,
			func(w http.ResponseWriter, _ *http.Request, _ int) { writeBody(w, 200, portal) }, 5, "HTML page"},
		{"Archive answering a JSON array", SourceArchive,
			func(w http.ResponseWriter, _ *http.Request, _ int) { writeBody(w, 200, `["maintenance"]`) }, 5, "not a JSON object"},
		{"Wikidata answering oversized bodies", SourceWikidata,
			func(w http.ResponseWriter, _ *http.Request, _ int) {
				w.WriteHeader(200)
				_, _ = w.Write([]byte(`{"head":{},"results":{"bindings":[]}}` + strings.Repeat(" ", maxBody)))
			}, 5, "exceeds the size bound"},
		{"Google Books cutting every body off (retried, each cut counted)", SourceGoogleBooks,
			func(w http.ResponseWriter, _ *http.Request, _ int) {
				writeBody(w, 200, `{"kind":"books#volumes","totalItems":3,"items":[{"volu`)
			}, 5, "decoding response"},
		{"Open Library failing with 502 (each book retried, then counted once)", SourceOpenLibrary,
			func(w http.ResponseWriter, _ *http.Request, _ int) { writeBody(w, 502, "<html>Bad Gateway</html>") }, 5 * 4, "giving up after 4 requests"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStub(t, tt.answer)
			r, _ := testResolver(t, StrategyOrdered, [][2]string{{tt.source, s.URL}}, func(c *Config) { c.Concurrency = 1 })
			var qs []Query
			for i := range 12 {
				qs = append(qs, Query{Title: fmt.Sprintf("Book Number %d", i), Author: "Some Author", Year: 2001})
			}
			res, rep, err := r.Resolve(t.Context(), qs, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.count(); got != tt.wantCalls || rep.Calls[tt.source] != tt.wantCalls {
				t.Errorf("%s received %d requests (reported %d), want %d: set aside after %d bad answers",
					tt.source, got, rep.Calls[tt.source], tt.wantCalls, DefaultSetAsideAfter)
			}
			if len(rep.SetAside) != 1 || rep.SetAside[0].Source != tt.source || !strings.Contains(rep.SetAside[0].Reason, tt.wantReason) {
				t.Errorf("SetAside = %+v, want %s with a reason containing %q", rep.SetAside, tt.source, tt.wantReason)
			}
			for _, x := range res {
				if x.ISBN13 != "" || !x.Incomplete {
					t.Errorf("%q: ISBN %q incomplete %v, want an incomplete miss", x.Query.Title, x.ISBN13, x.Incomplete)
				}
			}
		})
	}
}

// TestSourceNotSetAsideWhenGoodAnswersInterleave: bad answers that are not in a row (a flaky
// source that mostly works) never set a source aside.
func TestSourceNotSetAsideWhenGoodAnswersInterleave(t *testing.T) {
	s := newStub(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		if n%3 == 0 {
			writeBody(w, 200, googleList(googleVolume("The Road", "Cormac McCarthy", "2006-09-26", "9780307265432")))
			return
		}
		writeBody(w, 200, "<html><title>Maintenance</title></html>")
	})
	r, _ := testResolver(t, StrategyOrdered, [][2]string{{SourceGoogleBooks, s.URL}}, func(c *Config) { c.Concurrency = 1 })
	var qs []Query
	for i := range 12 {
		qs = append(qs, Query{Title: fmt.Sprintf("Book Number %d", i), Author: "Some Author"})
	}
	_, rep, err := r.Resolve(t.Context(), qs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.SetAside) != 0 || s.count() != 12 {
		t.Errorf("SetAside = %+v after %d requests, want none and one request per book", rep.SetAside, s.count())
	}
}

// TestChainSetsAsideSourcesThatAnswerGarbage runs months through the fakes with Google Books
// behind a portal page and the Library of Congress answering diagnostics: both are set aside
// after a handful of requests, the others keep the resolution rate, and no wrong ISBN appears.
func TestChainSetsAsideSourcesThatAnswerGarbage(t *testing.T) {
	ctx := t.Context()
	srv, err := fakes.Start(ctx, fakes.Options{ISBNdbRate: 1000, Faults: map[string]fakes.Faults{
		fakes.SourceGoogleBooks: {PortalRate: 1},
		fakes.SourceLOC:         {DiagnosticRate: 1},
		fakes.SourceArchive:     {OversizedBytes: 9 << 20},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	r := chainAgainstFakes(t, srv, StrategyFrugal, 1000)
	c := srv.Catalog()
	var q quality
	for _, m := range qualityMonths[:3] {
		rep := resolveMonth(t, r, c, m, true, &q)
		var aside []string
		for _, a := range rep.SetAside {
			aside = append(aside, a.Source)
			t.Logf("%d-%02d: %s set aside: %s", m[0], m[1], a.Source, a.Reason)
		}
		slices.Sort(aside)
		if want := []string{SourceArchive, SourceGoogleBooks, SourceLOC}; !slices.Equal(aside, want) {
			t.Errorf("%d-%02d: set aside %v, want %v", m[0], m[1], aside, want)
		}
		// The threshold, plus requests already in flight when it was reached.
		for _, s := range []string{SourceGoogleBooks, SourceLOC, SourceArchive} {
			if n := rep.Calls[s]; n > DefaultSetAsideAfter+4 {
				t.Errorf("%d-%02d: %s called %d times while answering garbage", m[0], m[1], s, n)
			}
		}
	}
	t.Logf("with three sources set aside: %v", q)
	if q.wrong != 0 || q.fictionalHits != 0 {
		t.Errorf("wrong ISBNs %d, fictional %d; want none", q.wrong, q.fictionalHits)
	}
	// About a tenth of the fixture is known only to the three sources set aside.
	if rate := float64(q.resolvedRight) / float64(q.resolvable); rate < 0.85 {
		t.Errorf("resolution rate %.3f with three sources set aside, want >= 0.85", rate)
	}
}
