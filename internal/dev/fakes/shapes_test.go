package fakes

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestRealShapesOnDemand: portal pages, diagnostics, oversized and truncated answers are set
// through the admin endpoint like every other fault, and look as the real services' do.
func TestRealShapesOnDemand(t *testing.T) {
	srv := startFake(t, Options{Seed: 5})
	put := func(body string) {
		t.Helper()
		if r := do(t, http.MethodPut, srv.URL()+"/_fake/faults", body); r.status != 200 {
			t.Fatalf("PUT faults %s: %d %s", body, r.status, r.body)
		}
	}
	googleSearch := srv.GoogleBooksBaseURL() + "/volumes?q=intitle:road&country=US&key=k"

	put(`{"googlebooks":{"portalRate":1}}`)
	if r := do(t, http.MethodGet, googleSearch, ""); r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || json.Valid(r.body) {
		t.Errorf("portal: %d %q valid JSON %v, want 200 text/html that is not JSON", r.status, r.header.Get("Content-Type"), json.Valid(r.body))
	}

	put(`{"googlebooks":{"diagnosticRate":1},"loc":{"diagnosticRate":1}}`)
	if r := do(t, http.MethodGet, googleSearch, ""); r.status != 200 || !strings.Contains(string(r.body), `"diagnostic"`) || strings.Contains(string(r.body), `"items"`) {
		t.Errorf("JSON diagnostic: %d %s", r.status, r.body)
	}
	loc := do(t, http.MethodGet, srv.LOCBaseURL()+"?version=1.1&operation=searchRetrieve&query=dc.title%3Droad&startRecord=1&maximumRecords=5", "")
	if loc.status != 200 || !strings.Contains(string(loc.body), "<zs:diagnostics>") || strings.Contains(string(loc.body), "<zs:record>") {
		t.Errorf("SRU diagnostic: %d %s", loc.status, loc.body)
	}

	const size = 32 << 20
	put(`{"googlebooks":{"oversizedBytes":` + strconv.Itoa(size) + `}}`)
	res, err := http.Get(googleSearch)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err != nil || n != size || res.ContentLength != size || res.StatusCode != 200 {
		t.Errorf("oversized: status %d, %d bytes read (declared %d), err %v; want %d", res.StatusCode, n, res.ContentLength, err, size)
	}

	put(`{"googlebooks":{}, "gemini":{"truncateAnswers":true},"xai":{"truncateAnswers":true}}`)
	gem := do(t, http.MethodPost, srv.GeminiBaseURL()+"v1beta/models/gemini-2.5-flash:generateContent",
		`{"contents":[{"role":"user","parts":[{"text":"List up to 20 notable books published in September 2008 as {\"books\": [...]}"}]}]}`,
		"x-goog-api-key: k")
	var g struct {
		Candidates []struct {
			FinishReason string `json:"finishReason"`
			Content      struct {
				Parts []struct{ Text string } `json:"parts"`
			} `json:"content"`
		} `json:"candidates"`
	}
	if err := json.Unmarshal(gem.body, &g); err != nil || len(g.Candidates) != 1 {
		t.Fatalf("gemini: %d %s", gem.status, gem.body)
	}
	if c := g.Candidates[0]; c.FinishReason != "MAX_TOKENS" || json.Valid([]byte(c.Content.Parts[0].Text)) || !strings.Contains(c.Content.Parts[0].Text, `"title"`) {
		t.Errorf("gemini truncated: finishReason %q, text %q", c.FinishReason, c.Content.Parts[0].Text)
	}
	xai := do(t, http.MethodPost, srv.XAIBaseURL()+"chat/completions",
		`{"model":"grok-4","messages":[{"role":"user","content":"List up to 20 notable books published in September 2008."}]}`,
		"Authorization: Bearer k")
	var x struct {
		Choices []struct {
			FinishReason string                   `json:"finish_reason"`
			Message      struct{ Content string } `json:"message"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(xai.body, &x); err != nil || len(x.Choices) != 1 {
		t.Fatalf("xai: %d %s", xai.status, xai.body)
	}
	if c := x.Choices[0]; c.FinishReason != "length" || json.Valid([]byte(c.Message.Content)) || !strings.Contains(c.Message.Content, `"title"`) {
		t.Errorf("xai truncated: finish_reason %q, content %q", c.FinishReason, c.Message.Content)
	}

	for _, bad := range []string{`{"gemini":{"portalRate":1.5}}`, `{"isbndb":{"oversizedBytes":-1}}`, `{"loc":{"diagnosticRate":-0.1}}`} {
		if r := do(t, http.MethodPut, srv.URL()+"/_fake/faults", bad); r.status != 400 {
			t.Errorf("PUT %s: %d, want 400", bad, r.status)
		}
	}
}

// TestCatalogHasRealShapes: every month has edition look-alikes among its decoys and its books,
// and an author whose heading is compound, has a particle or names an organisation.
func TestCatalogHasRealShapes(t *testing.T) {
	c := DefaultCatalog()
	coauthored := 0
	for _, ym := range [][2]int{{1990, 1}, {2006, 9}, {2015, 6}, {2024, 12}} {
		lookalikeDecoys := 0
		for _, d := range c.Decoys(ym[0], ym[1]) {
			if d.Variant != DecoyEditionLookalike {
				continue
			}
			lookalikeDecoys++
			orig, ok := c.Lookup(d.DecoyOf)
			if !ok || orig.Title != d.Title || orig.Author != d.Author || orig.Year != d.Year || orig.Month != d.Month || d.Subtitle == orig.Subtitle {
				t.Errorf("%d-%02d: look-alike %q by %s (%d-%02d) is not an edition of %q by %s (%d-%02d)",
					ym[0], ym[1], d.FullTitle(), d.Author, d.Year, d.Month, orig.FullTitle(), orig.Author, orig.Year, orig.Month)
			}
		}
		if lookalikeDecoys < 2 {
			t.Errorf("%d-%02d: %d edition look-alike decoys, want 2", ym[0], ym[1], lookalikeDecoys)
		}
		notable := c.Notable(ym[0], ym[1])
		editions, headings := 0, 0
		for _, b := range notable {
			if editionSubtitle(b.Subtitle) {
				editions++
			}
			if b.heading != "" && b.Heading() != invertName(b.Author) {
				headings++
			}
			if len(b.Authors()) > 1 {
				coauthored++
				if len(b.Headings()) != len(b.Authors()) || !strings.Contains(b.Author, " and ") {
					t.Errorf("%q: authors %v, headings %v, credit %q", b.Title, b.Authors(), b.Headings(), b.Author)
				}
			}
		}
		if editions == 0 || headings == 0 {
			t.Errorf("%d-%02d: %d edition books and %d authors with compound or corporate headings, want some of each", ym[0], ym[1], editions, headings)
		}
	}
	if coauthored == 0 {
		t.Error("no book by several authors in the months looked at")
	}
}
