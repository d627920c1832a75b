package fakes

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCatalogIsDeterministic(t *testing.T) {
	a, b := NewCatalog(), DefaultCatalog()
	for _, ym := range [][2]int{{1990, 1}, {2006, 9}, {2020, 9}, {2025, 12}} {
		if diff := cmp.Diff(a.Month(ym[0], ym[1]), b.Month(ym[0], ym[1]), cmp.AllowUnexported(Book{})); diff != "" {
			t.Errorf("%d-%02d differs between two builds (-first +second):\n%s", ym[0], ym[1], diff)
		}
	}
	if a.Len() != b.Len() {
		t.Errorf("catalog sizes differ: %d vs %d", a.Len(), b.Len())
	}
}

func TestCatalogEveryMonthHasGroundTruth(t *testing.T) {
	c := DefaultCatalog()
	seen := map[string]string{}
	for y := FirstYear; y <= LastYear; y++ {
		for m := 1; m <= 12; m++ {
			notable, decoys, fictional := c.Notable(y, m), c.Decoys(y, m), c.Fictional(y, m)
			if len(notable) < 25 || len(notable) > 32 {
				t.Errorf("%d-%02d: %d notable books, want 25..32", y, m, len(notable))
			}
			if len(decoys) < 6 {
				t.Errorf("%d-%02d: %d decoys, want >= 6", y, m, len(decoys))
			}
			if len(fictional) < 4 {
				t.Errorf("%d-%02d: %d fictional books, want >= 4", y, m, len(fictional))
			}
			notableISBNs := map[string]Book{}
			for _, b := range notable {
				notableISBNs[b.ISBN13] = b
				if b.Year != y || b.Month != m {
					t.Errorf("%q listed under %d-%02d but published %d-%02d", b.Title, y, m, b.Year, b.Month)
				}
			}
			for _, b := range slices.Concat(notable, decoys) {
				if !ValidISBN13(b.ISBN13) {
					t.Errorf("%q: invalid ISBN-13 %q", b.Title, b.ISBN13)
				}
				if b.ISBN10 != "" && (!ValidISBN10(b.ISBN10) || ISBN13From10(b.ISBN10) != b.ISBN13) {
					t.Errorf("%q: ISBN-10 %q does not match ISBN-13 %q", b.Title, b.ISBN10, b.ISBN13)
				}
				if b.ISBN10 == "" && b.ISBN13[:3] == "978" {
					t.Errorf("%q: 978 ISBN %s without its ISBN-10", b.Title, b.ISBN13)
				}
				if prev, dup := seen[b.ISBN13]; dup {
					t.Errorf("ISBN %s used by %q and %q", b.ISBN13, prev, b.Title)
				}
				seen[b.ISBN13] = b.Title
			}
			for _, d := range decoys {
				shadowed, ok := notableISBNs[d.DecoyOf]
				if !ok {
					t.Errorf("decoy %q shadows %s, not a notable book of %d-%02d", d.Title, d.DecoyOf, y, m)
					continue
				}
				if d.Title != shadowed.Title {
					t.Errorf("decoy %q does not share the title of %q", d.Title, shadowed.Title)
				}
				if d.FullTitle() == shadowed.FullTitle() && d.Author == shadowed.Author && d.Format == shadowed.Format {
					t.Errorf("decoy %q is indistinguishable from the notable book", d.Title)
				}
				for _, s := range []string{SourceISBNdb, SourceGoogleBooks, SourceOpenLibrary} {
					if !d.KnownBy.Has(s) {
						t.Errorf("decoy %q is missing from %s's index", d.Title, s)
					}
				}
			}
			for _, f := range fictional {
				if f.KnownBy != 0 || f.ISBN13 != "" {
					t.Errorf("fictional %q is known by %v with ISBN %q", f.Title, f.KnownBy.Names(), f.ISBN13)
				}
			}
		}
	}
}

func TestCatalogCoverageFollowsAge(t *testing.T) {
	c := DefaultCatalog()
	share := func(year int) float64 {
		known, all := 0, 0
		for m := 1; m <= 12; m++ {
			for _, b := range c.Notable(year, m) {
				all++
				if b.KnownBy != 0 {
					known++
				}
			}
		}
		return float64(known) / float64(all)
	}
	if s := share(2025); s > 0.1 {
		t.Errorf("2025: %.0f%% of notable books known to some source, want <= 10%% (recent months are unresolvable)", s*100)
	}
	if s := share(2015); s < 0.85 {
		t.Errorf("2015: %.0f%% of notable books known to some source, want >= 85%%", s*100)
	}
	onlyCommunity := 0
	for m := 1; m <= 12; m++ {
		for _, b := range c.Notable(2010, m) {
			if b.KnownBy == SourcesOf(SourceOpenLibrary, SourceWikidata) {
				onlyCommunity++
			}
		}
	}
	if onlyCommunity < 12 {
		t.Errorf("2010 has %d notable books known only to Open Library and Wikidata, want >= 12", onlyCommunity)
	}
}

func TestFamousBooksSitInTheirMonth(t *testing.T) {
	c := DefaultCatalog()
	tests := []struct {
		year, month int
		title, isbn string
	}{
		{2006, 9, "The Road", "9780307265432"},
		{2021, 5, "Project Hail Mary", "9780593135204"},
		{1998, 9, "Harry Potter and the Sorcerer's Stone", "9780590353427"},
	}
	for _, tt := range tests {
		b, ok := c.Lookup(tt.isbn)
		if !ok || b.Title != tt.title || b.Year != tt.year || b.Month != tt.month || b.Kind != KindNotable || b.Rank != 0 {
			t.Errorf("Lookup(%s) = %+v, %v; want notable %q of %d-%02d at rank 0", tt.isbn, b, ok, tt.title, tt.year, tt.month)
		}
	}
}

func TestModelPicksNeverIncludeDecoys(t *testing.T) {
	c := DefaultCatalog()
	for _, ym := range [][2]int{{1995, 3}, {2006, 9}, {2022, 7}} {
		for _, picks := range [][]Book{c.GeminiPicks(ym[0], ym[1], 50), c.GrokPicks(ym[0], ym[1], 50)} {
			fictional := 0
			for _, b := range picks {
				if b.Kind == KindDecoy {
					t.Errorf("%d-%02d: a model proposed decoy %q", ym[0], ym[1], b.Title)
				}
				if b.Kind == KindFictional {
					fictional++
				}
			}
			if fictional == 0 || fictional*5 > len(picks) {
				t.Errorf("%d-%02d: %d of %d picks are fictional, want some but at most a fifth", ym[0], ym[1], fictional, len(picks))
			}
		}
	}
}

func TestISBNChecksums(t *testing.T) {
	tests := []struct {
		isbn  string
		valid bool
	}{
		{"9780307265432", true}, {"9780307265433", false}, {"0307265439", true}, {"030758836X", true},
		{"030758836x", true}, {"0307588369", false}, {"978030726543", false}, {"97803072654X2", false},
	}
	for _, tt := range tests {
		got := ValidISBN13(tt.isbn) || ValidISBN10(tt.isbn)
		if got != tt.valid {
			t.Errorf("valid(%q) = %v, want %v", tt.isbn, got, tt.valid)
		}
	}
	if got := ISBN10From13("9780307588364"); got != "030758836X" {
		t.Errorf("ISBN10From13 = %q, want 030758836X", got)
	}
	if got := ISBN10From13("9798044636606"); got != "" {
		t.Errorf("ISBN10From13 of a 979 ISBN = %q, want none", got)
	}
}
