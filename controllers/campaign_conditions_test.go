package controllers

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/admission"
	"github.com/ooheynerds/backfill-operator/internal/aggregate"
	"github.com/ooheynerds/backfill-operator/internal/dev/builders"
	"github.com/ooheynerds/backfill-operator/internal/gate"
	"github.com/ooheynerds/backfill-operator/internal/plan"
)

var now = time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC)

// campaignStatus runs the campaign controller's decisions (aggregate, gate, admission,
// buildStatus) on a campaign and its months, without an API server.
func campaignStatus(c *v1alpha1.BackfillCampaign, months []*v1alpha1.BackfillMonth, conflicts []string, dbDown bool) v1alpha1.BackfillCampaignStatus {
	s := aggregate.Summarize(&c.Spec, months, now)
	p := gate.Progression(&c.Spec, s.ByPhase)
	in := admission.Input{Now: now, Months: months, Order: c.Spec.EffectiveOrder(), DatabaseDown: dbDown,
		Suspended: c.Spec.Suspend || c.Spec.EffectiveMode() == v1alpha1.ModePlan || len(conflicts) > 0}
	if p.Current >= 0 {
		in.Phase = &c.Spec.Phases[p.Current]
	}
	st := (&CampaignReconciler{}).buildStatus(c, s, p, admission.Decide(in), 0, conflicts, nil, dbDown, now)
	setWorkersBlocked(&st, c.Generation, months)
	return st
}

func monthsOf(c *v1alpha1.BackfillCampaign, state v1alpha1.MonthState, books, resolved int32) []*v1alpha1.BackfillMonth {
	var out []*v1alpha1.BackfillMonth
	for _, d := range plan.Months(c.Name, &c.Spec) {
		b := builders.MakeMonth(c.Name, c.Namespace, d.Phase, int32(d.YearMonth.Year), int32(d.YearMonth.Month))
		if d.PhaseIndex == 0 { // later phases have not started
			b = b.State(state).Results(books, resolved)
		}
		out = append(out, b.Obj())
	}
	return out
}

func TestCampaignConditions(t *testing.T) {
	base := func() *builders.CampaignBuilder {
		return builders.MakeCampaign("c", "ns").Phase("validate", 2020, 2020, 5, 2).Months(1, 2)
	}
	tests := map[string]struct {
		campaign  *v1alpha1.BackfillCampaign
		state     v1alpha1.MonthState
		books     int32
		resolved  int32
		conflicts []string
		dbDown    bool
		ready     metav1.ConditionStatus
		reason    string
		stalled   bool
		reconcile bool
		message   string
	}{
		"progressing":      {campaign: base().Obj(), state: v1alpha1.MonthPending, ready: metav1.ConditionFalse, reason: v1alpha1.ReasonProgressing, reconcile: true, message: "phase validate"},
		"database down":    {campaign: base().Obj(), state: v1alpha1.MonthPending, dbDown: true, ready: metav1.ConditionFalse, reason: v1alpha1.ReasonProgressing, reconcile: true, message: "database does not answer"},
		"name conflict":    {campaign: base().Obj(), state: v1alpha1.MonthPending, conflicts: []string{"c-2020-01"}, ready: metav1.ConditionFalse, reason: v1alpha1.ReasonNameConflict, stalled: true, message: "c-2020-01"},
		"plan mode":        {campaign: base().Mode(v1alpha1.ModePlan).Obj(), state: v1alpha1.MonthPending, ready: metav1.ConditionTrue, reason: v1alpha1.ReasonPlanned, message: "Plan mode"},
		"suspended":        {campaign: base().Suspend(true).Obj(), state: v1alpha1.MonthPending, ready: metav1.ConditionFalse, reason: v1alpha1.ReasonSuspended},
		"all completed":    {campaign: base().Obj(), state: v1alpha1.MonthCompleted, books: 20, resolved: 20, ready: metav1.ConditionTrue, reason: v1alpha1.ReasonCompleted, message: "all 2 months finished"},
		"gate blocked":     {campaign: base().Gate(90).Phase("next", 2021, 2021, 5, 2).Obj(), state: v1alpha1.MonthCompleted, books: 20, resolved: 10, ready: metav1.ConditionFalse, reason: v1alpha1.ReasonGateBlocked, stalled: true, message: "below minResolutionRate"},
		"awaits approval":  {campaign: base().Phase("next", 2021, 2021, 5, 2).ManualApproval().Obj(), state: v1alpha1.MonthCompleted, books: 20, resolved: 20, ready: metav1.ConditionFalse, reason: v1alpha1.ReasonAwaitingApproval},
		"approved, moving": {campaign: base().Phase("next", 2021, 2021, 5, 2).ManualApproval().Approve("next").Obj(), state: v1alpha1.MonthCompleted, books: 20, resolved: 20, ready: metav1.ConditionFalse, reason: v1alpha1.ReasonProgressing, reconcile: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			st := campaignStatus(tc.campaign, monthsOf(tc.campaign, tc.state, tc.books, tc.resolved), tc.conflicts, tc.dbDown)
			ready := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionReady)
			if ready == nil || ready.Status != tc.ready || ready.Reason != tc.reason || !strings.Contains(ready.Message, tc.message) {
				t.Fatalf("Ready = %+v, want %s %s containing %q", ready, tc.ready, tc.reason, tc.message)
			}
			if got := meta.IsStatusConditionTrue(st.Conditions, v1alpha1.ConditionStalled); got != tc.stalled {
				t.Errorf("Stalled = %v, want %v", got, tc.stalled)
			}
			if got := meta.IsStatusConditionTrue(st.Conditions, v1alpha1.ConditionReconciling); got != tc.reconcile {
				t.Errorf("Reconciling = %v, want %v", got, tc.reconcile)
			}
			gateBlocked := meta.IsStatusConditionTrue(st.Conditions, v1alpha1.ConditionGateBlocked)
			if gateBlocked != (tc.reason == v1alpha1.ReasonGateBlocked) {
				t.Errorf("GateBlocked = %v with Ready reason %s", gateBlocked, tc.reason)
			}
			if meta.IsStatusConditionTrue(st.Conditions, v1alpha1.ConditionWorkersBlocked) {
				t.Error("WorkersBlocked with no blocked month")
			}
		})
	}
}

// The campaign names the months whose attempts cannot start and why (the kubelet's words, which
// name the Secret and the key), for a pod waiting now and for an attempt failed for it.
func TestWorkersBlocked(t *testing.T) {
	c := builders.MakeCampaign("c", "ns").Phase("validate", 2020, 2020, 5, 2).Months(1, 3).Obj()
	months := monthsOf(c, v1alpha1.MonthPending, 0, 0)
	byName := map[string]*v1alpha1.BackfillMonth{}
	for _, m := range months {
		byName[m.Name] = m
	}
	waiting := byName["c-2020-01"]
	waiting.Status.State = v1alpha1.MonthProcessing
	waiting.Status.LastError = `CreateContainerConfigError: couldn't find key gemini in Secret ns/llm`
	meta.SetStatusCondition(&waiting.Status.Conditions, metav1.Condition{Type: v1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: v1alpha1.ReasonPodWaiting, Message: "x"})
	failed := byName["c-2020-02"]
	failed.Status.State = v1alpha1.MonthRetry
	failed.Status.History = []v1alpha1.AttemptRecord{{Attempt: 1, Outcome: v1alpha1.AttemptFailed, Cause: v1alpha1.CauseImageNotPullable,
		Message: "Job c-2020-02-a1: ImagePullBackOff: Back-off pulling image \"example.com/nope:v9\""}}
	ownFailure := byName["c-2020-03"]
	ownFailure.Status.State = v1alpha1.MonthRetry
	ownFailure.Status.History = []v1alpha1.AttemptRecord{{Attempt: 1, Outcome: v1alpha1.AttemptFailed, Cause: v1alpha1.CauseBadAnswer, Message: "models refused"}}

	st := campaignStatus(c, months, nil, false)
	cond := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionWorkersBlocked)
	if cond == nil || cond.Status != metav1.ConditionTrue || cond.Reason != v1alpha1.ReasonPodWaiting {
		t.Fatalf("WorkersBlocked = %+v", cond)
	}
	for _, want := range []string{"c-2020-01: CreateContainerConfigError: couldn't find key gemini in Secret ns/llm", `c-2020-02: Job c-2020-02-a1: ImagePullBackOff`} {
		if !strings.Contains(cond.Message, want) {
			t.Errorf("message %q lacks %q", cond.Message, want)
		}
	}
	if strings.Contains(cond.Message, "c-2020-03") {
		t.Errorf("a month's own failure is not a blocked worker: %q", cond.Message)
	}
	waiting.Status.State, failed.Status.State = v1alpha1.MonthCompleted, v1alpha1.MonthCompleted
	st = campaignStatus(c, months, nil, false)
	if meta.IsStatusConditionTrue(st.Conditions, v1alpha1.ConditionWorkersBlocked) {
		t.Error("WorkersBlocked stays True after the months moved on")
	}
}
