package render

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

// Every state and rate band has its own glyph, so the heatmap reads without colour.
func TestHeatmapGlyphsAreDistinct(t *testing.T) {
	seen := map[string]string{cellNone.glyph: "none"}
	add := func(name string, c cell) {
		if other, dup := seen[c.glyph]; dup {
			t.Errorf("%s and %s share the glyph %q", name, other, c.glyph)
		}
		seen[c.glyph] = name
		if utf8.RuneCountInString(c.glyph) != 3 {
			t.Errorf("%s glyph %q is not 3 wide", name, c.glyph)
		}
	}
	add("Pending", cellPending)
	add("Processing", cellProcessing)
	add("Retry", cellRetry)
	add("Failed", cellFailed)
	for _, b := range rateBands {
		add("Completed "+b.text, b.cell)
	}
}

func TestHeatmapBandsAndWidth(t *testing.T) {
	var months []v1alpha1.BackfillMonth
	for y := int32(1990); y <= 2014; y++ { // 25 years
		for mo := int32(1); mo <= 12; mo++ {
			m := v1alpha1.BackfillMonth{Spec: v1alpha1.BackfillMonthSpec{Year: y, Month: mo}}
			m.Status.State = v1alpha1.MonthCompleted
			m.Status.Metrics.BooksGenerated = 100
			m.Status.Metrics.ISBNsResolved = (mo - 1) * 9 // 0 .. 99
			m.Status.Metrics.ResolutionRate = fmt.Sprintf("%d.00", (mo-1)*9)
			months = append(months, m)
		}
	}
	var buf bytes.Buffer
	Heatmap(&buf, "c", months, Style{})
	lines := strings.Split(buf.String(), "\n")
	for _, l := range lines {
		if utf8.RuneCountInString(l) > 80 {
			t.Errorf("wider than 80: %q", l)
		}
	}
	// Jan..Dec at 0,9,..,99%: bands <50 for 0-45, 50-75 for 54-72, 75-90 for 81, >=90 for 90, 99
	want := "1990  ... ... ... ... ... ... --- --- --- +++ ### ###  12/12  49.50"
	if lines[2] != want {
		t.Errorf("row 1990 = %q, want %q", lines[2], want)
	}
}

// The key's line appears when the campaign shares its ISBNdb key or a budget holds it, and says
// the key's totals, not the campaign's own.
func TestStatusShowsTheSharedKey(t *testing.T) {
	for name, tc := range map[string]struct {
		key  *v1alpha1.KeyBudgetStatus
		want string
	}{
		"no key":             {nil, ""},
		"alone, no budget":   {&v1alpha1.KeyBudgetStatus{Used: 5, Campaigns: 1}, ""},
		"shared, no budget":  {&v1alpha1.KeyBudgetStatus{Used: 90, Reserved: 20, Campaigns: 3}, "Key       90 ISBNdb calls used and 20 reserved (no shared limit), by 3 campaign(s) on the key\n"},
		"held by its budget": {&v1alpha1.KeyBudgetStatus{Budget: "isbndb-premium", Limit: 15000, Used: 9120, Reserved: 400, Campaigns: 1}, "Key       9120 ISBNdb calls used and 400 reserved of 15000 today, by 1 campaign(s) on the key (BackfillBudget isbndb-premium)\n"},
	} {
		var out bytes.Buffer
		keyLine(&out, tc.key)
		if out.String() != tc.want {
			t.Errorf("%s: %q, want %q", name, out.String(), tc.want)
		}
	}
}
