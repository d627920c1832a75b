package gate

import (
	"testing"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/dev/builders"
)

func month(state v1alpha1.MonthState, books, resolved int32) *v1alpha1.BackfillMonth {
	return builders.MakeMonth("c", "ns", "p", 2020, 1).State(state).Results(books, resolved).Obj()
}

func TestEvaluate(t *testing.T) {
	ninety := builders.MakeCampaign("c", "ns").Phase("p", 2020, 2020, 5, 1).Gate(90).MaxFailed(1).Obj().Spec.Phases[0].Gate
	tests := map[string]struct {
		gate   *v1alpha1.Gate
		months []*v1alpha1.BackfillMonth
		holds  bool
		msg    string
	}{
		"no gate holds": {nil, []*v1alpha1.BackfillMonth{month(v1alpha1.MonthCompleted, 10, 1)}, true, "no gate"},
		"exactly 90% holds": {ninety, []*v1alpha1.BackfillMonth{month(v1alpha1.MonthCompleted, 20, 18), month(v1alpha1.MonthCompleted, 20, 18)}, true,
			"resolution rate 90.00% meets minResolutionRate 90%"},
		"89.99% blocks": {ninety, []*v1alpha1.BackfillMonth{month(v1alpha1.MonthCompleted, 9999, 8998)}, false,
			"resolution rate 89.99% is below minResolutionRate 90%"},
		"rate over all completed months": {ninety, []*v1alpha1.BackfillMonth{month(v1alpha1.MonthCompleted, 20, 20), month(v1alpha1.MonthCompleted, 20, 15)}, false,
			"resolution rate 87.50% is below minResolutionRate 90%"},
		"failed months are not counted in the rate": {ninety, []*v1alpha1.BackfillMonth{month(v1alpha1.MonthCompleted, 20, 19), month(v1alpha1.MonthFailed, 20, 0)}, true,
			"resolution rate 95.00% meets minResolutionRate 90%"},
		"too many failed months": {ninety, []*v1alpha1.BackfillMonth{month(v1alpha1.MonthCompleted, 20, 20), month(v1alpha1.MonthFailed, 0, 0), month(v1alpha1.MonthFailed, 0, 0)}, false,
			"2 months failed, more than maxFailedMonths 1"},
		"nothing generated": {ninety, []*v1alpha1.BackfillMonth{month(v1alpha1.MonthCompleted, 0, 0)}, false,
			"no books were generated, so the resolution rate cannot reach minResolutionRate"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			v := Evaluate(tc.gate, tc.months)
			if v.Holds != tc.holds || v.Message != tc.msg {
				t.Fatalf("Evaluate = %+v, want holds=%v message=%q", v, tc.holds, tc.msg)
			}
		})
	}
}

func TestProgression(t *testing.T) {
	spec := builders.MakeCampaign("c", "ns").
		Phase("validate", 2020, 2020, 5, 2).Gate(90).
		Phase("recent", 2021, 2023, 15, 5).
		Phase("history", 2000, 2019, 20, 5).ManualApproval().Obj().Spec
	done := func(books, resolved int32) []*v1alpha1.BackfillMonth {
		return []*v1alpha1.BackfillMonth{month(v1alpha1.MonthCompleted, books, resolved)}
	}
	open := []*v1alpha1.BackfillMonth{month(v1alpha1.MonthProcessing, 0, 0)}
	S := func(s ...v1alpha1.PhaseState) []v1alpha1.PhaseState { return s }
	tests := map[string]struct {
		byPhase  [][]*v1alpha1.BackfillMonth
		approved []string
		current  int
		blocked  int
		states   []v1alpha1.PhaseState
	}{
		"first phase running": {[][]*v1alpha1.BackfillMonth{open, open, open}, nil, 0, -1,
			S(v1alpha1.PhaseActive, v1alpha1.PhaseWaiting, v1alpha1.PhaseWaiting)},
		"gate blocks below 90%": {[][]*v1alpha1.BackfillMonth{done(20, 17), open, open}, nil, -1, 0,
			S(v1alpha1.PhaseGateBlocked, v1alpha1.PhaseWaiting, v1alpha1.PhaseWaiting)},
		"gate at 90% advances": {[][]*v1alpha1.BackfillMonth{done(20, 18), open, open}, nil, 1, -1,
			S(v1alpha1.PhaseCompleted, v1alpha1.PhaseActive, v1alpha1.PhaseWaiting)},
		"manual phase waits for approval": {[][]*v1alpha1.BackfillMonth{done(20, 18), done(5, 5), open}, nil, -1, 2,
			S(v1alpha1.PhaseCompleted, v1alpha1.PhaseCompleted, v1alpha1.PhaseAwaitingApproval)},
		"approved manual phase runs": {[][]*v1alpha1.BackfillMonth{done(20, 18), done(5, 5), open}, []string{"history"}, 2, -1,
			S(v1alpha1.PhaseCompleted, v1alpha1.PhaseCompleted, v1alpha1.PhaseActive)},
		"all done": {[][]*v1alpha1.BackfillMonth{done(20, 18), done(5, 5), done(1, 0)}, []string{"history"}, -1, -1,
			S(v1alpha1.PhaseCompleted, v1alpha1.PhaseCompleted, v1alpha1.PhaseCompleted)},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := spec
			s.ApprovedPhases = tc.approved
			p := Progression(&s, tc.byPhase)
			if p.Current != tc.current || p.Blocked != tc.blocked {
				t.Fatalf("current=%d blocked=%d, want %d %d (states %v, messages %q)", p.Current, p.Blocked, tc.current, tc.blocked, p.States, p.Messages)
			}
			for i := range tc.states {
				if p.States[i] != tc.states[i] {
					t.Fatalf("states = %v, want %v", p.States, tc.states)
				}
			}
		})
	}
}
