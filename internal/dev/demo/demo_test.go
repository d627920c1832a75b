package demo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ooheynerds/backfill-operator/internal/dev/localsystem"
)

func sampleCampaign(t *testing.T) string {
	t.Helper()
	return filepath.Join("..", "..", "..", "config", "samples", "demo", "campaign.yaml")
}

// The shipped demo campaign parses strictly, and every provider ends up either at the fakes or,
// with a real key, at the real service: none is left at the placeholder host.
func TestPointAtFakes(t *testing.T) {
	const fakesURL = "http://127.0.0.1:40001"
	tests := []struct {
		name     string
		keys     map[string]string
		wantReal []string
		// wantBase is the expected base URL per provider ("" means the real service).
		wantBase map[string]string
	}{
		{
			name: "offline: everything at the fakes",
			wantBase: map[string]string{
				"gemini": fakesURL + "/gemini/", "xai": fakesURL + "/xai/v1/", "isbndb": fakesURL + "/isbndb",
				"googlebooks": fakesURL + "/googlebooks/books/v1", "openlibrary": fakesURL + "/openlibrary",
				"loc": fakesURL + "/loc/lcdb", "wikidata": fakesURL + "/wikidata/sparql", "archive": fakesURL + "/archive",
			},
		},
		{
			name:     "real Gemini and ISBNdb keys: those two use the real services",
			keys:     map[string]string{localsystem.KeyGemini: "k1", localsystem.KeyISBNdb: "k2", localsystem.KeyXAI: ""},
			wantReal: []string{"gemini", "isbndb"},
			wantBase: map[string]string{
				"gemini": "", "xai": fakesURL + "/xai/v1/", "isbndb": "",
				"googlebooks": fakesURL + "/googlebooks/books/v1", "openlibrary": fakesURL + "/openlibrary",
				"loc": fakesURL + "/loc/lcdb", "wikidata": fakesURL + "/wikidata/sparql", "archive": fakesURL + "/archive",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadCampaign(sampleCampaign(t))
			if err != nil {
				t.Fatal(err)
			}
			real := PointAtFakes(c, fakesURL, tt.keys)
			if diff := cmp.Diff(tt.wantReal, real); diff != "" {
				t.Errorf("real providers (-want +got):\n%s", diff)
			}
			r := c.Spec.Resolver
			got := map[string]string{
				"gemini": c.Spec.Generators.Gemini.BaseURL, "xai": c.Spec.Generators.XAI.BaseURL,
				"isbndb": r.ISBNdb.BaseURL, "googlebooks": r.GoogleBooks.BaseURL, "openlibrary": r.OpenLibrary.BaseURL,
				"loc": r.LOC.BaseURL, "wikidata": r.Wikidata.BaseURL, "archive": r.Archive.BaseURL,
			}
			if diff := cmp.Diff(tt.wantBase, got); diff != "" {
				t.Errorf("base URLs (-want +got):\n%s", diff)
			}
			for name, u := range got {
				if strings.Contains(u, "fakes.invalid") {
					t.Errorf("%s still points at the placeholder: %s", name, u)
				}
			}
		})
	}
}

func TestLoadCampaignRejectsUnknownFields(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := writeFile(path, "apiVersion: alexandria.ooheynerds.com/v1alpha1\nkind: BackfillCampaign\nmetadata: {name: x}\nspec:\n  phasez: []\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCampaign(path); err == nil || !strings.Contains(err.Error(), "phasez") {
		t.Fatalf("LoadCampaign accepted a misspelt field: %v", err)
	}
}

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o644) }
