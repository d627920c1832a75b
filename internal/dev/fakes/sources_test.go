package fakes

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestGoogleBooks(t *testing.T) {
	srv := startFake(t, Options{})
	base := srv.GoogleBooksBaseURL() + "/volumes?key=k&q="

	r := do(t, http.MethodGet, base+url.QueryEscape("intitle:the road inauthor:mccarthy"), "")
	var res struct {
		Kind       string `json:"kind"`
		TotalItems int    `json:"totalItems"`
		Items      []struct {
			VolumeInfo struct {
				Title               string   `json:"title"`
				Authors             []string `json:"authors"`
				IndustryIdentifiers []struct{ Type, Identifier string }
			} `json:"volumeInfo"`
		} `json:"items"`
	}
	if err := json.Unmarshal(r.body, &res); err != nil || r.status != 200 || res.Kind != "books#volumes" || len(res.Items) == 0 {
		t.Fatalf("search: %d %.300s (%v)", r.status, r.body, err)
	}
	var ids []string
	for _, it := range res.Items {
		if it.VolumeInfo.Authors[0] == "Cormac McCarthy" && it.VolumeInfo.Title == "The Road" {
			for _, id := range it.VolumeInfo.IndustryIdentifiers {
				ids = append(ids, id.Type+":"+id.Identifier)
			}
		}
	}
	if !slices.Contains(ids, "ISBN_13:9780307265432") || !slices.Contains(ids, "ISBN_10:0307265439") {
		t.Errorf("identifiers %v, want the hardcover's ISBN_13 and ISBN_10", ids)
	}

	r = do(t, http.MethodGet, base+url.QueryEscape("intitle:zzqx inauthor:nobody"), "")
	if m := r.json(t); r.status != 200 || m["totalItems"] != 0.0 || m["items"] != nil {
		t.Errorf("zero hits: %s, want totalItems 0 and no items key", r.body)
	}
	if _, has := r.json(t)["items"]; has {
		t.Errorf("zero hits carry an items key: %s", r.body)
	}

	r = do(t, http.MethodGet, srv.GoogleBooksBaseURL()+"/volumes?q=intitle:dune", "")
	if r.status != 429 || !strings.Contains(string(r.body), "Queries per day") {
		t.Errorf("no key: %d %s, want 429 per-day quota", r.status, r.body)
	}
	r = do(t, http.MethodGet, base+"dune&maxResults=41", "")
	if r.status != 400 {
		t.Errorf("maxResults=41: %d, want 400", r.status)
	}
}

func TestOpenLibrary(t *testing.T) {
	srv := startFake(t, Options{})
	base := srv.OpenLibraryBaseURL()

	r := do(t, http.MethodGet, base+"/search.json?title=the+road&author=cormac+mccarthy&limit=5", "")
	var res struct {
		NumFound  int              `json:"numFound"`
		NumFound2 int              `json:"num_found"`
		Docs      []map[string]any `json:"docs"`
	}
	if err := json.Unmarshal(r.body, &res); err != nil || res.NumFound == 0 || res.NumFound != res.NumFound2 {
		t.Fatalf("search: %s (%v)", r.body, err)
	}
	if _, has := res.Docs[0]["isbn"]; has {
		t.Errorf("isbn returned without fields asking for it: %v", res.Docs[0])
	}
	r = do(t, http.MethodGet, base+"/search.json?title=the+road&author=cormac+mccarthy&fields=key,title,author_name,isbn", "")
	if err := json.Unmarshal(r.body, &res); err != nil || len(res.Docs) == 0 {
		t.Fatalf("search with fields: %s", r.body)
	}
	isbns, _ := res.Docs[0]["isbn"].([]any)
	if !slices.Contains(isbns, any("9780307265432")) || !slices.Contains(isbns, any("0307265439")) {
		t.Errorf("isbn %v, want every edition's ISBNs including the hardcover's", isbns)
	}

	// /isbn/{isbn}.json redirects to the edition; Go's client follows it.
	var redirects []string
	client := &http.Client{CheckRedirect: func(req *http.Request, via []*http.Request) error {
		redirects = append(redirects, req.URL.Path)
		return nil
	}}
	res2, err := client.Get(base + "/isbn/9780307265432.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res2.Body.Close()
	var ed struct {
		Title  string   `json:"title"`
		ISBN13 []string `json:"isbn_13"`
		Works  []struct{ Key string }
	}
	if err := json.NewDecoder(res2.Body).Decode(&ed); err != nil || ed.Title != "The Road" || ed.ISBN13[0] != "9780307265432" || len(ed.Works) != 1 {
		t.Errorf("edition %+v (%v)", ed, err)
	}
	if len(redirects) != 1 || !strings.HasPrefix(redirects[0], "/openlibrary/books/OL") {
		t.Errorf("redirects %v, want one to /openlibrary/books/OL…M.json", redirects)
	}
	if r := do(t, http.MethodGet, base+"/isbn/9780000000002.json", ""); r.status != 404 {
		t.Errorf("unknown ISBN: %d, want 404", r.status)
	}
}

type sruResponse struct {
	NumberOfRecords int `xml:"numberOfRecords"`
	Records         []struct {
		Data struct {
			Record struct {
				Datafields []struct {
					Tag       string `xml:"tag,attr"`
					Subfields []struct {
						Code  string `xml:"code,attr"`
						Value string `xml:",chardata"`
					} `xml:"subfield"`
				} `xml:"datafield"`
			} `xml:"record"`
			MODS struct {
				Identifiers []struct {
					Type  string `xml:"type,attr"`
					Value string `xml:",chardata"`
				} `xml:"identifier"`
			} `xml:"mods"`
		} `xml:"recordData"`
	} `xml:"records>record"`
	Diagnostics []struct {
		URI     string `xml:"uri"`
		Message string `xml:"message"`
	} `xml:"diagnostics>diagnostic"`
}

func TestLibraryOfCongressSRU(t *testing.T) {
	srv := startFake(t, Options{})
	sru := func(params string) sruResponse {
		t.Helper()
		r := do(t, http.MethodGet, srv.LOCBaseURL()+"?version=1.1&operation=searchRetrieve&"+params, "")
		if r.status != 200 {
			t.Fatalf("SRU %s: %d (errors come as 200 with diagnostics)", params, r.status)
		}
		var res sruResponse
		if err := xml.Unmarshal(r.body, &res); err != nil {
			t.Fatalf("decode SRU XML: %v\n%s", err, r.body)
		}
		return res
	}
	q := url.QueryEscape(`dc.title="the road" and dc.creator=mccarthy`)
	res := sru("query=" + q + "&startRecord=1&maximumRecords=5&recordSchema=marcxml")
	var isbn string
	for _, rec := range res.Records {
		for _, df := range rec.Data.Record.Datafields {
			if df.Tag == "020" {
				isbn = df.Subfields[0].Value
			}
		}
	}
	if res.NumberOfRecords == 0 || !strings.HasPrefix(isbn, "0307265439") {
		t.Errorf("MARC 020$a = %q among %d records, want The Road's ISBN with a qualifier", isbn, res.NumberOfRecords)
	}
	res = sru("query=" + q + "&startRecord=1&maximumRecords=5&recordSchema=mods")
	if len(res.Records) == 0 || res.Records[0].Data.MODS.Identifiers[0].Value != "9780307265432" {
		t.Errorf("MODS identifiers: %+v", res.Records)
	}
	if res := sru("query=" + q + "&maximumRecords=5"); res.NumberOfRecords != 0 || len(res.Diagnostics) != 1 {
		t.Errorf("without startRecord: %+v, want an empty result with one diagnostic", res)
	}
}

func TestWikidataSPARQL(t *testing.T) {
	srv := startFake(t, Options{})
	sparql := `SELECT ?book ?isbn13 ?bookLabel WHERE {
  ?book wdt:P50 ?a . ?a rdfs:label "Cormac McCarthy"@en . ?book rdfs:label "The Road"@en .
  ?book wdt:P212 ?isbn13 .
  SERVICE wikibase:label { bd:serviceParam wikibase:language "[AUTO_LANGUAGE],en". }
} LIMIT 10`
	u := srv.WikidataBaseURL() + "?format=json&query=" + url.QueryEscape(sparql)
	r := do(t, http.MethodGet, u, "", "User-Agent: backfill-operator-test/1.0 (test@example.org)")
	var res struct {
		Head    struct{ Vars []string }
		Results struct {
			Bindings []map[string]struct{ Type, Value string }
		}
	}
	if err := json.Unmarshal(r.body, &res); err != nil || r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/sparql-results+json") {
		t.Fatalf("SPARQL: %d %s %s (%v)", r.status, r.header.Get("Content-Type"), r.body, err)
	}
	if !slices.Equal(res.Head.Vars, []string{"book", "isbn13", "bookLabel"}) || len(res.Results.Bindings) != 1 ||
		res.Results.Bindings[0]["isbn13"].Value != "978-0-3072-6543-2" || res.Results.Bindings[0]["book"].Type != "uri" {
		t.Errorf("result %+v, want one binding with the hyphenated ISBN-13", res)
	}
	if r := do(t, http.MethodGet, u, ""); r.status != http.StatusForbidden {
		t.Errorf("Go's default User-Agent: %d, want 403 (Wikimedia policy)", r.status)
	}
}

func TestArchiveAdvancedSearch(t *testing.T) {
	srv := startFake(t, Options{})
	var book Book
	for _, b := range srv.Catalog().Notable(2003, 4) {
		if b.KnownBy.Has(SourceArchive) {
			book = b
			break
		}
	}
	if book.Title == "" {
		t.Fatal("no book of 2003-04 on Archive.org")
	}
	q := url.QueryEscape("title:(" + book.Title + ") AND creator:(" + book.Author + ") AND mediatype:texts")
	r := do(t, http.MethodGet, srv.ArchiveBaseURL()+"/advancedsearch.php?q="+q+"&fl[]=identifier&fl[]=title&fl[]=isbn&rows=5&output=json", "")
	var res struct {
		Response struct {
			NumFound int              `json:"numFound"`
			Docs     []map[string]any `json:"docs"`
		} `json:"response"`
	}
	if err := json.Unmarshal(r.body, &res); err != nil || res.Response.NumFound == 0 {
		t.Fatalf("search: %s (%v)", r.body, err)
	}
	isbns, _ := res.Response.Docs[0]["isbn"].([]any)
	var found bool
	for _, i := range isbns {
		found = found || normalizeISBN(i.(string)) == book.ISBN13
	}
	if !found || res.Response.Docs[0]["creator"] != nil {
		t.Errorf("doc %v, want the ISBN-13 among isbn and only the requested fields", res.Response.Docs[0])
	}
}

func TestOpenLibraryBibkeys(t *testing.T) {
	srv := startFake(t, Options{})
	r := do(t, http.MethodGet, srv.OpenLibraryBaseURL()+"/api/books.json?bibkeys=ISBN:9780307265432,ISBN:9780000000002&jscmd=data&format=json", "")
	m := r.json(t)
	entry, ok := m["ISBN:9780307265432"].(map[string]any)
	if r.status != 200 || len(m) != 1 || !ok || entry["title"] != "The Road" {
		t.Errorf("/api/books.json: %d %.300s, want only the known bibkey", r.status, r.body)
	}
	if r := do(t, http.MethodGet, srv.OpenLibraryBaseURL()+"/api/books?bibkeys=ISBN:9780307265432&format=json", ""); r.status != 404 || len(r.body) != 0 {
		t.Errorf("legacy /api/books: %d %q, want 404 with an empty body", r.status, r.body)
	}
}

// A resolver that takes the first search hit must sometimes land on a decoy: that is what the
// decoys are for.
func TestCarelessFirstHitFindsDecoys(t *testing.T) {
	c := DefaultCatalog()
	for _, source := range []string{SourceISBNdb, SourceGoogleBooks} {
		decoys, right := 0, 0
		for y := 2000; y <= 2004; y++ {
			for m := 1; m <= 12; m++ {
				for _, b := range c.Notable(y, m) {
					hits := c.search(source, query{title: b.FullTitle(), author: b.Author})
					if len(hits) == 0 {
						continue
					}
					switch hits[0].Kind {
					case KindDecoy:
						decoys++
					case KindNotable:
						right++
					}
				}
			}
		}
		if decoys == 0 || right < 5*decoys {
			t.Errorf("%s: first hit is a decoy %d times and right %d times; want a few decoys among mostly right hits", source, decoys, right)
		}
	}
}
