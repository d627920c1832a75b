package merge

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ooheynerds/backfill-operator/internal/llm"
)

func book(title, author string) llm.Book {
	return llm.Book{Title: title, Author: author, Format: llm.FormatUnknown}
}

func TestMerge(t *testing.T) {
	type want struct {
		title, author string
		by            []string
	}
	tests := []struct {
		name   string
		gemini []llm.Book
		xai    []llm.Book
		want   []want
	}{
		{
			name:   "same title by different authors stays two books",
			gemini: []llm.Book{book("Beloved", "Toni Morrison")},
			xai:    []llm.Book{book("Beloved", "Bill Smith")},
			want:   []want{{"Beloved", "Toni Morrison", []string{"gemini"}}, {"Beloved", "Bill Smith", []string{"xai"}}},
		},
		{
			name:   "case and punctuation",
			gemini: []llm.Book{book("Where the Crawdads Sing", "Delia Owens")},
			xai:    []llm.Book{book("WHERE THE CRAWDADS SING!", "delia owens")},
			want:   []want{{"Where the Crawdads Sing", "Delia Owens", []string{"gemini", "xai"}}},
		},
		{
			name:   "leading article",
			gemini: []llm.Book{book("The Testaments", "Margaret Atwood")},
			xai:    []llm.Book{book("Testaments", "Margaret Atwood")},
			want:   []want{{"The Testaments", "Margaret Atwood", []string{"gemini", "xai"}}},
		},
		{
			name:   "subtitle",
			gemini: []llm.Book{book("Educated", "Tara Westover")},
			xai:    []llm.Book{book("Educated: A Memoir", "Tara Westover")},
			want:   []want{{"Educated", "Tara Westover", []string{"gemini", "xai"}}},
		},
		{
			name:   "diacritics",
			gemini: []llm.Book{book("Cien años de soledad", "Gabriel García Márquez")},
			xai:    []llm.Book{book("Cien anos de soledad", "Gabriel Garcia Marquez")},
			want:   []want{{"Cien años de soledad", "Gabriel García Márquez", []string{"gemini", "xai"}}},
		},
		{
			name:   "typo in a long title and an initial for the author",
			gemini: []llm.Book{book("The Seven Husbands of Evelyn Hugo", "Taylor Jenkins Reid")},
			xai:    []llm.Book{book("The Seven Husbands of Evelynn Hugo", "Taylor J. Reid")},
			want:   []want{{"The Seven Husbands of Evelyn Hugo", "Taylor Jenkins Reid", []string{"gemini", "xai"}}},
		},
		{
			name:   "short titles one letter apart stay two books",
			gemini: []llm.Book{book("Emma", "Jane Austen")},
			xai:    []llm.Book{book("Emmy", "Jane Austen")},
			want:   []want{{"Emma", "Jane Austen", []string{"gemini"}}, {"Emmy", "Jane Austen", []string{"xai"}}},
		},
		{
			name:   "duplicate inside one model's answer",
			gemini: []llm.Book{book("Circe", "Madeline Miller"), book("Circe", "Madeline Miller")},
			want:   []want{{"Circe", "Madeline Miller", []string{"gemini"}}},
		},
		{
			name:   "unusable key dropped",
			gemini: []llm.Book{book("!!!", "Someone"), book("Normal People", "Sally Rooney")},
			want:   []want{{"Normal People", "Sally Rooney", []string{"gemini"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Merge([]Proposal{{Model: "gemini", Books: tt.gemini}, {Model: "xai", Books: tt.xai}})
			var gotWant []want
			for _, b := range got {
				gotWant = append(gotWant, want{b.Title, b.Author, b.ProposedBy})
			}
			if diff := cmp.Diff(tt.want, gotWant, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("merge (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMergeKeepsBestMetadata(t *testing.T) {
	first := llm.Book{Title: "Circe", Author: "Madeline Miller", Format: llm.FormatUnknown, PublicationYear: 2018, Significance: "Myth retold."}
	second := llm.Book{Title: "circe", Author: "Madeline Miller", Publisher: "Little, Brown", Format: llm.FormatHardcover,
		PublicationYear: 2019, PublicationMonth: 4, Significance: "A feminist retelling of the Odyssey's witch; NYT bestseller."}
	got := Merge([]Proposal{{Model: "xai", Books: []llm.Book{first}}, {Model: "gemini", Books: []llm.Book{second}}})
	if len(got) != 1 {
		t.Fatalf("got %d books, want 1", len(got))
	}
	want := llm.Book{Title: "Circe", Author: "Madeline Miller", Publisher: "Little, Brown", Format: llm.FormatHardcover,
		PublicationYear: 2018, PublicationMonth: 4, Significance: second.Significance}
	if diff := cmp.Diff(want, got[0].Book); diff != "" {
		t.Errorf("merged metadata (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"xai", "gemini"}, got[0].ProposedBy); diff != "" {
		t.Errorf("proposedBy (-want +got):\n%s", diff)
	}
}
