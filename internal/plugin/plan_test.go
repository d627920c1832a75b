package plugin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/attemptjob"
	"github.com/ooheynerds/backfill-operator/internal/dev/testenv"
	"github.com/ooheynerds/backfill-operator/internal/plugin"
)

// planNow is the fixed time the plan is previewed at.
var planNow = time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC)

func TestPlanGolden(t *testing.T) {
	r := runner{now: planNow}
	golden(t, "plan", r.must(t, "plan", "-f", "testdata/campaign.yaml").out, false)

	var out bytes.Buffer
	if err := plugin.Run(context.Background(), genericiooptions.IOStreams{Out: &out, ErrOut: &out}, "plan", "-f", "testdata/campaign.yaml"); err != nil ||
		!strings.HasPrefix(out.String(), "Plan for campaign alexandria: 312 months") {
		t.Errorf("plugin.Run: %v\n%s", err, out.String())
	}

	data, err := os.ReadFile("testdata/campaign.yaml")
	if err != nil {
		t.Fatal(err)
	}
	stdin := runner{now: planNow, stdin: string(data)}
	var res plugin.PlanResult
	if err := json.Unmarshal([]byte(stdin.must(t, "plan", "-f", "-", "-o", "json").out), &res); err != nil {
		t.Fatal(err)
	}
	// 12 + 60 + 240 months; 2025-12 is younger than minMonthAge on 2026-12-06
	if res.Estimate.MonthsRemaining != 312 || res.Phases[1].TooYoung != 1 || res.Estimate.ISBNdbCalls != 312*12 || res.BudgetDays != 4 {
		t.Errorf("plan -o json = %+v", res)
	}
}

func TestPlanRefusesWhatTheAPIServerWould(t *testing.T) {
	for name, manifest := range map[string]string{
		"unknown field":  "apiVersion: alexandria.ooheynerds.com/v1alpha1\nkind: BackfillCampaign\nmetadata: {name: a}\nspec:\n  retyr: {}\n  phases: [{name: p, years: {from: 2000, to: 2001}, monthsPerDay: 1, maxConcurrent: 1}]\n",
		"no name":        "apiVersion: alexandria.ooheynerds.com/v1alpha1\nkind: BackfillCampaign\nspec:\n  phases: [{name: p, years: {from: 2000, to: 2001}, monthsPerDay: 1, maxConcurrent: 1}]\n",
		"wrong kind":     "apiVersion: alexandria.ooheynerds.com/v1alpha1\nkind: BackfillMonth\nmetadata: {name: a}\nspec: {}\n",
		"zero cadence":   "apiVersion: alexandria.ooheynerds.com/v1alpha1\nkind: BackfillCampaign\nmetadata: {name: a}\nspec:\n  phases: [{name: p, years: {from: 2000, to: 2001}, monthsPerDay: 0, maxConcurrent: 1}]\n",
		"years reversed": "apiVersion: alexandria.ooheynerds.com/v1alpha1\nkind: BackfillCampaign\nmetadata: {name: a}\nspec:\n  phases: [{name: p, years: {from: 2010, to: 2001}, monthsPerDay: 1, maxConcurrent: 1}]\n",
		"no phases":      "apiVersion: alexandria.ooheynerds.com/v1alpha1\nkind: BackfillCampaign\nmetadata: {name: a}\nspec: {phases: []}\n",
		"two documents":  "apiVersion: alexandria.ooheynerds.com/v1alpha1\nkind: BackfillCampaign\nmetadata: {name: a}\nspec:\n  phases: [{name: p, years: {from: 2000, to: 2001}, monthsPerDay: 1, maxConcurrent: 1}]\n---\nkind: x\n",
	} {
		t.Run(name, func(t *testing.T) {
			if res := (runner{now: planNow, stdin: manifest}).run(t, "plan", "-f", "-"); res.fail == nil {
				t.Errorf("plan accepted:\n%s", manifest)
			}
		})
	}
}

// TestPlanAgreesWithPlanMode applies the previewed manifest in Plan mode to the real API
// server with the manager running on the same clock, and compares the campaign's status with
// the preview: the same months, order, days, calls and ETA.
func TestPlanAgreesWithPlanMode(t *testing.T) {
	needCluster(t)
	ctx := context.Background()
	data, err := os.ReadFile("testdata/campaign.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var preview plugin.PlanResult
	if err := json.Unmarshal([]byte(runner{now: planNow}.must(t, "plan", "-f", "testdata/campaign.yaml", "-o", "json").out), &preview); err != nil {
		t.Fatal(err)
	}

	c, err := plugin.DecodeCampaignManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	const ns = "plan-mode"
	if err := env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	c.Namespace, c.Spec.Mode = ns, v1alpha1.ModePlan
	mgr, err := env.StartManager(ctx, testenv.ManagerOptions{Clock: clocktesting.NewFakeClock(planNow),
		Jobs: attemptjob.Builder{Image: "backfill-operator:test", DatabaseSecret: &v1alpha1.SecretKeyRef{Name: "db", Key: "url"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer mgr.Stop()
	if err := env.Client.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	var got v1alpha1.BackfillCampaign
	deadline := time.Now().Add(time.Minute)
	for {
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(c), &got); err != nil {
			t.Fatal(err)
		}
		if meta.IsStatusConditionTrue(got.Status.Conditions, v1alpha1.ConditionReady) && got.Status.Months.Total == preview.Estimate.MonthsRemaining {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the Plan-mode campaign never became Ready with every month planned: %+v", got.Status)
		}
		time.Sleep(100 * time.Millisecond)
	}
	mgr.Stop()

	if diff := cmp.Diff(*got.Status.Plan, preview.Estimate); diff != "" {
		t.Errorf("the preview and Plan mode disagree (-status +preview):\n%s", diff)
	}
	if got.Status.EstimatedCompletionTime == nil || preview.ETA == nil || !got.Status.EstimatedCompletionTime.Time.Equal(*preview.ETA) {
		t.Errorf("ETA: status %v, preview %v", got.Status.EstimatedCompletionTime, preview.ETA)
	}
	for i, p := range got.Status.Phases {
		if p.Months.Total != preview.Phases[i].Months {
			t.Errorf("phase %s: %d months in the status, %d in the preview", p.Name, p.Months.Total, preview.Phases[i].Months)
		}
	}
	// and the text the preview prints carries the same numbers
	text := runner{now: planNow}.must(t, "plan", "-f", "testdata/campaign.yaml").out
	for _, want := range []string{"about 19 days", "LLM calls: 624", "ISBNdb:    3744 calls"} {
		if !strings.Contains(text, want) {
			t.Errorf("plan text lacks %q", want)
		}
	}
	if got.Status.Plan.Days != 19 || got.Status.Plan.LLMCalls != 624 {
		t.Errorf("the status's plan %+v does not match the numbers the text is checked for", got.Status.Plan)
	}
}
