package resolve

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Bodies below follow the real providers' shapes (providers.md), including their quirks.

const isbndbSearchBody = `{"total": 3, "books": [
 {"title": "Dune", "title_long": "Dune: Deluxe Edition", "isbn": "0441013597", "isbn13": "9780441013593",
  "authors": ["Herbert, Frank"], "date_published": "2005-08-02", "edition": 1, "msrp": "9.99",
  "synopsys": "Set on the desert planet Arrakis", "dewey_decimal": ["813/.54"], "pages": 528},
 {"title": "Dune", "isbn": "0441172717", "isbn13": 9780441172719, "authors": {"0": "Frank Herbert"},
  "date_published": "1990-09-01T00:00:00+00:00", "edition": "Reissue", "msrp": 7.99, "synopsis": "…",
  "dimensions": ["Height: 7 Inches"]},
 {"title": "Broken", "isbn": "0441013598", "isbn13": "9780441013590", "authors": ["Nobody"]}
]}`

const isbndbBatchBody = `{"total": 1, "requested": 2, "data": [
 {"title": "The Road", "isbn": "0307265439", "authors": ["Cormac McCarthy"], "date_published": "2006"}]}`

func TestDecodeISBNdb(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []candidate
	}{
		{"search: books key, numeric isbn13, authors as object, invalid checksum dropped", isbndbSearchBody, []candidate{
			{source: "isbndb", isbn13: "9780441013593", title: "Dune: Deluxe Edition", authors: []string{"Herbert, Frank"}, year: 2005, edition: true},
			{source: "isbndb", isbn13: "9780441172719", title: "Dune", authors: []string{"Frank Herbert"}, year: 1990, edition: true},
		}},
		{"batch: data key, ISBN-10 only becomes ISBN-13", isbndbBatchBody, []candidate{
			{source: "isbndb", isbn13: "9780307265432", title: "The Road", authors: []string{"Cormac McCarthy"}, year: 2006, edition: true},
		}},
		{"single book", `{"book": {"title": "Atonement", "isbn13": "9780385503952", "authors": ["Ian McEwan"], "date_published": "2002-03-19"}}`, []candidate{
			{source: "isbndb", isbn13: "9780385503952", title: "Atonement", authors: []string{"Ian McEwan"}, year: 2002, edition: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeISBNdb([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got, cmp.AllowUnexported(candidate{})); d != "" {
				t.Errorf("candidates (-want +got):\n%s", d)
			}
		})
	}
	if _, err := decodeISBNdb([]byte(`{"books": [{"title": "Du`)); err == nil {
		t.Error("a cut-off body decoded without error")
	}
}

func TestDecodeGoogleBooks(t *testing.T) {
	body := `{"kind": "books#volumes", "totalItems": 3, "items": [
	 {"kind": "books#volume", "id": "a", "volumeInfo": {"title": "Life of Pi", "authors": ["Yann Martel"], "publishedDate": "2002-06",
	   "industryIdentifiers": [{"type": "ISBN_10", "identifier": "0151008116"}, {"type": "ISBN_13", "identifier": "9780151008117"}]}},
	 {"kind": "books#volume", "id": "b", "volumeInfo": {"title": "Life of Pi", "authors": ["Yann Martel"], "publishedDate": "2003",
	   "industryIdentifiers": [{"type": "ISBN_10", "identifier": "0156027321"}]}},
	 {"kind": "books#volume", "id": "c", "volumeInfo": {"title": "Life of Pi", "publishedDate": "2002",
	   "industryIdentifiers": [{"type": "OTHER", "identifier": "UOM:39015054187000"}]}}]}`
	got, err := decodeGoogleBooks([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := []candidate{
		{source: "googlebooks", isbn13: "9780151008117", title: "Life of Pi", authors: []string{"Yann Martel"}, year: 2002, edition: true},
		{source: "googlebooks", isbn13: "9780156027328", title: "Life of Pi", authors: []string{"Yann Martel"}, year: 2003, edition: true},
	}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(candidate{})); d != "" {
		t.Errorf("candidates (-want +got):\n%s", d)
	}
	// No hits: items is absent, not empty.
	got, err = decodeGoogleBooks([]byte(`{"kind": "books#volumes", "totalItems": 0}`))
	if err != nil || len(got) != 0 {
		t.Errorf("zero hits: %v, %v", got, err)
	}
}

func TestDecodeOpenLibrary(t *testing.T) {
	body := `{"numFound": 1, "num_found": 1, "start": 0, "numFoundExact": true, "q": "", "offset": null, "docs": [
	 {"key": "/works/OL1W", "title": "The Road", "author_name": ["Cormac McCarthy"], "first_publish_year": 2006,
	  "isbn": ["9780307387899", "0307265439", "9780307265432", "notanisbn"]}]}`
	got, err := decodeOpenLibrary([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	var isbns []string
	for _, c := range got {
		if c.edition || c.year != 2006 || c.authors[0] != "Cormac McCarthy" {
			t.Errorf("work-level candidate decoded as %+v", c)
		}
		isbns = append(isbns, c.isbn13)
	}
	// 0307265439 and 9780307265432 are the same edition: one candidate.
	if d := cmp.Diff([]string{"9780307387899", "9780307265432"}, isbns); d != "" {
		t.Errorf("isbns (-want +got):\n%s", d)
	}
	withEditions := `{"docs": [{"title": "The Road", "author_name": ["Cormac McCarthy"], "first_publish_year": 2006,
	  "editions": {"numFound": 1, "docs": [{"title": "The Road", "isbn": ["9780307265432"], "publish_date": ["September 26, 2006"]}]}}]}`
	got, err = decodeOpenLibrary([]byte(withEditions))
	if err != nil || len(got) != 1 || !got[0].edition || got[0].year != 2006 {
		t.Errorf("edition sub-documents: %+v, %v", got, err)
	}
}

const locMODSBody = `<?xml version="1.0" encoding="UTF-8"?>
<zs:searchRetrieveResponse xmlns:zs="http://www.loc.gov/zing/srw/"><zs:version>1.1</zs:version><zs:numberOfRecords>1</zs:numberOfRecords>
<zs:records><zs:record><zs:recordSchema>mods</zs:recordSchema><zs:recordPacking>xml</zs:recordPacking><zs:recordData>
<mods xmlns="http://www.loc.gov/mods/v3" version="3.8">
 <titleInfo><nonSort>The </nonSort><title>road</title></titleInfo>
 <titleInfo type="alternative"><title>Road, a novel</title></titleInfo>
 <name type="personal" usage="primary"><namePart>McCarthy, Cormac,</namePart><namePart type="date">1933-2023</namePart>
  <role><roleTerm type="text">author</roleTerm></role></name>
 <originInfo><place><placeTerm type="text">New York</placeTerm></place><dateIssued>2006</dateIssued></originInfo>
 <identifier type="isbn">0307265439 (hardcover)</identifier>
 <identifier type="lccn">2006043436</identifier>
</mods></zs:recordData><zs:recordPosition>1</zs:recordPosition></zs:record></zs:records></zs:searchRetrieveResponse>`

const locMARCBody = `<?xml version="1.0"?>
<zs:searchRetrieveResponse xmlns:zs="http://www.loc.gov/zing/srw/"><zs:numberOfRecords>1</zs:numberOfRecords><zs:records><zs:record>
<zs:recordData><record xmlns="http://www.loc.gov/MARC21/slim">
 <controlfield tag="008">060321s2006    nyu           000 1 eng  </controlfield>
 <datafield tag="020" ind1=" " ind2=" "><subfield code="a">9780307265432 (hardcover : alk. paper)</subfield></datafield>
 <datafield tag="100" ind1="1" ind2=" "><subfield code="a">McCarthy, Cormac,</subfield><subfield code="d">1933-</subfield></datafield>
 <datafield tag="245" ind1="1" ind2="4"><subfield code="a">The road /</subfield><subfield code="c">Cormac McCarthy.</subfield></datafield>
</record></zs:recordData></zs:record></zs:records></zs:searchRetrieveResponse>`

func TestDecodeLOC(t *testing.T) {
	want := []candidate{{source: "loc", isbn13: "9780307265432", title: "The road", authors: []string{"McCarthy, Cormac"}, year: 2006, edition: true}}
	for name, body := range map[string]string{"mods": locMODSBody, "marcxml": locMARCBody} {
		got, err := decodeLOC([]byte(body))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if d := cmp.Diff(want, got, cmp.AllowUnexported(candidate{})); d != "" {
			t.Errorf("%s candidates (-want +got):\n%s", name, d)
		}
	}
	// Errors arrive as HTTP 200 with diagnostics.
	diag := `<zs:searchRetrieveResponse xmlns:zs="http://www.loc.gov/zing/srw/"><zs:numberOfRecords>0</zs:numberOfRecords>
	<zs:diagnostics><diagnostic xmlns="http://www.loc.gov/zing/srw/diagnostic/"><uri>info:srw/diagnostic/1/10</uri><message>Query syntax error</message></diagnostic></zs:diagnostics></zs:searchRetrieveResponse>`
	if _, err := decodeLOC([]byte(diag)); err == nil || !strings.Contains(err.Error(), "Query syntax error") {
		t.Errorf("diagnostic not reported: %v", err)
	}
}

func TestDecodeWikidata(t *testing.T) {
	body := `{"head": {"vars": ["work", "title", "authorLabel", "isbn13", "isbn10", "date"]}, "results": {"bindings": [
	 {"work": {"type": "uri", "value": "http://www.wikidata.org/entity/Q1"}, "title": {"type": "literal", "value": "The Road", "xml:lang": "en"},
	  "authorLabel": {"type": "literal", "value": "Cormac McCarthy", "xml:lang": "en"},
	  "isbn13": {"type": "literal", "value": "978-0-307-26543-2"},
	  "date": {"type": "literal", "datatype": "http://www.w3.org/2001/XMLSchema#dateTime", "value": "2006-09-26T00:00:00Z"}},
	 {"title": {"type": "literal", "value": "The Road"}, "authorLabel": {"type": "literal", "value": "Cormac McCarthy"},
	  "isbn10": {"type": "literal", "value": "0-307-38789-5"}}]}}`
	got, err := decodeWikidata([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := []candidate{
		{source: "wikidata", isbn13: "9780307265432", title: "The Road", authors: []string{"Cormac McCarthy"}, year: 2006, edition: true},
		{source: "wikidata", isbn13: "9780307387899", title: "The Road", authors: []string{"Cormac McCarthy"}},
	}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(candidate{})); d != "" {
		t.Errorf("candidates (-want +got):\n%s", d)
	}
}

func TestDecodeArchive(t *testing.T) {
	body := `{"responseHeader": {"status": 0}, "response": {"numFound": 2, "start": 0, "docs": [
	 {"identifier": "road00mcca", "title": "The road", "creator": "McCarthy, Cormac, 1933-", "isbn": ["0-307-26543-9", "9780307265432"], "date": "2006-01-01T00:00:00Z"},
	 {"identifier": "x", "title": ["The road"], "creator": ["Cormac McCarthy", "Someone"], "isbn": "9780307387899", "year": "2008"}]}}`
	got, err := decodeArchive([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := []candidate{
		{source: "archive", isbn13: "9780307265432", title: "The road", authors: []string{"McCarthy, Cormac, 1933-"}, year: 2006, edition: true},
		{source: "archive", isbn13: "9780307387899", title: "The road", authors: []string{"Cormac McCarthy", "Someone"}, year: 2008, edition: true},
	}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(candidate{})); d != "" {
		t.Errorf("candidates (-want +got):\n%s", d)
	}
}
