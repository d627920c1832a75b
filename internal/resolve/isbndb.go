package resolve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// isbndb is the paid ISBNdb v2 API: title+author search (GET /books/{query}) and the batch lookup
// (POST /books, up to the plan's batch size per call, billed as one call).
type isbndb struct{ ep *endpoint }

func newISBNdb(ep *endpoint) *isbndb {
	ep.classify = classifyISBNdb
	return &isbndb{ep: ep}
}

// classifyISBNdb: 404 is "no results"; 403 means the key is spent, expired or on the wrong plan's
// host — the original system learned to treat it as quota exhaustion because the quota truth lives
// at ISBNdb; 429 "Limit Exceeded" is the per-second limit unless it persists or the body speaks of
// the daily limit.
func classifyISBNdb(status int, body []byte) outcome {
	switch status {
	case http.StatusNotFound:
		return outcomeNoHits
	case http.StatusForbidden:
		return outcomeQuota
	case http.StatusTooManyRequests:
		lower := strings.ToLower(string(body))
		if strings.Contains(lower, "daily") || strings.Contains(lower, "per day") || strings.Contains(lower, "quota") {
			return outcomeQuota
		}
		return outcomeQuotaIfPersists
	}
	return defaultClassify(status, body)
}

// flexString decodes a JSON string, number or bool as text: ISBNdb sends `edition` and `msrp`
// either way, and some payloads carry ISBNs as numbers.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		*f = ""
		return nil
	}
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	if b[0] == '[' || b[0] == '{' {
		*f = "" // not a scalar: ignore (e.g. dimensions as an array)
		return nil
	}
	*f = flexString(string(b))
	return nil
}

// flexStrings decodes a list of strings, a single string, or an object whose values are strings
// (one client met `authors` as a map).
type flexStrings []string

func (f *flexStrings) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*f = nil
	case b[0] == '[':
		var raw []flexString
		if err := json.Unmarshal(b, &raw); err != nil {
			return err
		}
		out := make([]string, 0, len(raw))
		for _, s := range raw {
			if s != "" {
				out = append(out, string(s))
			}
		}
		*f = out
	case b[0] == '{':
		var m map[string]flexString
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		var out []string
		for _, v := range m {
			out = append(out, string(v))
		}
		*f = out
	default:
		var s flexString
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = []string{string(s)}
	}
	return nil
}

// isbndbBook is the part of ISBNdb's Book object the resolver reads, decoded tolerantly.
type isbndbBook struct {
	Title         flexString  `json:"title"`
	TitleLong     flexString  `json:"title_long"`
	ISBN          flexString  `json:"isbn"`
	ISBN13        flexString  `json:"isbn13"`
	ISBN10        flexString  `json:"isbn10"`
	Authors       flexStrings `json:"authors"`
	DatePublished flexString  `json:"date_published"`
	Edition       flexString  `json:"edition"`
	Synopsis      flexString  `json:"synopsis"`
	Synopsys      flexString  `json:"synopsys"` // ISBNdb's own misspelling, found in real data
	Publisher     flexString  `json:"publisher"`
	Binding       flexString  `json:"binding"`
}

// isbndbList is every list envelope ISBNdb uses: `books` (GET /books/{q}), `data` (POST /books,
// /search/books per some clients) and a single `book` (GET /book/{isbn}).
type isbndbList struct {
	Total flexString   `json:"total"`
	Books []isbndbBook `json:"books"`
	Data  []isbndbBook `json:"data"`
	Book  *isbndbBook  `json:"book"`
}

func (l isbndbList) all() []isbndbBook {
	out := append(append([]isbndbBook{}, l.Books...), l.Data...)
	if l.Book != nil {
		out = append(out, *l.Book)
	}
	return out
}

func (b isbndbBook) candidates() []candidate {
	// title_long carries the subtitle ("…: The Graphic Novel"), which may be all that tells an
	// edition from the original; title alone often lacks it.
	title := string(b.TitleLong)
	if title == "" {
		title = string(b.Title)
	}
	return withFormat(candidatesFrom(SourceISBNdb, title, b.Authors, yearOf(string(b.DatePublished)), true,
		string(b.ISBN13), string(b.ISBN), string(b.ISBN10)), string(b.Binding))
}

func decodeISBNdb(body []byte) ([]candidate, error) {
	if err := expectJSON(body, "books", "data", "book", "total"); err != nil {
		return nil, fmt.Errorf("isbndb: %w", err)
	}
	var l isbndbList
	if err := json.Unmarshal(body, &l); err != nil {
		return nil, fmt.Errorf("isbndb: decoding response: %w", err)
	}
	var out []candidate
	for _, b := range l.all() {
		out = append(out, b.candidates()...)
	}
	return out, nil
}

func (s *isbndb) header() http.Header {
	// ISBNdb wants the raw key, without "Bearer".
	return http.Header{"Authorization": {s.ep.cfg.APIKey}}
}

// search asks GET /books/{title author}, the form the original system used in production.
func (s *isbndb) search(ctx context.Context, st *attemptState, q Query) ([]candidate, error) {
	u, err := url.Parse(strings.TrimRight(s.ep.cfg.BaseURL, "/") + "/books/" + url.PathEscape(strings.TrimSpace(q.Title+" "+q.Author)))
	if err != nil {
		return nil, fmt.Errorf("isbndb: base URL: %w", err)
	}
	u.RawQuery = url.Values{"page": {"1"}, "pageSize": {strconv.Itoa(s.ep.cfg.MaxResults)}}.Encode()
	return s.ep.fetch(ctx, st, request{method: http.MethodGet, url: u, header: s.header()}, decodeISBNdb)
}

// lookup describes up to BatchSize ISBNs with one POST /books; unknown ISBNs are simply absent.
func (s *isbndb) lookup(ctx context.Context, st *attemptState, isbns []string) ([]candidate, error) {
	u, err := url.Parse(strings.TrimRight(s.ep.cfg.BaseURL, "/") + "/books")
	if err != nil {
		return nil, fmt.Errorf("isbndb: base URL: %w", err)
	}
	payload, err := json.Marshal(map[string][]string{"isbns": isbns})
	if err != nil {
		return nil, err
	}
	h := s.header()
	h.Set("Content-Type", "application/json")
	return s.ep.fetch(ctx, st, request{method: http.MethodPost, url: u, header: h,
		body: func() io.Reader { return bytes.NewReader(payload) }}, decodeISBNdb)
}
