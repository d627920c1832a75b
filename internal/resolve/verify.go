package resolve

import (
	"cmp"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ooheynerds/backfill-operator/internal/isbn"
	"github.com/ooheynerds/backfill-operator/internal/textmatch"
)

// candidate is one (ISBN, metadata) pair a source offered for a book.
type candidate struct {
	source  string
	isbn13  string // checksum-valid ISBN-13
	title   string
	authors []string
	year    int    // 0 when the source gave none
	format  string // canonical format of this ISBN's edition (see canonicalFormat); "" when unknown
	// edition says the year belongs to this ISBN's edition. Open Library's search gives a work's
	// first publication year and the ISBNs of all its editions, which is not edition-level.
	edition bool
}

// choice is the accepted candidate of a book.
type choice struct {
	isbn13   string
	source   string   // the preferred agreeing source
	agreeing []string // sources that offered this ISBN, in preference order
	// strong means the ISBN's own edition is known to match the book (or the book has no year),
	// so asking more sources would not change the answer.
	strong bool
	// ambiguous is set on a refusal to choose between candidates no signal tells apart.
	ambiguous bool
}

// candidatesFrom turns raw ISBN strings from one record into candidates, keeping only those whose
// checksum holds (ISBN-10s become ISBN-13s) and dropping duplicates.
func candidatesFrom(source, title string, authors []string, year int, edition bool, raw ...string) []candidate {
	var out []candidate
	seen := map[string]bool{}
	for _, s := range raw {
		n, err := isbn.Normalize(s)
		if err != nil || seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, candidate{source: source, isbn13: n, title: title, authors: authors, year: year, edition: edition})
	}
	return out
}

var yearPattern = regexp.MustCompile(`\b(1[4-9]\d\d|20\d\d)\b`)

// yearOf finds the year in a free-form date ("1999", "2004-09-30", "October 1, 1991").
func yearOf(date string) int {
	m := yearPattern.FindString(date)
	if m == "" {
		return 0
	}
	y, _ := strconv.Atoi(m)
	return y
}

// similarity scores a candidate against the query: title similarity and the best author
// similarity over the candidate's credited authors.
func similarity(q Query, c candidate) (title, author float64) {
	title = textmatch.TitleSimilarity(q.Title, c.title)
	for _, a := range c.authors {
		author = max(author, textmatch.AuthorSimilarity(q.Author, a))
	}
	return title, author
}

// yearFits reports whether a candidate's year allows it to be the queried book. An edition's
// year must be within the tolerance; a work's first publication year only must not come after
// the book (a work is never first published after one of its editions).
func (r *Resolver) yearFits(q Query, c candidate) bool {
	if q.Year == 0 || c.year == 0 {
		return true
	}
	if c.edition {
		d := c.year - q.Year
		return d <= r.cfg.YearTolerance && -d <= r.cfg.YearTolerance
	}
	return c.year <= q.Year+r.cfg.YearTolerance
}

// verified reports whether a candidate may be the queried book: title and author above the
// thresholds and a publication year that fits.
func (r *Resolver) verified(q Query, c candidate) bool {
	t, a := similarity(q, c)
	return t >= r.cfg.TitleThreshold && a >= r.cfg.AuthorThreshold && r.yearFits(q, c) &&
		textmatch.SameEditionMarks(q.Title, c.title)
}

// choose picks the book's ISBN among its candidates, or reports none. Every candidate is
// verified first (title, every author, year, edition marks); an ISBN that any source places in
// an edition of the wrong year is excluded even where another source offered it without a year.
// Among the rest it prefers an ISBN whose edition year is confirmed, then the edition closest to
// the book's year, then the one most sources agree on, then one in the format the model stated,
// then the most preferred source, then the better title and author score. Candidates equal on
// all of these are ambiguous: no ISBN.
func (r *Resolver) choose(q Query, cands []candidate) (choice, bool) {
	type group struct {
		isbn13       string
		sources      []string
		editionMatch bool
		formatMatch  bool // a source describes this ISBN's edition in the format the model stated
		wrongEdition bool
		yearDistance int // between the book and the closest edition-level year; large when unknown
		score        float64
	}
	var tied func(a, b *group) bool
	groups := map[string]*group{}
	for _, c := range cands {
		g := groups[c.isbn13]
		if g == nil {
			g = &group{isbn13: c.isbn13, yearDistance: 1 << 30}
			groups[c.isbn13] = g
		}
		if c.edition && c.year != 0 && q.Year != 0 && !r.yearFits(q, c) {
			g.wrongEdition = true
		}
		if !r.verified(q, c) {
			continue
		}
		if !slices.Contains(g.sources, c.source) {
			g.sources = append(g.sources, c.source)
		}
		if c.edition && (c.year != 0 || q.Year == 0) {
			g.editionMatch = true
			if c.year != 0 && q.Year != 0 {
				g.yearDistance = min(g.yearDistance, max(c.year-q.Year, q.Year-c.year))
			}
		}
		if f := canonicalFormat(q.Format); f != "" && c.format == f {
			g.formatMatch = true
		}
		t, a := similarity(q, c)
		g.score = max(g.score, t+a)
	}
	tied = func(a, b *group) bool {
		return a.editionMatch == b.editionMatch && a.yearDistance == b.yearDistance && len(a.sources) == len(b.sources) &&
			a.formatMatch == b.formatMatch && r.rank[a.sources[0]] == r.rank[b.sources[0]] && a.score == b.score
	}
	var ok []*group
	for _, g := range groups {
		if len(g.sources) > 0 && !g.wrongEdition {
			slices.SortFunc(g.sources, func(a, b string) int { return cmp.Compare(r.rank[a], r.rank[b]) })
			ok = append(ok, g)
		}
	}
	if len(ok) == 0 {
		return choice{}, false
	}
	slices.SortFunc(ok, func(a, b *group) int {
		if a.editionMatch != b.editionMatch {
			if a.editionMatch {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(a.yearDistance, b.yearDistance); c != 0 {
			return c
		}
		if c := cmp.Compare(len(b.sources), len(a.sources)); c != 0 {
			return c
		}
		if a.formatMatch != b.formatMatch {
			if a.formatMatch {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(r.rank[a.sources[0]], r.rank[b.sources[0]]); c != 0 {
			return c
		}
		return cmp.Compare(b.score, a.score)
	})
	// Candidates that no signal tells apart are ambiguous: no ISBN is better than a wrong one,
	// and ISBN order would be an arbitrary choice.
	if len(ok) > 1 && tied(ok[0], ok[1]) {
		return choice{ambiguous: true}, false
	}
	best := ok[0]
	return choice{isbn13: best.isbn13, source: best.sources[0], agreeing: best.sources, strong: best.editionMatch}, true
}

// canonicalFormat reads a model's format or a source's binding ("Hardcover", "Mass Market
// Paperback", "Kindle Edition", "Audio CD") as one of hardcover, paperback, ebook, audiobook, or
// "" when it says none of them.
func canonicalFormat(f string) string {
	f = strings.ToLower(f)
	switch {
	case f == "":
		return ""
	case strings.Contains(f, "audio") || strings.Contains(f, "mp3"):
		return "audiobook"
	case strings.Contains(f, "ebook") || strings.Contains(f, "e-book") || strings.Contains(f, "kindle") ||
		strings.Contains(f, "epub") || strings.Contains(f, "digital"):
		return "ebook"
	case strings.Contains(f, "paper") || strings.Contains(f, "mass market") || strings.Contains(f, "pbk"):
		return "paperback"
	case strings.Contains(f, "hard") || strings.Contains(f, "cloth") || strings.Contains(f, "library binding"):
		return "hardcover"
	}
	return ""
}

// withFormat sets the edition format a source described on its candidates.
func withFormat(cands []candidate, binding string) []candidate {
	f := canonicalFormat(binding)
	for i := range cands {
		cands[i].format = f
	}
	return cands
}
