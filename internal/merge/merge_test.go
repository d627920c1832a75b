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
			name:   "a graphic novel edition is another book",
			gemini: []llm.Book{book("Kindred", "Octavia E. Butler")},
			xai:    []llm.Book{book("Kindred: A Graphic Novel Adaptation", "Octavia E. Butler")},
			want: []want{{"Kindred", "Octavia E. Butler", []string{"gemini"}},
				{"Kindred: A Graphic Novel Adaptation", "Octavia E. Butler", []string{"xai"}}},
		},
		{
			name:   "a young readers' edition, a companion and an illustrated edition stay apart",
			gemini: []llm.Book{book("Sapiens", "Yuval Noah Harari"), book("Educated (Young Readers' Edition)", "Tara Westover")},
			xai: []llm.Book{book("Sapiens: A Graphic History", "Yuval Noah Harari"), book("Educated", "Tara Westover"),
				book("The Hobbit: Illustrated Edition", "J.R.R. Tolkien"), book("The Hobbit", "Tolkien, J. R. R."),
				book("The Hobbit Companion", "J. R. R. Tolkien")},
			want: []want{{"Sapiens", "Yuval Noah Harari", []string{"gemini"}},
				{"Educated (Young Readers' Edition)", "Tara Westover", []string{"gemini"}},
				{"Sapiens: A Graphic History", "Yuval Noah Harari", []string{"xai"}},
				{"Educated", "Tara Westover", []string{"xai"}},
				{"The Hobbit: Illustrated Edition", "J.R.R. Tolkien", []string{"xai"}},
				{"The Hobbit", "Tolkien, J. R. R.", []string{"xai"}},
				{"The Hobbit Companion", "J. R. R. Tolkien", []string{"xai"}}},
		},
		{
			name:   "the same edition mark written two ways is one book",
			gemini: []llm.Book{book("Sapiens: A Graphic History", "Yuval Noah Harari")},
			xai:    []llm.Book{book("Sapiens: The Graphic Novel", "Harari, Yuval Noah")},
			want:   []want{{"Sapiens: A Graphic History", "Yuval Noah Harari", []string{"gemini", "xai"}}},
		},
		{
			name:   "'A Novel' is the same book",
			gemini: []llm.Book{book("The Lincoln Highway", "Amor Towles")},
			xai:    []llm.Book{book("The Lincoln Highway: A Novel", "Towles, Amor")},
			want:   []want{{"The Lincoln Highway", "Amor Towles", []string{"gemini", "xai"}}},
		},
		{
			name: "inverted, compound and particle headings of one person",
			gemini: []llm.Book{book("Memoria de mis putas tristes", "Gabriel García Márquez"),
				book("The Lathe of Heaven", "Ursula K. Le Guin"), book("Het Diner", "Herman Koch"),
				book("Tuesday Mooney", "Pieter van der Berg")},
			xai: []llm.Book{book("Memoria de mis putas tristes", "García Márquez, Gabriel, 1927-2014"),
				book("The Lathe of Heaven", "Le Guin, Ursula K."), book("Het diner", "Koch, Herman"),
				book("Tuesday Mooney", "Berg, Pieter van der")},
			want: []want{{"Memoria de mis putas tristes", "Gabriel García Márquez", []string{"gemini", "xai"}},
				{"The Lathe of Heaven", "Ursula K. Le Guin", []string{"gemini", "xai"}},
				{"Het Diner", "Herman Koch", []string{"gemini", "xai"}},
				{"Tuesday Mooney", "Pieter van der Berg", []string{"gemini", "xai"}}},
		},
		{
			name:   "initials against full given names",
			gemini: []llm.Book{book("The Fellowship of the Ring", "J.R.R. Tolkien")},
			xai:    []llm.Book{book("The Fellowship of the Ring", "John Ronald Reuel Tolkien")},
			want:   []want{{"The Fellowship of the Ring", "J.R.R. Tolkien", []string{"gemini", "xai"}}},
		},
		{
			name:   "two authors in either order and with any separator",
			gemini: []llm.Book{book("Good Omens", "Terry Pratchett and Neil Gaiman")},
			xai:    []llm.Book{book("Good Omens", "Gaiman, Neil; Pratchett, Terry")},
			want:   []want{{"Good Omens", "Terry Pratchett and Neil Gaiman", []string{"gemini", "xai"}}},
		},
		{
			name:   "a corporate author is one author, not split on 'and'",
			gemini: []llm.Book{book("Field Guide to the Birds", "National Geographic Society")},
			xai:    []llm.Book{book("Field Guide to the Birds", "Smith and National Geographic")},
			want: []want{{"Field Guide to the Birds", "National Geographic Society", []string{"gemini"}},
				{"Field Guide to the Birds", "Smith and National Geographic", []string{"xai"}}},
		},
		{
			name:   "an organisation and a person, named in either order",
			gemini: []llm.Book{book("Atlas of the Oceans", "The Editors of Lumen Press and Ravi V. Wright")},
			xai:    []llm.Book{book("Atlas of the Oceans", "Ravi Wright & Editors of Lumen Press")},
			want:   []want{{"Atlas of the Oceans", "The Editors of Lumen Press and Ravi V. Wright", []string{"gemini", "xai"}}},
		},
		{
			name:   "full-width punctuation",
			gemini: []llm.Book{book("三体：地球往事", "刘慈欣")},
			xai:    []llm.Book{book("三体", "刘慈欣")},
			want:   []want{{"三体：地球往事", "刘慈欣", []string{"gemini", "xai"}}},
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
