package fakes

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Internet Archive advancedsearch (providers.md §6): Lucene q=title:(…) AND creator:(…), fields via
// fl[]=… (or fl=a,b), rows/page, output=json ⇒ {"responseHeader":…,"response":{numFound,start,docs}}.
// Quirks reproduced: `creator` is sometimes a string and sometimes a list, sometimes inverted with
// dates ("McCarthy, Cormac, 1933-"); `isbn` is a list, sometimes hyphenated, mixing 10 and 13.

func (s *Server) archiveFake() fake {
	return fake{name: SourceArchive, fail: htmlFailures(http.StatusBadGateway),
		routes: map[string]http.HandlerFunc{"GET /advancedsearch.php": s.archiveSearch},
		notFound: func(w http.ResponseWriter, _ *http.Request) {
			writeText(w, http.StatusNotFound, "text/html", "<html><body><h1>Item cannot be found.</h1></body></html>")
		}}
}

func (s *Server) archiveSearch(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	q := v.Get("q")
	if strings.TrimSpace(q) == "" {
		writeJSON(w, http.StatusOK, map[string]any{"responseHeader": map[string]any{"status": 400, "QTime": 0},
			"error": map[string]any{"msg": "Missing query", "code": 400}})
		return
	}
	title, creator, rest := solrFields(q, "title", "creator")
	_, isbn, _ := solrFields(q, "title", "isbn")
	// mediatype:texts and other field filters in rest are accepted and ignored.
	free := []string{}
	for _, f := range strings.Fields(rest) {
		if !strings.Contains(f, ":") {
			free = append(free, f)
		}
	}
	books := s.catalog.find(SourceArchive, strings.TrimSpace(isbn), query{title: title, author: creator, text: strings.Join(free, " ")})
	fields := v["fl[]"]
	if len(fields) == 0 && v.Get("fl") != "" {
		fields = strings.Split(v.Get("fl"), ",")
	}
	rows, page := 50, 1
	if n, err := strconv.Atoi(v.Get("rows")); err == nil && n >= 0 {
		rows = n
	}
	if n, err := strconv.Atoi(v.Get("page")); err == nil && n > 0 {
		page = n
	}
	start := (page - 1) * rows
	docs := []map[string]any{}
	for i := start; i < len(books) && len(docs) < rows; i++ {
		docs = append(docs, archiveDoc(books[i], fields))
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"responseHeader": map[string]any{"status": 0, "QTime": 3, "params": map[string]any{
			"query": q, "qin": q, "fields": strings.Join(fields, ","), "wt": "json", "rows": strconv.Itoa(rows), "start": start}},
		"response": map[string]any{"numFound": len(books), "start": start, "docs": docs},
	})
}

func archiveIdentifier(b *Book) string {
	var id strings.Builder
	for _, t := range tokens(b.Title) {
		if id.Len()+len(t) > 16 {
			break
		}
		id.WriteString(t)
	}
	last := tokens(b.Author)
	surname := "anon"
	if len(last) > 0 {
		surname = last[len(last)-1]
	}
	return fmt.Sprintf("%s0000%s", id.String(), surname[:min(4, len(surname))])
}

func archiveDoc(b *Book, fields []string) map[string]any {
	v := seedFor("archive-shape", b.ISBN13)
	var creator any = b.Author
	switch v % 3 {
	case 1:
		creator = b.Headings()
	case 2:
		creator = b.Heading() + ", 1960-"
	}
	isbns := []string{b.ISBN13}
	if v%2 == 0 {
		isbns = []string{hyphenateISBN13(b.ISBN13)}
	}
	if b.ISBN10 != "" {
		isbns = append([]string{b.ISBN10}, isbns...)
	}
	all := map[string]any{
		"identifier": archiveIdentifier(b), "title": b.FullTitle(), "creator": creator, "isbn": isbns,
		"publisher": b.Publisher, "date": fmt.Sprintf("%04d-01-01T00:00:00Z", b.Year), "year": b.Year,
		"mediatype": "texts", "language": "eng", "subject": []string{"Fiction"},
		"description": b.Significance,
	}
	if len(fields) == 0 {
		return map[string]any{"identifier": all["identifier"]}
	}
	doc := map[string]any{}
	for _, f := range fields {
		if val, ok := all[strings.TrimSpace(f)]; ok {
			doc[strings.TrimSpace(f)] = val
		}
	}
	return doc
}
