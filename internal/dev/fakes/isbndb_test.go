package fakes

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestISBNdbLookupsAndQuirks(t *testing.T) {
	srv := startFake(t, Options{ISBNdbRate: 1000})
	base, key := srv.ISBNdbBaseURL(), "Authorization: test-isbndb-key"

	r := do(t, http.MethodGet, base+"/book/9780307265432", "", key)
	if r.status != http.StatusOK {
		t.Fatalf("GET /book: %d %s", r.status, r.body)
	}
	var one struct {
		Book struct {
			Title   string   `json:"title"`
			ISBN    string   `json:"isbn"`
			ISBN13  string   `json:"isbn13"`
			Authors []string `json:"authors"`
		} `json:"book"`
	}
	if err := json.Unmarshal(r.body, &one); err != nil || one.Book.Title != "The Road" || one.Book.ISBN != "0307265439" ||
		one.Book.ISBN13 != "9780307265432" || one.Book.Authors[0] != "Cormac McCarthy" {
		t.Errorf("GET /book decoded %+v (%v)", one, err)
	}
	for _, path := range []string{"/book/9780000000002", "/books/zzqx%20nothing%20matches"} {
		if r := do(t, http.MethodGet, base+path, "", key); r.status != 404 || string(r.body) != "{\"errorMessage\":\"Not Found\"}\n" {
			t.Errorf("GET %s: %d %s, want 404 {\"errorMessage\":\"Not Found\"}", path, r.status, r.body)
		}
	}

	// Batch: JSON and form bodies; unknown ISBNs are left out silently.
	notable := srv.Catalog().Notable(2012, 6)
	var known []string
	for _, b := range notable {
		if b.KnownBy.Has(SourceISBNdb) {
			known = append(known, b.ISBN13)
		}
	}
	isbns := append(known[:3:3], "9780000000002")
	bodies := map[string]string{
		"json": `{"isbns":["` + strings.Join(isbns, `","`) + `"]}`,
		"form": "isbns=" + strings.Join(isbns, ","),
	}
	for name, body := range bodies {
		r := do(t, http.MethodPost, base+"/books", body, key, "Content-Type: application/json")
		var batch struct {
			Total, Requested int
			Data             []map[string]any
		}
		if err := json.Unmarshal(r.body, &batch); err != nil || r.status != 200 || batch.Total != 3 || batch.Requested != 4 || len(batch.Data) != 3 {
			t.Errorf("POST /books %s: %d total=%d requested=%d data=%d (%v)", name, r.status, batch.Total, batch.Requested, len(batch.Data), err)
		}
	}

	// Search by "title author", the seed's query; title-only via column.
	r = do(t, http.MethodGet, base+"/books/"+url.PathEscape("Gone Girl Gillian Flynn"), "", key)
	var search struct {
		Total int              `json:"total"`
		Books []map[string]any `json:"books"`
	}
	if err := json.Unmarshal(r.body, &search); err != nil || search.Total == 0 || search.Books[0]["title"] != "Gone Girl" {
		t.Errorf("GET /books/{title author}: %d %.200s", r.status, r.body)
	}
	r = do(t, http.MethodGet, base+"/search/books?text=Gone+Girl&author=Flynn", "", key)
	if m := r.json(t); r.status != 200 || m["data"] == nil {
		t.Errorf("GET /search/books: %d %.200s, want {total, data}", r.status, r.body)
	}

	// Field quirks across many books: both spellings of synopsis, string and numeric edition/msrp.
	seen := map[string]bool{}
	for _, b := range srv.Catalog().all[:400] {
		if b.ISBN13 == "" || !b.KnownBy.Has(SourceISBNdb) {
			continue
		}
		m := isbndbBookJSON(b)
		for _, f := range []string{"synopsys", "synopsis"} {
			if _, ok := m[f]; ok {
				seen[f] = true
			}
		}
		for _, f := range []string{"edition", "msrp", "dewey_decimal"} {
			switch m[f].(type) {
			case string:
				seen[f+":string"] = true
			case int, float64, []string:
				seen[f+":other"] = true
			}
		}
	}
	for _, want := range []string{"synopsys", "synopsis", "edition:string", "edition:other", "msrp:string", "msrp:other", "dewey_decimal:string", "dewey_decimal:other"} {
		if !seen[want] {
			t.Errorf("no book shows the %s variant", want)
		}
	}
}

func TestISBNdbAuth(t *testing.T) {
	srv := startFake(t, Options{})
	for _, h := range []string{"X-None: x", "Authorization: Bearer test-key"} {
		r := do(t, http.MethodGet, srv.ISBNdbBaseURL()+"/book/9780307265432", "", h)
		if r.status != http.StatusForbidden || !strings.Contains(string(r.body), `"message"`) {
			t.Errorf("%s: %d %s, want 403 with a message", h, r.status, r.body)
		}
	}
}

func TestISBNdbRateLimitAndDailyQuota(t *testing.T) {
	clock := newFakeClock()
	srv := startFake(t, Options{Clock: clock.Now, ISBNdbRate: 3, ISBNdbDailyQuota: 8})
	get := func() response {
		return do(t, http.MethodGet, srv.ISBNdbBaseURL()+"/book/9780307265432", "", "Authorization: k1")
	}
	var statuses []int
	for range 4 {
		statuses = append(statuses, get().status)
	}
	if want := []int{200, 200, 200, 429}; !equalInts(statuses, want) {
		t.Errorf("4 calls in the same instant: %v, want %v", statuses, want)
	}
	r := get()
	if r.status != 429 || r.header.Get("Retry-After") == "" || string(r.body) != "{\"message\":\"Limit Exceeded\"}\n" {
		t.Errorf("over the rate: %d Retry-After=%q %s", r.status, r.header.Get("Retry-After"), r.body)
	}
	// Another key has its own bucket.
	if r := do(t, http.MethodGet, srv.ISBNdbBaseURL()+"/book/9780307265432", "", "Authorization: k2"); r.status != 200 {
		t.Errorf("second key: %d, want 200", r.status)
	}
	clock.Advance(time.Second)
	if r := get(); r.status != 200 {
		t.Errorf("after a second: %d, want 200", r.status)
	}
	// /key reports the billed calls: 6 so far, 429s included, plus this one.
	r = do(t, http.MethodGet, srv.ISBNdbBaseURL()+"/key", "", "Authorization: k1")
	var key struct {
		PlanLimit struct{ Total, Spent, Left int } `json:"plan_limit"`
	}
	if err := json.Unmarshal(r.body, &key); err != nil || key.PlanLimit.Total != 8 || key.PlanLimit.Spent != 7 || key.PlanLimit.Left != 1 {
		t.Errorf("GET /key: %s, want total 8 spent 7 left 1", r.body)
	}
	clock.Advance(time.Second)
	if r := get(); r.status != 200 {
		t.Errorf("8th call: %d, want 200", r.status)
	}
	clock.Advance(time.Second)
	if r := get(); r.status != http.StatusForbidden {
		t.Errorf("9th call past the daily quota: %d %s, want 403", r.status, r.body)
	}
	clock.Advance(24 * time.Hour)
	if r := get(); r.status != 200 {
		t.Errorf("next UTC day: %d, want 200", r.status)
	}
	if got := srv.Calls()[SourceISBNdb]; got != 11 {
		t.Errorf("isbndb calls = %d, want 11", got)
	}
}

func TestISBNdbQuotaExhaustionFault(t *testing.T) {
	srv := startFake(t, Options{ISBNdbRate: 1000, Faults: map[string]Faults{SourceISBNdb: {QuotaExhaustedAfter: Ptr(2)}}})
	var statuses []int
	for range 4 {
		statuses = append(statuses, do(t, http.MethodGet, srv.ISBNdbBaseURL()+"/book/9780307265432", "", "Authorization: k").status)
	}
	if want := []int{200, 200, 403, 403}; !equalInts(statuses, want) {
		t.Errorf("statuses %v, want %v", statuses, want)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
