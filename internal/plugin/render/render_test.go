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
