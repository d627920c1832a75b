// Package merge combines the books several models proposed for one month into one list without
// duplicates. Two proposals are the same book when their title and author both agree (the seed
// compared titles only and merged different books that share a title) and their edition marks
// agree (an adaptation, graphic novel or young readers' edition is another book); the merged
// book keeps the most complete metadata and which models proposed it. Authors agree across the
// forms catalogues and models write ("Surname, Given", particles, initials, several authors in
// any order): textmatch is the one definition the verifier shares.
package merge

import (
	"slices"

	"github.com/ooheynerds/backfill-operator/internal/llm"
	"github.com/ooheynerds/backfill-operator/internal/textmatch"
)

// Similarity thresholds for proposals whose normalised keys differ slightly (a typo, a dropped
// initial). Both must hold: a close title alone is not the same book.
const (
	TitleThreshold  = 0.9
	AuthorThreshold = 0.8
)

// Proposal is the answer of one model.
type Proposal struct {
	Model string // provider name, e.g. "gemini"
	Books []llm.Book
}

// Book is one distinct book of the month.
type Book struct {
	llm.Book
	Key        textmatch.Key
	ProposedBy []string // models, in the order of the proposals
}

// Merge de-duplicates the proposals, in order: the first proposal of a book fixes its position
// and its title and author as written, later ones fill what it lacks. Books without a usable key
// (a title or author that normalises to nothing) are dropped.
func Merge(proposals []Proposal) []Book {
	var out []Book
	for _, p := range proposals {
		for _, b := range p.Books {
			key := textmatch.KeyOf(b.Title, b.Author)
			if key.Title == "" || key.Author == "" {
				continue
			}
			i := find(out, key, b)
			if i < 0 {
				out = append(out, Book{Book: b, Key: key, ProposedBy: []string{p.Model}})
				continue
			}
			out[i].Book = combine(out[i].Book, b)
			if !slices.Contains(out[i].ProposedBy, p.Model) {
				out[i].ProposedBy = append(out[i].ProposedBy, p.Model)
			}
		}
	}
	return out
}

// find returns the index of the book in merged that b duplicates, or -1.
func find(merged []Book, key textmatch.Key, b llm.Book) int {
	for i, m := range merged {
		if m.Key == key {
			return i
		}
	}
	for i, m := range merged {
		// An edition mark ("X: The Graphic Novel", "X (Young Readers' Edition)") makes another
		// book however close the titles are once their subtitles are cut.
		if textmatch.TitleSimilarity(m.Title, b.Title) >= TitleThreshold &&
			textmatch.AuthorSimilarity(m.Author, b.Author) >= AuthorThreshold &&
			textmatch.SameEditionMarks(m.Title, b.Title) {
			return i
		}
	}
	return -1
}

// combine keeps a's values and fills what a lacks from b; a known format beats "Unknown" and the
// longer significance (more specific) wins.
func combine(a, b llm.Book) llm.Book {
	if a.Publisher == "" {
		a.Publisher = b.Publisher
	}
	if (a.Format == "" || a.Format == llm.FormatUnknown) && b.Format != "" {
		a.Format = b.Format
	}
	if a.PublicationYear == 0 {
		a.PublicationYear = b.PublicationYear
	}
	if a.PublicationMonth == 0 {
		a.PublicationMonth = b.PublicationMonth
	}
	if len(b.Significance) > len(a.Significance) {
		a.Significance = b.Significance
	}
	return a
}
