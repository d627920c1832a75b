package fakes

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// Library of Congress SRU 1.1 at /lcdb (providers.md §6). Quirks reproduced: errors are HTTP 200
// with <zs:diagnostics>; a request without startRecord gets an empty result plus a diagnostic;
// ISBNs sit in MARC 020$a with qualifiers ("9780307265432 (hardcover)") or MODS
// identifier[@type='isbn']; CQL dc.title / dc.creator / bath.isbn.

func (s *Server) locFake() fake {
	return fake{name: SourceLOC, fail: htmlFailures(http.StatusInternalServerError),
		routes: map[string]http.HandlerFunc{"GET /lcdb": s.locSearch},
		notFound: func(w http.ResponseWriter, _ *http.Request) {
			writeText(w, http.StatusNotFound, "text/html", "<html><body><h1>404 Not Found</h1></body></html>")
		},
		diagnostic: func(w http.ResponseWriter) {
			locDiagnostic(w, "1", "General system error", "database connection lost")
		}}
}

var cqlClause = regexp.MustCompile(`(?i)(dc\.title|dc\.creator|dc\.author|bath\.isbn|title|author|creator)\s*(=|all|any|adj)\s*("([^"]*)"|(\S+))`)

func (s *Server) locSearch(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	schema := v.Get("recordSchema")
	if schema == "" {
		schema = "marcxml"
	}
	if v.Get("operation") != "searchRetrieve" {
		locDiagnostic(w, "4", "Unsupported operation", v.Get("operation"))
		return
	}
	if schema != "marcxml" && schema != "mods" && schema != "dc" {
		locDiagnostic(w, "66", "Unknown schema for retrieval", schema)
		return
	}
	cql := v.Get("query")
	matches := cqlClause.FindAllStringSubmatch(cql, -1)
	if strings.TrimSpace(cql) == "" || len(matches) == 0 {
		locDiagnostic(w, "10", "Query syntax error", cql)
		return
	}
	start, err := strconv.Atoi(v.Get("startRecord"))
	if err != nil || start < 1 {
		// The real server answers an empty result with a diagnostic when startRecord is missing.
		locDiagnostic(w, "61", "First record position out of range", v.Get("startRecord"))
		return
	}
	maxRecords := 10
	if n, err := strconv.Atoi(v.Get("maximumRecords")); err == nil && n >= 0 {
		maxRecords = n
	}
	var q query
	var isbn string
	for _, m := range matches {
		val := m[4] + m[5]
		switch strings.ToLower(m[1]) {
		case "dc.title", "title":
			q.title += " " + val
		case "dc.creator", "dc.author", "author", "creator":
			q.author += " " + val
		case "bath.isbn":
			isbn = val
		}
	}
	books := s.catalog.find(SourceLOC, isbn, q)
	var sb strings.Builder
	sb.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	sb.WriteString(`<zs:searchRetrieveResponse xmlns:zs="http://www.loc.gov/zing/srw/"><zs:version>1.1</zs:version>`)
	fmt.Fprintf(&sb, `<zs:numberOfRecords>%d</zs:numberOfRecords>`, len(books))
	if start-1 < len(books) && maxRecords > 0 {
		sb.WriteString(`<zs:records>`)
		for i, b := range books[start-1 : min(len(books), start-1+maxRecords)] {
			fmt.Fprintf(&sb, `<zs:record><zs:recordSchema>%s</zs:recordSchema><zs:recordPacking>xml</zs:recordPacking><zs:recordData>`, schema)
			if schema == "mods" {
				sb.WriteString(locMODS(b))
			} else {
				sb.WriteString(locMARC(b))
			}
			fmt.Fprintf(&sb, `</zs:recordData><zs:recordPosition>%d</zs:recordPosition></zs:record>`, start+i)
		}
		sb.WriteString(`</zs:records>`)
		if next := start + maxRecords; next <= len(books) {
			fmt.Fprintf(&sb, `<zs:nextRecordPosition>%d</zs:nextRecordPosition>`, next)
		}
	}
	sb.WriteString(`</zs:searchRetrieveResponse>`)
	writeText(w, http.StatusOK, "text/xml; charset=UTF-8", sb.String())
}

func locDiagnostic(w http.ResponseWriter, code, message, details string) {
	body := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<zs:searchRetrieveResponse xmlns:zs="http://www.loc.gov/zing/srw/"><zs:version>1.1</zs:version>` +
		`<zs:numberOfRecords>0</zs:numberOfRecords><zs:diagnostics>` +
		`<diag:diagnostic xmlns:diag="http://www.loc.gov/zing/srw/diagnostic/">` +
		`<diag:uri>info:srw/diagnostic/1/` + code + `</diag:uri><diag:details>` + xmlEscape(details) +
		`</diag:details><diag:message>` + xmlEscape(message) + `</diag:message></diag:diagnostic>` +
		`</zs:diagnostics></zs:searchRetrieveResponse>`
	writeText(w, http.StatusOK, "text/xml; charset=UTF-8", body)
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// invertName turns "Cormac McCarthy" into "McCarthy, Cormac," as a MARC heading.
func invertName(name string) string {
	f := strings.Fields(name)
	if len(f) < 2 {
		return name
	}
	return f[len(f)-1] + ", " + strings.Join(f[:len(f)-1], " ")
}

func locMARC(b *Book) string {
	isbn := b.ISBN13 + " (" + strings.ToLower(b.Format) + ")"
	if b.Year < 2007 && b.ISBN10 != "" {
		isbn = b.ISBN10 + " :" // pre-2007 records often carry only the ISBN-10
	}
	var sb strings.Builder
	sb.WriteString(`<record xmlns="http://www.loc.gov/MARC21/slim"><leader>01142cam  2200301 a 4500</leader>`)
	fmt.Fprintf(&sb, `<controlfield tag="001">%d</controlfield>`, 10000000+b.editionID)
	fmt.Fprintf(&sb, `<datafield tag="020" ind1=" " ind2=" "><subfield code="a">%s</subfield></datafield>`, xmlEscape(isbn))
	// An organisation's heading is MARC's corporate name (110), a person's the personal one (100).
	headings := b.Headings()
	if b.corporate() {
		fmt.Fprintf(&sb, `<datafield tag="110" ind1="2" ind2=" "><subfield code="a">%s.</subfield></datafield>`, xmlEscape(headings[0]))
	} else {
		fmt.Fprintf(&sb, `<datafield tag="100" ind1="1" ind2=" "><subfield code="a">%s,</subfield></datafield>`, xmlEscape(headings[0]))
	}
	for _, h := range headings[1:] {
		fmt.Fprintf(&sb, `<datafield tag="700" ind1="1" ind2=" "><subfield code="a">%s,</subfield></datafield>`, xmlEscape(h))
	}
	title := `<subfield code="a">` + xmlEscape(b.Title)
	if b.Subtitle != "" {
		title += ` :</subfield><subfield code="b">` + xmlEscape(b.Subtitle)
	}
	title += ` /</subfield><subfield code="c">` + xmlEscape(b.Author) + `.</subfield>`
	fmt.Fprintf(&sb, `<datafield tag="245" ind1="1" ind2="0">%s</datafield>`, title)
	fmt.Fprintf(&sb, `<datafield tag="264" ind1=" " ind2="1"><subfield code="a">New York :</subfield><subfield code="b">%s,</subfield><subfield code="c">%d.</subfield></datafield>`,
		xmlEscape(b.Publisher), b.Year)
	fmt.Fprintf(&sb, `<datafield tag="300" ind1=" " ind2=" "><subfield code="a">%d pages ;</subfield><subfield code="c">24 cm</subfield></datafield>`, b.Pages)
	sb.WriteString(`</record>`)
	return sb.String()
}

func locMODS(b *Book) string {
	var sb strings.Builder
	sb.WriteString(`<mods xmlns="http://www.loc.gov/mods/v3" version="3.8"><titleInfo>`)
	fmt.Fprintf(&sb, `<title>%s</title>`, xmlEscape(b.Title))
	if b.Subtitle != "" {
		fmt.Fprintf(&sb, `<subTitle>%s</subTitle>`, xmlEscape(b.Subtitle))
	}
	sb.WriteString(`</titleInfo>`)
	kind := map[bool]string{true: "corporate", false: "personal"}[b.corporate()]
	for i, h := range b.Headings() {
		usage := ` usage="primary"`
		if i > 0 {
			usage = ""
		}
		fmt.Fprintf(&sb, `<name type="%s"%s><namePart>%s</namePart><role><roleTerm type="text">author</roleTerm></role></name>`, kind, usage, xmlEscape(h))
	}
	fmt.Fprintf(&sb, `<originInfo><publisher>%s</publisher><dateIssued>%d</dateIssued></originInfo>`, xmlEscape(b.Publisher), b.Year)
	fmt.Fprintf(&sb, `<identifier type="isbn">%s</identifier>`, b.ISBN13)
	if b.ISBN10 != "" {
		fmt.Fprintf(&sb, `<identifier type="isbn">%s</identifier>`, b.ISBN10)
	}
	fmt.Fprintf(&sb, `<identifier type="lccn">%d</identifier></mods>`, 2000000000+b.editionID)
	return sb.String()
}
