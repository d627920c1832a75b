package resolve

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type gbVolume struct{ title, subtitle, author, date, isbn string }

// googleBooksServer answers every volumes search with these volumes, in Google Books' shape.
func googleBooksServer(t *testing.T, vols []gbVolume) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var items []any
		for _, v := range vols {
			vi := map[string]any{"title": v.title, "authors": []string{v.author}, "publishedDate": v.date,
				"industryIdentifiers": []any{map[string]any{"type": "ISBN_13", "identifier": v.isbn}}}
			if v.subtitle != "" {
				vi["subtitle"] = v.subtitle
			}
			items = append(items, map[string]any{"kind": "books#volume", "volumeInfo": vi})
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"kind": "books#volumes", "totalItems": len(items), "items": items})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestEditionLookAlikes: an adaptation or companion of the same author and year is told apart by
// its subtitle, and candidates that nothing tells apart give no ISBN rather than an arbitrary one.
func TestEditionLookAlikes(t *testing.T) {
	original := gbVolume{"Kindred", "", "Octavia E. Butler", "1979-06", "9780807083697"}
	graphic := gbVolume{"Kindred", "A Graphic Novel Adaptation", "Octavia E. Butler", "1979-06", "9781419709470"}
	illustrated := gbVolume{"Kindred", "Illustrated Edition", "Octavia E. Butler", "1979", "9780062316097"}
	twin := gbVolume{"Kindred", "", "Octavia E. Butler", "1979-06", "9780385543781"}
	tests := []struct {
		name  string
		vols  []gbVolume
		query Query
		want  string
	}{
		{"original asked, adaptation listed first", []gbVolume{graphic, original}, Query{Title: "Kindred", Author: "Octavia Butler", Year: 1979}, original.isbn},
		{"adaptation asked", []gbVolume{original, graphic}, Query{Title: "Kindred: A Graphic Novel Adaptation", Author: "Butler, Octavia E.", Year: 1979}, graphic.isbn},
		{"adaptation asked with a full-width colon", []gbVolume{original, graphic}, Query{Title: "Kindred：The Graphic Novel Adaptation", Author: "Octavia E. Butler", Year: 1979}, graphic.isbn},
		{"illustrated edition only: the original is not it", []gbVolume{illustrated}, Query{Title: "Kindred", Author: "Octavia E. Butler", Year: 1979}, ""},
		{"adaptation asked, only the original known", []gbVolume{original}, Query{Title: "Kindred (Graphic Novel)", Author: "Octavia E. Butler", Year: 1979}, ""},
		{"two editions nothing tells apart", []gbVolume{original, twin}, Query{Title: "Kindred", Author: "Octavia E. Butler", Year: 1979}, ""},
		{"the same order reversed is still ambiguous", []gbVolume{twin, original}, Query{Title: "Kindred", Author: "Octavia E. Butler", Year: 1979}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := googleBooksServer(t, tt.vols)
			cfg := DefaultConfig()
			sc, _ := DefaultSourceConfig(SourceGoogleBooks)
			sc.BaseURL, sc.RatePerSecond = srv.URL, -1
			cfg.Sources = []SourceConfig{sc}
			r, err := New(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			res, _, err := r.Resolve(context.Background(), []Query{tt.query}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res[0].ISBN13 != tt.want {
				t.Errorf("resolved %q, want %q", res[0].ISBN13, tt.want)
			}
			if wantAmbiguous := strings.HasPrefix(tt.name, "two editions") || strings.HasPrefix(tt.name, "the same order"); res[0].Ambiguous != wantAmbiguous {
				t.Errorf("Ambiguous = %v, want %v", res[0].Ambiguous, wantAmbiguous)
			}
		})
	}
}
