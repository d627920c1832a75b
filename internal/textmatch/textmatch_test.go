package textmatch

import (
	"testing"
)

func TestNormalizeTitle(t *testing.T) {
	tests := []struct{ in, want string }{
		{"The Hobbit", "hobbit"},
		{"The Hobbit: or There and Back Again", "hobbit"},
		{"Sapiens - A Brief History of Humankind", "sapiens"},
		{"A Tale of Two Cities", "tale of two cities"},
		{"An Unquiet Mind", "unquiet mind"},
		{"The", "the"},
		{"The The", "the"},
		{"Cien años de soledad", "cien anos de soledad"},
		{"Les Misérables", "les miserables"},
		{"Harry Potter and the Philosopher's Stone", "harry potter and the philosophers stone"},
		{"Harry Potter & the Philosopher’s Stone (Harry Potter, #1)", "harry potter and the philosophers stone"},
		{"  Catch-22  ", "catch 22"},
		{"Dune [Large Print]", "dune"},
		{"(Untitled)", "untitled"},
		{": Leading colon", "leading colon"},
		{"Ender's Game", "enders game"},
		{"Mrs.   Dalloway", "mrs dalloway"},
		{"Road, The", "road"},
		{"Road, The: A Novel", "road"},
		{", The", "the"},
		{"", ""},
		{"!!!", ""},
	}
	for _, tt := range tests {
		if got := NormalizeTitle(tt.in); got != tt.want {
			t.Errorf("NormalizeTitle(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeAuthor(t *testing.T) {
	tests := []struct{ in, want string }{
		{"J. K. Rowling", "j k rowling"},
		{"J.K. Rowling", "j k rowling"},
		{"JK Rowling", "j k rowling"},
		{"Rowling, J. K.", "j k rowling"},
		{"Rowling, Joanne", "joanne rowling"},
		{"George R. R. Martin", "george martin"},
		{"Martin, George R. R.", "george martin"},
		{"Ursula K. Le Guin", "ursula le guin"},
		{"Le Guin, Ursula K.", "ursula le guin"},
		{"Gabriel García Márquez", "gabriel garcia marquez"},
		{"Stephen King and Peter Straub", "stephen king"},
		{"Stephen King & Peter Straub", "stephen king"},
		{"Stephen King, Peter Straub", "stephen king"},
		{"King, Stephen; Straub, Peter", "stephen king"},
		{"Martin Luther King, Jr.", "martin luther king"},
		{"King, Martin Luther, Jr.", "martin luther king"},
		{"Terry Pratchett with Neil Gaiman", "terry pratchett"},
		{"Homer", "homer"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := NormalizeAuthor(tt.in); got != tt.want {
			t.Errorf("NormalizeAuthor(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// similarityCases are pairs whose similarity must lie in [min, max], in either order.
type similarityCases []struct {
	a, b     string
	min, max float64
}

// check asserts each pair's range and that the similarity is symmetric.
func (cases similarityCases) check(t *testing.T, name string, similarity func(a, b string) float64) {
	t.Helper()
	for _, tt := range cases {
		got := similarity(tt.a, tt.b)
		if got < tt.min || got > tt.max {
			t.Errorf("%s(%q, %q) = %.3f, want in [%.2f, %.2f]", name, tt.a, tt.b, got, tt.min, tt.max)
		}
		if back := similarity(tt.b, tt.a); back != got {
			t.Errorf("%s not symmetric for %q, %q: %.3f vs %.3f", name, tt.a, tt.b, got, back)
		}
	}
}

func TestTitleSimilarity(t *testing.T) {
	similarityCases{
		{"The Hobbit", "Hobbit, The", 1, 1},
		{"The Hobbit", "Hobbit, Thee", 0, 0.9},
		{"The Hobbit", "The Hobbit: or There and Back Again", 1, 1},
		{"Dune", "dune", 1, 1},
		{"The Lord of the Rings", "The Lord of the Ringz", 0.9, 0.99},
		{"Harry Potter and the Philosopher's Stone", "Harry Potter & the Philosophers Stone", 1, 1},
		// Short titles: one letter apart is another book, although plain Levenshtein says 0.75.
		{"Emma", "Emmy", 0, 0.1},
		{"It", "Us", 0, 0.1},
		{"Dune", "Dune Messiah", 0, 0.6},
		{"Dune", "June", 0, 0.1},
		{"Middlemarch", "Middlemarsh", 0.85, 0.95},
		{"The Botanist of Odessa", "the botnaist of odessa", 0.9, 0.99}, // transposed letters: one edit
		{"The Name of the Wind", "The Wise Man's Fear", 0, 0.3},
		{"", "Dune", 0, 0},
	}.check(t, "TitleSimilarity", TitleSimilarity)
}

func TestAuthorSimilarity(t *testing.T) {
	similarityCases{
		{"J. K. Rowling", "Rowling, J.K.", 1, 1},
		{"J. K. Rowling", "Joanne Rowling", 0.75, 0.85},
		{"Rowling", "J. K. Rowling", 0.7, 0.8},
		{"George R. R. Martin", "George Martin", 1, 1},
		{"Joanne Kathleen Rowling", "Joanne Rowling", 0.9, 0.99},
		{"Stephen King", "Stephen King and Peter Straub", 1, 1},
		{"John Smith", "Jane Smith", 0, 0.5},
		{"Stephen King", "Stephen Fry", 0, 0.4},
		{"Neil Gaiman", "Terry Pratchett", 0, 0.2},
		{"Fyodor Dostoevsky", "Fyodor Dostoyevsky", 0.95, 1},
		{"Ursula K. Le Guin", "Ursula LeGuin", 0.9, 1},
		{"", "Someone", 0, 0},
	}.check(t, "AuthorSimilarity", AuthorSimilarity)
}

func TestKeyOfMergesSpellingsOfOneBook(t *testing.T) {
	a := KeyOf("The Hobbit: or There and Back Again", "Tolkien, J. R. R.")
	b := KeyOf("Hobbit", "J.R.R. Tolkien")
	if a != b {
		t.Errorf("KeyOf disagrees on one book: %+v vs %+v", a, b)
	}
	if c := KeyOf("The Hobbit", "Someone Else"); c == a {
		t.Errorf("KeyOf merged different authors: %+v", c)
	}
}

func FuzzNormalizeTitle(f *testing.F) {
	for _, s := range []string{
		"The Hobbit: or There and Back Again", "A", "the the the", "Les Misérables", "((", "]]", "℡ Tel",
		"İstanbul", "ǅemal", "ß", "Catch-22", "  - : ", "Ｆｕｌｌｗｉｄｔｈ", "x\u0301\u0301", "\xff\xfe",
		"An & The", "1/2 ½", "Harry Potter (Book 1) [UK]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		once := NormalizeTitle(s)
		if twice := NormalizeTitle(once); twice != once {
			t.Errorf("NormalizeTitle not idempotent on %q: %q then %q", s, once, twice)
		}
		_ = NormalizeAuthor(s)
		_ = TitleSimilarity(s, once)
	})
}
