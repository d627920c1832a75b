package fakes

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Google Books v1 (providers.md §2). Quirks reproduced: `items` omitted on zero hits; ISBN_13,
// ISBN_10 and, for some volumes, only an OTHER identifier; a call without `key` meets the
// exhausted anonymous quota (429 "Queries per day", as observed in 2026); maxResults above 40 is
// a 400; errors in Google's {"error":{code,message,status,errors,details}} envelope.

func (s *Server) googleBooksFake() fake {
	return fake{
		name: SourceGoogleBooks,
		routes: map[string]http.HandlerFunc{
			"GET /books/v1/volumes":      s.googleBooksSearch,
			"GET /books/v1/volumes/{id}": s.googleBooksVolume,
		},
		notFound: func(w http.ResponseWriter, r *http.Request) {
			googleError(w, http.StatusNotFound, "NOT_FOUND", "notFound", "The requested URL was not found on this server.")
		},
		auth: func(w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Query().Get("key") == "" {
				googleBooksDailyQuota(w, "0")
				return true
			}
			return false
		},
		fail: func(w http.ResponseWriter, kind failure, retryAfter int) {
			switch kind {
			case failOutage:
				googleError(w, http.StatusServiceUnavailable, "UNAVAILABLE", "backendError", "The service is currently unavailable.")
			case failServer:
				googleError(w, http.StatusInternalServerError, "INTERNAL", "backendError", "Backend Error")
			case failRateLimit:
				googleError(w, http.StatusTooManyRequests, "RESOURCE_EXHAUSTED", "rateLimitExceeded",
					"Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service 'books.googleapis.com' for consumer 'project_number:000000000000'.")
			case failQuota:
				googleBooksDailyQuota(w, "1000")
			}
		},
	}
}

func googleError(w http.ResponseWriter, status int, code, reason, message string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"code": status, "message": message, "status": code,
		"errors": []map[string]string{{"message": message, "domain": "global", "reason": reason}},
	}})
}

func googleBooksDailyQuota(w http.ResponseWriter, limit string) {
	writeJSON(w, http.StatusTooManyRequests, map[string]any{"error": map[string]any{
		"code":    429,
		"message": "Quota exceeded for quota metric 'Queries' and limit 'Queries per day' of service 'books.googleapis.com' for consumer 'project_number:000000000000'.",
		"status":  "RESOURCE_EXHAUSTED",
		"details": []map[string]any{{
			"@type":  "type.googleapis.com/google.rpc.ErrorInfo",
			"reason": "RATE_LIMIT_EXCEEDED",
			"domain": "googleapis.com",
			"metadata": map[string]string{"quota_limit_value": limit, "quota_unit": "1/d/{project}",
				"quota_limit": "defaultPerDayPerProject", "service": "books.googleapis.com"},
		}},
	}})
}

// parseGoogleQuery splits "intitle:the road inauthor:cormac mccarthy isbn:…" into its parts. Words
// after a keyword belong to it until the next keyword; words before any keyword are free text.
func parseGoogleQuery(q string) (qq query, isbn string) {
	var cur *string = &qq.text
	for _, f := range strings.Fields(strings.ReplaceAll(q, "+", " ")) {
		key, val, hasKey := strings.Cut(f, ":")
		if hasKey {
			switch strings.ToLower(key) {
			case "intitle":
				cur = &qq.title
				f = val
			case "inauthor":
				cur = &qq.author
				f = val
			case "isbn":
				isbn = val
				cur = &qq.text
				continue
			case "inpublisher", "subject", "lccn", "oclc":
				cur = new(string) // parsed, not searched
				f = val
			}
		}
		*cur += " " + strings.Trim(f, `"`)
	}
	return qq, isbn
}

func (s *Server) googleBooksSearch(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	q := v.Get("q")
	if strings.TrimSpace(q) == "" {
		googleError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "queryRequired", "Missing query.")
		return
	}
	maxResults, startIndex := 10, 0
	if m := v.Get("maxResults"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 || n > 40 {
			googleError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "invalid", "Invalid value at 'max_results' ("+m+"), Values must be within the range: [0, 40]")
			return
		}
		maxResults = n
	}
	if si, err := strconv.Atoi(v.Get("startIndex")); err == nil && si > 0 {
		startIndex = si
	}
	qq, isbn := parseGoogleQuery(q)
	books := s.catalog.find(SourceGoogleBooks, isbn, qq)
	out := map[string]any{"kind": "books#volumes", "totalItems": len(books)}
	if startIndex < len(books) {
		var items []map[string]any
		for _, b := range books[startIndex:min(len(books), startIndex+maxResults)] {
			items = append(items, googleVolumeJSON(b))
		}
		if len(items) > 0 {
			out["items"] = items
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) googleBooksVolume(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	for _, b := range s.catalog.all {
		if b.KnownBy.Has(SourceGoogleBooks) && googleVolumeID(b) == id {
			writeJSON(w, http.StatusOK, googleVolumeJSON(b))
			return
		}
	}
	googleError(w, http.StatusNotFound, "NOT_FOUND", "notFound", "The volume ID could not be found.")
}

func googleVolumeID(b *Book) string {
	var raw [9]byte
	binary.LittleEndian.PutUint64(raw[:8], seedFor("googlebooks", b.ISBN13))
	return base64.RawURLEncoding.EncodeToString(raw[:])
}

func googleVolumeJSON(b *Book) map[string]any {
	id := googleVolumeID(b)
	v := seedFor("googlebooks-shape", b.ISBN13)
	var ids []map[string]string
	if v%20 == 0 {
		// Some volumes (library scans) carry no ISBN at all.
		ids = []map[string]string{{"type": "OTHER", "identifier": fmt.Sprintf("UOM:39015%09d", v%1_000_000_000)}}
	} else {
		ids = []map[string]string{{"type": "ISBN_13", "identifier": b.ISBN13}}
		if b.ISBN10 != "" {
			ids = append(ids, map[string]string{"type": "ISBN_10", "identifier": b.ISBN10})
		}
		if v%2 == 0 {
			ids[0], ids[len(ids)-1] = ids[len(ids)-1], ids[0]
		}
	}
	published := fmt.Sprintf("%04d-%02d-%02d", b.Year, b.Month, b.day)
	switch v % 3 {
	case 1:
		published = strconv.Itoa(b.Year)
	case 2:
		published = fmt.Sprintf("%04d-%02d", b.Year, b.Month)
	}
	info := map[string]any{
		"title": b.Title, "authors": b.Authors(), "publisher": b.Publisher,
		"publishedDate": published, "description": "<p>" + b.Significance + ".</p>",
		"industryIdentifiers": ids, "pageCount": b.Pages, "printType": "BOOK",
		"categories": []string{"Fiction"}, "language": "en",
		"imageLinks": map[string]string{
			"smallThumbnail": "http://books.google.com/books/content?id=" + id + "&printsec=frontcover&img=1&zoom=5",
			"thumbnail":      "http://books.google.com/books/content?id=" + id + "&printsec=frontcover&img=1&zoom=1",
		},
		"previewLink":         "http://books.google.com/books?id=" + id,
		"infoLink":            "http://books.google.com/books?id=" + id,
		"canonicalVolumeLink": "https://books.google.com/books/about/?id=" + id,
	}
	if b.Subtitle != "" {
		info["subtitle"] = b.Subtitle
		// Volumes catalogued from East Asian records join the subtitle with the full-width colon
		// in the title itself and carry no subtitle field.
		if v%4 == 3 {
			info["title"] = b.Title + "：" + b.Subtitle
			delete(info, "subtitle")
		}
	}
	return map[string]any{
		"kind": "books#volume", "id": id, "etag": fmt.Sprintf("%016x", v)[:11],
		"selfLink":   "https://www.googleapis.com/books/v1/volumes/" + id,
		"volumeInfo": info,
		"saleInfo":   map[string]any{"country": "US", "saleability": "NOT_FOR_SALE", "isEbook": false},
		"accessInfo": map[string]any{"country": "US", "viewability": "NO_PAGES", "publicDomain": false},
	}
}
