package llm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Parsed is what one model answer contained.
type Parsed struct {
	Books   []Book
	Dropped int    // items that were not usable books (no title or author, not an object)
	Refusal string // why the model named no book, when it refused or answered nothing
	// Truncated is set when the answer was cut off (the provider's length stop, or JSON that ends
	// inside the list of books); every complete book before the cut is still in Books.
	Truncated bool
	// Lost counts the book items begun but cut off; a cut between two items loses none that
	// can be counted, and the answer is still Truncated.
	Lost int
	// StopReason is the provider's reason for a cut answer ("MAX_TOKENS", "length") or, when
	// the provider said nothing, why the parser knows the answer is cut.
	StopReason string
}

// ErrUnparseable means an answer held no usable JSON at all: neither books nor a refusal.
var ErrUnparseable = errors.New("model answer holds no usable JSON")

// maxJSONStarts bounds how many '{' / '[' positions are tried when prose surrounds the JSON, so a
// pathological answer cannot cost quadratic time.
const maxJSONStarts = 64

const maxRefusalLen = 300

// stopCutJSON is the StopReason of an answer whose JSON ends inside the list of books although
// the provider reported a normal stop.
const stopCutJSON = "JSON ends inside the list of books"

// ParseBooks reads one model answer. It accepts JSON wrapped in code fences or prose, a top-level
// array or an object holding "books", string or number years, and common field-name variants.
// It takes the JSON value that holds books, not merely the first one: a citation such as "[1]"
// or a bracketed number in the prose before the answer is skipped. A list cut off mid-way keeps
// its complete books and reports the cut. A refusal ({"error": …}) or an empty answer is
// reported in Parsed.Refusal, not as an error; an answer from which nothing valid can be read is
// an error that says why.
func ParseBooks(answer string) (Parsed, error) {
	text := strings.TrimSpace(stripFences(answer))
	if text == "" {
		return Parsed{Refusal: "empty answer"}, nil
	}
	v, err := booksValue(text)
	if err != nil {
		return Parsed{}, err
	}
	p := Parsed{Truncated: v.cut, Lost: v.lost}
	if v.cut {
		p.StopReason = stopCutJSON
	}
	for _, item := range v.items {
		b, ok := bookFrom(item)
		if !ok {
			p.Dropped++
			continue
		}
		p.Books = append(p.Books, b)
	}
	switch {
	case len(p.Books) > 0:
		return p, nil
	case v.refusal != "":
		p.Refusal = v.refusal
		return p, nil
	case len(v.items) == 0 && !v.cut:
		p.Refusal = "empty list of books"
		return p, nil
	case len(v.items) == 0:
		return p, fmt.Errorf("%w: the answer was cut off before its first complete book", ErrUnparseable)
	default:
		return p, fmt.Errorf("%w: none of %d items is a book with a title and an author", ErrUnparseable, len(v.items))
	}
}

var fence = regexp.MustCompile("(?s)```[A-Za-z0-9_-]*[ \t]*\r?\n?(.*?)```")

// stripFences returns the contents of the first Markdown code fence, or the text unchanged.
func stripFences(s string) string {
	if m := fence.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	// An opening fence whose closing fence was cut off (a truncated answer).
	if i := strings.Index(s, "```"); i >= 0 {
		rest := s[i+3:]
		if nl := strings.IndexByte(rest, '\n'); nl >= 0 {
			return rest[nl+1:]
		}
	}
	return s
}

// listKeys are the object keys under which models put their list of books.
var listKeys = []string{"books", "Books", "results", "items", "data"}

// found is the JSON value of an answer that holds its books.
type found struct {
	items   []json.RawMessage
	refusal string
	cut     bool // the value ends before its list of books does
	lost    int  // items begun but not complete at the cut
	books   bool // the value is a list of books (or one book, or a refusal), not just any JSON
}

// booksValue finds the JSON value that holds the books: the first value, in reading order, that
// is a list of objects, an object with a list of books, a single book or a refusal. Values that
// hold no books (a citation "[1]", "[sic]", a note object) are passed over. When the only such
// value is cut off, what it held before the cut is returned.
func booksValue(text string) (found, error) {
	tried := 0
	for i := 0; i < len(text) && tried < maxJSONStarts; i++ {
		if text[i] != '{' && text[i] != '[' {
			continue
		}
		tried++
		v, _ := streamValue(text[i:])
		if !v.books {
			continue
		}
		// A cut value runs to the end of the answer: every later start lies inside it (its
		// complete books), so it is the answer.
		return v, nil
	}
	return found{}, fmt.Errorf("%w: no JSON list of books, book or refusal in %d bytes of answer", ErrUnparseable, len(text))
}

// streamValue reads one JSON value token by token so that a value cut off part-way still gives
// the list items completed before the cut. complete reports whether the whole value was read.
func streamValue(text string) (v found, complete bool) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return found{}, false
	}
	switch tok {
	case json.Delim('['):
		items, ok, lost := readList(dec)
		if lost == notJSON {
			return found{}, false
		}
		v = found{items: items, cut: !ok, lost: lost}
		// A list of books is a list of objects; "[1]" or "[sic]" in prose is not.
		v.books = lost > 0 || anyObject(items) || (ok && len(items) == 0 && onlyValue(text, dec))
		return v, ok
	case json.Delim('{'):
		return readObject(text, dec)
	}
	return found{}, false
}

// readList reads the items of a list whose '[' has been read. ok is false when the text ends
// before the closing ']'; lost then counts an item begun but not finished, or is notJSON when
// the text breaks JSON's syntax.
func readList(dec *json.Decoder) (items []json.RawMessage, ok bool, lost int) {
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if !cutOff(err) {
				return nil, false, notJSON // prose in brackets: no list at all
			}
			if rest := strings.TrimSpace(restOf(dec)); strings.HasPrefix(rest, "{") {
				lost = 1
			}
			return items, false, lost
		}
		items = append(items, raw)
	}
	if _, err := dec.Token(); err != nil {
		if !cutOff(err) {
			return nil, false, notJSON
		}
		return items, false, 0
	}
	return items, true, 0
}

// notJSON is readList's lost count for text that is not a JSON list at all.
const notJSON = -1

// cutOff reports a decoding error caused by the text ending, as opposed to text that is not JSON.
func cutOff(err error) bool {
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// restOf is what the decoder has not consumed of its buffered input.
func restOf(dec *json.Decoder) string {
	b, _ := io.ReadAll(dec.Buffered())
	return string(b)
}

// readObject reads an object whose '{' has been read, looking for its list of books, a refusal,
// or the fields of a single book.
func readObject(text string, dec *json.Decoder) (found, bool) {
	fields := map[string]json.RawMessage{}
	var v found
	listSeen := false
	for dec.More() {
		keyTok, err := dec.Token()
		if err != nil {
			break
		}
		key, _ := keyTok.(string)
		if slices.Contains(listKeys, key) && !listSeen {
			tok, err := dec.Token()
			if err != nil {
				v.cut = true
				break
			}
			if tok == json.Delim('[') {
				listSeen = true
				items, ok, lost := readList(dec)
				if lost == notJSON {
					return found{}, false
				}
				v.items, v.lost, v.books = items, lost, true
				if !ok {
					v.cut = true
					v.refusal = refusalOf(fields)
					return v, false
				}
				continue
			}
			if tok == nil { // "books": null
				continue
			}
			// Not a list: the rest of this value is skipped below.
			if d, isDelim := tok.(json.Delim); isDelim && (d == '{' || d == '[') {
				if skipNested(dec) != nil {
					break
				}
			}
			continue
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			break
		}
		fields[key] = raw
	}
	_, err := dec.Token() // the closing '}'
	complete := err == nil && !v.cut
	v.refusal = refusalOf(fields)
	switch {
	case listSeen:
	case v.refusal != "":
		v.books = true
	case hasKey(fields, "title"):
		if complete {
			raw, _ := json.Marshal(fields)
			v.items, v.books = []json.RawMessage{raw}, true
		}
	}
	if !complete && listSeen {
		v.cut = true
	}
	return v, complete
}

// skipNested consumes tokens up to the end of a value whose opening delimiter has been read.
func skipNested(dec *json.Decoder) error {
	for depth := 1; depth > 0; {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				depth++
			default:
				depth--
			}
		}
	}
	return nil
}

func hasKey(fields map[string]json.RawMessage, key string) bool {
	for k := range fields {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}

func anyObject(items []json.RawMessage) bool {
	for _, it := range items {
		if t := bytes.TrimSpace(it); len(t) > 0 && t[0] == '{' {
			return true
		}
	}
	return false
}

// onlyValue reports whether an empty list is the whole answer ("[]"), which is a model's way to
// say it knows no book; an empty "[]" inside prose is not taken for the answer.
func onlyValue(text string, dec *json.Decoder) bool {
	return strings.TrimSpace(text[dec.InputOffset():]) == "" || strings.TrimSpace(restOf(dec)) == ""
}

// refusalOf reads {"error": "…"} (or {"error": {"message": "…"}}) as the model's reason.
func refusalOf(obj map[string]json.RawMessage) string {
	raw, ok := obj["error"]
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		s = clean(s, maxRefusalLen)
		if s == "" {
			return ""
		}
		return s
	}
	var nested struct{ Message string }
	if json.Unmarshal(raw, &nested) == nil && strings.TrimSpace(nested.Message) != "" {
		return clean(nested.Message, maxRefusalLen)
	}
	if string(raw) == "null" || string(raw) == "false" {
		return ""
	}
	return "refused without a reason"
}

func bookFrom(raw json.RawMessage) (Book, bool) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return Book{}, false
	}
	lower := make(map[string]json.RawMessage, len(fields))
	for k, v := range fields {
		lower[strings.ToLower(strings.ReplaceAll(k, "_", ""))] = v
	}
	get := func(names ...string) json.RawMessage {
		for _, n := range names {
			if v, ok := lower[n]; ok && string(v) != "null" {
				return v
			}
		}
		return nil
	}
	b := Book{
		Title:        clean(stringOf(get("title", "name")), maxTitleLen),
		Author:       clean(authorOf(get("author", "authors", "authorname")), maxAuthorLen),
		Publisher:    clean(stringOf(get("publisher")), maxPublisherLen),
		Format:       formatOf(stringOf(get("format", "edition", "binding"))),
		Significance: clean(stringOf(get("significance", "description", "reason", "why")), maxSignificanceLen),
	}
	if b.Title == "" || b.Author == "" {
		return Book{}, false
	}
	year, monthFromYear := yearOf(get("publicationyear", "year", "publishedyear", "publicationdate", "publishdate"))
	b.PublicationYear = year
	b.PublicationMonth = monthOf(get("publicationmonth", "month", "publishedmonth"))
	if b.PublicationMonth == 0 {
		b.PublicationMonth = monthFromYear
	}
	return b, true
}

// stringOf reads a JSON string, or the text of a number; anything else is "".
func stringOf(raw json.RawMessage) string {
	if raw == nil {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// authorOf reads an author string, or joins a list of author names with "; ", which no single
// name contains (a comma could be read as "Surname, Given").
func authorOf(raw json.RawMessage) string {
	if s := stringOf(raw); s != "" {
		return s
	}
	var list []string
	if raw != nil && json.Unmarshal(raw, &list) == nil {
		var names []string
		for _, n := range list {
			if n = strings.TrimSpace(n); n != "" {
				names = append(names, n)
			}
		}
		return strings.Join(names, "; ")
	}
	return ""
}

func formatOf(s string) Format {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "hardcover", "hardback", "hard cover":
		return FormatHardcover
	case "paperback", "softcover", "trade paperback", "mass market paperback":
		return FormatPaperback
	case "ebook", "e-book", "kindle", "digital":
		return FormatEBook
	case "audiobook", "audio book", "audio":
		return FormatAudiobook
	}
	return FormatUnknown
}

var yearMonth = regexp.MustCompile(`\b(1[0-9]{3}|20[0-9]{2}|2100)(?:[-/.](0?[1-9]|1[0-2])\b)?`)

// yearOf reads a year given as a number or a string ("2020", "2020-03", "March 2020"), and the
// month when a date string carries one.
func yearOf(raw json.RawMessage) (year, month int) {
	s := strings.TrimSpace(stringOf(raw))
	if s == "" {
		return 0, 0
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if y := int(f); float64(y) == f && y >= 1000 && y <= 2100 {
			return y, 0
		}
		return 0, 0
	}
	m := yearMonth.FindStringSubmatch(s)
	if m == nil {
		return 0, 0
	}
	year, _ = strconv.Atoi(m[1])
	if m[2] != "" {
		month, _ = strconv.Atoi(m[2])
	} else {
		month = monthName(s)
	}
	return year, month
}

// monthOf reads a month given as a number, a numeric string or an English month name.
func monthOf(raw json.RawMessage) int {
	s := strings.TrimSpace(stringOf(raw))
	if s == "" {
		return 0
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if m := int(f); float64(m) == f && m >= 1 && m <= 12 {
			return m
		}
		return 0
	}
	return monthName(s)
}

func monthName(s string) int {
	lower := strings.ToLower(s)
	for m := time.January; m <= time.December; m++ {
		name := strings.ToLower(m.String())
		if strings.Contains(lower, name) || strings.HasPrefix(lower, name[:3]) {
			return int(m)
		}
	}
	return 0
}

// clean collapses whitespace, drops invalid UTF-8 and cuts s to at most limit runes.
func clean(s string, limit int) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:limit]))
}

// stopNote adds a cut answer's stop reason to a parse error.
func stopNote(p Parsed) string {
	if !p.Truncated {
		return ""
	}
	return " (answer cut off: " + p.StopReason + ")"
}
