package aggregate

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/plan"
)

// DefaultModels is how many LLMs a month is assumed to call when nobody says otherwise (Gemini
// and Grok), for the plan's LLM-call estimate.
const DefaultModels = 2

// PhaseDays is how many days each phase's months that have not started need at the phase's
// cadence (fractional; Estimate rounds their sum up).
func PhaseDays(spec *v1alpha1.BackfillCampaignSpec, s Summary) []float64 {
	days := make([]float64, len(spec.Phases))
	for i, p := range spec.Phases {
		if p.MonthsPerDay > 0 {
			days[i] = float64(s.Phases[i].Months.Pending) / float64(p.MonthsPerDay)
		}
	}
	return days
}

// Preview is the plan of a campaign that has not been applied: every month it would create,
// unstarted, folded and estimated exactly as the controller folds and estimates the months it
// created in Plan mode, so the two cannot disagree.
type Preview struct {
	Months   []plan.Month
	Summary  Summary
	Estimate v1alpha1.PlanEstimate
	ETA      time.Time
}

// PreviewOf plans the campaign named name with spec at now, for models LLMs per month.
func PreviewOf(name string, spec *v1alpha1.BackfillCampaignSpec, models int, now time.Time) Preview {
	planned := plan.Months(name, spec)
	months := make([]*v1alpha1.BackfillMonth, len(planned))
	order := make([]string, len(planned))
	for i, d := range planned {
		months[i] = &v1alpha1.BackfillMonth{
			ObjectMeta: metav1.ObjectMeta{Name: d.Name},
			Spec: v1alpha1.BackfillMonthSpec{
				Campaign: name, Phase: d.Phase, Year: int32(d.YearMonth.Year), Month: int32(d.YearMonth.Month),
				PromptVariant: d.PromptVariant, BooksPerMonth: spec.EffectiveBooksPerMonth(), Suspend: true,
			},
		}
		order[i] = d.Name
	}
	s := Summarize(spec, months, now)
	e, eta := Estimate(spec, s, models, order, now)
	return Preview{Months: planned, Summary: s, Estimate: e, ETA: eta}
}
