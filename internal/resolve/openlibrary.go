package resolve

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// openLibrary is Open Library's /search.json. A doc is a work: `isbn` holds the ISBNs of all its
// editions and `first_publish_year` the work's year, so its candidates are not edition-level
// unless the doc carries edition sub-documents.
type openLibrary struct{ ep *endpoint }

func newOpenLibrary(ep *endpoint) *openLibrary {
	ep.classify = func(status int, body []byte) outcome {
		if status == http.StatusNotFound { // an ISBN Open Library does not hold
			return outcomeNoHits
		}
		return defaultClassify(status, body)
	}
	return &openLibrary{ep: ep}
}

// openLibraryFields must be explicit: since 2025 search.json omits `isbn` unless asked for it.
const openLibraryFields = "key,title,subtitle,author_name,first_publish_year,isbn,editions,editions.title,editions.isbn,editions.publish_date"

type openLibraryDoc struct {
	Title            string   `json:"title"`
	Subtitle         string   `json:"subtitle"`
	AuthorName       []string `json:"author_name"`
	FirstPublishYear int      `json:"first_publish_year"`
	ISBN             []string `json:"isbn"`
	Editions         *struct {
		Docs []struct {
			Title       string   `json:"title"`
			ISBN        []string `json:"isbn"`
			PublishDate []string `json:"publish_date"`
		} `json:"docs"`
	} `json:"editions"`
}

func decodeOpenLibrary(body []byte) ([]candidate, error) {
	if err := expectJSON(body, "docs", "numFound", "num_found"); err != nil {
		return nil, fmt.Errorf("openlibrary: %w", err)
	}
	var r struct {
		Docs []openLibraryDoc `json:"docs"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("openlibrary: decoding response: %w", err)
	}
	var out []candidate
	for _, d := range r.Docs {
		// The subtitle may be what tells an edition ("…: The Graphic Novel") from the original.
		d.Title = withSubtitle(d.Title, d.Subtitle)
		if d.Editions != nil {
			for _, e := range d.Editions.Docs {
				year := 0
				for _, pd := range e.PublishDate {
					if y := yearOf(pd); y != 0 {
						year = y
						break
					}
				}
				title := e.Title
				if title == "" || (d.Subtitle != "" && !strings.Contains(title, ":")) {
					title = d.Title
				}
				out = append(out, candidatesFrom(SourceOpenLibrary, title, d.AuthorName, year, year != 0, e.ISBN...)...)
			}
		}
		out = append(out, candidatesFrom(SourceOpenLibrary, d.Title, d.AuthorName, d.FirstPublishYear, false, d.ISBN...)...)
	}
	return out, nil
}

func (s *openLibrary) search(ctx context.Context, st *attemptState, q Query) ([]candidate, error) {
	u, err := url.Parse(strings.TrimRight(s.ep.cfg.BaseURL, "/") + "/search.json")
	if err != nil {
		return nil, fmt.Errorf("openlibrary: base URL: %w", err)
	}
	v := url.Values{"title": {q.Title}, "fields": {openLibraryFields}, "limit": {strconv.Itoa(s.ep.cfg.MaxResults)}}
	if strings.TrimSpace(q.Author) != "" {
		v.Set("author", q.Author)
	}
	u.RawQuery = v.Encode()
	return s.ep.fetch(ctx, st, request{method: http.MethodGet, url: u}, decodeOpenLibrary)
}

// olEdition is the part of an edition record (/books/OL…M.json) the resolver reads. Author names
// are not in it (only keys), so the work's names are carried over by the caller.
type olEdition struct {
	PhysicalFormat string   `json:"physical_format"`
	Title          string   `json:"title"`
	Subtitle       string   `json:"subtitle"`
	PublishDate    string   `json:"publish_date"`
	ISBN13         []string `json:"isbn_13"`
	ISBN10         []string `json:"isbn_10"`
}

// edition asks /isbn/{isbn}.json (a 302 to the edition record) for the publication year of one
// of a work's ISBNs, turning a work-level candidate into an edition-level one.
func (s *openLibrary) edition(ctx context.Context, st *attemptState, work candidate) ([]candidate, error) {
	u, err := url.Parse(strings.TrimRight(s.ep.cfg.BaseURL, "/") + "/isbn/" + work.isbn13 + ".json")
	if err != nil {
		return nil, fmt.Errorf("openlibrary: base URL: %w", err)
	}
	return s.ep.fetch(ctx, st, request{method: http.MethodGet, url: u}, func(body []byte) ([]candidate, error) {
		if err := expectJSON(body, "title", "key", "isbn_13", "isbn_10"); err != nil {
			return nil, fmt.Errorf("openlibrary: edition: %w", err)
		}
		var e olEdition
		if err := json.Unmarshal(body, &e); err != nil {
			return nil, fmt.Errorf("openlibrary: decoding edition: %w", err)
		}
		title := withSubtitle(e.Title, e.Subtitle)
		if title == "" {
			title = work.title
		}
		year := yearOf(e.PublishDate)
		return withFormat(candidatesFrom(SourceOpenLibrary, title, work.authors, year, year != 0, append(e.ISBN13, e.ISBN10...)...), e.PhysicalFormat), nil
	})
}

// withSubtitle joins a title and its subtitle the way the title matcher reads them.
func withSubtitle(title, subtitle string) string {
	if title == "" || strings.TrimSpace(subtitle) == "" {
		return title
	}
	return title + ": " + strings.TrimSpace(subtitle)
}
