package fakes

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// Wikidata Query Service (providers.md §6). The fake does not evaluate SPARQL: it takes the
// query's string literals as the title and author being looked for (as a CONTAINS/label query
// would), matches them against the books Wikidata knows, and binds the SELECT variables by name:
// *isbn13*/*isbn*/P212 → hyphenated ISBN-13, *isbn10*/P957 → ISBN-10, *authorLabel* → author,
// *title*/*label* → title, *date* → publication date, book/work/item/ed → entity IRI; any other
// variable stays unbound. Quirks reproduced: hyphenated ISBNs, SPARQL JSON results
// (application/sparql-results+json) or XML by default, a 403 for a missing or generic
// User-Agent (Wikimedia's policy), 429 with Retry-After, 400 for a query without SELECT.

func (s *Server) wikidataFake() fake {
	return fake{
		name:   SourceWikidata,
		routes: map[string]http.HandlerFunc{"/sparql": s.wikidataSPARQL},
		notFound: func(w http.ResponseWriter, _ *http.Request) {
			writeText(w, http.StatusNotFound, "text/plain", "Not Found")
		},
		auth: func(w http.ResponseWriter, r *http.Request) bool {
			ua := r.UserAgent()
			if ua == "" || strings.HasPrefix(ua, "Go-http-client/") || strings.HasPrefix(ua, "curl/") {
				writeText(w, http.StatusForbidden, "text/plain",
					"Please set a user-agent and respect our robot policy https://w.wiki/4wJS. See also T400119.\n")
				return true
			}
			return false
		},
		fail: func(w http.ResponseWriter, kind failure, retryAfter int) {
			switch kind {
			case failRateLimit:
				writeText(w, http.StatusTooManyRequests, "text/plain", "Too Many Requests - Please retry in a few seconds.\n")
			case failServer:
				writeText(w, http.StatusInternalServerError, "text/plain",
					"SPARQL-QUERY: queryStr=…\njava.util.concurrent.TimeoutException\n")
			default:
				writeText(w, http.StatusServiceUnavailable, "text/html", "<html><body><h1>Service Unavailable</h1></body></html>")
			}
		},
	}
}

var (
	sparqlLiteral = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"(@[a-zA-Z-]+|\^\^\S+)?`)
	sparqlSelect  = regexp.MustCompile(`(?is)SELECT\s+(?:DISTINCT\s+|REDUCED\s+)?(.*?)\s*(?:WHERE|FROM|\{)`)
	isbnLike      = regexp.MustCompile(`^[0-9][0-9\- ]{8,16}[0-9Xx]$`)
)

func (s *Server) wikidataSPARQL(w http.ResponseWriter, r *http.Request) {
	var sparql string
	switch {
	case r.Method == http.MethodGet:
		sparql = r.URL.Query().Get("query")
	case r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/sparql-query"):
		raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		sparql = string(raw)
	case r.Method == http.MethodPost:
		_ = r.ParseForm()
		sparql = r.PostForm.Get("query")
	default:
		writeText(w, http.StatusMethodNotAllowed, "text/plain", "Method Not Allowed")
		return
	}
	sel := sparqlSelect.FindStringSubmatch(sparql)
	if sel == nil {
		writeText(w, http.StatusBadRequest, "text/plain",
			"SPARQL-QUERY: queryStr="+sparql+"\njava.util.concurrent.ExecutionException: org.openrdf.query.MalformedQueryException: Encountered \"<EOF>\"\n")
		return
	}
	vars := selectVars(sel[1])

	var texts []string
	var isbn string
	for _, m := range sparqlLiteral.FindAllStringSubmatch(sparql, -1) {
		lit := m[1]
		switch {
		case isbnLike.MatchString(lit):
			isbn = lit
		case strings.Contains(lit, "AUTO_LANGUAGE") || regexp.MustCompile(`^[a-z]{2,3}(,[a-z]{2,3})*$`).MatchString(lit) && m[2] == "":
			// a language parameter such as "en" or "[AUTO_LANGUAGE],en"
		case len(tokens(lit)) > 0:
			texts = append(texts, lit)
		}
	}
	var books []*Book
	switch {
	case isbn != "":
		if b, ok := s.catalog.lookupKnown(SourceWikidata, isbn); ok {
			books = []*Book{b}
		}
	case len(texts) > 0:
		books = s.wikidataMatch(texts)
	}
	limit := 0
	if m := regexp.MustCompile(`(?i)LIMIT\s+(\d+)`).FindStringSubmatch(sparql); m != nil {
		fmt.Sscan(m[1], &limit)
	}
	if limit > 0 && len(books) > limit {
		books = books[:limit]
	}
	rows := make([]map[string]map[string]string, 0, len(books))
	for _, b := range books {
		rows = append(rows, wikidataBinding(b, vars))
	}
	accept := r.Header.Get("Accept")
	if f := r.URL.Query().Get("format"); f == "json" || strings.Contains(accept, "json") {
		body, _ := json.Marshal(map[string]any{"head": map[string]any{"vars": vars}, "results": map[string]any{"bindings": rows}})
		writeText(w, http.StatusOK, "application/sparql-results+json;charset=utf-8", string(body))
		return
	}
	writeText(w, http.StatusOK, "application/sparql-results+xml;charset=utf-8", sparqlXML(vars, rows))
}

// wikidataMatch finds known books where every literal is (mostly) in the title or the author,
// and at least one is in the title.
func (s *Server) wikidataMatch(texts []string) []*Book {
	var out []*Book
	for i, b := range s.catalog.all {
		if !b.KnownBy.Has(SourceWikidata) || b.Kind == KindFictional {
			continue
		}
		titleHit := false
		ok := true
		for _, t := range texts {
			tt := tokens(t)
			switch {
			case fraction(tt, s.catalog.titleToks[i]) >= 0.66:
				titleHit = true
			case fraction(tt, s.catalog.authorToks[i]) >= 0.5:
			default:
				ok = false
			}
		}
		if ok && titleHit {
			out = append(out, b)
		}
	}
	return out
}

func selectVars(clause string) []string {
	clause = strings.TrimSpace(clause)
	if clause == "*" {
		return []string{"book", "bookLabel", "authorLabel", "isbn13", "isbn10", "pubDate"}
	}
	var vars []string
	// "(SAMPLE(?x) AS ?y)" binds ?y; plain "?x" binds x.
	for _, part := range regexp.MustCompile(`\([^()]*(?:\([^()]*\))?[^()]*\)|\?\w+`).FindAllString(clause, -1) {
		if strings.HasPrefix(part, "(") {
			if m := regexp.MustCompile(`(?i)AS\s+\?(\w+)`).FindStringSubmatch(part); m != nil {
				vars = append(vars, m[1])
			}
			continue
		}
		v := strings.TrimPrefix(part, "?")
		if !slices.Contains(vars, v) {
			vars = append(vars, v)
		}
	}
	return vars
}

func hyphenateISBN10(s string) string {
	if len(s) != 10 {
		return s
	}
	return s[:1] + "-" + s[1:4] + "-" + s[4:9] + "-" + s[9:]
}

func wikidataBinding(b *Book, vars []string) map[string]map[string]string {
	row := map[string]map[string]string{}
	entity := func(n int) map[string]string {
		return map[string]string{"type": "uri", "value": fmt.Sprintf("http://www.wikidata.org/entity/Q%d", n)}
	}
	lit := func(v string) map[string]string {
		return map[string]string{"type": "literal", "value": v, "xml:lang": "en"}
	}
	for _, v := range vars {
		l := strings.ToLower(v)
		switch {
		case strings.Contains(l, "isbn10") || strings.Contains(l, "p957"):
			if b.ISBN10 != "" {
				row[v] = map[string]string{"type": "literal", "value": hyphenateISBN10(b.ISBN10)}
			}
		case strings.Contains(l, "isbn") || strings.Contains(l, "p212"):
			row[v] = map[string]string{"type": "literal", "value": hyphenateISBN13(b.ISBN13)}
		case strings.Contains(l, "author") || strings.Contains(l, "creator"):
			if strings.Contains(l, "label") || strings.Contains(l, "name") {
				row[v] = lit(b.Author)
			} else {
				row[v] = entity(70000000 + b.authorID)
			}
		case strings.Contains(l, "date") || strings.Contains(l, "pub") || strings.Contains(l, "year"):
			row[v] = map[string]string{"type": "literal", "datatype": "http://www.w3.org/2001/XMLSchema#dateTime",
				"value": fmt.Sprintf("%04d-%02d-%02dT00:00:00Z", b.Year, b.Month, b.day)}
		case strings.Contains(l, "title") || strings.Contains(l, "label"):
			row[v] = lit(b.FullTitle())
		case slices.Contains([]string{"book", "work", "item", "ed", "edition", "s", "w"}, l):
			row[v] = entity(90000000 + b.editionID)
		}
	}
	return row
}

func sparqlXML(vars []string, rows []map[string]map[string]string) string {
	var sb strings.Builder
	sb.WriteString(`<?xml version='1.0' encoding='UTF-8'?>` + "\n" + `<sparql xmlns='http://www.w3.org/2005/sparql-results#'><head>`)
	for _, v := range vars {
		fmt.Fprintf(&sb, `<variable name='%s'/>`, v)
	}
	sb.WriteString(`</head><results>`)
	for _, row := range rows {
		sb.WriteString(`<result>`)
		for _, v := range vars {
			val, ok := row[v]
			if !ok {
				continue
			}
			if val["type"] == "uri" {
				fmt.Fprintf(&sb, `<binding name='%s'><uri>%s</uri></binding>`, v, xmlEscape(val["value"]))
			} else {
				fmt.Fprintf(&sb, `<binding name='%s'><literal>%s</literal></binding>`, v, xmlEscape(val["value"]))
			}
		}
		sb.WriteString(`</result>`)
	}
	sb.WriteString(`</results></sparql>`)
	return sb.String()
}
