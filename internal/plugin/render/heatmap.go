package render

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/aggregate"
)

// A heatmap cell is three characters wide; the glyph alone tells state and rate band, so the
// calendar reads the same without colour (NO_COLOR, a pipe, a log file).
type cell struct {
	glyph string
	bg    string // 256-colour background when colour is on
}

var (
	cellNone       = cell{"   ", ""}
	cellPending    = cell{" _ ", "48;5;240"}
	cellProcessing = cell{" P ", "97;48;5;33"}
	cellRetry      = cell{" R ", "30;48;5;214"}
	cellFailed     = cell{" X ", "97;48;5;160"}
	// Completed months, shaded by resolution rate: the greener, the more books found an ISBN.
	rateBands = []struct {
		min  float64
		cell cell
		text string
	}{
		{90, cell{"###", "30;48;5;40"}, ">=90%"},
		{75, cell{"+++", "30;48;5;114"}, "75-90%"},
		{50, cell{"---", "30;48;5;186"}, "50-75%"},
		{0, cell{"...", "30;48;5;223"}, "<50%"},
	}
)

func cellOf(m *v1alpha1.BackfillMonth) cell {
	switch m.EffectiveState() {
	case v1alpha1.MonthProcessing:
		return cellProcessing
	case v1alpha1.MonthRetry:
		return cellRetry
	case v1alpha1.MonthFailed:
		return cellFailed
	case v1alpha1.MonthCompleted:
		rate, _ := MonthRate(m) // no books at all is the lowest band
		for _, b := range rateBands {
			if rate >= b.min {
				return b.cell
			}
		}
	}
	return cellPending
}

func (st Style) cell(c cell) string { return st.paint(c.bg, c.glyph) }

// Heatmap draws the campaign's months as a calendar: one row per year (oldest first), one cell
// per month, and per year the finished months and the resolution rate. 25 years fit in 80
// columns (each row is at most 67 wide).
func Heatmap(w io.Writer, campaign string, months []v1alpha1.BackfillMonth, st Style) {
	if len(months) == 0 {
		fmt.Fprintf(w, "%s: no months yet\n", campaign)
		return
	}
	byYM := map[[2]int32]*v1alpha1.BackfillMonth{}
	first, last := months[0].Spec.Year, months[0].Spec.Year
	for i := range months {
		m := &months[i]
		byYM[[2]int32{m.Spec.Year, m.Spec.Month}] = m
		first, last = min(first, m.Spec.Year), max(last, m.Spec.Year)
	}
	fmt.Fprintf(w, "%s: %d months, %d-%d\n", campaign, len(months), first, last)
	fmt.Fprintln(w, "      Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec   DONE   RATE")
	for y := first; y <= last; y++ {
		var b strings.Builder
		fmt.Fprintf(&b, "%d  ", y)
		var planned, finished int
		var year []*v1alpha1.BackfillMonth
		for mo := int32(1); mo <= 12; mo++ {
			m := byYM[[2]int32{y, mo}]
			if m == nil {
				b.WriteString(st.cell(cellNone))
			} else {
				b.WriteString(st.cell(cellOf(m)))
				planned++
				if m.EffectiveState().Finished() {
					finished++
				}
				year = append(year, m)
			}
			b.WriteByte(' ')
		}
		if planned > 0 {
			rate := "-"
			// the operator's own fold, so the row's rate is formatted as the status's
			if t := aggregate.Summarize(&v1alpha1.BackfillCampaignSpec{}, year, time.Time{}).Totals; t.BooksGenerated > 0 {
				rate = t.ResolutionRate
			}
			fmt.Fprintf(&b, " %5s %6s", fmt.Sprintf("%d/%d", finished, planned), rate)
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	fmt.Fprintln(w)
	var legend strings.Builder
	legend.WriteString("Completed, by resolution rate: ")
	for i, band := range rateBands {
		if i > 0 {
			legend.WriteString("  ")
		}
		legend.WriteString(st.cell(band.cell) + " " + band.text)
	}
	fmt.Fprintln(w, legend.String())
	fmt.Fprintf(w, "Other states: %s Pending  %s Processing  %s Retry  %s Failed\n",
		st.cell(cellPending), st.cell(cellProcessing), st.cell(cellRetry), st.cell(cellFailed))
}
