package resolve

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// loc is the Library of Congress catalogue through SRU 1.1 (searchRetrieve with CQL), asked for
// MODS records; MARCXML records are decoded too. The service is HTTP only and reports errors as
// HTTP 200 with <diagnostics>.
type loc struct{ ep *endpoint }

func newLOC(ep *endpoint) *loc { return &loc{ep: ep} }

type sruResponse struct {
	XMLName         xml.Name `xml:"searchRetrieveResponse"`
	NumberOfRecords int      `xml:"numberOfRecords"`
	Records         []struct {
		Data struct {
			MODS *modsRecord `xml:"mods"`
			MARC *marcRecord `xml:"record"`
		} `xml:"recordData"`
	} `xml:"records>record"`
	Diagnostics []struct {
		URI     string `xml:"uri"`
		Message string `xml:"message"`
		Details string `xml:"details"`
	} `xml:"diagnostics>diagnostic"`
}

type modsRecord struct {
	TitleInfo []struct {
		Type     string `xml:"type,attr"`
		NonSort  string `xml:"nonSort"`
		Title    string `xml:"title"`
		SubTitle string `xml:"subTitle"`
	} `xml:"titleInfo"`
	Names []struct {
		NameParts []struct {
			Type  string `xml:"type,attr"`
			Value string `xml:",chardata"`
		} `xml:"namePart"`
	} `xml:"name"`
	DateIssued  []string `xml:"originInfo>dateIssued"`
	Identifiers []struct {
		Type  string `xml:"type,attr"`
		Value string `xml:",chardata"`
	} `xml:"identifier"`
}

type marcRecord struct {
	Controlfields []struct {
		Tag   string `xml:"tag,attr"`
		Value string `xml:",chardata"`
	} `xml:"controlfield"`
	Datafields []struct {
		Tag       string `xml:"tag,attr"`
		Subfields []struct {
			Code  string `xml:"code,attr"`
			Value string `xml:",chardata"`
		} `xml:"subfield"`
	} `xml:"datafield"`
}

// firstToken keeps the ISBN of catalogue text such as "0306406152 (pbk. : alk. paper)".
func firstToken(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

func (m *modsRecord) candidates() []candidate {
	var title string
	for _, t := range m.TitleInfo {
		if t.Type == "" {
			title = strings.TrimSpace(t.NonSort + t.Title)
			if sub := strings.TrimSpace(t.SubTitle); sub != "" {
				title += ": " + sub // the subtitle may say which edition this is
			}
			break
		}
	}
	var authors []string
	for _, n := range m.Names {
		var parts []string
		for _, p := range n.NameParts {
			if p.Type == "" || p.Type == "family" || p.Type == "given" {
				parts = append(parts, strings.TrimSpace(p.Value))
			}
		}
		if len(parts) > 0 {
			authors = append(authors, strings.TrimRight(strings.Join(parts, " "), " ,."))
		}
	}
	year := 0
	for _, d := range m.DateIssued {
		if year = yearOf(d); year != 0 {
			break
		}
	}
	var raw []string
	for _, id := range m.Identifiers {
		if strings.EqualFold(id.Type, "isbn") {
			raw = append(raw, firstToken(id.Value))
		}
	}
	return candidatesFrom(SourceLOC, title, authors, year, true, raw...)
}

func (m *marcRecord) candidates() []candidate {
	var title, subtitle string
	var authors, raw []string
	year := 0
	for _, c := range m.Controlfields {
		if c.Tag == "008" && len(c.Value) >= 11 {
			year, _ = strconv.Atoi(c.Value[7:11])
		}
	}
	for _, d := range m.Datafields {
		for _, sf := range d.Subfields {
			switch {
			case d.Tag == "020" && sf.Code == "a":
				raw = append(raw, firstToken(sf.Value))
			case d.Tag == "245" && sf.Code == "a":
				title = strings.TrimRight(strings.TrimSpace(sf.Value), " /:;,.")
			case d.Tag == "245" && sf.Code == "b":
				// The remainder of the title: the subtitle, which may say which edition this is.
				subtitle = strings.TrimRight(strings.TrimSpace(sf.Value), " /:;,.")
			case (d.Tag == "100" || d.Tag == "700" || d.Tag == "110" || d.Tag == "710") && sf.Code == "a":
				authors = append(authors, strings.TrimRight(strings.TrimSpace(sf.Value), " ,."))
			case (d.Tag == "260" || d.Tag == "264") && sf.Code == "c" && year == 0:
				year = yearOf(sf.Value)
			}
		}
	}
	if subtitle != "" {
		title += ": " + subtitle
	}
	return candidatesFrom(SourceLOC, title, authors, year, true, raw...)
}

func decodeLOC(body []byte) ([]candidate, error) {
	var r sruResponse
	if err := xml.Unmarshal(body, &r); err != nil {
		// A page that is not SRU at all (a portal, an error page) is not worth asking again;
		// a cut SRU document is.
		if b := bytes.TrimSpace(body); len(b) == 0 || !bytes.Contains(b[:min(len(b), 1024)], []byte("searchRetrieveResponse")) {
			if len(b) == 0 {
				return nil, fmt.Errorf("loc: %w: an empty body", errNotTheAPI)
			}
			return nil, fmt.Errorf("loc: %w: %s", errNotTheAPI, describeMarkup(b))
		}
		return nil, fmt.Errorf("loc: decoding SRU response: %w", err)
	}
	var out []candidate
	for _, rec := range r.Records {
		switch {
		case rec.Data.MODS != nil:
			out = append(out, rec.Data.MODS.candidates()...)
		case rec.Data.MARC != nil:
			out = append(out, rec.Data.MARC.candidates()...)
		}
	}
	if len(r.Records) == 0 && len(r.Diagnostics) > 0 {
		d := r.Diagnostics[0]
		return nil, fmt.Errorf("loc: %w: SRU diagnostic %s: %s %s", errNotTheAPI, d.URI, d.Message, d.Details)
	}
	return out, nil
}

// cqlString quotes a value for a CQL term.
func cqlString(s string) string {
	return `"` + strings.Join(strings.Fields(strings.NewReplacer(`"`, " ", `\`, " ").Replace(s)), " ") + `"`
}

func (s *loc) search(ctx context.Context, st *attemptState, q Query) ([]candidate, error) {
	u, err := url.Parse(s.ep.cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("loc: base URL: %w", err)
	}
	cql := "dc.title=" + cqlString(q.Title)
	if strings.TrimSpace(q.Author) != "" {
		cql += " and dc.creator=" + cqlString(q.Author)
	}
	// startRecord must be given: without it the server answers an empty result with a diagnostic.
	u.RawQuery = url.Values{"version": {"1.1"}, "operation": {"searchRetrieve"}, "query": {cql}, "startRecord": {"1"},
		"maximumRecords": {strconv.Itoa(s.ep.cfg.MaxResults)}, "recordSchema": {"mods"}}.Encode()
	return s.ep.fetch(ctx, st, request{method: http.MethodGet, url: u, header: http.Header{"Accept": {"application/xml, text/xml"}}}, decodeLOC)
}
