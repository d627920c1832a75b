package plan

import (
	"testing"
	"time"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

func seedSpec(order v1alpha1.Order) *v1alpha1.BackfillCampaignSpec {
	return &v1alpha1.BackfillCampaignSpec{
		Order: order,
		Phases: []v1alpha1.Phase{
			{Name: "validate", Years: v1alpha1.YearRange{From: 2020, To: 2020}, MonthsPerDay: 5, MaxConcurrent: 2},
			{Name: "recent", Years: v1alpha1.YearRange{From: 2021, To: 2023}, MonthsPerDay: 15, MaxConcurrent: 5},
			{Name: "history", Years: v1alpha1.YearRange{From: 2000, To: 2019}, MonthsPerDay: 20, MaxConcurrent: 5},
		},
	}
}

func TestMonthsOfTheSeedRollout(t *testing.T) {
	months := Months("alexandria", seedSpec(""))
	if len(months) != 12+36+240 {
		t.Fatalf("planned %d months, want 288", len(months))
	}
	first, last := months[0], months[len(months)-1]
	if first.Name != "alexandria-2020-12" || first.Phase != "validate" {
		t.Errorf("first month = %s (%s), want alexandria-2020-12 in validate (newest first)", first.Name, first.Phase)
	}
	if last.Name != "alexandria-2000-01" || last.Phase != "history" || last.PhaseIndex != 2 {
		t.Errorf("last month = %s (%s)", last.Name, last.Phase)
	}
	seen := map[string]bool{}
	for _, m := range months {
		if seen[m.Name] {
			t.Fatalf("month %s planned twice", m.Name)
		}
		seen[m.Name] = true
	}
}

func TestOldestFirstAndMonthRanges(t *testing.T) {
	spec := &v1alpha1.BackfillCampaignSpec{
		Order: v1alpha1.OrderOldestFirst,
		Phases: []v1alpha1.Phase{{
			Name: "q2", Years: v1alpha1.YearRange{From: 2010, To: 2011},
			Months: &v1alpha1.MonthRange{From: 4, To: 6}, MonthsPerDay: 1, MaxConcurrent: 1,
		}},
	}
	var got []string
	for _, m := range Months("c", spec) {
		got = append(got, m.YearMonth.String())
	}
	want := []string{"2010-04", "2010-05", "2010-06", "2011-04", "2011-05", "2011-06"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

func TestVariant(t *testing.T) {
	tests := []struct {
		v    v1alpha1.PromptVariant
		year int
		want v1alpha1.PromptVariant
	}{
		{"", 2019, v1alpha1.PromptBaseline},
		{v1alpha1.PromptAuto, 2020, v1alpha1.PromptContemporaryNotable},
		{v1alpha1.PromptAuto, 2000, v1alpha1.PromptBaseline},
		{v1alpha1.PromptBaseline, 2023, v1alpha1.PromptBaseline},
		{v1alpha1.PromptContemporaryNotable, 2001, v1alpha1.PromptContemporaryNotable},
	}
	for _, tc := range tests {
		if got := Variant(tc.v, tc.year); got != tc.want {
			t.Errorf("Variant(%q, %d) = %q, want %q", tc.v, tc.year, got, tc.want)
		}
	}
}

func TestEligibleAt(t *testing.T) {
	ym := YearMonth{Year: 2024, Month: 11}
	if got, want := ym.EligibleAt(0), time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("EligibleAt(0) = %v, want %v (the month must be over)", got, want)
	}
	if got, want := ym.EligibleAt(12), time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("EligibleAt(12) = %v, want %v", got, want)
	}
}
