package fakes

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// ISBNdb v2 (providers.md §1). Quirks reproduced: raw key in Authorization (a "Bearer" prefix is
// a wrong key, hence 403), 404 {"errorMessage":"Not Found"} for unknown ISBNs and empty searches,
// 429 {"message":"Limit Exceeded"} above the per-key rate, 403 once the daily quota is spent
// (every request is billed, refused ones too), `synopsys` spelled both ways, `edition` and `msrp`
// as string or number, `dewey_decimal` as string or list, several `date_published` formats.

func (s *Server) isbndbFake() fake {
	return fake{
		name: SourceISBNdb,
		routes: map[string]http.HandlerFunc{
			"GET /book/{isbn}":      s.isbndbBook,
			"POST /books":           s.isbndbBatch,
			"GET /books/{query...}": s.isbndbSearch,
			"GET /search/{index}":   s.isbndbSearchIndex,
			"GET /key":              s.isbndbKey,
		},
		notFound: func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusNotFound, map[string]string{"errorMessage": "Not Found"})
		},
		auth: func(w http.ResponseWriter, r *http.Request) bool {
			key := r.Header.Get("Authorization")
			if key == "" || strings.HasPrefix(key, "Bearer ") {
				writeJSON(w, http.StatusForbidden, map[string]string{"message": "Forbidden"})
				return true
			}
			return false
		},
		limit: func(w http.ResponseWriter, r *http.Request) bool {
			quotaLeft, rateOK := s.isbndbAdmit(r.Header.Get("Authorization"))
			switch {
			case !quotaLeft:
				writeJSON(w, http.StatusForbidden, map[string]string{"message": "Forbidden"})
				return true
			case !rateOK:
				w.Header().Set("Retry-After", "1")
				writeJSON(w, http.StatusTooManyRequests, map[string]string{"message": "Limit Exceeded"})
				return true
			}
			return false
		},
		fail: func(w http.ResponseWriter, kind failure, retryAfter int) {
			switch kind {
			case failOutage:
				writeJSON(w, http.StatusServiceUnavailable, map[string]string{"message": "Service Unavailable"})
			case failServer:
				writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "Internal server error"})
			case failRateLimit:
				writeJSON(w, http.StatusTooManyRequests, map[string]string{"message": "Limit Exceeded"})
			case failQuota:
				writeJSON(w, http.StatusForbidden, map[string]string{"message": "Forbidden"})
			}
		},
	}
}

func isbndbNotFound(w http.ResponseWriter) {
	writeJSON(w, http.StatusNotFound, map[string]string{"errorMessage": "Not Found"})
}

func (s *Server) isbndbBook(w http.ResponseWriter, r *http.Request) {
	b, ok := s.catalog.lookupKnown(SourceISBNdb, r.PathValue("isbn"))
	if !ok {
		isbndbNotFound(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"book": isbndbBookJSON(b)})
}

func (s *Server) isbndbBatch(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"errorMessage": "could not read body"})
		return
	}
	var isbns []string
	if body := strings.TrimSpace(string(raw)); strings.HasPrefix(body, "{") {
		var in struct {
			ISBNs []string `json:"isbns"`
		}
		if err := json.Unmarshal(raw, &in); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"errorMessage": "Invalid request body"})
			return
		}
		isbns = in.ISBNs
	} else {
		form, err := url.ParseQuery(body)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"errorMessage": "Invalid request body"})
			return
		}
		for _, v := range form["isbns"] {
			isbns = append(isbns, strings.Split(v, ",")...)
		}
	}
	if len(isbns) == 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"errorMessage": "isbns is required"})
		return
	}
	if len(isbns) > 1000 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"errorMessage": "Too many ISBNs; the maximum is 1000"})
		return
	}
	data := []map[string]any{}
	for _, isbn := range isbns {
		// Unknown ISBNs are left out silently, as the real endpoint does.
		if b, ok := s.catalog.lookupKnown(SourceISBNdb, isbn); ok {
			data = append(data, isbndbBookJSON(b))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": len(data), "requested": len(isbns), "data": data})
}

func (s *Server) isbndbSearch(w http.ResponseWriter, r *http.Request) {
	text := r.PathValue("query")
	q := query{text: text}
	switch r.URL.Query().Get("column") {
	case "title":
		q = query{title: text}
	case "author":
		q = query{author: text}
	}
	books := s.catalog.search(SourceISBNdb, q)
	page, ok := isbndbPage(w, r, books)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": len(books), "books": page})
}

func (s *Server) isbndbSearchIndex(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("index") != "books" {
		isbndbNotFound(w)
		return
	}
	v := r.URL.Query()
	books := s.catalog.find(SourceISBNdb, firstNonEmpty(v.Get("isbn13"), v.Get("isbn")), query{title: v.Get("text"), author: v.Get("author")})
	page, ok := isbndbPage(w, r, books)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": len(books), "data": page})
}

// isbndbPage applies page/pageSize and answers 404 when there is nothing to show.
func isbndbPage(w http.ResponseWriter, r *http.Request, books []*Book) ([]map[string]any, bool) {
	v := r.URL.Query()
	page, pageSize := 1, 20
	if p, err := strconv.Atoi(v.Get("page")); err == nil && p > 0 {
		page = p
	}
	if p, err := strconv.Atoi(v.Get("pageSize")); err == nil && p > 0 {
		pageSize = min(p, 1000)
	}
	start := (page - 1) * pageSize
	if start >= len(books) {
		isbndbNotFound(w)
		return nil, false
	}
	out := []map[string]any{}
	for _, b := range books[start:min(len(books), start+pageSize)] {
		out = append(out, isbndbBookJSON(b))
	}
	return out, true
}

func (s *Server) isbndbKey(w http.ResponseWriter, r *http.Request) {
	total, spent := s.isbndbUsage(r.Header.Get("Authorization"))
	writeJSON(w, http.StatusOK, map[string]any{
		"api_host":   "api.premium.isbndb.com",
		"plan_limit": map[string]int{"total": total, "spent": spent, "left": total - spent},
	})
}

// isbndbAuthors are the credits as ISBNdb records them, one per author: the catalogue headings
// ("García Lorente, Marisol") for a share of books, as the real data has from library records,
// the plain names otherwise.
func isbndbAuthors(b *Book) []string {
	if b.heading != "" || seedFor("isbndb-heading", b.ISBN13)%3 == 0 {
		return b.Headings()
	}
	return b.Authors()
}

func isbndbBookJSON(b *Book) map[string]any {
	v := seedFor("isbndb-shape", b.ISBN13)
	out := map[string]any{
		"title":      b.Title,
		"title_long": b.FullTitle(),
		"isbn13":     b.ISBN13,
		"authors":    isbndbAuthors(b),
		"publisher":  b.Publisher,
		"language":   "en",
		"pages":      b.Pages,
		"binding":    b.Format,
		"subjects":   []string{"Fiction", "Literature"},
		"image":      "https://images.isbndb.com/covers/" + b.ISBN13[len(b.ISBN13)-4:] + "/" + b.ISBN13 + ".jpg",
	}
	// "isbn" is the ISBN-10 when one exists; some payloads also carry "isbn10".
	if b.ISBN10 != "" {
		out["isbn"] = b.ISBN10
		if v%3 == 0 {
			out["isbn10"] = b.ISBN10
		}
	} else {
		out["isbn"] = b.ISBN13
	}
	switch v % 3 {
	case 0:
		out["date_published"] = strconv.Itoa(b.Year)
	case 1:
		out["date_published"] = fmt.Sprintf("%04d-%02d-%02d", b.Year, b.Month, b.day)
	default:
		out["date_published"] = fmt.Sprintf("%04d-%02d-%02dT00:00:00+00:00", b.Year, b.Month, b.day)
	}
	synopsis := fmt.Sprintf("%s by %s. %s.", b.FullTitle(), b.Author, b.Significance)
	if v%2 == 0 {
		out["synopsys"] = synopsis
	} else {
		out["synopsis"] = synopsis
	}
	switch v % 4 {
	case 0:
		out["edition"] = 1
	case 1:
		out["edition"] = "1st"
	case 2:
		out["edition"] = "First Edition"
	}
	price := 14.99 + float64(v%20)
	if v%5 < 2 {
		out["msrp"] = fmt.Sprintf("%.2f", price)
	} else {
		out["msrp"] = price
	}
	if v%7 < 3 {
		out["dewey_decimal"] = []string{"813/.6"}
	} else {
		out["dewey_decimal"] = "813.6"
	}
	return out
}

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}
