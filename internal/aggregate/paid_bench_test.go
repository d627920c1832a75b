package aggregate

import (
	"testing"
	"time"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

// BenchmarkPaidUse measures what a pass of a campaign on a shared ISBNdb key adds per other
// campaign on the key: one read of its months' paid calls, reservations and quota pause.
func BenchmarkPaidUse(b *testing.B) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	months := monthsWithHistory(2412, now) // 1825-2025: the largest campaign
	spec := &v1alpha1.BackfillCampaignSpec{}
	b.ReportAllocs()
	for b.Loop() {
		PaidUse(spec, months, now)
	}
}
