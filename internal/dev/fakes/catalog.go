package fakes

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

// The catalog spans these months, inclusive.
const (
	FirstYear = 1990
	LastYear  = 2025
)

// Source names, as used in Book.KnownBy, fault settings and call counts: the API's, so the
// fakes' call counts compare directly with an attempt's.
const (
	SourceISBNdb      = string(v1alpha1.SourceISBNdb)
	SourceGoogleBooks = string(v1alpha1.SourceGoogleBooks)
	SourceOpenLibrary = string(v1alpha1.SourceOpenLibrary)
	SourceLOC         = string(v1alpha1.SourceLOC)
	SourceWikidata    = string(v1alpha1.SourceWikidata)
	SourceArchive     = string(v1alpha1.SourceArchive)
)

// Kind says what role a catalog entry plays in a quality measurement.
type Kind string

const (
	// KindNotable is a real book of the month: what a good model proposes and a good resolver finds.
	KindNotable Kind = "notable"
	// KindDecoy is a near miss that lives in the sources' indexes; a model never proposes it, so a
	// resolver that returns its ISBN has matched the wrong book.
	KindDecoy Kind = "decoy"
	// KindFictional is a title no source knows: what a model invents when it pads its answer.
	KindFictional Kind = "fictional"
)

// DecoyVariant says how a decoy resembles the notable book it shadows.
type DecoyVariant string

const (
	DecoySameTitleOtherAuthor DecoyVariant = "same-title-other-author"
	DecoyOtherEdition         DecoyVariant = "other-edition"
	DecoySubtitleVariant      DecoyVariant = "subtitle-variant"
	// DecoyEditionLookalike is another edition of the same title by the same author in the same
	// month — a graphic novel, an illustrated, young readers', abridged or annotated edition —
	// that only its subtitle and format tell apart.
	DecoyEditionLookalike DecoyVariant = "edition-lookalike"
)

var sourceOrder = []string{SourceISBNdb, SourceGoogleBooks, SourceOpenLibrary, SourceLOC, SourceWikidata, SourceArchive}

// Sources is a set of source names (see the Source* constants).
type Sources uint8

// SourcesOf builds a set from names; unknown names are ignored.
func SourcesOf(names ...string) Sources {
	var s Sources
	for _, n := range names {
		if i := slices.Index(sourceOrder, n); i >= 0 {
			s |= 1 << i
		}
	}
	return s
}

// Has reports whether the named source knows the book.
func (s Sources) Has(name string) bool {
	i := slices.Index(sourceOrder, name)
	return i >= 0 && s&(1<<i) != 0
}

// Names lists the set in a fixed order.
func (s Sources) Names() []string {
	out := []string{}
	for i, n := range sourceOrder {
		if s&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// MarshalJSON writes the set as a list of names.
func (s Sources) MarshalJSON() ([]byte, error) { return json.Marshal(s.Names()) }

// Book is one catalog entry and the ground truth for it.
type Book struct {
	Title     string `json:"title"`
	Subtitle  string `json:"subtitle,omitempty"`
	Author    string `json:"author"`
	Publisher string `json:"publisher"`
	Format    string `json:"format"` // Hardcover, Paperback, eBook or Audiobook
	// Year and Month are the book's own publication month; a decoy's may differ from the month
	// it is listed under.
	Year         int          `json:"year"`
	Month        int          `json:"month"`
	Significance string       `json:"significance"`
	ISBN13       string       `json:"isbn13,omitempty"` // empty for fictional books
	ISBN10       string       `json:"isbn10,omitempty"` // empty when none exists (979 prefixes, fictional books)
	Kind         Kind         `json:"kind"`
	Variant      DecoyVariant `json:"variant,omitempty"` // decoys only
	DecoyOf      string       `json:"decoyOf,omitempty"` // decoys only: ISBN13 of the notable book this one shadows
	KnownBy      Sources      `json:"knownBy"`
	Rank         int          `json:"rank"` // notables: 0 is the month's most significant book
	Pages        int          `json:"pages"`

	// heading is the author as library catalogues and ISBNdb file it ("García Lorente, Marisol",
	// an organisation as itself); "" means the plain "Surname, Given" inversion of Author.
	heading string
	// coauthors are the further authors of a book written by several, each as {name, heading};
	// Author is then the credit line "First and Second".
	coauthors [][2]string
	day       int
	workID    int // shared by editions of one work (Open Library groups by it)
	editionID int
	authorID  int
}

// FullTitle is the title with its subtitle, "Title: Subtitle".
func (b Book) FullTitle() string {
	if b.Subtitle == "" {
		return b.Title
	}
	return b.Title + ": " + b.Subtitle
}

// Heading is the author as catalogues file it: "Surname, Given" with compound and particle
// surnames kept whole ("García Lorente, Marisol", "van der Berg, Pieter"), an organisation as
// itself.
func (b Book) Heading() string { return strings.Join(b.Headings(), "; ") }

// Authors lists the book's authors by name, one entry each, as sources that keep authors apart
// (ISBNdb, Google Books, Open Library) list them.
func (b Book) Authors() []string {
	if len(b.coauthors) == 0 {
		return []string{b.Author}
	}
	out := []string{b.firstAuthor()}
	for _, c := range b.coauthors {
		out = append(out, c[0])
	}
	return out
}

// Headings lists the book's authors as catalogues file them.
func (b Book) Headings() []string {
	first := b.heading
	if first == "" {
		first = invertName(b.firstAuthor())
	}
	out := []string{first}
	for _, c := range b.coauthors {
		out = append(out, c[1])
	}
	return out
}

func (b Book) firstAuthor() string {
	if len(b.coauthors) == 0 {
		return b.Author
	}
	first, _, _ := strings.Cut(b.Author, " and ")
	return first
}

// corporate reports an organisation's credit, whose heading is the name itself.
func (b Book) corporate() bool {
	return b.heading != "" && (b.heading == b.Author || strings.Contains(b.heading, ". Editors"))
}

// Catalog is the deterministic fixture every fake serves from.
type Catalog struct {
	months map[int][]Book
	all    []*Book
	byISBN map[string]*Book
	byEd   map[int]*Book
	byWork map[int][]*Book
	byAuth map[int]string
	tokens map[string][]int // normalised token -> indices into all

	titleToks, authorToks [][]string // per entry of all, for search
}

var defaultCatalog = sync.OnceValue(NewCatalog)

// DefaultCatalog returns the shared catalog; it is built once and never changes.
func DefaultCatalog() *Catalog { return defaultCatalog() }

// Month returns the entries listed under a month: notables by rank, then decoys, then fictional
// titles. Out-of-range months return nil.
func (c *Catalog) Month(year, month int) []Book {
	return slices.Clone(c.months[monthKey(year, month)])
}

// Notable returns the month's notable books by rank.
func (c *Catalog) Notable(year, month int) []Book { return c.ofKind(year, month, KindNotable) }

// Decoys returns the month's decoys.
func (c *Catalog) Decoys(year, month int) []Book { return c.ofKind(year, month, KindDecoy) }

// Fictional returns the month's invented titles.
func (c *Catalog) Fictional(year, month int) []Book { return c.ofKind(year, month, KindFictional) }

func (c *Catalog) ofKind(year, month int, k Kind) []Book {
	var out []Book
	for _, b := range c.months[monthKey(year, month)] {
		if b.Kind == k {
			out = append(out, b)
		}
	}
	return out
}

// Lookup finds a book by ISBN-13 or ISBN-10 (hyphens allowed), whatever its sources.
func (c *Catalog) Lookup(isbn string) (Book, bool) {
	b, ok := c.byISBN[normalizeISBN(isbn)]
	if !ok {
		return Book{}, false
	}
	return *b, true
}

// Len is the number of entries in the whole catalog.
func (c *Catalog) Len() int { return len(c.all) }

func monthKey(year, month int) int { return year*12 + month - 1 }

// coverage is the chance that a source has indexed a book of that month. The seed measured ~0%
// resolution for months only weeks old and 5% for one ten months old; older months are complete.
func coverage(year, month int) float64 {
	age := monthKey(LastYear, 12) - monthKey(year, month) + 1 // December 2025 is 1
	switch {
	case age <= 6:
		return 0
	case age <= 12:
		return 0.01 * float64(age-6)
	case age <= 24:
		return 0.3 + 0.05*float64(age-13)
	default:
		return 1
	}
}

var sourceReach = map[string]float64{
	SourceISBNdb: 0.97, SourceGoogleBooks: 0.9, SourceOpenLibrary: 0.9,
	SourceLOC: 0.55, SourceWikidata: 0.3, SourceArchive: 0.3,
}

// NewCatalog builds the catalog from word lists seeded by (year, month); it has no other input,
// so every process builds the same books.
func NewCatalog() *Catalog {
	c := &Catalog{months: map[int][]Book{}, byISBN: map[string]*Book{}, byEd: map[int]*Book{},
		byWork: map[int][]*Book{}, byAuth: map[int]string{}, tokens: map[string][]int{}}
	g := &generator{authors: map[string]int{}, cat: c}
	for y := FirstYear; y <= LastYear; y++ {
		for m := 1; m <= 12; m++ {
			c.months[monthKey(y, m)] = g.month(y, m)
		}
	}
	for y := FirstYear; y <= LastYear; y++ {
		for m := 1; m <= 12; m++ {
			books := c.months[monthKey(y, m)]
			for i := range books {
				b := &books[i]
				idx := len(c.all)
				c.all = append(c.all, b)
				if b.ISBN13 != "" {
					c.byISBN[b.ISBN13] = b
					if b.ISBN10 != "" {
						c.byISBN[b.ISBN10] = b
					}
				}
				c.byEd[b.editionID] = b
				c.byWork[b.workID] = append(c.byWork[b.workID], b)
				c.titleToks = append(c.titleToks, tokens(b.FullTitle()))
				c.authorToks = append(c.authorToks, tokens(b.Author))
				for _, t := range uniqueTokens(b.FullTitle() + " " + b.Author) {
					c.tokens[t] = append(c.tokens[t], idx)
				}
			}
		}
	}
	return c
}

type generator struct {
	authors   map[string]int
	nextAuth  int
	nextWork  int
	nextEd    int
	usedISBNs map[string]bool
	cat       *Catalog
}

func (g *generator) authorID(name string) int {
	if id, ok := g.authors[name]; ok {
		return id
	}
	g.nextAuth++
	g.authors[name] = g.nextAuth
	g.cat.byAuth[g.nextAuth] = name
	return g.nextAuth
}

func (g *generator) newWork() int    { g.nextWork++; return g.nextWork }
func (g *generator) newEdition() int { g.nextEd++; return g.nextEd }

// isbnFor derives a unique, valid ISBN-13 from the month and a slot: a bijective scramble of a
// sequence number keeps it unique while looking unsequenced.
func (g *generator) isbnFor(year, month, slot int, prefix979 bool) string {
	if g.usedISBNs == nil {
		g.usedISBNs = map[string]bool{}
		for _, f := range famousBooks {
			g.usedISBNs[f.isbn13] = true
		}
	}
	n := monthKey(year, month)*64 + slot
	for {
		scrambled := (n*7919 + 104729) % 100000000
		first12 := fmt.Sprintf("9781%08d", scrambled)
		if prefix979 {
			first12 = fmt.Sprintf("9798%08d", scrambled)
		}
		isbn := first12 + string(isbn13CheckDigit(first12))
		if !g.usedISBNs[isbn] {
			g.usedISBNs[isbn] = true
			return isbn
		}
		n += 1 << 20
	}
}

func seedFor(parts ...string) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return mix64(h.Sum64())
}

// mix64 is splitmix64's finaliser: FNV's low bits depend mostly on the last byte written, and
// the fakes take decisions from low bits.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func (g *generator) month(year, month int) []Book {
	r := rand.New(rand.NewPCG(uint64(year), uint64(month)*0x9E3779B97F4A7C15))
	cov := coverage(year, month)
	used := map[string]bool{}
	var notables []Book
	slot := 0

	for _, f := range famousBooks {
		if f.year != year || f.month != month {
			continue
		}
		b := Book{Title: f.title, Subtitle: f.subtitle, Author: f.author, Publisher: f.publisher, Format: f.format,
			Year: year, Month: month, Significance: f.significance, ISBN13: f.isbn13, ISBN10: ISBN10From13(f.isbn13),
			Kind: KindNotable, Pages: 250 + r.IntN(400), day: 1 + r.IntN(28)}
		b.KnownBy = SourcesOf(SourceISBNdb, SourceGoogleBooks, SourceOpenLibrary, SourceLOC, SourceWikidata)
		if r.IntN(2) == 0 {
			b.KnownBy |= SourcesOf(SourceArchive)
		}
		used[strings.ToLower(b.Title)] = true
		notables = append(notables, b)
	}
	famousCount := len(notables)

	target := 25 + r.IntN(6)
	for len(notables) < target {
		title, subtitle := g.title(r)
		if used[strings.ToLower(title)] {
			continue
		}
		used[strings.ToLower(title)] = true
		format := "Hardcover"
		switch x := r.IntN(100); {
		case x < 25:
			format = "Paperback"
		case x < 33:
			format = "eBook"
		case x < 38:
			format = "Audiobook"
		}
		publisher := pick(r, hardcoverPublishers)
		switch format {
		case "Paperback":
			publisher = pick(r, paperbackPublishers)
		case "eBook":
			publisher = pick(r, ebookPublishers)
		case "Audiobook":
			publisher = pick(r, audioPublishers)
		}
		slot++
		// Self-published e-books since 2020 mostly carry 979-8 ISBNs, which have no ISBN-10.
		isbn := g.isbnFor(year, month, slot, format == "eBook" && year >= 2020)
		b := Book{Title: title, Subtitle: subtitle, Author: g.person(r), Publisher: publisher, Format: format,
			Year: year, Month: month, Significance: g.significance(r, year, month), ISBN13: isbn, ISBN10: ISBN10From13(isbn),
			Kind: KindNotable, Pages: 180 + r.IntN(540), day: 1 + r.IntN(28)}
		rank := len(notables)
		switch {
		case rank%29 == 11:
			// An obscure book no source has indexed, even decades later.
		case rank%13 == 4:
			// Only the free community sources have it: a resolver must not stop at ISBNdb and Google Books.
			if r.Float64() < cov {
				b.KnownBy = SourcesOf(SourceOpenLibrary, SourceWikidata)
			}
		case rank%17 == 7:
			if r.Float64() < cov {
				b.KnownBy = SourcesOf(SourceLOC, SourceArchive)
			}
		default:
			for _, s := range sourceOrder {
				if r.Float64() < sourceReach[s]*cov {
					b.KnownBy |= SourcesOf(s)
				}
			}
		}
		notables = append(notables, b)
	}
	for i := range notables {
		notables[i].Rank = i
		notables[i].authorID = g.authorID(notables[i].Author)
		notables[i].workID = g.newWork()
		notables[i].editionID = g.newEdition()
	}

	// Decoys shadow the famous books and a handful of others.
	order := []int{}
	for i := 0; i < famousCount; i++ {
		order = append(order, i)
	}
	for _, i := range r.Perm(len(notables)) {
		if i >= famousCount {
			order = append(order, i)
		}
	}
	nDecoys := 6 + famousCount
	var decoys []Book
	for k := 0; k < nDecoys; k++ {
		n := notables[order[k]]
		variant := []DecoyVariant{DecoySameTitleOtherAuthor, DecoyOtherEdition, DecoySubtitleVariant}[(k+year+month)%3]
		slot++
		d := Book{Title: n.Title, Subtitle: n.Subtitle, Author: n.Author, Publisher: n.Publisher, Format: n.Format,
			Year: n.Year, Month: n.Month, Kind: KindDecoy, Variant: variant, DecoyOf: n.ISBN13,
			Pages: 120 + r.IntN(500), day: 1 + r.IntN(28), workID: n.workID, editionID: g.newEdition(),
			KnownBy: SourcesOf(SourceISBNdb, SourceGoogleBooks, SourceOpenLibrary)}
		switch variant {
		case DecoySameTitleOtherAuthor:
			d.Subtitle = ""
			for d.Author == n.Author {
				d.Author = g.person(r)
			}
			d.Year = max(1950, year-1-r.IntN(25))
			d.Month = 1 + r.IntN(12)
			d.Publisher = pick(r, paperbackPublishers)
			d.Format = "Paperback"
			d.workID = g.newWork()
			d.Significance = "An unrelated earlier book with the same title"
			if r.IntN(2) == 0 {
				d.KnownBy |= SourcesOf(SourceLOC)
			}
		case DecoyOtherEdition:
			d.Year = year + 1
			d.Format = map[string]string{"Hardcover": "Paperback", "Paperback": "Audiobook", "eBook": "Paperback", "Audiobook": "Hardcover"}[n.Format]
			switch d.Format {
			case "Paperback":
				d.Publisher = pick(r, paperbackPublishers)
			case "Audiobook":
				d.Publisher = pick(r, audioPublishers)
			}
			d.Significance = "A later " + strings.ToLower(d.Format) + " edition of the same work"
			if r.IntN(3) == 0 {
				d.KnownBy |= SourcesOf(SourceArchive)
			}
		case DecoySubtitleVariant:
			comp := pick(r, companionSubtitles)
			d.Subtitle = comp.subtitle
			d.Author = comp.author
			if d.Author == "" {
				d.Author = g.person(r)
			}
			d.Publisher = comp.publisher
			d.Format = "Paperback"
			d.Month = min(12, month+2)
			d.workID = g.newWork()
			d.Significance = "A companion book that shares the title"
		}
		d.ISBN13 = g.isbnFor(year, month, slot, variant == DecoySubtitleVariant)
		d.ISBN10 = ISBN10From13(d.ISBN13)
		d.authorID = g.authorID(d.Author)
		decoys = append(decoys, d)
	}

	// Fictional titles: half by an author of the month (models like to credit real writers with
	// books they never wrote), half by invented people.
	var fictional []Book
	for len(fictional) < 4 {
		title, subtitle := g.title(r)
		if used[strings.ToLower(title)] {
			continue
		}
		used[strings.ToLower(title)] = true
		author := g.person(r)
		if len(fictional)%2 == 0 {
			author = notables[r.IntN(len(notables))].Author
		}
		f := Book{Title: title, Subtitle: subtitle, Author: author, Publisher: pick(r, hardcoverPublishers),
			Format: "Hardcover", Year: year, Month: month, Significance: g.significance(r, year, month),
			Kind: KindFictional, Pages: 200 + r.IntN(300), day: 1 + r.IntN(28),
			workID: g.newWork(), editionID: g.newEdition()}
		f.authorID = g.authorID(f.Author)
		fictional = append(fictional, f)
	}

	notables, decoys = g.lookalikes(year, month, famousCount, notables, decoys, &slot)

	out := make([]Book, 0, len(notables)+len(decoys)+len(fictional))
	out = append(out, notables...)
	out = append(out, decoys...)
	return append(out, fictional...)
}

// lookalikes adds the shapes real catalogues have and the generated months lack, from a random
// stream of their own so that every book generated before keeps its title, author and ISBN:
//   - two edition look-alike decoys: the same title by the same author in the same month, told
//     apart only by an edition subtitle and its format (the famous book first, when there is one);
//   - one notable that is itself such an edition of an earlier notable of the month (a model may
//     propose both, and the merge and the resolver must keep them apart);
//   - one notable by an author whose heading is compound, has a particle, or is an organisation.
func (g *generator) lookalikes(year, month, famousCount int, notables, decoys []Book, slot *int) ([]Book, []Book) {
	r := rand.New(rand.NewPCG(seedFor("lookalike", fmt.Sprint(year)), seedFor("lookalike", fmt.Sprint(month))))
	var originals []int
	for i := 0; i < famousCount; i++ {
		originals = append(originals, i)
	}
	for _, i := range r.Perm(min(len(notables), 14)) {
		if i >= famousCount && notables[i].Subtitle == "" {
			originals = append(originals, i)
		}
	}
	edition := func(n Book, variant int) Book {
		e := editionSubtitles[variant%len(editionSubtitles)]
		*slot++
		b := Book{Title: n.Title, Subtitle: e.subtitle, Author: n.Author, heading: n.heading, Publisher: e.publisher,
			Format: e.format, Year: n.Year, Month: n.Month, Pages: 90 + r.IntN(300), day: 1 + r.IntN(28),
			workID: g.newWork(), editionID: g.newEdition(), authorID: n.authorID}
		b.ISBN13 = g.isbnFor(year, month, *slot, false)
		b.ISBN10 = ISBN10From13(b.ISBN13)
		return b
	}
	for k, i := range originals[:min(2, len(originals))] {
		d := edition(notables[i], r.IntN(len(editionSubtitles))+k)
		d.Kind, d.Variant, d.DecoyOf = KindDecoy, DecoyEditionLookalike, notables[i].ISBN13
		d.Significance = "Another edition of the same title, told apart by its subtitle"
		d.KnownBy = SourcesOf(SourceISBNdb, SourceGoogleBooks, SourceOpenLibrary)
		decoys = append(decoys, d)
	}
	if len(originals) > 2 {
		n := notables[originals[2]]
		e := edition(n, r.IntN(len(editionSubtitles)))
		e.Kind, e.Significance = KindNotable, "A celebrated "+strings.ToLower(e.Subtitle)+" of the month's novel"
		// The edition is indexed where its original is, among the sources that carry subtitles.
		e.KnownBy = n.KnownBy & SourcesOf(SourceISBNdb, SourceGoogleBooks, SourceOpenLibrary, SourceLOC)
		notables = append(notables, e)
	}
	a := pick(r, headingAuthors)
	title, _ := g.title(r)
	*slot++
	var coauthors [][2]string
	name := a.name
	// Every other month the book has a second author, credited "First and Second".
	if (year*12+month)%2 == 0 && a.name != a.heading {
		other := g.person(r)
		coauthors = [][2]string{{other, invertName(other)}}
		name += " and " + other
	}
	b := Book{Title: title, Author: name, heading: a.heading, coauthors: coauthors, Publisher: pick(r, hardcoverPublishers),
		Format: "Hardcover", Year: year, Month: month, Significance: g.significance(r, year, month),
		Kind: KindNotable, Pages: 180 + r.IntN(400), day: 1 + r.IntN(28),
		workID: g.newWork(), editionID: g.newEdition(), authorID: g.authorID(name)}
	b.ISBN13 = g.isbnFor(year, month, *slot, false)
	b.ISBN10 = ISBN10From13(b.ISBN13)
	if cov := coverage(year, month); r.Float64() < cov {
		b.KnownBy = SourcesOf(SourceISBNdb, SourceGoogleBooks, SourceOpenLibrary, SourceLOC)
	}
	notables = append(notables, b)
	for i := range notables {
		notables[i].Rank = i
	}
	return notables, decoys
}

func (g *generator) person(r *rand.Rand) string {
	first, last := pick(r, firstNames), pick(r, lastNames)
	if r.IntN(8) == 0 {
		return first + " " + string(rune('A'+r.IntN(26))) + ". " + last
	}
	return first + " " + last
}

func (g *generator) title(r *rand.Rand) (title, subtitle string) {
	adj, noun, noun2 := pick(r, titleAdjectives), pick(r, titleNouns), pick(r, titleNouns)
	switch r.IntN(9) {
	case 0:
		title = "The " + adj + " " + noun
	case 1:
		title = "The " + noun + " of " + pick(r, titlePlaces)
	case 2:
		title = article(noun) + " " + noun + " for " + pick(r, firstNames)
	case 3:
		title = "What the " + noun + " Knew"
	case 4:
		title = adj + " " + noun
	case 5:
		title = "The " + possessive(noun) + " " + noun2
	case 6:
		title = "Winter in " + pick(r, titlePlaces)
	case 7:
		title = noun + " & " + noun2
	default:
		title = "The " + adj + " " + noun2 + " of " + pick(r, lastNames)
	}
	if r.IntN(5) == 0 {
		subtitle = pick(r, nonfictionSubtitles)
	}
	return title, subtitle
}

func (g *generator) significance(r *rand.Rand, year, month int) string {
	when := monthNames[month-1] + " " + fmt.Sprint(year)
	switch r.IntN(5) {
	case 0:
		return fmt.Sprintf("NYT #%d bestseller, %s", 1+r.IntN(15), when)
	case 1:
		return fmt.Sprintf("%s shortlist, %d", pick(r, awards), year)
	case 2:
		return "Starred reviews from Kirkus and Publishers Weekly"
	case 3:
		return "Breakthrough debut, widely reviewed in " + when
	default:
		return fmt.Sprintf("Winner of the %s", pick(r, awards))
	}
}

var monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August",
	"September", "October", "November", "December"}

func article(word string) string {
	if strings.ContainsRune("AEIOU", rune(word[0])) {
		return "An"
	}
	return "A"
}

func possessive(noun string) string {
	if strings.HasSuffix(noun, "s") {
		return noun + "'"
	}
	return noun + "'s"
}
