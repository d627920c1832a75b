package resolve

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// wikidata queries the Wikidata SPARQL endpoint for works (or their editions) whose English label
// is the title and whose author (P50) has the author's English label, returning ISBN-13 (P212),
// ISBN-10 (P957) and publication date (P577). Coverage is sparse; the service asks for one query
// at a time and an identifying User-Agent.
type wikidata struct{ ep *endpoint }

func newWikidata(ep *endpoint) *wikidata { return &wikidata{ep: ep} }

// sparqlLiteral escapes a string for a SPARQL double-quoted literal.
func sparqlLiteral(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", " ", "\r", " ")
	return `"` + r.Replace(strings.TrimSpace(s)) + `"`
}

// wikidataQuery matches labels exactly (cheap for the service, unlike CONTAINS filters), once for
// the title as given and once for the title without its subtitle.
func wikidataQuery(q Query) string {
	titles := []string{sparqlLiteral(q.Title) + "@en"}
	if head, _, ok := strings.Cut(q.Title, ":"); ok && strings.TrimSpace(head) != "" {
		titles = append(titles, sparqlLiteral(head)+"@en")
	}
	return `SELECT ?work ?title ?authorLabel ?isbn13 ?isbn10 ?date WHERE {
  VALUES ?title { ` + strings.Join(titles, " ") + ` }
  ?work rdfs:label ?title ; wdt:P50 ?author .
  ?author rdfs:label ?authorLabel . FILTER(LANG(?authorLabel) = "en")
  FILTER(?authorLabel = ` + sparqlLiteral(q.Author) + `@en)
  { ?work wdt:P212 ?isbn13 . OPTIONAL { ?work wdt:P577 ?date } }
  UNION { ?work wdt:P957 ?isbn10 . OPTIONAL { ?work wdt:P577 ?date } }
  UNION { ?ed wdt:P629 ?work . { ?ed wdt:P212 ?isbn13 } UNION { ?ed wdt:P957 ?isbn10 } OPTIONAL { ?ed wdt:P577 ?date } }
} LIMIT 50`
}

type sparqlResults struct {
	Results struct {
		Bindings []map[string]struct {
			Type  string `json:"type"`
			Value string `json:"value"`
		} `json:"bindings"`
	} `json:"results"`
}

func decodeWikidata(body []byte) ([]candidate, error) {
	if err := expectJSON(body, "results", "head"); err != nil {
		return nil, fmt.Errorf("wikidata: %w", err)
	}
	var r sparqlResults
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("wikidata: decoding SPARQL results: %w", err)
	}
	var out []candidate
	for _, b := range r.Results.Bindings {
		title := b["title"].Value
		if title == "" {
			title = b["workLabel"].Value
		}
		var authors []string
		if a := b["authorLabel"].Value; a != "" {
			authors = []string{a}
		}
		year := yearOf(b["date"].Value)
		out = append(out, candidatesFrom(SourceWikidata, title, authors, year, year != 0, b["isbn13"].Value, b["isbn10"].Value)...)
	}
	return out, nil
}

func (s *wikidata) search(ctx context.Context, st *attemptState, q Query) ([]candidate, error) {
	u, err := url.Parse(s.ep.cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("wikidata: base URL: %w", err)
	}
	u.RawQuery = url.Values{"query": {wikidataQuery(q)}, "format": {"json"}}.Encode()
	return s.ep.fetch(ctx, st, request{method: http.MethodGet, url: u,
		header: http.Header{"Accept": {"application/sparql-results+json"}}}, decodeWikidata)
}
