package health

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

// healthTests is Argo CD's health_test.yaml schema (util/lua/health_test.go upstream).
type healthTests struct {
	Tests []struct {
		HealthStatus Status `json:"healthStatus"`
		InputPath    string `json:"inputPath"`
	} `json:"tests"`
}

// typedObject returns an empty object of the kind, to check that testdata uses only real fields.
func typedObject(t *testing.T, kind string) any {
	t.Helper()
	switch kind {
	case "BackfillCampaign":
		return &v1alpha1.BackfillCampaign{}
	case "BackfillMonth":
		return &v1alpha1.BackfillMonth{}
	case "BackfillBudget":
		return &v1alpha1.BackfillBudget{}
	}
	t.Fatalf("no API type for kind %s", kind)
	return nil
}

// TestScriptsAgainstTestdata runs every script over its health_test.yaml cases, the same cases
// Argo CD's own harness would run if the directory were contributed upstream.
func TestScriptsAgainstTestdata(t *testing.T) {
	checks := Checks()
	if len(checks) != 3 {
		t.Fatalf("embedded checks = %d, want BackfillBudget, BackfillCampaign and BackfillMonth", len(checks))
	}
	for _, check := range checks {
		t.Run(check.Kind, func(t *testing.T) {
			dir := filepath.Join(scriptRoot, check.Group, check.Kind)
			raw, err := os.ReadFile(filepath.Join(dir, "health_test.yaml"))
			if err != nil {
				t.Fatalf("every check needs a health_test.yaml: %v", err)
			}
			var cases healthTests
			if err := yaml.UnmarshalStrict(raw, &cases); err != nil {
				t.Fatalf("parsing health_test.yaml: %v", err)
			}
			used := map[string]bool{}
			seen := map[string]bool{}
			for _, tc := range cases.Tests {
				used[filepath.Clean(tc.InputPath)] = true
				t.Run(filepath.Base(tc.InputPath), func(t *testing.T) {
					input, err := os.ReadFile(filepath.Join(dir, tc.InputPath))
					if err != nil {
						t.Fatal(err)
					}
					if err := yaml.UnmarshalStrict(input, typedObject(t, check.Kind)); err != nil {
						t.Fatalf("testdata does not match the %s API type: %v", check.Kind, err)
					}
					var obj map[string]any
					if err := yaml.Unmarshal(input, &obj); err != nil {
						t.Fatal(err)
					}
					ctx, cancel := context.WithTimeout(context.Background(), time.Second)
					defer cancel()
					got, err := Evaluate(ctx, check.Script, obj)
					if err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(tc.HealthStatus, got); diff != "" {
						t.Errorf("health (-want +got):\n%s", diff)
					}
					seen[got.Status] = true
				})
			}
			files, err := filepath.Glob(filepath.Join(dir, "testdata", "*.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				rel, _ := filepath.Rel(dir, f)
				if !used[rel] {
					t.Errorf("%s is not used by any test in health_test.yaml", rel)
				}
			}
			// Each kind can be Progressing, Healthy and Degraded; a script that never reports one
			// of them hides that state from Argo CD.
			for _, want := range []string{"Progressing", "Healthy", "Degraded"} {
				if !seen[want] {
					t.Errorf("no test case reports %s", want)
				}
			}
		})
	}
}

// TestScriptsReadTheOperatorsStatus feeds objects built from the Go API types (as the operator
// writes them) through the scripts, so a renamed status field breaks this test, not Argo CD.
func TestScriptsReadTheOperatorsStatus(t *testing.T) {
	cond := func(typ string, s metav1.ConditionStatus, reason, msg string) metav1.Condition {
		return metav1.Condition{Type: typ, Status: s, Reason: reason, Message: msg, ObservedGeneration: 4,
			LastTransitionTime: metav1.NewTime(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))}
	}
	campaign := func(suspend bool, observed int64, conds ...metav1.Condition) *v1alpha1.BackfillCampaign {
		c := &v1alpha1.BackfillCampaign{ObjectMeta: metav1.ObjectMeta{Name: "c", Generation: 4}}
		c.Spec.Suspend = suspend
		c.Status.ObservedGeneration = observed
		c.Status.Conditions = conds
		return c
	}
	month := func(state v1alpha1.MonthState, lastError string, conds ...metav1.Condition) *v1alpha1.BackfillMonth {
		m := &v1alpha1.BackfillMonth{ObjectMeta: metav1.ObjectMeta{Name: "c-2020-01", Generation: 4}}
		m.Status.ObservedGeneration = 4
		m.Status.State = state
		m.Status.LastError = lastError
		m.Status.Conditions = conds
		return m
	}
	tests := []struct {
		name string
		kind string
		obj  runtime.Object
		want Status
	}{
		{"campaign running", "BackfillCampaign", campaign(false, 4,
			cond(v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonProgressing, "phase recent: 40/300 months finished"),
			cond(v1alpha1.ConditionReconciling, metav1.ConditionTrue, v1alpha1.ReasonProgressing, "phase recent: 40/300 months finished")),
			Status{"Progressing", "phase recent: 40/300 months finished"}},
		{"campaign completed", "BackfillCampaign", campaign(false, 4,
			cond(v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonCompleted, "all 300 months finished")),
			Status{"Healthy", "all 300 months finished"}},
		{"campaign suspended", "BackfillCampaign", campaign(true, 4,
			cond(v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonSuspended, "suspended")),
			Status{"Suspended", "suspended"}},
		{"campaign gate blocked", "BackfillCampaign", campaign(false, 4,
			cond(v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonGateBlocked, "gate does not hold"),
			cond(v1alpha1.ConditionStalled, metav1.ConditionTrue, v1alpha1.ReasonGateBlocked, "gate does not hold")),
			Status{"Degraded", "gate does not hold"}},
		{"campaign edited, not yet reconciled", "BackfillCampaign", campaign(false, 3,
			cond(v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonCompleted, "all 300 months finished")),
			Status{"Progressing", "Waiting for the operator to observe generation 4"}},
		{"month processing", "BackfillMonth", month(v1alpha1.MonthProcessing, "",
			cond(v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonJobRunning, "attempt 2 is running")),
			Status{"Progressing", "attempt 2 is running"}},
		{"month retry", "BackfillMonth", month(v1alpha1.MonthRetry, "timeout",
			cond(v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonAttemptFailed, "waiting for backoff and re-admission: timeout")),
			Status{"Progressing", "waiting for backoff and re-admission: timeout"}},
		{"month completed", "BackfillMonth", month(v1alpha1.MonthCompleted, "",
			cond(v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonCompleted, "completed in 2 attempt(s)")),
			Status{"Healthy", "completed in 2 attempt(s)"}},
		{"month failed without conditions yet", "BackfillMonth", month(v1alpha1.MonthFailed, "worker exited 3"),
			Status{"Degraded", "worker exited 3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(tt.obj)
			if err != nil {
				t.Fatal(err)
			}
			check, ok := Lookup(v1alpha1.GroupVersion.Group, tt.kind)
			if !ok {
				t.Fatalf("no health check for %s", tt.kind)
			}
			got, err := Evaluate(context.Background(), check.Script, obj)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("health (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEvaluateRejectsWhatArgoCDRejects(t *testing.T) {
	tests := []struct {
		name   string
		script string
	}{
		{"invalid status", `return {status = "Fine"}`},
		{"no table", `return "Healthy"`},
		{"string library is not loaded for custom checks", `return {status = string.lower("Healthy")}`},
		{"syntax error", `return {status = `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := Evaluate(context.Background(), tt.script, map[string]any{}); err == nil {
				t.Errorf("Evaluate = %+v, want an error", got)
			}
		})
	}
}

func TestEvaluateStopsAtTheDeadline(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Evaluate(ctx, `while true do end`, map[string]any{}); err == nil {
		t.Fatal("an endless script under a cancelled context returned no error")
	}
}

func TestConfigKeys(t *testing.T) {
	var keys []string
	for _, c := range Checks() {
		keys = append(keys, c.ConfigKey())
	}
	sort.Strings(keys)
	want := []string{
		"resource.customizations.health.alexandria.ooheynerds.com_BackfillBudget",
		"resource.customizations.health.alexandria.ooheynerds.com_BackfillCampaign",
		"resource.customizations.health.alexandria.ooheynerds.com_BackfillMonth",
	}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("argocd-cm keys (-want +got):\n%s", diff)
	}
}
