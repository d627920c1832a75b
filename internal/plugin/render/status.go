package render

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

// StatusOptions tune Status.
type StatusOptions struct {
	Now time.Time
	// Errors is how many of the latest failures to list.
	Errors int
}

// phaseWords says in words where a phase stands.
func phaseWords(campaign string, p v1alpha1.PhaseStatus) string {
	switch p.State {
	case v1alpha1.PhaseActive:
		return "running"
	case v1alpha1.PhaseCompleted:
		return "done, gate passed"
	case v1alpha1.PhaseGateBlocked:
		return "blocked by its gate"
	case v1alpha1.PhaseAwaitingApproval:
		return "waiting for approval: kubectl backfill approve " + campaign + " " + p.Name
	case v1alpha1.PhaseWaiting:
		return "waiting for the phases before it"
	}
	return "not evaluated yet"
}

func phaseSGR(s v1alpha1.PhaseState) string {
	switch s {
	case v1alpha1.PhaseCompleted:
		return "32"
	case v1alpha1.PhaseGateBlocked:
		return "31"
	case v1alpha1.PhaseAwaitingApproval:
		return "33"
	case v1alpha1.PhaseActive:
		return "34"
	}
	return ""
}

// Status writes what the original backfill-stats answered, for a person: where the campaign
// and each phase stand, months by state, totals, today's budget, the next admission, the ETA
// and the latest failures (from the months, which hold them).
func Status(w io.Writer, c *v1alpha1.BackfillCampaign, months []v1alpha1.BackfillMonth, st Style, o StatusOptions) {
	s := &c.Status
	fmt.Fprintf(w, "Campaign %s/%s  mode %s", c.Namespace, c.Name, c.Spec.EffectiveMode())
	if c.Spec.Suspend {
		fmt.Fprint(w, st.paint("33", "  SUSPENDED"))
	}
	fmt.Fprintln(w)
	if ready := meta.FindStatusCondition(s.Conditions, v1alpha1.ConditionReady); ready != nil {
		fmt.Fprintf(w, "Ready %s (%s): %s\n", ready.Status, ready.Reason, ready.Message)
	} else {
		fmt.Fprintln(w, "Ready: the operator has not reported on this campaign yet")
	}
	if s.ObservedGeneration != 0 && s.ObservedGeneration < c.Generation {
		fmt.Fprintf(w, "Note: the status describes generation %d; the spec is at %d (the operator has not caught up)\n", s.ObservedGeneration, c.Generation)
	}
	for _, t := range []string{v1alpha1.ConditionStalled, v1alpha1.ConditionBudgetExhausted, v1alpha1.ConditionGateBlocked} {
		if cond := meta.FindStatusCondition(s.Conditions, t); cond != nil && cond.Status == "True" {
			fmt.Fprintf(w, "%s (%s): %s\n", st.paint("31", t), cond.Reason, cond.Message)
		}
	}

	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	// the coloured column last: tabwriter counts colour codes as width
	fmt.Fprintln(tw, "PHASE\tMONTHS\tDONE\tFAILED\tRATE\tGATE\tSTATE")
	for _, p := range s.Phases {
		rate := p.Totals.ResolutionRate
		if p.Totals.BooksGenerated == 0 {
			rate = "-"
		}
		gateText := p.Gate
		if gateText == "" {
			gateText = "-"
		}
		cur := ""
		if p.Name == s.CurrentPhase {
			cur = " *"
		}
		fmt.Fprintf(tw, "%s%s\t%d\t%d\t%d\t%s\t%s\t%s\n", p.Name, cur, p.Months.Total, p.Months.Completed, p.Months.Failed, rate,
			gateText, st.paint(phaseSGR(p.State), phaseWords(c.Name, p)))
	}
	_ = tw.Flush()

	fmt.Fprintln(w)
	m := s.Months
	fmt.Fprintf(w, "Months    %d total: %d pending, %d processing, %d retry, %s, %s\n", m.Total, m.Pending, m.Processing, m.Retry,
		st.paint(stateSGR(v1alpha1.MonthCompleted), fmt.Sprintf("%d completed", m.Completed)),
		st.paint(stateSGR(v1alpha1.MonthFailed), fmt.Sprintf("%d failed", m.Failed)))
	t := s.Totals
	rate := t.ResolutionRate
	if rate == "" {
		rate = "0.00"
	}
	fmt.Fprintf(w, "Totals    %d books, %d ISBNs resolved (%s%%), %d queued", t.BooksGenerated, t.ISBNsResolved, rate, t.ISBNsQueued)
	if len(t.Calls) > 0 {
		var calls []string
		for _, p := range slices.Sorted(maps.Keys(t.Calls)) {
			calls = append(calls, fmt.Sprintf("%s %d", p, t.Calls[p]))
		}
		fmt.Fprintf(w, "; calls: %s", strings.Join(calls, ", "))
	}
	fmt.Fprintln(w)
	if b := s.Budget; b != nil {
		limit := "no limit"
		if b.Limit > 0 {
			limit = fmt.Sprintf("of %d", b.Limit)
		}
		fmt.Fprintf(w, "Budget    %d ISBNdb calls %s used on %s (UTC)", b.ISBNdbCalls, limit, b.Day)
		if b.PausedUntil != nil {
			fmt.Fprintf(w, "; quota exhausted, paused until %s", When(b.PausedUntil.Time, o.Now))
		}
		fmt.Fprintln(w)
		keyLine(w, b.Key)
	}
	fmt.Fprintf(w, "Admitted  %d new months in the last 24h\n", s.AdmittedLast24h)
	if s.NextAdmissionTime != nil {
		fmt.Fprintf(w, "Next      admission %s\n", When(s.NextAdmissionTime.Time, o.Now))
	}
	if p := s.Plan; p != nil {
		fmt.Fprintf(w, "Remaining %d months, about %d days; estimated %d LLM and %d ISBNdb calls\n", p.MonthsRemaining, p.Days, p.LLMCalls, p.ISBNdbCalls)
	}
	if s.EstimatedCompletionTime != nil {
		fmt.Fprintf(w, "ETA       %s\n", When(s.EstimatedCompletionTime.Time, o.Now))
	}
	LastErrors(w, months, o)
}

// LastErrors lists the latest failures of failed and retrying months, newest first.
func LastErrors(w io.Writer, months []v1alpha1.BackfillMonth, o StatusOptions) {
	var failing []*v1alpha1.BackfillMonth
	for i := range months {
		m := &months[i]
		if s := m.EffectiveState(); (s == v1alpha1.MonthFailed || s == v1alpha1.MonthRetry) && m.Status.LastError != "" {
			failing = append(failing, m)
		}
	}
	if len(failing) == 0 || o.Errors <= 0 {
		return
	}
	sort.SliceStable(failing, func(i, j int) bool {
		a, b := lastFinished(failing[i]), lastFinished(failing[j])
		if !a.Equal(b) {
			return a.After(b)
		}
		return failing[i].Name < failing[j].Name
	})
	fmt.Fprintf(w, "\nLast errors (%d months failing):\n", len(failing))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, m := range failing[:min(len(failing), o.Errors)] {
		when := "-"
		if t := lastFinished(m); !t.IsZero() {
			when = Age(t, o.Now) + " ago"
		}
		extra := ""
		if m.EffectiveState() == v1alpha1.MonthRetry && m.Status.NextRetryAt != nil {
			extra = "; retry " + When(m.Status.NextRetryAt.Time, o.Now)
		}
		fmt.Fprintf(tw, "  %s\t%s\tattempt %d\t%s\t%s%s\n", m.Name, m.EffectiveState(),
			m.Status.Attempts, when, oneLine(m.Status.LastError, 90), extra)
	}
	_ = tw.Flush()
}

func lastFinished(m *v1alpha1.BackfillMonth) time.Time {
	for i := len(m.Status.History) - 1; i >= 0; i-- {
		if f := m.Status.History[i].FinishedAt; f != nil {
			return f.Time
		}
	}
	return time.Time{}
}

// keyLine shows the day of the ISBNdb key the campaign shares, when it shares one or a
// BackfillBudget holds it: the campaign's own line above counts only its own calls.
func keyLine(w io.Writer, k *v1alpha1.KeyBudgetStatus) {
	if k == nil || (k.Campaigns <= 1 && k.Budget == "") {
		return
	}
	limit := "(no shared limit)"
	if k.Limit > 0 {
		limit = fmt.Sprintf("of %d today", k.Limit)
	}
	fmt.Fprintf(w, "Key       %d ISBNdb calls used and %d reserved %s, by %d campaign(s) on the key", k.Used, k.Reserved, limit, k.Campaigns)
	if k.Budget != "" {
		fmt.Fprintf(w, " (BackfillBudget %s)", k.Budget)
	}
	fmt.Fprintln(w)
}
