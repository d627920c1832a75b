package fakes

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// What the LLM fakes read from a prompt. The month comes from the first "<Month> <YYYY>" (full
// English month name or its three-letter abbreviation, e.g. "September 2020", "Sep 2020"), or
// failing that the first "YYYY-MM" (e.g. "2020-09"). The number of books comes from "up to N",
// "at most N" or "exactly N", or failing that "N books" / "N … books" (up to three words between);
// the default is 20 and the cap 100. "exactly" is remembered: Grok refuses more months when asked
// for an exact count, as the seed saw. User messages are read before system instructions.
type monthRequest struct {
	year, month, books int
	exactly            bool
	found              bool
}

var (
	monthYearRE = regexp.MustCompile(`(?i)\b(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?,?\s+(\d{4})\b`)
	isoMonthRE  = regexp.MustCompile(`\b(\d{4})-(0[1-9]|1[0-2])\b`)
	countRE     = regexp.MustCompile(`(?i)\b(up to|at most|exactly)\s+(\d{1,4})\b`)
	booksRE     = regexp.MustCompile(`(?i)\b(\d{1,4})\s+(?:[\w-]+\s+){0,3}books\b`)
)

func parsePrompt(texts ...string) monthRequest {
	req := monthRequest{books: 20}
	for _, t := range texts {
		if m := monthYearRE.FindStringSubmatch(t); m != nil {
			name := strings.ToLower(m[1])
			for i, full := range monthNames {
				if strings.HasPrefix(strings.ToLower(full), name[:3]) {
					req.month = i + 1
				}
			}
			req.year, _ = strconv.Atoi(m[2])
			req.found = true
			break
		}
		if m := isoMonthRE.FindStringSubmatch(t); m != nil {
			req.year, _ = strconv.Atoi(m[1])
			req.month, _ = strconv.Atoi(m[2])
			req.found = true
			break
		}
	}
	for _, t := range texts {
		if m := countRE.FindStringSubmatch(t); m != nil {
			req.books, _ = strconv.Atoi(m[2])
			req.exactly = strings.EqualFold(m[1], "exactly")
			break
		}
		if m := booksRE.FindStringSubmatch(t); m != nil {
			req.books, _ = strconv.Atoi(m[1])
			break
		}
	}
	req.books = min(max(req.books, 0), 100)
	return req
}

// llmBook is one proposed book, with the field names the prompts ask for.
type llmBook struct {
	Title            string `json:"title"`
	Author           string `json:"author"`
	Publisher        string `json:"publisher"`
	Format           string `json:"format"`
	PublicationYear  int    `json:"publication_year"`
	PublicationMonth int    `json:"publication_month"`
	Significance     string `json:"significance"`
}

func asLLMBook(b Book) llmBook {
	return llmBook{Title: b.FullTitle(), Author: b.Author, Publisher: b.Publisher, Format: b.Format,
		PublicationYear: b.Year, PublicationMonth: b.Month, Significance: b.Significance}
}

// GeminiPicks is what the Gemini fake proposes for a month: notable books by rank with one
// fictional title in every ten (a model padding its list), at most n. Decoys never appear.
func (c *Catalog) GeminiPicks(year, month, n int) []Book {
	notables, fictional := c.Notable(year, month), c.Fictional(year, month)
	var out []Book
	for len(out) < n {
		if len(out)%10 == 9 && len(fictional) > 0 {
			out, fictional = append(out, fictional[0]), fictional[1:]
			continue
		}
		if len(notables) == 0 {
			break
		}
		out, notables = append(out, notables[0]), notables[1:]
	}
	return out
}

// GrokPicks is what the xAI fake proposes before it rewrites titles: notable books starting a
// third of the way down the month's ranking (so the overlap with Gemini is partial), with one
// fictional title in every twelve, taken from the other end of the fictional list.
func (c *Catalog) GrokPicks(year, month, n int) []Book {
	notables, fictional := c.Notable(year, month), c.Fictional(year, month)
	if len(notables) == 0 {
		return nil
	}
	start := len(notables) / 3
	rotated := slices.Concat(notables[start:], notables[:start])
	var out []Book
	for len(out) < n {
		if len(out)%12 == 11 && len(fictional) > 0 {
			out, fictional = append(out, fictional[len(fictional)-1]), fictional[:len(fictional)-1]
			continue
		}
		if len(rotated) == 0 {
			break
		}
		out, rotated = append(out, rotated[0]), rotated[1:]
	}
	return out
}

// GrokRefuses reports whether the xAI fake refuses the month: always for the months the seed saw
// refused, and for most months from 2020 on when the prompt demands an exact count.
func GrokRefuses(year, month int, exactly bool) bool {
	switch year*100 + month {
	case 201506, 202009, 202312, 202409:
		return true
	}
	if year > LastYear || year < FirstYear {
		return true
	}
	return exactly && year >= 2020 && seedFor("grok-refusal", strconv.Itoa(year), strconv.Itoa(month))%4 != 0
}

// GrokTitle is how Grok spells a title: a case, article, subtitle, punctuation or diacritics
// variant, always different from the catalog's spelling, so a merge has to normalise.
func GrokTitle(b Book) string {
	title := b.FullTitle()
	var out string
	switch seedFor("grok-title", b.ISBN13, b.Title) % 6 {
	case 0:
		out = strings.ToLower(title)
	case 1:
		if rest, ok := strings.CutPrefix(title, "The "); ok {
			out = rest
		} else {
			out = "The " + title
		}
	case 2:
		if b.Subtitle != "" && !editionSubtitle(b.Subtitle) {
			out = b.Title
		} else {
			out = title + ": A Novel"
		}
	case 3:
		out = foldDiacritics(title)
		if out == title {
			out = strings.NewReplacer("'", "’", "&", "and", ",", "", ":", " -").Replace(title)
		}
	case 4:
		out = strings.NewReplacer("'", "’", "&", "and", ",", "", ":", " -").Replace(title)
	default:
		words := strings.Fields(title)
		for i, w := range words {
			r := []rune(w)
			r[0] = unicode.ToUpper(r[0])
			words[i] = string(r)
		}
		out = strings.Join(words, " ")
	}
	if out == title {
		out = strings.ToUpper(title[:1]) + strings.ToLower(title[1:])
		if out == title {
			out = strings.ToLower(title)
		}
	}
	return out
}

// editionSubtitle reports a subtitle that names another edition (editionSubtitles): a model that
// means that edition keeps it, since the bare title is another book.
func editionSubtitle(sub string) bool {
	for _, e := range editionSubtitles {
		if e.subtitle == sub {
			return true
		}
	}
	return false
}

// GrokAuthor writes some authors as catalogues file them ("García Lorente, Marisol"), names
// several authors in the other order joined by "&", and drops diacritics and the space between
// initials for some others.
func GrokAuthor(b Book) string {
	if len(b.coauthors) > 0 {
		// Several authors: named the other way round, joined by "&".
		names := b.Authors()
		slices.Reverse(names)
		return strings.Join(names, " & ")
	}
	switch seedFor("grok-author", b.Author) % 6 {
	case 0, 3:
		return strings.ReplaceAll(foldDiacritics(b.Author), ". ", ".")
	case 1:
		if b.heading != "" {
			return b.Heading()
		}
	}
	return b.Author
}

func foldDiacritics(s string) string {
	var sb strings.Builder
	for _, r := range norm.NFD.String(s) {
		if !unicode.Is(unicode.Mn, r) {
			sb.WriteRune(r)
		}
	}
	return norm.NFC.String(sb.String())
}

// schemaShape reads a response schema (Gemini's OpenAPI-style responseSchema with upper-case
// types, a JSON Schema, or OpenAI's json_schema.schema): whether the answer is wrapped in an
// object and under which key, and which item properties it allows (nil = all).
func schemaShape(schema map[string]any) (wrapper string, props []string, known bool) {
	if schema == nil {
		return "", nil, false
	}
	typ := strings.ToLower(fmt.Sprint(schema["type"]))
	properties, _ := schema["properties"].(map[string]any)
	if typ == "object" || (typ == "<nil>" && properties != nil) {
		if sub, ok := properties["books"].(map[string]any); ok {
			_, p, _ := schemaShape(sub)
			return "books", p, true
		}
		for key, v := range properties {
			if sub, ok := v.(map[string]any); ok && strings.ToLower(fmt.Sprint(sub["type"])) == "array" {
				_, p, _ := schemaShape(sub)
				return key, p, true
			}
		}
		return "books", nil, true
	}
	if typ == "array" {
		items, _ := schema["items"].(map[string]any)
		if ip, ok := items["properties"].(map[string]any); ok {
			for k := range ip {
				props = append(props, k)
			}
		}
		return "", props, true
	}
	return "", nil, false
}

// renderBooks writes the answer JSON in the requested shape.
func renderBooks(books []llmBook, wrapper string, props []string) string {
	items := make([]map[string]any, 0, len(books))
	for _, b := range books {
		raw, _ := json.Marshal(b)
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		if props != nil {
			kept := map[string]any{}
			for _, p := range props {
				if v, ok := m[p]; ok {
					kept[p] = v
				}
			}
			m = kept
		}
		items = append(items, m)
	}
	var v any = items
	if wrapper != "" {
		v = map[string]any{wrapper: items}
	}
	out, _ := json.MarshalIndent(v, "", "  ")
	return string(out)
}

// tokenCount approximates a tokenizer: about four characters per token.
func tokenCount(s string) int { return (len(s) + 3) / 4 }
