package resolve

import (
	"net/http"
	"testing"
)

// TestStatedFormatBreaksTiesBetweenEditionsOfOneYear: a hardcover and a paperback of the same
// year that ISBNdb describes by binding are told apart by the format the model stated; without
// a format, or with one neither edition has, they stay ambiguous (no ISBN rather than a guess).
func TestStatedFormatBreaksTiesBetweenEditionsOfOneYear(t *testing.T) {
	hard, paper := testISBN(11), testISBN(12)
	body := jsonOf(map[string]any{"total": 2, "books": []map[string]any{
		{"title": "The Salt Orchard", "isbn13": hard, "authors": []string{"Okafor, Ngozi"}, "date_published": "2011-05-03", "binding": "Hardcover"},
		{"title": "The Salt Orchard", "isbn13": paper, "authors": []string{"Ngozi Okafor"}, "date_published": "2011", "binding": "Mass Market Paperback"},
	}})
	tests := []struct {
		format        string
		want          string
		wantAmbiguous bool
	}{
		{"Paperback", paper, false},
		{"Hardcover", hard, false},
		{"", "", true},
		{"Unknown", "", true},
		{"Audiobook", "", true},
	}
	for _, tt := range tests {
		t.Run("format="+tt.format, func(t *testing.T) {
			s := newStub(t, func(w http.ResponseWriter, _ *http.Request, _ int) { writeBody(w, 200, body) })
			r, _ := testResolver(t, StrategyOrdered, [][2]string{{SourceISBNdb, s.URL}}, nil)
			res, _, err := r.Resolve(t.Context(), []Query{{Title: "The Salt Orchard", Author: "Ngozi Okafor", Year: 2011, Format: tt.format}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res[0].ISBN13 != tt.want || res[0].Ambiguous != tt.wantAmbiguous {
				t.Errorf("ISBN %q ambiguous %v; want %q ambiguous %v", res[0].ISBN13, res[0].Ambiguous, tt.want, tt.wantAmbiguous)
			}
		})
	}
}

func TestCanonicalFormatAndCacheKey(t *testing.T) {
	for in, want := range map[string]string{
		"Hardcover": "hardcover", "Library Binding": "hardcover", "Paperback": "paperback", "Mass Market Paperback": "paperback",
		"Trade Paperback": "paperback", "eBook": "ebook", "Kindle Edition": "ebook", "Audiobook": "audiobook",
		"Audio CD": "audiobook", "MP3 CD": "audiobook", "Unknown": "", "": "", "Spiral-bound": "",
	} {
		if got := canonicalFormat(in); got != want {
			t.Errorf("canonicalFormat(%q) = %q, want %q", in, got, want)
		}
	}
	for _, tt := range []struct {
		q    Query
		want string
	}{
		{Query{Title: "X", Author: "A B", Year: 2006, Format: "Paperback"}, "2006 paperback"},
		{Query{Title: "X", Author: "A B", Year: 2006, Format: "Unknown"}, "2006"},
		{Query{Title: "X", Author: "A B", Format: "eBook"}, "ebook"},
		{Query{Title: "X", Author: "A B"}, ""},
	} {
		if got := CacheKeyOf(tt.q).Edition; got != tt.want {
			t.Errorf("CacheKeyOf(%+v).Edition = %q, want %q", tt.q, got, tt.want)
		}
	}
}
