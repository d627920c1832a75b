package resolve

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// rec is one catalogue record, rendered by each source in its own wire format.
type rec struct {
	title, subtitle string
	authors         []string // as the source credits them
	year            int
	isbn13          string
}

// testISBN is a checksum-valid ISBN-13 for a small number.
func testISBN(n int) string {
	first := fmt.Sprintf("978000%06d", n)
	sum := 0
	for i, c := range first {
		d := int(c - '0')
		if i%2 == 1 {
			d *= 3
		}
		sum += d
	}
	return first + fmt.Sprint((10-sum%10)%10)
}

func jsonOf(v any) string { b, _ := json.Marshal(v); return string(b) }

func xmlEscapeTest(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// renderers write records as each source's documented answer (providers.md).
var renderers = map[string]func(rs []rec) string{
	SourceISBNdb: func(rs []rec) string {
		var books []map[string]any
		for _, r := range rs {
			long := r.title
			if r.subtitle != "" {
				long += ": " + r.subtitle
			}
			books = append(books, map[string]any{"title": r.title, "title_long": long, "isbn13": r.isbn13,
				"authors": r.authors, "date_published": fmt.Sprintf("%d-03-01", r.year), "binding": "Hardcover"})
		}
		return jsonOf(map[string]any{"total": len(books), "books": books})
	},
	SourceGoogleBooks: func(rs []rec) string {
		var items []map[string]any
		for _, r := range rs {
			vi := map[string]any{"title": r.title, "authors": r.authors, "publishedDate": fmt.Sprint(r.year),
				"industryIdentifiers": []map[string]string{{"type": "ISBN_13", "identifier": r.isbn13}}}
			if r.subtitle != "" {
				vi["subtitle"] = r.subtitle
			}
			items = append(items, map[string]any{"kind": "books#volume", "volumeInfo": vi})
		}
		return jsonOf(map[string]any{"kind": "books#volumes", "totalItems": len(items), "items": items})
	},
	SourceOpenLibrary: func(rs []rec) string {
		var docs []map[string]any
		for _, r := range rs {
			d := map[string]any{"title": r.title, "author_name": r.authors, "first_publish_year": r.year, "isbn": []string{r.isbn13},
				"editions": map[string]any{"numFound": 1, "docs": []map[string]any{{"title": r.title, "isbn": []string{r.isbn13},
					"publish_date": []string{fmt.Sprintf("March %d", r.year)}}}}}
			if r.subtitle != "" {
				d["subtitle"] = r.subtitle
			}
			docs = append(docs, d)
		}
		return jsonOf(map[string]any{"numFound": len(docs), "num_found": len(docs), "start": 0, "docs": docs})
	},
	SourceLOC: func(rs []rec) string {
		var sb strings.Builder
		sb.WriteString(`<?xml version="1.0"?><zs:searchRetrieveResponse xmlns:zs="http://www.loc.gov/zing/srw/"><zs:version>1.1</zs:version>`)
		fmt.Fprintf(&sb, `<zs:numberOfRecords>%d</zs:numberOfRecords><zs:records>`, len(rs))
		for _, r := range rs {
			sb.WriteString(`<zs:record><zs:recordSchema>marcxml</zs:recordSchema><zs:recordData><record xmlns="http://www.loc.gov/MARC21/slim">`)
			fmt.Fprintf(&sb, `<datafield tag="020" ind1=" " ind2=" "><subfield code="a">%s (hardcover)</subfield></datafield>`, r.isbn13)
			for i, a := range r.authors {
				tag, ind := "100", "1"
				if i > 0 {
					tag = "700"
				}
				if strings.Contains(a, "Society") || strings.Contains(a, "Council") {
					tag, ind = "110", "2"
				}
				fmt.Fprintf(&sb, `<datafield tag="%s" ind1="%s" ind2=" "><subfield code="a">%s,</subfield></datafield>`, tag, ind, xmlEscapeTest(a))
			}
			fmt.Fprintf(&sb, `<datafield tag="245" ind1="1" ind2="0"><subfield code="a">%s`, xmlEscapeTest(r.title))
			if r.subtitle != "" {
				fmt.Fprintf(&sb, ` :</subfield><subfield code="b">%s /`, xmlEscapeTest(r.subtitle))
			}
			fmt.Fprintf(&sb, `</subfield></datafield><datafield tag="264" ind1=" " ind2="1"><subfield code="c">[%d]</subfield></datafield>`, r.year)
			sb.WriteString(`</record></zs:recordData></zs:record>`)
		}
		sb.WriteString(`</zs:records></zs:searchRetrieveResponse>`)
		return sb.String()
	},
	SourceWikidata: func(rs []rec) string {
		var bindings []map[string]any
		lit := func(v string) map[string]string { return map[string]string{"type": "literal", "value": v} }
		for _, r := range rs {
			title := r.title
			if r.subtitle != "" {
				title += ": " + r.subtitle
			}
			for _, a := range r.authors { // one row per author, as SPARQL joins them
				bindings = append(bindings, map[string]any{"title": lit(title), "authorLabel": lit(a),
					"date": lit(fmt.Sprintf("%d-01-01T00:00:00Z", r.year)), "isbn13": lit(r.isbn13[:3] + "-" + r.isbn13[3:])})
			}
		}
		return jsonOf(map[string]any{"head": map[string]any{"vars": []string{"title", "authorLabel", "date", "isbn13"}},
			"results": map[string]any{"bindings": bindings}})
	},
	SourceArchive: func(rs []rec) string {
		var docs []map[string]any
		for _, r := range rs {
			title := r.title
			if r.subtitle != "" {
				title += ": " + r.subtitle
			}
			docs = append(docs, map[string]any{"identifier": "x", "title": title, "creator": r.authors,
				"isbn": []string{r.isbn13}, "year": fmt.Sprint(r.year)})
		}
		return jsonOf(map[string]any{"responseHeader": map[string]any{"status": 0},
			"response": map[string]any{"numFound": len(docs), "start": 0, "docs": docs}})
	},
}

// TestEveryClientReadsEditionsAndHeadings runs the same catalogue situations through every
// source's client and wire format: editions told apart only by their subtitle, author headings
// in catalogue form (compound and particle surnames, life dates, organisations), several authors
// in any order, and a different person of the same surname.
func TestEveryClientReadsEditionsAndHeadings(t *testing.T) {
	original := rec{"Las horas del río", "", []string{"García Lorente, Marisol, 1961-"}, 2009, testISBN(1)}
	graphic := rec{"Las horas del río", "The Graphic Novel", []string{"García Lorente, Marisol"}, 2009, testISBN(2)}
	young := rec{"Las horas del río", "Young Readers' Edition", []string{"Marisol García Lorente"}, 2009, testISBN(3)}
	particle := rec{"The Dyke Keeper", "", []string{"Berg, Pieter van der"}, 2014, testISBN(4)}
	corporate := rec{"Atlas of the Oceans", "", []string{"National Geographic Society"}, 2011, testISBN(5)}
	mixed := rec{"Atlas of the Rivers", "", []string{"Lumen Press. Editors", "Wright, Ravi V."}, 2012, testISBN(7)}
	coauthored := rec{"Good Omens", "The Nice and Accurate Prophecies", []string{"Pratchett, Terry", "Gaiman, Neil"}, 1990, testISBN(6)}
	tests := []struct {
		name    string
		records []rec
		query   Query
		want    string
	}{
		{"the original among its editions", []rec{graphic, young, original}, Query{Title: "Las horas del río", Author: "Marisol García Lorente", Year: 2009}, original.isbn13},
		{"the graphic novel among its siblings", []rec{original, young, graphic}, Query{Title: "Las Horas del Rio: The Graphic Novel", Author: "Garcia Lorente, Marisol", Year: 2009}, graphic.isbn13},
		{"a young readers' edition asked the other way", []rec{original, graphic, young}, Query{Title: "Las horas del río (Young Reader's Edition)", Author: "M. García Lorente", Year: 2009}, young.isbn13},
		{"an edition nobody has is not the original", []rec{original}, Query{Title: "Las horas del río: Illustrated Edition", Author: "Marisol García Lorente", Year: 2009}, ""},
		{"another person with the same compound surname", []rec{original}, Query{Title: "Las horas del río", Author: "Ramón García Lorente", Year: 2009}, ""},
		{"a particle heading", []rec{particle}, Query{Title: "The Dyke Keeper", Author: "Pieter van der Berg", Year: 2014}, particle.isbn13},
		{"an organisation", []rec{corporate}, Query{Title: "Atlas of the Oceans", Author: "National Geographic Society", Year: 2011}, corporate.isbn13},
		{"an organisation and a person", []rec{mixed}, Query{Title: "Atlas of the Rivers", Author: "The Editors of Lumen Press and Ravi V. Wright", Year: 2012}, mixed.isbn13},
		{"two authors named the other way round", []rec{coauthored}, Query{Title: "Good Omens", Author: "Neil Gaiman & Terry Pratchett", Year: 1990}, coauthored.isbn13},
	}
	for source, render := range renderers {
		for _, tt := range tests {
			t.Run(source+"/"+tt.name, func(t *testing.T) {
				s := newStub(t, func(w http.ResponseWriter, _ *http.Request, _ int) { writeBody(w, 200, render(tt.records)) })
				r, _ := testResolver(t, StrategyOrdered, [][2]string{{source, s.URL}}, nil)
				res, rep, err := r.Resolve(t.Context(), []Query{tt.query}, nil)
				if err != nil {
					t.Fatal(err)
				}
				if res[0].ISBN13 != tt.want {
					t.Errorf("resolved %q, want %q (calls %v, set aside %v)", res[0].ISBN13, tt.want, rep.Calls, rep.SetAside)
				}
			})
		}
	}
}
