package llm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
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
}

// ErrUnparseable means an answer held no usable JSON at all: neither books nor a refusal.
var ErrUnparseable = errors.New("model answer holds no usable JSON")

// maxJSONStarts bounds how many '{' / '[' positions are tried when prose surrounds the JSON, so a
// pathological answer cannot cost quadratic time.
const maxJSONStarts = 64

const maxRefusalLen = 300

// ParseBooks reads one model answer. It accepts JSON wrapped in code fences or prose, a top-level
// array or an object holding "books", string or number years, and common field-name variants.
// A refusal ({"error": …}) or an empty answer is reported in Parsed.Refusal, not as an error;
// an answer from which nothing valid can be read is an error that says why.
func ParseBooks(answer string) (Parsed, error) {
	text := strings.TrimSpace(stripFences(answer))
	if text == "" {
		return Parsed{Refusal: "empty answer"}, nil
	}
	raw, err := firstJSONValue(text)
	if err != nil {
		return Parsed{}, err
	}
	items, refusal, err := itemsOf(raw)
	if err != nil {
		return Parsed{}, err
	}
	var p Parsed
	for _, item := range items {
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
	case refusal != "":
		p.Refusal = refusal
		return p, nil
	case len(items) == 0:
		p.Refusal = "empty list of books"
		return p, nil
	default:
		return p, fmt.Errorf("%w: none of %d items is a book with a title and an author", ErrUnparseable, len(items))
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

// firstJSONValue finds the first complete JSON object or array in text.
func firstJSONValue(text string) (json.RawMessage, error) {
	tried := 0
	for i := 0; i < len(text) && tried < maxJSONStarts; i++ {
		if text[i] != '{' && text[i] != '[' {
			continue
		}
		tried++
		dec := json.NewDecoder(strings.NewReader(text[i:]))
		dec.UseNumber()
		var raw json.RawMessage
		if err := dec.Decode(&raw); err == nil {
			return raw, nil
		}
	}
	return nil, fmt.Errorf("%w: no complete JSON object or array in %d bytes of answer", ErrUnparseable, len(text))
}

// itemsOf returns the candidate book items of a JSON value and the refusal it carries, if any.
func itemsOf(raw json.RawMessage) ([]json.RawMessage, string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, "", fmt.Errorf("%w: %v", ErrUnparseable, err)
		}
		return items, "", nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrUnparseable, err)
	}
	refusal := refusalOf(obj)
	for _, key := range []string{"books", "Books", "results", "items", "data"} {
		list, ok := obj[key]
		if !ok || string(list) == "null" {
			continue
		}
		var items []json.RawMessage
		if err := json.Unmarshal(list, &items); err != nil {
			return nil, "", fmt.Errorf("%w: %q is not a list", ErrUnparseable, key)
		}
		return items, refusal, nil
	}
	if _, ok := obj["title"]; ok {
		return []json.RawMessage{raw}, refusal, nil
	}
	if refusal != "" {
		return nil, refusal, nil
	}
	return nil, "", fmt.Errorf("%w: an object with neither books nor an error", ErrUnparseable)
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

// authorOf reads an author string, or joins a list of author names.
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
		return strings.Join(names, ", ")
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
