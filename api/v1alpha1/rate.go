package v1alpha1

import "fmt"

// FormatRate formats resolved/generated as the percentage with two decimals that
// MonthMetrics.ResolutionRate and the campaign totals carry ("92.31"); "0.00" when nothing was
// generated. Integer arithmetic, so every replica writes the same string.
func FormatRate(resolved, generated int64) string {
	if generated == 0 {
		return "0.00"
	}
	hundredths := (resolved*10000 + generated/2) / generated
	return fmt.Sprintf("%d.%02d", hundredths/100, hundredths%100)
}
