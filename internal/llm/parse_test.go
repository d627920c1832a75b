package llm

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseBooks(t *testing.T) {
	dune := Book{Title: "Dune", Author: "Frank Herbert", Format: FormatUnknown, PublicationYear: 1965, PublicationMonth: 8}
	tests := []struct {
		name        string
		answer      string
		wantBooks   []Book
		wantDropped int
		wantRefusal string
		wantErr     bool
	}{
		{
			name:      "gemini structured object",
			answer:    `{"books":[{"title":"Dune","author":"Frank Herbert","publisher":"Chilton","format":"Hardcover","publication_year":1965,"publication_month":8,"significance":"Defined modern SF."}]}`,
			wantBooks: []Book{{Title: "Dune", Author: "Frank Herbert", Publisher: "Chilton", Format: FormatHardcover, PublicationYear: 1965, PublicationMonth: 8, Significance: "Defined modern SF."}},
		},
		{
			name:      "top-level array with string year",
			answer:    `[{"title":"Dune","author":"Frank Herbert","publication_year":"1965","publication_month":"8"}]`,
			wantBooks: []Book{dune},
		},
		{
			name:      "code fence and prose around it",
			answer:    "Here are the books you asked for:\n```json\n[{\"title\":\"Dune\",\"author\":\"Frank Herbert\",\"publication_year\":1965,\"publication_month\":8}]\n```\nLet me know if you need more.",
			wantBooks: []Book{dune},
		},
		{
			name:      "prose without fence",
			answer:    `Sure! {"books":[{"title":"Dune","author":"Frank Herbert","publication_year":1965.0,"publication_month":"August"}]} Hope this helps.`,
			wantBooks: []Book{dune},
		},
		{
			name:      "date string carries the month",
			answer:    `[{"title":"Dune","author":"Frank Herbert","publicationDate":"1965-08"}]`,
			wantBooks: []Book{dune},
		},
		{
			name:      "field variants and author list",
			answer:    `{"books":[{"Title":" Good  Omens ","authors":["Terry Pratchett","Neil Gaiman"],"year":1990,"month":5,"format":"paperback","description":"Comic apocalypse."}]}`,
			wantBooks: []Book{{Title: "Good Omens", Author: "Terry Pratchett; Neil Gaiman", Format: FormatPaperback, PublicationYear: 1990, PublicationMonth: 5, Significance: "Comic apocalypse."}},
		},
		{
			name:        "invalid items dropped and counted",
			answer:      `[{"title":"Dune","author":"Frank Herbert","publication_year":1965,"publication_month":8},{"title":"","author":"X"},{"author":"Nobody"},"just a string",42]`,
			wantBooks:   []Book{dune},
			wantDropped: 4,
		},
		{
			name:        "grok refusal",
			answer:      `{"error": "I cannot verify 20 historically significant books for September 2024."}`,
			wantRefusal: "I cannot verify 20 historically significant books for September 2024.",
		},
		{
			name:        "structured refusal with empty list",
			answer:      `{"books": [], "error": "No verifiable books."}`,
			wantRefusal: "No verifiable books.",
		},
		{name: "empty answer", answer: "  \n ", wantRefusal: "empty answer"},
		{name: "empty array", answer: "[]", wantRefusal: "empty list of books"},
		{name: "prose only", answer: "I'm sorry, I can't help with that.", wantErr: true},
		{name: "truncated JSON", answer: `{"books":[{"title":"Dune","author":"Frank Her`, wantErr: true},
		{name: "books not a list", answer: `{"books":"Dune"}`, wantErr: true},
		{name: "object of another shape", answer: `{"answer":"Dune"}`, wantErr: true},
		{name: "every item invalid", answer: `[{"title":"Dune"},{"author":"Frank Herbert"}]`, wantErr: true, wantDropped: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseBooks(tt.answer)
			if tt.wantErr {
				if !errors.Is(err, ErrUnparseable) {
					t.Fatalf("err = %v, want ErrUnparseable", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantBooks, got.Books); diff != "" {
				t.Errorf("books (-want +got):\n%s", diff)
			}
			if got.Dropped != tt.wantDropped {
				t.Errorf("dropped = %d, want %d", got.Dropped, tt.wantDropped)
			}
			if got.Refusal != tt.wantRefusal {
				t.Errorf("refusal = %q, want %q", got.Refusal, tt.wantRefusal)
			}
		})
	}
}

func TestParseBooksBoundsFields(t *testing.T) {
	long := strings.Repeat("é", 2000)
	got, err := ParseBooks(`[{"title":"` + long + `","author":"A","significance":"` + long + `"}]`)
	if err != nil {
		t.Fatal(err)
	}
	if n := len([]rune(got.Books[0].Title)); n != maxTitleLen {
		t.Errorf("title kept %d runes, want %d", n, maxTitleLen)
	}
	if n := len([]rune(got.Books[0].Significance)); n != maxSignificanceLen {
		t.Errorf("significance kept %d runes, want %d", n, maxSignificanceLen)
	}
}

func FuzzParseBooks(f *testing.F) {
	for _, seed := range []string{
		`{"books":[{"title":"Dune","author":"Frank Herbert","publisher":"Chilton","format":"Hardcover","publication_year":1965,"publication_month":8,"significance":"x"}]}`,
		`[{"title":"Dune","author":"Frank Herbert","publication_year":"1965"}]`,
		"```json\n[{\"title\":\"A\",\"author\":\"B\"}]\n```",
		`{"error":"cannot verify"}`,
		`{"books":[],"error":"none"}`,
		`prose {"books":[{"title":"T","authors":["X","Y"],"year":"March 1990"}]} more`,
		"",
		"[",
		"```",
		`{"error":{"message":"nested"}}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, answer string) {
		got, err := ParseBooks(answer)
		if err != nil {
			if !errors.Is(err, ErrUnparseable) {
				t.Fatalf("error %v does not wrap ErrUnparseable", err)
			}
			return
		}
		if len(got.Books) == 0 && got.Refusal == "" {
			t.Fatalf("no books and no refusal for %q", answer)
		}
		for _, b := range got.Books {
			if b.Title == "" || b.Author == "" {
				t.Fatalf("book without title or author: %+v", b)
			}
			if b.PublicationMonth < 0 || b.PublicationMonth > 12 {
				t.Fatalf("month %d out of range", b.PublicationMonth)
			}
			if len([]rune(b.Title)) > maxTitleLen || len([]rune(b.Author)) > maxAuthorLen {
				t.Fatalf("unbounded field: %+v", b)
			}
		}
	})
}
