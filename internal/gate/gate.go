// Package gate decides whether a phase's finished months meet its quality gate, and from that
// which phase of a campaign is current.
package gate

import (
	"fmt"
	"slices"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

// Verdict is a gate's decision and why.
type Verdict struct {
	Holds   bool
	Message string
}

// Evaluate checks the gate against a phase's months, all of which are finished.
func Evaluate(g *v1alpha1.Gate, months []*v1alpha1.BackfillMonth) Verdict {
	var generated, resolved, failed int64
	for _, m := range months {
		if m.Status.State == v1alpha1.MonthFailed {
			failed++
			continue
		}
		generated += int64(m.Status.Metrics.BooksGenerated)
		resolved += int64(m.Status.Metrics.ISBNsResolved)
	}
	if g == nil {
		return Verdict{Holds: true, Message: "no gate"}
	}
	var problems []string
	if g.MaxFailedMonths != nil && failed > int64(*g.MaxFailedMonths) {
		problems = append(problems, fmt.Sprintf("%d months failed, more than maxFailedMonths %d", failed, *g.MaxFailedMonths))
	}
	rate := ""
	if g.MinResolutionRate != nil {
		switch {
		case generated == 0:
			problems = append(problems, "no books were generated, so the resolution rate cannot reach minResolutionRate")
		case resolved*100 < int64(*g.MinResolutionRate)*generated:
			problems = append(problems, fmt.Sprintf("resolution rate %s%% is below minResolutionRate %d%%", v1alpha1.FormatRate(resolved, generated), *g.MinResolutionRate))
		default:
			rate = fmt.Sprintf("resolution rate %s%% meets minResolutionRate %d%%", v1alpha1.FormatRate(resolved, generated), *g.MinResolutionRate)
		}
	}
	if len(problems) > 0 {
		msg := problems[0]
		for _, p := range problems[1:] {
			msg += "; " + p
		}
		return Verdict{Message: msg}
	}
	if rate == "" {
		rate = "gate holds"
	}
	return Verdict{Holds: true, Message: rate}
}

// Progress is where each phase of a campaign stands.
type Progress struct {
	// Current is the index of the phase whose months may be admitted, or -1 when none may.
	Current int
	States  []v1alpha1.PhaseState
	// Messages explain each phase's gate verdict (empty until its months are finished).
	Messages []string
	// Blocked is the phase that holds the campaign up (gate or approval), or -1.
	Blocked int
}

// Progression walks the phases in order: a phase is Completed when all its months are finished
// and its gate holds; the first phase that is not is Active (or GateBlocked); a phase after a
// Completed one with Manual approval waits until spec.approvedPhases lists it.
func Progression(spec *v1alpha1.BackfillCampaignSpec, byPhase [][]*v1alpha1.BackfillMonth) Progress {
	p := Progress{Current: -1, Blocked: -1, States: make([]v1alpha1.PhaseState, len(spec.Phases)), Messages: make([]string, len(spec.Phases))}
	open := true // every phase before this one is Completed
	for i, phase := range spec.Phases {
		if !open {
			p.States[i] = v1alpha1.PhaseWaiting
			continue
		}
		if i > 0 && phase.Approval == v1alpha1.ApprovalManual && !slices.Contains(spec.ApprovedPhases, phase.Name) {
			p.States[i] = v1alpha1.PhaseAwaitingApproval
			p.Messages[i] = fmt.Sprintf("phase %s needs approval: add it to spec.approvedPhases", phase.Name)
			p.Blocked = i
			open = false
			continue
		}
		months := byPhase[i]
		if !allFinished(months) {
			p.States[i] = v1alpha1.PhaseActive
			p.Current = i
			open = false
			continue
		}
		v := Evaluate(phase.Gate, months)
		p.Messages[i] = v.Message
		if !v.Holds {
			p.States[i] = v1alpha1.PhaseGateBlocked
			p.Blocked = i
			open = false
			continue
		}
		p.States[i] = v1alpha1.PhaseCompleted
	}
	return p
}

func allFinished(months []*v1alpha1.BackfillMonth) bool {
	for _, m := range months {
		if !m.Status.State.Finished() {
			return false
		}
	}
	return true
}
