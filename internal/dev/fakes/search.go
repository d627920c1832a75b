package fakes

import (
	"cmp"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// tokens lower-cases, strips diacritics and punctuation, and drops English articles, so that a
// search for "the midnight library" finds "Midnight Library" the way the real engines do.
func tokens(s string) []string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		switch {
		case unicode.Is(unicode.Mn, r), r == '\'' || r == '’' || r == '.':
			// Diacritics and intra-word punctuation vanish: "O'Connell" -> "oconnell", "J.K." -> "jk".
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		default:
			b.WriteByte(' ')
		}
	}
	var out []string
	for _, t := range strings.Fields(b.String()) {
		switch t {
		case "the", "a", "an", "and":
		default:
			out = append(out, t)
		}
	}
	return out
}

func uniqueTokens(s string) []string {
	t := tokens(s)
	slices.Sort(t)
	return slices.Compact(t)
}

// query is a title/author/free-text search as the sources understand it.
type query struct {
	title, author, text string
}

// fraction returns the share of want's tokens present in have.
func fraction(want []string, have []string) float64 {
	if len(want) == 0 {
		return 1
	}
	n := 0
	for _, w := range want {
		if slices.Contains(have, w) {
			n++
		}
	}
	return float64(n) / float64(len(want))
}

// fraction2 is fraction over the union of two token lists.
func fraction2(want, have1, have2 []string) float64 {
	if len(want) == 0 {
		return 1
	}
	n := 0
	for _, w := range want {
		if slices.Contains(have1, w) || slices.Contains(have2, w) {
			n++
		}
	}
	return float64(n) / float64(len(want))
}

// ceilFrac is the smallest count of n tokens that reaches the share f.
func ceilFrac(f float64, n int) int {
	k := 0
	for float64(k) < f*float64(n) {
		k++
	}
	return k
}

// search returns the books a source has indexed that match q, best first. Like the real engines
// it is lenient (most words of the title, half of the author's name) and ranks equally good hits
// in an order of its own — per source, so another edition or a decoy often comes first.
func (c *Catalog) search(source string, q query) []*Book {
	tq, aq, xq := tokens(q.title), tokens(q.author), tokens(q.text)
	all := slices.Concat(tq, aq, xq)
	if len(all) == 0 {
		return nil
	}
	// Candidates: books holding enough of the query's distinct tokens to possibly pass the
	// thresholds below (counted over postings, so common words cost little).
	uniq := slices.Compact(slices.Sorted(slices.Values(all)))
	needed := max(1, ceilFrac(0.66, len(tq)), ceilFrac(0.5, len(aq)), ceilFrac(0.5, len(xq)))
	counts := make([]uint8, len(c.all))
	var cand []int
	for _, t := range uniq {
		for _, i := range c.tokens[t] {
			counts[i]++
			if int(counts[i]) == needed {
				cand = append(cand, i)
			}
		}
	}
	slices.Sort(cand)
	type hit struct {
		b     *Book
		score float64
		tie   uint64
	}
	var hits []hit
	for _, i := range cand {
		b := c.all[i]
		if !b.KnownBy.Has(source) || b.Kind == KindFictional {
			continue
		}
		titleToks, authorToks := c.titleToks[i], c.authorToks[i]
		ft, fa := fraction(tq, titleToks), fraction(aq, authorToks)
		fx := fraction2(xq, titleToks, authorToks)
		if ft < 0.66 || fa < 0.5 || fx < 0.5 {
			continue
		}
		hits = append(hits, hit{b: b, score: ft*2 + fa + fx, tie: seedFor(source, b.ISBN13, b.Title)})
	}
	slices.SortFunc(hits, func(x, y hit) int {
		if c := cmp.Compare(y.score, x.score); c != 0 {
			return c
		}
		return cmp.Compare(x.tie, y.tie)
	})
	out := make([]*Book, len(hits))
	for i, h := range hits {
		out[i] = h.b
	}
	return out
}

// lookupKnown finds a book by ISBN if the source has it.
// find answers a search as the sources do: by ISBN when the request names one (the book, when
// the source knows it), otherwise by title, author and free text.
func (c *Catalog) find(source, isbn string, q query) []*Book {
	if isbn == "" {
		return c.search(source, q)
	}
	if b, ok := c.lookupKnown(source, isbn); ok {
		return []*Book{b}
	}
	return nil
}

func (c *Catalog) lookupKnown(source, isbn string) (*Book, bool) {
	b, ok := c.byISBN[normalizeISBN(isbn)]
	if !ok || !b.KnownBy.Has(source) {
		return nil, false
	}
	return b, true
}
