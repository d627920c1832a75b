// Package plan turns a campaign's phases into the calendar months it must fill, in the order
// they are admitted, and decides when a month is old enough to be worth filling.
package plan

import (
	"fmt"
	"sort"
	"time"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/naming"
)

// YearMonth is a calendar month.
type YearMonth struct {
	Year  int
	Month int
}

func (ym YearMonth) String() string { return fmt.Sprintf("%04d-%02d", ym.Year, ym.Month) }

// Index orders months in time.
func (ym YearMonth) Index() int { return ym.Year*12 + ym.Month - 1 }

// Start is the first instant of the month, UTC.
func (ym YearMonth) Start() time.Time {
	return time.Date(ym.Year, time.Month(ym.Month), 1, 0, 0, 0, 0, time.UTC)
}

// EligibleAt is when the month is old enough: minAge whole months after it ended.
func (ym YearMonth) EligibleAt(minAge int) time.Time {
	return ym.Start().AddDate(0, 1+minAge, 0)
}

// NextUTCDay is the first instant of the UTC day after t, when providers' daily quotas reset.
func NextUTCDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
}

// Month is one planned BackfillMonth.
type Month struct {
	Name          string
	Phase         string
	PhaseIndex    int
	YearMonth     YearMonth
	PromptVariant v1alpha1.PromptVariant
}

// Months lists every month of every phase of the campaign, phase by phase, each phase in the
// campaign's admission order.
func Months(campaign string, spec *v1alpha1.BackfillCampaignSpec) []Month {
	var out []Month
	for i, p := range spec.Phases {
		from, to := 1, 12
		if p.Months != nil {
			from, to = int(p.Months.From), int(p.Months.To)
		}
		var phase []Month
		for y := int(p.Years.From); y <= int(p.Years.To); y++ {
			for m := from; m <= to; m++ {
				ym := YearMonth{Year: y, Month: m}
				phase = append(phase, Month{
					Name:          naming.Month(campaign, y, m),
					Phase:         p.Name,
					PhaseIndex:    i,
					YearMonth:     ym,
					PromptVariant: Variant(spec.EffectivePromptVariant(), y),
				})
			}
		}
		SortForAdmission(phase, spec.EffectiveOrder())
		out = append(out, phase...)
	}
	return out
}

// SortForAdmission puts months in the order they are admitted.
func SortForAdmission(months []Month, order v1alpha1.Order) {
	sort.SliceStable(months, func(i, j int) bool {
		a, b := months[i].YearMonth.Index(), months[j].YearMonth.Index()
		if order == v1alpha1.OrderOldestFirst {
			return a < b
		}
		return a > b
	})
}

// Variant resolves the auto prompt variant the way the original scheduler did: the
// contemporary-notable prompt for 2020 and later, baseline before.
func Variant(v v1alpha1.PromptVariant, year int) v1alpha1.PromptVariant {
	if v != "" && v != v1alpha1.PromptAuto {
		return v
	}
	if year >= 2020 {
		return v1alpha1.PromptContemporaryNotable
	}
	return v1alpha1.PromptBaseline
}
