package render

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/aggregate"
)

// PlanView is a campaign's plan as the preview shows it; every number in it comes from the
// controller's own functions (aggregate.PreviewOf), render only lays it out.
type PlanView struct {
	Name    string
	Spec    *v1alpha1.BackfillCampaignSpec
	Preview aggregate.Preview
	Models  int
	Now     time.Time
}

// PhasePlan is one phase of a PlanView.
type PhasePlan struct {
	Name         string  `json:"name"`
	Months       int32   `json:"months"`
	MonthsPerDay int32   `json:"monthsPerDay"`
	Days         float64 `json:"days"`
	// TooYoung counts the phase's months that minMonthAge still holds back at Now.
	TooYoung int32  `json:"tooYoung"`
	First    string `json:"first,omitempty"`
	Last     string `json:"last,omitempty"`
}

// Phases is the per-phase breakdown of the plan.
func (v PlanView) Phases() []PhasePlan {
	days := aggregate.PhaseDays(v.Spec, v.Preview.Summary)
	out := make([]PhasePlan, len(v.Spec.Phases))
	minAge := int(v.Spec.EffectiveMinMonthAge())
	for i, p := range v.Spec.Phases {
		out[i] = PhasePlan{Name: p.Name, Months: v.Preview.Summary.Phases[i].Months.Total, MonthsPerDay: p.MonthsPerDay, Days: days[i]}
	}
	for _, m := range v.Preview.Months {
		pp := &out[m.PhaseIndex]
		if pp.First == "" {
			pp.First = m.YearMonth.String()
		}
		pp.Last = m.YearMonth.String()
		if v.Now.Before(m.YearMonth.EligibleAt(minAge)) {
			pp.TooYoung++
		}
	}
	return out
}

// BudgetDays is how many UTC days of the paid source's daily budget the estimated ISBNdb calls
// need (0 without a limit).
func (v PlanView) BudgetDays() int64 {
	limit := int64(v.Spec.EffectiveISBNdbCallsPerDay())
	if limit <= 0 {
		return 0
	}
	return int64(math.Ceil(float64(v.Preview.Estimate.ISBNdbCalls) / float64(limit)))
}

// Plan writes the preview of a campaign: months per phase and the days each needs at its
// cadence, the admission order, the ETA, the estimated calls and the budget days they need.
func Plan(w io.Writer, v PlanView) {
	e := v.Preview.Estimate
	fmt.Fprintf(w, "Plan for campaign %s: %d months in %d phases, order %s, minMonthAge %d, %d books per model\n\n",
		v.Name, e.MonthsRemaining, len(v.Spec.Phases), v.Spec.EffectiveOrder(), v.Spec.EffectiveMinMonthAge(), v.Spec.EffectiveBooksPerMonth())
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PHASE\tMONTHS\tFROM\tTO\tPER DAY\tCONCURRENT\tDAYS\tGATE\tAPPROVAL")
	for i, pp := range v.Phases() {
		p := v.Spec.Phases[i]
		first, last := pp.First, pp.Last
		if v.Spec.EffectiveOrder() == v1alpha1.OrderNewestFirst {
			first, last = last, first // FROM/TO are calendar order; the admission order is below
		}
		approval := "Automatic"
		if p.Approval == v1alpha1.ApprovalManual {
			approval = "Manual"
		}
		if i == 0 {
			approval = "-" // the first phase needs none
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%d\t%d\t%.1f\t%s\t%s\n", p.Name, pp.Months, first, last, p.MonthsPerDay, p.MaxConcurrent, pp.Days, gateWords(p.Gate), approval)
	}
	_ = tw.Flush()
	fmt.Fprintln(w)
	if len(e.FirstMonths) > 0 {
		fmt.Fprintf(w, "Admission order, first %d:\n%s", len(e.FirstMonths), wrap(e.FirstMonths, "  ", 80))
	}
	for _, pp := range v.Phases() {
		if pp.TooYoung > 0 {
			fmt.Fprintf(w, "Held back: %d month(s) of phase %s are younger than minMonthAge (%d months) today and wait until they are old enough\n",
				pp.TooYoung, pp.Name, v.Spec.EffectiveMinMonthAge())
		}
	}
	fmt.Fprintf(w, "Duration:  about %d days at the phases' cadences (gates and approvals not counted)\n", e.Days)
	if e.MonthsRemaining > 0 {
		fmt.Fprintf(w, "ETA:       %s if started now\n", v.Preview.ETA.UTC().Format("2006-01-02 15:04 UTC"))
	}
	fmt.Fprintf(w, "LLM calls: %d (%d per month: %d models)\n", e.LLMCalls, v.Models, v.Models)
	fmt.Fprintf(w, "ISBNdb:    %d calls (%d per month, spec.budget.estimatedISBNdbCallsPerMonth)", e.ISBNdbCalls, v.Preview.Summary.PaidCallsPerMonth)
	if limit := v.Spec.EffectiveISBNdbCallsPerDay(); limit > 0 {
		fmt.Fprintf(w, "; %d budget day(s) at %d calls a day\n", v.BudgetDays(), limit)
	} else {
		fmt.Fprintln(w, "; no daily limit")
	}
}

func gateWords(g *v1alpha1.Gate) string {
	if g == nil {
		return "-"
	}
	var parts []string
	if g.MinResolutionRate != nil {
		parts = append(parts, fmt.Sprintf("rate>=%d%%", *g.MinResolutionRate))
	}
	if g.MaxFailedMonths != nil {
		parts = append(parts, fmt.Sprintf("failed<=%d", *g.MaxFailedMonths))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ",")
}

// wrap lays words out comma-separated in lines of at most width columns, each indented.
func wrap(words []string, indent string, width int) string {
	var b strings.Builder
	line := indent
	for i, word := range words {
		if i < len(words)-1 {
			word += ","
		}
		if line != indent && len(line)+1+len(word) > width {
			b.WriteString(line + "\n")
			line = indent
		}
		if line != indent {
			line += " "
		}
		line += word
	}
	b.WriteString(line + "\n")
	return b.String()
}
