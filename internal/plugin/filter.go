package plugin

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/plugin/render"
)

// Filter selects months by state, phase, year and quality. Empty parts select everything.
type Filter struct {
	States    []v1alpha1.MonthState
	Phases    []string
	Years     []int32
	BelowRate *float64
}

// filterFlags are the command-line form of a Filter.
type filterFlags struct {
	states    []string
	phases    []string
	years     []int32
	belowRate float64
}

func (f *filterFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringSliceVar(&f.states, "state", nil, "only months in these states (Pending, Processing, Retry, Completed, Failed; repeat or comma-separate)")
	cmd.Flags().StringSliceVar(&f.phases, "phase", nil, "only months of these phases")
	cmd.Flags().Int32SliceVar(&f.years, "year", nil, "only months of these years")
	cmd.Flags().Float64Var(&f.belowRate, "below-rate", -1, "only finished months whose resolution rate is below this percentage (a month with no books counts as 0)")
}

func (f *filterFlags) filter() (Filter, error) {
	var out Filter
	for _, s := range f.states {
		st, err := parseState(s)
		if err != nil {
			return out, err
		}
		out.States = append(out.States, st)
	}
	out.Phases, out.Years = f.phases, f.years
	if f.belowRate >= 0 {
		if f.belowRate > 100 {
			return out, fmt.Errorf("--below-rate is a percentage (0-100), not %v", f.belowRate)
		}
		r := f.belowRate
		out.BelowRate = &r
	}
	return out, nil
}

func (f Filter) empty() bool {
	return len(f.States) == 0 && len(f.Phases) == 0 && len(f.Years) == 0 && f.BelowRate == nil
}

func parseState(s string) (v1alpha1.MonthState, error) {
	for _, st := range []v1alpha1.MonthState{v1alpha1.MonthPending, v1alpha1.MonthProcessing, v1alpha1.MonthRetry, v1alpha1.MonthCompleted, v1alpha1.MonthFailed} {
		if strings.EqualFold(s, string(st)) {
			return st, nil
		}
	}
	return "", fmt.Errorf("unknown state %q: use Pending, Processing, Retry, Completed or Failed", s)
}

// Matches reports whether the month passes every part of the filter.
func (f Filter) Matches(m *v1alpha1.BackfillMonth) bool {
	if len(f.States) > 0 && !slices.Contains(f.States, m.EffectiveState()) {
		return false
	}
	if len(f.Phases) > 0 && !slices.Contains(f.Phases, m.Spec.Phase) {
		return false
	}
	if len(f.Years) > 0 && !slices.Contains(f.Years, m.Spec.Year) {
		return false
	}
	if f.BelowRate != nil {
		// only a finished month has a rate to judge; one without books resolved nothing
		if !m.EffectiveState().Finished() {
			return false
		}
		rate, _ := render.MonthRate(m)
		if rate >= *f.BelowRate {
			return false
		}
	}
	return true
}

// Apply keeps the months the filter matches.
func (f Filter) Apply(months []v1alpha1.BackfillMonth) []v1alpha1.BackfillMonth {
	var out []v1alpha1.BackfillMonth
	for i := range months {
		if f.Matches(&months[i]) {
			out = append(out, months[i])
		}
	}
	return out
}
