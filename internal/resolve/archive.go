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

// archive is the Internet Archive advanced search over scanned texts. Few items carry an ISBN;
// fields come as a string or a list depending on the item.
type archive struct{ ep *endpoint }

func newArchive(ep *endpoint) *archive { return &archive{ep: ep} }

// luceneEscape drops the characters that have a meaning in a Lucene query.
func luceneEscape(s string) string {
	return strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if strings.ContainsRune(`+-&|!(){}[]^"~*?:\/`, r) {
			return ' '
		}
		return r
	}, s)), " ")
}

func decodeArchive(body []byte) ([]candidate, error) {
	var r struct {
		Response struct {
			Docs []struct {
				Title   flexStrings `json:"title"`
				Creator flexStrings `json:"creator"`
				ISBN    flexStrings `json:"isbn"`
				Date    flexString  `json:"date"`
				Year    flexString  `json:"year"`
			} `json:"docs"`
		} `json:"response"`
	}
	if err := expectJSON(body, "response"); err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("archive: decoding response: %w", err)
	}
	var out []candidate
	for _, d := range r.Response.Docs {
		title := ""
		if len(d.Title) > 0 {
			title = d.Title[0]
		}
		year := yearOf(string(d.Date))
		if year == 0 {
			year = yearOf(string(d.Year))
		}
		var raw []string
		for _, s := range d.ISBN {
			raw = append(raw, strings.Fields(strings.ReplaceAll(s, ";", " "))...)
		}
		out = append(out, candidatesFrom(SourceArchive, title, d.Creator, year, year != 0, raw...)...)
	}
	return out, nil
}

func (s *archive) search(ctx context.Context, st *attemptState, q Query) ([]candidate, error) {
	u, err := url.Parse(strings.TrimRight(s.ep.cfg.BaseURL, "/") + "/advancedsearch.php")
	if err != nil {
		return nil, fmt.Errorf("archive: base URL: %w", err)
	}
	lq := "title:(" + luceneEscape(q.Title) + ")"
	if a := luceneEscape(q.Author); a != "" {
		lq += " AND creator:(" + a + ")"
	}
	lq += " AND mediatype:texts"
	v := url.Values{"q": {lq}, "fl[]": {"identifier", "title", "creator", "isbn", "date", "year"},
		"rows": {strconv.Itoa(s.ep.cfg.MaxResults)}, "page": {"1"}, "output": {"json"}}
	u.RawQuery = v.Encode()
	return s.ep.fetch(ctx, st, request{method: http.MethodGet, url: u}, decodeArchive)
}
