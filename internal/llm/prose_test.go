package llm

import (
	"testing"
)

// TestParseFindsTheValueHoldingBooks: the JSON value with the books is taken, not the first JSON
// value in the answer.
func TestParseFindsTheValueHoldingBooks(t *testing.T) {
	dune := bookJSON("Dune", "Frank Herbert")
	emma := bookJSON("Emma", "Jane Austen")
	tests := []struct {
		name      string
		answer    string
		wantBooks int
		wantTitle string
		refusal   string
		wantErr   bool
	}{
		{name: "citation before a bare array", answer: "Sources: [1] Publishers Weekly [2] NYT.\n[" + dune + "," + emma + "]", wantBooks: 2, wantTitle: "Dune"},
		{name: "bracketed number in prose", answer: "Of the [20] you asked for I am sure of these: [" + emma + "]", wantBooks: 1, wantTitle: "Emma"},
		{name: "bracketed word and empty list in prose", answer: "The list [sic] has [] gaps: {\"books\":[" + dune + "]}", wantBooks: 1, wantTitle: "Dune"},
		{name: "note object before the books object", answer: `{"note":"verified against catalogues"} {"books":[` + emma + `]}`, wantBooks: 1, wantTitle: "Emma"},
		{name: "array of numbers then array of books", answer: "[1, 2, 3]\n[" + dune + "]", wantBooks: 1, wantTitle: "Dune"},
		{name: "books key after other keys with nested objects", answer: `{"meta":{"month":"2001-09","sources":[1,2]},"books":[` + dune + `]}`, wantBooks: 1, wantTitle: "Dune"},
		{name: "single book object after a citation", answer: "See [3]. " + dune, wantBooks: 1, wantTitle: "Dune"},
		{name: "refusal object after a citation", answer: `As noted in [4]: {"error":"no verifiable books for this month"}`, refusal: "no verifiable books for this month"},
		{name: "only citations is unparseable", answer: "See [1] and [2].", wantErr: true},
		{name: "a lone empty list is an empty answer", answer: "[]", refusal: "empty list of books"},
		{name: "books null then error", answer: `{"books":null,"error":"cannot verify"}`, refusal: "cannot verify"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseBooks(tt.answer)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("parsed %+v, want an error", p)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Books) != tt.wantBooks || p.Refusal != tt.refusal || p.Truncated {
				t.Fatalf("got %d books, refusal %q, truncated %v; want %d, %q", len(p.Books), p.Refusal, p.Truncated, tt.wantBooks, tt.refusal)
			}
			if tt.wantBooks > 0 && p.Books[0].Title != tt.wantTitle {
				t.Errorf("first book %q, want %q", p.Books[0].Title, tt.wantTitle)
			}
		})
	}
}
