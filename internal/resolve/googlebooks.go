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

// googleBooks is the Google Books v1 volumes search. Each volume is one edition with its own
// publishedDate and ISBN_13/ISBN_10 identifiers.
type googleBooks struct{ ep *endpoint }

func newGoogleBooks(ep *endpoint) *googleBooks {
	ep.classify = classifyGoogle
	return &googleBooks{ep: ep}
}

// classifyGoogle separates the daily quota (429 "… per day …" or 403 dailyLimitExceeded /
// quotaExceeded: nothing more today) from the per-minute limit (429, clears in seconds).
func classifyGoogle(status int, body []byte) outcome {
	var e struct {
		Error struct {
			Message string `json:"message"`
			Errors  []struct {
				Reason string `json:"reason"`
			} `json:"errors"`
			Details []struct {
				Metadata map[string]string `json:"metadata"`
			} `json:"details"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	daily := strings.Contains(strings.ToLower(e.Error.Message), "per day")
	for _, x := range e.Error.Errors {
		daily = daily || x.Reason == "dailyLimitExceeded" || x.Reason == "quotaExceeded"
	}
	for _, d := range e.Error.Details {
		daily = daily || strings.Contains(d.Metadata["quota_limit"], "PerDay") || strings.Contains(d.Metadata["quota_unit"], "/d/")
	}
	switch {
	case (status == http.StatusTooManyRequests || status == http.StatusForbidden) && daily:
		return outcomeQuota
	}
	return defaultClassify(status, body)
}

type googleVolumes struct {
	TotalItems int `json:"totalItems"`
	// Items is absent (not empty) when nothing matched.
	Items []struct {
		VolumeInfo struct {
			Title               string   `json:"title"`
			Subtitle            string   `json:"subtitle"`
			Authors             []string `json:"authors"`
			PublishedDate       string   `json:"publishedDate"`
			IndustryIdentifiers []struct {
				Type       string `json:"type"`
				Identifier string `json:"identifier"`
			} `json:"industryIdentifiers"`
		} `json:"volumeInfo"`
	} `json:"items"`
}

func decodeGoogleBooks(body []byte) ([]candidate, error) {
	if err := expectJSON(body, "kind", "totalItems", "items"); err != nil {
		return nil, fmt.Errorf("googlebooks: %w", err)
	}
	var v googleVolumes
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, fmt.Errorf("googlebooks: decoding response: %w", err)
	}
	var out []candidate
	for _, it := range v.Items {
		vi := it.VolumeInfo
		var ids []string
		for _, t := range []string{"ISBN_13", "ISBN_10"} {
			for _, id := range vi.IndustryIdentifiers {
				if id.Type == t {
					ids = append(ids, id.Identifier)
				}
			}
		}
		// ISBN_13 and ISBN_10 of one volume are one edition: keep the first valid one.
		title := vi.Title
		if vi.Subtitle != "" {
			// The subtitle is where an adaptation or a companion volume says what it is.
			title += ": " + vi.Subtitle
		}
		if c := candidatesFrom(SourceGoogleBooks, title, vi.Authors, yearOf(vi.PublishedDate), true, ids...); len(c) > 0 {
			out = append(out, c[0])
		}
	}
	return out, nil
}

// googleTerm quotes a value for an intitle:/inauthor: term so that words stay together.
func googleTerm(s string) string {
	s = strings.NewReplacer(`"`, " ", ":", " ").Replace(strings.TrimSpace(s))
	return `"` + strings.Join(strings.Fields(s), " ") + `"`
}

func (s *googleBooks) search(ctx context.Context, st *attemptState, q Query) ([]candidate, error) {
	u, err := url.Parse(strings.TrimRight(s.ep.cfg.BaseURL, "/") + "/volumes")
	if err != nil {
		return nil, fmt.Errorf("googlebooks: base URL: %w", err)
	}
	terms := "intitle:" + googleTerm(q.Title)
	if strings.TrimSpace(q.Author) != "" {
		terms += " inauthor:" + googleTerm(q.Author)
	}
	v := url.Values{"q": {terms}, "maxResults": {strconv.Itoa(min(40, s.ep.cfg.MaxResults))}, "printType": {"books"},
		"fields": {"totalItems,items(volumeInfo(title,subtitle,authors,publishedDate,industryIdentifiers))"}}
	if s.ep.cfg.APIKey != "" {
		v.Set("key", s.ep.cfg.APIKey)
	}
	if s.ep.cfg.Country != "" {
		v.Set("country", s.ep.cfg.Country)
	}
	u.RawQuery = v.Encode()
	return s.ep.fetch(ctx, st, request{method: http.MethodGet, url: u}, decodeGoogleBooks)
}
