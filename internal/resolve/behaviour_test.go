package resolve

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// stub is an httptest server for one source whose answers the test scripts. It records every
// request it receives.
type stub struct {
	*httptest.Server
	mu       sync.Mutex
	requests []*http.Request
	bodies   []string
}

func newStub(t *testing.T, handler func(w http.ResponseWriter, r *http.Request, n int)) *stub {
	t.Helper()
	s := &stub{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.requests = append(s.requests, r)
		s.bodies = append(s.bodies, string(body))
		n := len(s.requests)
		s.mu.Unlock()
		handler(w, r, n)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *stub) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

func writeBody(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// testResolver builds a resolver over the given sources (name -> stub URL) in that order, with
// unlimited rates and recorded (not slept) waits.
func testResolver(t *testing.T, strategy Strategy, sources [][2]string, tweak func(*Config)) (*Resolver, *[]time.Duration) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Strategy = strategy
	cfg.Sources = nil
	for _, s := range sources {
		sc, err := DefaultSourceConfig(s[0])
		if err != nil {
			t.Fatal(err)
		}
		sc.BaseURL, sc.RatePerSecond = s[1], -1
		if s[0] == SourceISBNdb {
			sc.APIKey = "isbndb-secret-key"
		}
		if s[0] == SourceGoogleBooks {
			sc.APIKey = "google-secret-key"
		}
		cfg.Sources = append(cfg.Sources, sc)
	}
	cfg.Now = func() time.Time { return time.Date(2026, 11, 29, 6, 0, 0, 0, time.UTC) }
	if tweak != nil {
		tweak(&cfg)
	}
	r, err := New(cfg, &http.Client{})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var waits []time.Duration
	r.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		return ctx.Err()
	}
	return r, &waits
}

func googleVolume(title, author, date, isbn13 string) string {
	return fmt.Sprintf(`{"kind":"books#volume","volumeInfo":{"title":%q,"authors":[%q],"publishedDate":%q,
	 "industryIdentifiers":[{"type":"ISBN_13","identifier":%q}]}}`, title, author, date, isbn13)
}

func googleList(volumes ...string) string {
	if len(volumes) == 0 {
		return `{"kind":"books#volumes","totalItems":0}`
	}
	return `{"kind":"books#volumes","totalItems":` + fmt.Sprint(len(volumes)) + `,"items":[` + strings.Join(volumes, ",") + `]}`
}

func TestRequestsHaveTheProvidersShape(t *testing.T) {
	ok := map[string]string{
		SourceISBNdb:      `{"total":0,"books":[]}`,
		SourceGoogleBooks: googleList(),
		SourceOpenLibrary: `{"numFound":0,"docs":[]}`,
		SourceLOC:         `<zs:searchRetrieveResponse xmlns:zs="http://www.loc.gov/zing/srw/"><zs:numberOfRecords>0</zs:numberOfRecords></zs:searchRetrieveResponse>`,
		SourceWikidata:    `{"head":{"vars":[]},"results":{"bindings":[]}}`,
		SourceArchive:     `{"response":{"numFound":0,"docs":[]}}`,
	}
	stubs := map[string]*stub{}
	var order [][2]string
	for _, name := range []string{SourceISBNdb, SourceGoogleBooks, SourceOpenLibrary, SourceLOC, SourceWikidata, SourceArchive} {
		stubs[name] = newStub(t, func(w http.ResponseWriter, r *http.Request, n int) { writeBody(w, 200, ok[name]) })
		order = append(order, [2]string{name, stubs[name].URL})
	}
	r, _ := testResolver(t, StrategyOrdered, order, nil)
	q := Query{Title: "The Road: A Novel", Author: "Cormac McCarthy", Year: 2006}
	if _, _, err := r.Resolve(t.Context(), []Query{q}, nil); err != nil {
		t.Fatal(err)
	}
	req := func(name string) *http.Request {
		if stubs[name].count() != 1 {
			t.Fatalf("%s got %d requests, want 1", name, stubs[name].count())
		}
		return stubs[name].requests[0]
	}
	for name := range stubs {
		if ua := req(name).Header.Get("User-Agent"); !strings.Contains(ua, "backfill-operator") || !strings.Contains(ua, "http") {
			t.Errorf("%s: User-Agent %q does not identify the app", name, ua)
		}
	}
	isb := req(SourceISBNdb)
	if got := isb.Header.Get("Authorization"); got != "isbndb-secret-key" {
		t.Errorf("isbndb Authorization = %q, want the raw key without Bearer", got)
	}
	if isb.URL.Path != "/books/The Road: A Novel Cormac McCarthy" || isb.URL.Query().Get("pageSize") == "" {
		t.Errorf("isbndb search = %s", isb.URL)
	}
	g := req(SourceGoogleBooks).URL.Query()
	if g.Get("q") != `intitle:"The Road A Novel" inauthor:"Cormac McCarthy"` || g.Get("key") != "google-secret-key" {
		t.Errorf("google books query = %v", g)
	}
	ol := req(SourceOpenLibrary).URL.Query()
	if !slices.Contains(strings.Split(ol.Get("fields"), ","), "isbn") || ol.Get("title") != q.Title || ol.Get("author") != q.Author {
		t.Errorf("open library query = %v (fields must ask for isbn)", ol)
	}
	lc := req(SourceLOC).URL.Query()
	if lc.Get("operation") != "searchRetrieve" || lc.Get("version") != "1.1" || lc.Get("startRecord") != "1" ||
		lc.Get("query") != `dc.title="The Road: A Novel" and dc.creator="Cormac McCarthy"` {
		t.Errorf("loc query = %v", lc)
	}
	wd := req(SourceWikidata)
	if !strings.Contains(wd.URL.Query().Get("query"), `"Cormac McCarthy"@en`) || !strings.Contains(wd.Header.Get("Accept"), "sparql-results+json") {
		t.Errorf("wikidata request = %v %v", wd.URL.Query(), wd.Header)
	}
	ar := req(SourceArchive).URL.Query()
	if ar.Get("q") != "title:(The Road A Novel) AND creator:(Cormac McCarthy) AND mediatype:texts" || !slices.Contains(ar["fl[]"], "isbn") || ar.Get("output") != "json" {
		t.Errorf("archive query = %v", ar)
	}
}

func TestVerification(t *testing.T) {
	r, _ := testResolver(t, StrategyOrdered, [][2]string{{SourceGoogleBooks, "http://unused"}, {SourceOpenLibrary, "http://unused"}}, nil)
	road := Query{Title: "The Road", Author: "Cormac McCarthy", Year: 2006}
	gb := func(title, author string, year int, isbn string) candidate {
		return candidate{source: SourceGoogleBooks, isbn13: isbn, title: title, authors: []string{author}, year: year, edition: true}
	}
	tests := []struct {
		name   string
		q      Query
		cands  []candidate
		want   string
		strong bool
	}{
		{"exact match", road, []candidate{gb("The Road", "Cormac McCarthy", 2006, "9780307265432")}, "9780307265432", true},
		{"decoy: same title, other author", road, []candidate{gb("The Road", "Jack London", 2006, "9780307387899")}, "", false},
		{"decoy listed first, the book second", road, []candidate{
			gb("The Road", "Jack London", 2006, "9780307387899"), gb("Road, The", "McCarthy, Cormac", 2006, "9780307265432")}, "9780307265432", true},
		{"other edition a year later is another ISBN", road, []candidate{gb("The Road", "Cormac McCarthy", 2007, "9780307387899")}, "", false},
		{"catalogue spelling of title and author", road, []candidate{gb("The road: a novel", "McCarthy, Cormac, 1933-", 2006, "9780307265432")}, "9780307265432", true},
		{"initials against a full name", Query{Title: "Harry Potter and the Sorcerer's Stone", Author: "J. K. Rowling", Year: 1998},
			[]candidate{gb("Harry Potter and the Sorcerer's Stone", "Joanne Rowling", 1998, "9780590353427")}, "9780590353427", true},
		{"companion book sharing the title", road, []candidate{gb("The Road: Summary & Analysis", "SuperSummary", 2006, "9780307387899")}, "", false},
		{"short titles one letter apart", Query{Title: "Emma", Author: "Jane Austen", Year: 1815}, []candidate{gb("Emmy", "Jane Austen", 1815, "9780307387899")}, "", false},
		{"no year on either side", Query{Title: "The Road", Author: "Cormac McCarthy"}, []candidate{gb("The Road", "Cormac McCarthy", 0, "9780307265432")}, "9780307265432", true},
		{"work-level ISBNs without a year are weak", road, []candidate{
			{source: SourceOpenLibrary, isbn13: "9780307265432", title: "The Road", authors: []string{"Cormac McCarthy"}, year: 2006}}, "9780307265432", false},
		{"an ISBN placed in another year's edition is excluded even where offered without a year", road, []candidate{
			{source: SourceOpenLibrary, isbn13: "9780307387899", title: "The Road", authors: []string{"Cormac McCarthy"}, year: 2006},
			{source: SourceOpenLibrary, isbn13: "9780307265432", title: "The Road", authors: []string{"Cormac McCarthy"}, year: 2006},
			{source: SourceISBNdb, isbn13: "9780307387899", title: "The Road", authors: []string{"Cormac McCarthy"}, year: 2008, edition: true}},
			"9780307265432", false},
		{"agreement across sources wins over preference", road, []candidate{
			{source: SourceOpenLibrary, isbn13: "9780307265432", title: "The Road", authors: []string{"Cormac McCarthy"}, year: 2006},
			{source: SourceGoogleBooks, isbn13: "9780307387899", title: "The Road", authors: []string{"Cormac McCarthy"}},
			{source: SourceGoogleBooks, isbn13: "9780307265432", title: "The Road", authors: []string{"Cormac McCarthy"}}},
			"9780307265432", false},
		{"fictional title: nothing", Query{Title: "The Glass Orchard", Author: "Cormac McCarthy", Year: 2006}, []candidate{gb("The Road", "Cormac McCarthy", 2006, "9780307265432")}, "", false},
		{"no author credited: rejected", road, []candidate{{source: SourceGoogleBooks, isbn13: "9780307265432", title: "The Road", year: 2006, edition: true}}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := r.choose(tt.q, tt.cands)
			if got.isbn13 != tt.want || ok != (tt.want != "") || got.strong != tt.strong {
				t.Errorf("choose = %+v, %v; want %q strong=%v", got, ok, tt.want, tt.strong)
			}
		})
	}
}

func TestRetryHonoursRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 29, 6, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		retryAfter string
		want       time.Duration
	}{
		{"seconds", "7", 7 * time.Second},
		{"HTTP date", now.Add(3 * time.Second).Format(http.TimeFormat), 3 * time.Second},
		{"absent: backoff", "", 500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, rep, waits, _ := resolveTheRoadFromGoogle(t, func(w http.ResponseWriter, n int) bool {
				if n > 1 {
					return false
				}
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				writeBody(w, 429, `{"error":{"code":429,"message":"Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user'","status":"RESOURCE_EXHAUSTED"}}`)
				return true
			})
			if res.ISBN13 != "9780307265432" {
				t.Errorf("not resolved after the retry: %+v", res)
			}
			if d := cmp.Diff([]time.Duration{tt.want}, waits); d != "" {
				t.Errorf("waits (-want +got):\n%s", d)
			}
			if rep.Calls[SourceGoogleBooks] != 2 || len(rep.QuotaExhausted) != 0 {
				t.Errorf("report = %+v, want 2 calls and no exhaustion", rep)
			}
		})
	}
}

func TestRetriesAreBoundedAndCounted(t *testing.T) {
	tests := []struct {
		name      string
		statuses  []int
		wantCalls int
		resolved  bool
	}{
		{"5xx then success", []int{500, 503, 200}, 3, true},
		{"408 then success", []int{408, 200}, 2, true},
		{"always 502: gives up after MaxAttempts", []int{502, 502, 502, 502, 502, 502}, 4, false},
		{"400 is not retried", []int{400, 200}, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, rep, waits, s := resolveTheRoadFromGoogle(t, func(w http.ResponseWriter, n int) bool {
				st := tt.statuses[min(n, len(tt.statuses))-1]
				if st != 200 {
					writeBody(w, st, `{"error":{"code":`+fmt.Sprint(st)+`,"message":"Backend Error"}}`)
				}
				return st != 200
			})
			if rep.Calls[SourceGoogleBooks] != tt.wantCalls || s.count() != tt.wantCalls {
				t.Errorf("counted %d calls, server saw %d, want %d", rep.Calls[SourceGoogleBooks], s.count(), tt.wantCalls)
			}
			if (res.ISBN13 != "") != tt.resolved || (!tt.resolved && !res.Incomplete) {
				t.Errorf("resolution = %+v", res)
			}
			for i, w := range waits {
				if want := DefaultConfig().Retry.backoff(i + 1); w != want {
					t.Errorf("wait %d = %v, want exponential backoff %v", i, w, want)
				}
			}
		})
	}
}

func TestNetworkErrorsAndCutOffBodiesAreRetriedAndCounted(t *testing.T) {
	res, rep, _, _ := resolveTheRoadFromGoogle(t, func(w http.ResponseWriter, n int) bool {
		switch n {
		case 1: // the connection drops before an answer
			hj, _ := w.(http.Hijacker)
			conn, _, _ := hj.Hijack()
			conn.Close()
		case 2: // a body cut off mid-JSON
			writeBody(w, 200, `{"kind":"books#volumes","totalItems":1,"items":[{"volumeInfo":{"title":"The Ro`)
		}
		return n <= 2
	})
	if res.ISBN13 != "9780307265432" || rep.Calls[SourceGoogleBooks] != 3 {
		t.Errorf("resolution %+v with %d calls; want resolved after 3 calls", res, rep.Calls[SourceGoogleBooks])
	}
}

// resolveTheRoadFromGoogle resolves The Road (2006) through a Google Books stub alone: fail
// answers the n-th call when it returns true, and the stub answers with the book otherwise. It
// returns the resolution, the report, the resolver's waits between calls and the stub.
func resolveTheRoadFromGoogle(t *testing.T, fail func(w http.ResponseWriter, n int) bool) (Resolution, Report, []time.Duration, *stub) {
	t.Helper()
	s := newStub(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if !fail(w, n) {
			writeBody(w, 200, googleList(googleVolume("The Road", "Cormac McCarthy", "2006", "9780307265432")))
		}
	})
	r, waits := testResolver(t, StrategyOrdered, [][2]string{{SourceGoogleBooks, s.URL}}, nil)
	res, rep, err := r.Resolve(t.Context(), []Query{{Title: "The Road", Author: "Cormac McCarthy", Year: 2006}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res[0], rep, *waits, s
}

func TestQuotaExhaustionStopsCalls(t *testing.T) {
	books := []Query{
		{Title: "The Road", Author: "Cormac McCarthy", Year: 2006},
		{Title: "Atonement", Author: "Ian McEwan", Year: 2002},
		{Title: "Life of Pi", Author: "Yann Martel", Year: 2002},
		{Title: "The Corrections", Author: "Jonathan Franzen", Year: 2001},
	}
	tests := []struct {
		name      string
		source    string
		status    int
		body      string
		wantCalls int
	}{
		{"isbndb 403", SourceISBNdb, 403, `{"message":"Forbidden"}`, 1},
		{"isbndb 429 Limit Exceeded that persists", SourceISBNdb, 429, `{"message":"Limit Exceeded"}`, 4},
		{"google books per-day 429", SourceGoogleBooks, 429, `{"error":{"code":429,"message":"Quota exceeded for quota metric 'Queries' and limit 'Queries per day' of service 'books.googleapis.com'","status":"RESOURCE_EXHAUSTED"}}`, 1},
		{"open library 429 that persists", SourceOpenLibrary, 429, `{"status": 429, "message": "Too Many Requests. Consider using https://openlibrary.org/developers/dumps."}`, 4},
		{"google books dailyLimitExceeded 403", SourceGoogleBooks, 403, `{"error":{"code":403,"message":"Daily Limit Exceeded","errors":[{"domain":"usageLimits","reason":"dailyLimitExceeded"}]}}`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStub(t, func(w http.ResponseWriter, r *http.Request, n int) { writeBody(w, tt.status, tt.body) })
			r, _ := testResolver(t, StrategyOrdered, [][2]string{{tt.source, s.URL}}, func(c *Config) { c.Concurrency = 1 })
			res, rep, err := r.Resolve(t.Context(), books, nil)
			if err != nil {
				t.Fatal(err)
			}
			if s.count() != tt.wantCalls || rep.Calls[tt.source] != tt.wantCalls {
				t.Errorf("server saw %d requests, report says %d; want %d, then none", s.count(), rep.Calls[tt.source], tt.wantCalls)
			}
			if d := cmp.Diff([]string{tt.source}, rep.QuotaExhausted); d != "" {
				t.Errorf("QuotaExhausted (-want +got):\n%s", d)
			}
			for _, res := range res {
				if res.ISBN13 != "" || !res.Incomplete {
					t.Errorf("%q: %+v; want unresolved and incomplete (not a negative answer)", res.Query.Title, res)
				}
			}
		})
	}
}

// TestFrugalSpendsOneISBNdbBatch: the free source finds three books, ISBNdb confirms them with one
// POST /books and is searched only for the book nobody else found.
func TestFrugalSpendsOneISBNdbBatch(t *testing.T) {
	known := map[string]string{
		"The Road":        googleVolume("The Road", "Cormac McCarthy", "2006-09-26", "9780307265432"),
		"Atonement":       googleVolume("Atonement", "Ian McEwan", "2002", "9780385503952"),
		"Life of Pi":      googleVolume("Life of Pi", "Yann Martel", "2002-06", "9780151008117"),
		"The Corrections": "",
	}
	google := newStub(t, func(w http.ResponseWriter, r *http.Request, n int) {
		q := r.URL.Query().Get("q")
		for title, v := range known {
			if v != "" && strings.HasPrefix(q, `intitle:"`+title+`"`) {
				writeBody(w, 200, googleList(v))
				return
			}
		}
		writeBody(w, 200, googleList())
	})
	isbndb := newStub(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/books":
			writeBody(w, 200, `{"total":2,"requested":3,"data":[
			 {"title":"The Road","isbn13":"9780307265432","authors":["McCarthy, Cormac"],"date_published":"2006-09-26","synopsys":"x"},
			 {"title":"Atonement","isbn":"0385503954","authors":["Ian McEwan"],"date_published":"2002-03-19T00:00:00+00:00","edition":1}]}`)
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/books/The Corrections"):
			writeBody(w, 200, `{"total":1,"books":[{"title":"The Corrections","isbn13":"9780374129989","authors":["Jonathan Franzen"],"date_published":"2001"}]}`)
		default:
			writeBody(w, 404, `{"errorMessage":"Not Found"}`)
		}
	})
	r, _ := testResolver(t, StrategyFrugal, [][2]string{{SourceISBNdb, isbndb.URL}, {SourceGoogleBooks, google.URL}}, nil)
	queries := []Query{
		{Title: "The Road", Author: "Cormac McCarthy", Year: 2006},
		{Title: "Atonement", Author: "Ian McEwan", Year: 2002},
		{Title: "Life of Pi", Author: "Yann Martel", Year: 2002},
		{Title: "The Corrections", Author: "Jonathan Franzen", Year: 2001},
		{Title: "The Road", Author: "Cormac McCarthy", Year: 2006}, // a duplicate costs nothing more
	}
	res, rep, err := r.Resolve(t.Context(), queries, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, x := range res {
		got[x.Query.Title] = x.ISBN13 + " " + x.Source + " " + strings.Join(x.Agreeing, "+")
	}
	want := map[string]string{
		"The Road":        "9780307265432 isbndb isbndb+googlebooks",
		"Atonement":       "9780385503952 isbndb isbndb+googlebooks",
		"Life of Pi":      "9780151008117 googlebooks googlebooks",
		"The Corrections": "9780374129989 isbndb isbndb",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("resolutions (-want +got):\n%s", d)
	}
	if d := cmp.Diff(map[string]int{SourceISBNdb: 2, SourceGoogleBooks: 4}, rep.Calls); d != "" {
		t.Errorf("calls (-want +got):\n%s", d)
	}
	var batch struct{ ISBNs []string }
	for i, req := range isbndb.requests {
		if req.Method == http.MethodPost {
			if err := json.Unmarshal([]byte(isbndb.bodies[i]), &batch); err != nil || req.Header.Get("Content-Type") != "application/json" {
				t.Errorf("batch body %q: %v", isbndb.bodies[i], err)
			}
		}
	}
	slices.Sort(batch.ISBNs)
	if d := cmp.Diff([]string{"9780151008117", "9780307265432", "9780385503952"}, batch.ISBNs); d != "" {
		t.Errorf("batch ISBNs (-want +got):\n%s", d)
	}
}

func TestAPIKeysNeverInErrors(t *testing.T) {
	s := newStub(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeBody(w, 400, `{"error":{"code":400,"message":"bad"}}`)
	})
	r, _ := testResolver(t, StrategyOrdered, [][2]string{{SourceGoogleBooks, s.URL}}, nil)
	g := r.sources[0]
	_, err := g.search(t.Context(), newAttemptState(DefaultSetAsideAfter), Query{Title: "The Road", Author: "Cormac McCarthy"})
	if err == nil || strings.Contains(err.Error(), "google-secret-key") || !strings.Contains(err.Error(), "key=REDACTED") {
		t.Errorf("error = %v; want an error naming the request with the key redacted", err)
	}
	// A refused connection: net/http puts the full URL in its error.
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	r, _ = testResolver(t, StrategyOrdered, [][2]string{{SourceGoogleBooks, dead.URL}}, nil)
	_, err = r.sources[0].search(t.Context(), newAttemptState(DefaultSetAsideAfter), Query{Title: "The Road", Author: "Cormac McCarthy"})
	if err == nil || strings.Contains(err.Error(), "google-secret-key") {
		t.Errorf("error = %v; want one without the key", err)
	}
	u, _ := url.Parse("https://www.googleapis.com/books/v1/volumes?q=x&key=abc")
	if got := redactURL(u); strings.Contains(got, "abc") {
		t.Errorf("redactURL = %s", got)
	}
}

// TestOpenLibraryEditionPinning: Open Library's search gives a work with the ISBNs of all its
// editions; the edition records (reached through a 302, counted as its own request) decide which
// ISBN is the edition of the book's year.
func TestOpenLibraryEditionPinning(t *testing.T) {
	ol := newStub(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch r.URL.Path {
		case "/search.json":
			writeBody(w, 200, `{"numFound":1,"docs":[{"key":"/works/OL1W","title":"The Road","author_name":["Cormac McCarthy"],
			 "first_publish_year":2006,"isbn":["9780307387899","0307265439"]}]}`)
		case "/isbn/9780307387899.json":
			http.Redirect(w, r, "/books/OL2M.json", http.StatusFound)
		case "/isbn/9780307265432.json":
			http.Redirect(w, r, "/books/OL1M.json", http.StatusFound)
		case "/books/OL2M.json":
			writeBody(w, 200, `{"key":"/books/OL2M","title":"The Road","publish_date":"March 28, 2008","isbn_13":["9780307387899"]}`)
		case "/books/OL1M.json":
			writeBody(w, 200, `{"key":"/books/OL1M","title":"The Road","publish_date":"September 26, 2006","isbn_10":["0307265439"]}`)
		default:
			writeBody(w, 404, `{"error":"notfound"}`)
		}
	})
	r, _ := testResolver(t, StrategyOrdered, [][2]string{{SourceOpenLibrary, ol.URL}}, nil)
	res, rep, err := r.Resolve(t.Context(), []Query{{Title: "The Road", Author: "Cormac McCarthy", Year: 2006}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].ISBN13 != "9780307265432" {
		t.Errorf("resolved to %q, want the 2006 edition 9780307265432", res[0].ISBN13)
	}
	if rep.Calls[SourceOpenLibrary] != 5 || ol.count() != 5 {
		t.Errorf("counted %d calls, server saw %d; want 5 (search + 2 lookups of 2 requests each)", rep.Calls[SourceOpenLibrary], ol.count())
	}
}

// TestTimeoutsAreRetriedAndCounted: a source that never answers costs Timeout per request, each
// request is counted, and the book stays an incomplete miss rather than a negative answer.
func TestTimeoutsAreRetriedAndCounted(t *testing.T) {
	hang := newStub(t, func(w http.ResponseWriter, r *http.Request, n int) { <-r.Context().Done() })
	r, _ := testResolver(t, StrategyOrdered, [][2]string{{SourceLOC, hang.URL}}, func(c *Config) {
		c.Sources[0].Timeout = 20 * time.Millisecond
		c.Retry.MaxAttempts = 2
	})
	res, rep, err := r.Resolve(t.Context(), []Query{{Title: "The Road", Author: "Cormac McCarthy", Year: 2006}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Calls[SourceLOC] != 2 || rep.Failures[SourceLOC] != 1 || res[0].ISBN13 != "" || !res[0].Incomplete {
		t.Errorf("after timeouts: %+v, report %+v; want 2 calls, 1 failure, an incomplete miss", res[0], rep)
	}
}
