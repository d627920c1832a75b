package resolve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestGoogleBooksSendsCountry: Google Books answers 403 unknownLocation to hosts it cannot place
// unless the request names a country; the client sends the configured one (default US).
func TestGoogleBooksSendsCountry(t *testing.T) {
	for _, tt := range []struct{ configured, want string }{{"", DefaultGoogleBooksCountry}, {"GB", "GB"}} {
		t.Run("configured="+tt.configured, func(t *testing.T) {
			var seen string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen = r.URL.Query().Get("country")
				w.Header().Set("Content-Type", "application/json")
				if seen == "" {
					w.WriteHeader(http.StatusForbidden)
					_, _ = io.WriteString(w, `{"error":{"code":403,"message":"Cannot determine user location for geographically restricted operation.","errors":[{"domain":"global","reason":"unknownLocation"}]}}`)
					return
				}
				_, _ = io.WriteString(w, `{"kind":"books#volumes","totalItems":1,"items":[{"volumeInfo":{"title":"Dune","authors":["Frank Herbert"],"publishedDate":"1965-08","industryIdentifiers":[{"type":"ISBN_13","identifier":"9780441013593"}]}}]}`)
			}))
			defer srv.Close()
			cfg := DefaultConfig()
			sc, _ := DefaultSourceConfig(SourceGoogleBooks)
			sc.BaseURL, sc.RatePerSecond, sc.Country = srv.URL, -1, tt.configured
			cfg.Sources = []SourceConfig{sc}
			r, err := New(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			res, _, err := r.Resolve(context.Background(), []Query{{Title: "Dune", Author: "Frank Herbert", Year: 1965}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if seen != tt.want || res[0].ISBN13 != "9780441013593" {
				t.Errorf("country %q, ISBN %q; want %q and a resolved ISBN", seen, res[0].ISBN13, tt.want)
			}
		})
	}
}

// TestOversizedSourceBodyFailsClearly: a source answer over the bound fails the request with
// ErrBodyTooLarge, whether it declares its length or streams it.
func TestOversizedSourceBodyFailsClearly(t *testing.T) {
	for _, declared := range []bool{true, false} {
		t.Run(fmt.Sprintf("declared=%v", declared), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if declared {
					w.Header().Set("Content-Length", fmt.Sprint(maxBody+10))
				}
				_, _ = io.Copy(w, io.LimitReader(strings.NewReader(strings.Repeat(" ", maxBody+10)), maxBody+10))
			}))
			defer srv.Close()
			sc, _ := DefaultSourceConfig(SourceGoogleBooks)
			sc.BaseURL = srv.URL
			cfg := DefaultConfig()
			sc.RatePerSecond = -1
			cfg.Sources = []SourceConfig{sc}
			r, err := New(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			st := newAttemptState(DefaultSetAsideAfter)
			_, err = r.sources[0].search(context.Background(), st, Query{Title: "Dune", Author: "Frank Herbert"})
			if !errors.Is(err, ErrBodyTooLarge) {
				t.Fatalf("err = %v, want ErrBodyTooLarge", err)
			}
			if st.calls[SourceGoogleBooks] != 1 {
				t.Errorf("calls = %d, want 1 (an oversized answer is not retried)", st.calls[SourceGoogleBooks])
			}
		})
	}
}
