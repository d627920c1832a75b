package fakes

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Open Library (providers.md §3). Quirks reproduced: /search.json returns `isbn` (the union of
// every edition's ISBN-10s and ISBN-13s, unordered) only when `fields` asks for it; both numFound
// and num_found; one doc per work, so a later edition's ISBN may come first; /isbn/{isbn}.json is
// a 302 to /books/OL…M.json; edition JSON without author names (they need /authors/OL…A.json);
// 429 with nginx's JSON body.

func (s *Server) openLibraryFake() fake {
	return fake{
		name: SourceOpenLibrary,
		routes: map[string]http.HandlerFunc{
			"GET /search.json":    s.openLibrarySearch,
			"GET /isbn/{file}":    s.openLibraryISBN,
			"GET /books/{file}":   s.openLibraryEdition,
			"GET /works/{file}":   s.openLibraryWork,
			"GET /authors/{file}": s.openLibraryAuthor,
			"GET /api/books.json": s.openLibraryBibkeys,
			"GET /api/books": func(w http.ResponseWriter, r *http.Request) {
				// Observed 2026-09: the legacy path answers 404 with an empty body; /api/books.json works.
				w.WriteHeader(http.StatusNotFound)
			},
		},
		notFound: func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "notfound", "key": r.URL.Path})
		},
		fail: func(w http.ResponseWriter, kind failure, retryAfter int) {
			switch kind {
			case failOutage:
				writeText(w, http.StatusServiceUnavailable, "text/html", "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
			case failServer:
				writeText(w, http.StatusBadGateway, "text/html", "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
			default:
				writeJSON(w, http.StatusTooManyRequests, map[string]any{"status": 429,
					"message": "Too Many Requests. Consider using https://openlibrary.org/developers/dumps."})
			}
		},
	}
}

var openLibraryDefaultFields = []string{"key", "type", "title", "subtitle", "author_name", "author_key", "edition_count",
	"first_publish_year", "cover_i", "cover_edition_key", "has_fulltext", "language", "public_scan_b"}

func (s *Server) openLibrarySearch(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	q := query{title: v.Get("title"), author: v.Get("author"), text: v.Get("q")}
	// Solr-style q=title:(…) author:(…) is common too.
	if strings.Contains(q.text, ":") {
		t, a, rest := solrFields(q.text, "title", "author")
		q.title, q.author, q.text = strings.TrimSpace(q.title+" "+t), strings.TrimSpace(q.author+" "+a), rest
	}
	isbn := v.Get("isbn")
	if isbn == "" && allDigits(normalizeISBN(strings.TrimPrefix(q.text, "isbn:"))) && len(tokens(q.text)) == 1 {
		isbn = q.text // a bare ISBN in q is rewritten to isbn:(…)
	}
	books := s.catalog.find(SourceOpenLibrary, strings.TrimPrefix(isbn, "isbn:"), q)
	// One doc per work.
	var works []int
	for _, b := range books {
		if !slices.Contains(works, b.workID) {
			works = append(works, b.workID)
		}
	}
	limit, offset := 100, 0
	if n, err := strconv.Atoi(v.Get("limit")); err == nil && n >= 0 {
		limit = n
	}
	if n, err := strconv.Atoi(v.Get("offset")); err == nil && n >= 0 {
		offset = n
	} else if p, err := strconv.Atoi(v.Get("page")); err == nil && p > 1 {
		offset = (p - 1) * limit
	}
	fields := openLibraryDefaultFields
	if f := v.Get("fields"); f != "" {
		fields = strings.Split(f, ",")
	}
	docs := []map[string]any{}
	for i := offset; i < len(works) && len(docs) < limit; i++ {
		docs = append(docs, s.openLibraryDoc(works[i], fields))
	}
	var offsetJSON any
	if v.Has("offset") {
		offsetJSON = offset
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"numFound": len(works), "num_found": len(works), "start": offset, "numFoundExact": true,
		"q": v.Get("q"), "offset": offsetJSON, "documentation_url": "https://openlibrary.org/dev/docs/api/search",
		"docs": docs,
	})
}

// solrFields pulls field:(value) or field:value terms out of a Solr query.
func solrFields(q string, names ...string) (first, second, rest string) {
	vals := make([]string, len(names))
	var restParts []string
	for len(q) > 0 {
		q = strings.TrimSpace(q)
		if q == "" {
			break
		}
		matched := false
		for i, n := range names {
			if p := n + ":"; strings.HasPrefix(strings.ToLower(q), p) {
				q = q[len(p):]
				var val string
				if strings.HasPrefix(q, "(") {
					end := strings.Index(q, ")")
					if end < 0 {
						end = len(q) - 1
					}
					val, q = q[1:end], q[min(len(q), end+1):]
				} else if strings.HasPrefix(q, `"`) {
					end := strings.Index(q[1:], `"`) + 1
					if end <= 0 {
						end = len(q) - 1
					}
					val, q = q[1:end], q[min(len(q), end+1):]
				} else {
					f := strings.Fields(q)[0]
					val, q = f, q[len(f):]
				}
				vals[i] += " " + strings.Trim(val, `"`)
				matched = true
				break
			}
		}
		if !matched {
			f := strings.Fields(q)[0]
			q = q[len(f):]
			if up := strings.ToUpper(f); up != "AND" && up != "OR" {
				restParts = append(restParts, f)
			}
		}
	}
	vals = append(vals, "", "")
	return vals[0], vals[1], strings.Join(restParts, " ")
}

func (s *Server) openLibraryDoc(workID int, fields []string) map[string]any {
	editions := s.catalog.byWork[workID]
	var known []*Book
	for _, e := range editions {
		if e.KnownBy.Has(SourceOpenLibrary) {
			known = append(known, e)
		}
	}
	first := known[0]
	for _, e := range known {
		if e.Year < first.Year {
			first = e
		}
	}
	// isbn: every edition's ISBNs in an order of Open Library's own.
	var isbns []string
	for _, e := range known {
		isbns = append(isbns, e.ISBN13)
		if e.ISBN10 != "" {
			isbns = append(isbns, e.ISBN10)
		}
	}
	slices.SortFunc(isbns, func(a, b string) int {
		return int(seedFor("ol-order", a)>>1) - int(seedFor("ol-order", b)>>1)
	})
	all := map[string]any{
		"key": fmt.Sprintf("/works/OL%dW", 500000+workID), "type": "work", "title": first.Title,
		"author_name": first.Authors(), "author_key": []string{fmt.Sprintf("OL%dA", 200000+first.authorID)},
		"edition_count": len(known), "first_publish_year": first.Year,
		"cover_i": 8000000 + first.editionID, "cover_edition_key": fmt.Sprintf("OL%dM", 1000000+first.editionID),
		"has_fulltext": first.KnownBy.Has(SourceArchive), "language": []string{"eng"}, "public_scan_b": false,
		"isbn": isbns, "publisher": []string{first.Publisher},
		"edition_key": editionKeys(known),
	}
	if first.Subtitle != "" {
		all["subtitle"] = first.Subtitle
	}
	doc := map[string]any{}
	for _, f := range fields {
		f = strings.TrimSpace(f)
		if f == "*" {
			return all
		}
		if val, ok := all[f]; ok {
			doc[f] = val
		}
	}
	return doc
}

func editionKeys(bs []*Book) []string {
	var out []string
	for _, b := range bs {
		out = append(out, fmt.Sprintf("OL%dM", 1000000+b.editionID))
	}
	return out
}

func (s *Server) openLibraryISBN(w http.ResponseWriter, r *http.Request) {
	isbn, ok := strings.CutSuffix(r.PathValue("file"), ".json")
	b, known := s.catalog.lookupKnown(SourceOpenLibrary, isbn)
	if !ok || !known {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "notfound", "key": "/isbn/" + isbn})
		return
	}
	// Location relative to the provider's root, like the real one ("/books/OL…M.json").
	w.Header().Set("Location", fmt.Sprintf("/openlibrary/books/OL%dM.json", 1000000+b.editionID))
	w.WriteHeader(http.StatusFound)
}

func olID(file, suffix string) (int, bool) {
	name, ok := strings.CutSuffix(file, ".json")
	if !ok || !strings.HasPrefix(name, "OL") || !strings.HasSuffix(name, suffix) {
		return 0, false
	}
	n, err := strconv.Atoi(name[2 : len(name)-1])
	return n, err == nil
}

func (s *Server) openLibraryEdition(w http.ResponseWriter, r *http.Request) {
	n, ok := olID(r.PathValue("file"), "M")
	b, found := s.catalog.byEd[n-1000000]
	if !ok || !found || !b.KnownBy.Has(SourceOpenLibrary) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "notfound", "key": "/books/" + r.PathValue("file")})
		return
	}
	ed := map[string]any{
		"key": fmt.Sprintf("/books/OL%dM", 1000000+b.editionID), "title": b.Title,
		"publishers": []string{b.Publisher}, "publish_date": fmt.Sprintf("%s %d, %d", monthNames[b.Month-1], b.day, b.Year),
		"isbn_13": []string{b.ISBN13}, "works": []map[string]string{{"key": fmt.Sprintf("/works/OL%dW", 500000+b.workID)}},
		"number_of_pages": b.Pages, "covers": []int{8000000 + b.editionID},
		"languages": []map[string]string{{"key": "/languages/eng"}}, "physical_format": b.Format,
		"source_records": []string{"bwb:" + b.ISBN13}, "type": map[string]string{"key": "/type/edition"},
	}
	if b.ISBN10 != "" {
		ed["isbn_10"] = []string{b.ISBN10}
	}
	if b.Subtitle != "" {
		ed["subtitle"] = b.Subtitle
	}
	// Many editions carry no authors; the names are only on the work.
	if seedFor("ol-authors", b.ISBN13)%2 == 0 {
		ed["authors"] = []map[string]string{{"key": fmt.Sprintf("/authors/OL%dA", 200000+b.authorID)}}
	}
	writeJSON(w, http.StatusOK, ed)
}

func (s *Server) openLibraryWork(w http.ResponseWriter, r *http.Request) {
	n, ok := olID(r.PathValue("file"), "W")
	eds := s.catalog.byWork[n-500000]
	if !ok || len(eds) == 0 {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "notfound", "key": "/works/" + r.PathValue("file")})
		return
	}
	b := eds[0]
	writeJSON(w, http.StatusOK, map[string]any{
		"key": fmt.Sprintf("/works/OL%dW", 500000+b.workID), "title": b.Title, "type": map[string]string{"key": "/type/work"},
		"authors": []map[string]any{{"author": map[string]string{"key": fmt.Sprintf("/authors/OL%dA", 200000+b.authorID)},
			"type": map[string]string{"key": "/type/author_role"}}},
		"first_publish_date": strconv.Itoa(b.Year),
	})
}

func (s *Server) openLibraryAuthor(w http.ResponseWriter, r *http.Request) {
	n, ok := olID(r.PathValue("file"), "A")
	name, found := s.catalog.byAuth[n-200000]
	if !ok || !found {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "notfound", "key": "/authors/" + r.PathValue("file")})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"key": fmt.Sprintf("/authors/OL%dA", n), "name": name,
		"personal_name": name, "type": map[string]string{"key": "/type/author"}})
}

// openLibraryBibkeys is /api/books.json?bibkeys=ISBN:a,ISBN:b&jscmd=data: an object keyed by the
// bibkeys exactly as sent, unknown keys left out.
func (s *Server) openLibraryBibkeys(w http.ResponseWriter, r *http.Request) {
	out := map[string]any{}
	for _, key := range strings.Split(r.URL.Query().Get("bibkeys"), ",") {
		kind, val, ok := strings.Cut(strings.TrimSpace(key), ":")
		if !ok || !strings.EqualFold(kind, "ISBN") {
			continue
		}
		b, known := s.catalog.lookupKnown(SourceOpenLibrary, val)
		if !known {
			continue
		}
		ids := map[string][]string{"isbn_13": {b.ISBN13}, "openlibrary": {fmt.Sprintf("OL%dM", 1000000+b.editionID)}}
		if b.ISBN10 != "" {
			ids["isbn_10"] = []string{b.ISBN10}
		}
		entry := map[string]any{
			"url":             fmt.Sprintf("https://openlibrary.org/books/OL%dM", 1000000+b.editionID),
			"key":             fmt.Sprintf("/books/OL%dM", 1000000+b.editionID),
			"title":           b.Title,
			"authors":         []map[string]string{{"url": fmt.Sprintf("https://openlibrary.org/authors/OL%dA", 200000+b.authorID), "name": b.Author}},
			"number_of_pages": b.Pages,
			"identifiers":     ids,
			"publishers":      []map[string]string{{"name": b.Publisher}},
			"publish_date":    fmt.Sprintf("%s %d, %d", monthNames[b.Month-1], b.day, b.Year),
		}
		if b.Subtitle != "" {
			entry["subtitle"] = b.Subtitle
		}
		out[strings.TrimSpace(key)] = entry
	}
	writeJSON(w, http.StatusOK, out)
}
