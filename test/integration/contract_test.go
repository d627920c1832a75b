package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/attemptjob"
	"github.com/ooheynerds/backfill-operator/internal/dev/builders"
)

// Edge cases a user may rightly write: each must be accepted as it is.
func TestEdgeCaseCampaignsAreAccepted(t *testing.T) {
	ctx := context.Background()
	ns := env.NewNamespace(t, "edges")
	tests := []struct {
		name   string
		edit   func(spec map[string]any)
		rename string
	}{
		{"years at both bounds", func(s map[string]any) {
			phase(s, 0)["years"] = map[string]any{"from": 1900, "to": 1900}
			phase(s, 1)["years"] = map[string]any{"from": 2100, "to": 2100}
		}, ""},
		{"the largest campaign: 1900-2100 in one phase", func(s map[string]any) {
			s["phases"] = []any{map[string]any{"name": "all", "years": map[string]any{"from": 1900, "to": 2100}, "monthsPerDay": 1000, "maxConcurrent": 100}}
		}, ""},
		{"one year split by months across phases", func(s map[string]any) {
			phase(s, 0)["months"] = map[string]any{"from": 1, "to": 6}
			phase(s, 1)["years"] = map[string]any{"from": 2020, "to": 2020}
			phase(s, 1)["months"] = map[string]any{"from": 7, "to": 12}
		}, ""},
		{"ten phases", func(s map[string]any) {
			var ps []any
			for i := 0; i < 10; i++ {
				ps = append(ps, map[string]any{"name": fmt.Sprintf("p%d", i), "years": map[string]any{"from": 2000 + i, "to": 2000 + i}, "monthsPerDay": 1, "maxConcurrent": 1})
			}
			s["phases"] = ps
		}, ""},
		{"a 52-character name", func(map[string]any) {}, strings.Repeat("c", 52)},
		{"long hyphenated Secret names and key names", func(s map[string]any) {
			s["generators"] = map[string]any{
				"xai":    map[string]any{"apiKeySecretRef": map[string]any{"name": "xai-credentials-backfill-production", "key": "xai-api-key"}},
				"gemini": map[string]any{"apiKeySecretRef": map[string]any{"name": "alexandria-backfill-llm-credentials-2026", "key": "GEMINI_API_KEY"}},
			}
			s["resolver"] = map[string]any{"isbndb": map[string]any{"apiKeySecretRef": map[string]any{"name": "isbndb.premium.backfill-production-eu-west-1", "key": "isbndb_api_key_production_primary_v2"}}}
			s["job"] = map[string]any{"databaseSecretRef": map[string]any{"name": "backfill-database", "key": "DATABASE_URL"}}
		}, ""},
		{"real model names", func(s map[string]any) {
			s["generators"] = map[string]any{"gemini": map[string]any{"model": "models/gemini-2.5-flash-preview-05-20"}, "xai": map[string]any{"model": "grok-4-fast-reasoning"}, "timeout": "90s"}
		}, ""},
		{"base URLs with ports, paths and IPv6", func(s map[string]any) {
			s["generators"] = map[string]any{"gemini": map[string]any{"baseURL": "http://127.0.0.1:8080/gemini/"}, "xai": map[string]any{"baseURL": "http://[::1]:9000/v1"}}
			s["resolver"] = map[string]any{"isbndb": map[string]any{"baseURL": "https://api.premium.isbndb.com"}, "loc": map[string]any{"baseURL": "http://fakes.backfill-system.svc:8080/loc/sru"}}
		}, ""},
		{"a full Job shape", func(s map[string]any) {
			s["job"] = map[string]any{
				"image": "registry.example.com:5000/backfill/backfill-operator:v0.2.0@sha256:" + strings.Repeat("a", 64), "imagePullPolicy": "IfNotPresent",
				"serviceAccountName": "backfill-worker", "ttlSecondsAfterFinished": 86400,
				"labels":          map[string]any{"kueue.x-k8s.io/queue-name": "backfill", "team": "books", "app.kubernetes.io/part-of": "alexandria"},
				"resources":       map[string]any{"requests": map[string]any{"cpu": "100m", "memory": "128Mi"}, "limits": map[string]any{"cpu": 1, "memory": "128Mi"}},
				"pendingDeadline": "1h30m", "runningDeadline": "48h",
			}
		}, ""},
		{"durations at their bounds", func(s map[string]any) {
			s["retry"] = map[string]any{"maxAttempts": 1, "backoffBase": "1s", "backoffCap": "1s"}
			s["job"] = map[string]any{"pendingDeadline": "10s", "runningDeadline": "10s"}
		}, ""},
		{"no limit on the budget, months of any age", func(s map[string]any) {
			s["budget"] = map[string]any{"isbndbCallsPerDay": 0, "estimatedISBNdbCallsPerMonth": 0}
			s["minMonthAge"] = 0
		}, ""},
		{"manual approval of an existing phase", func(s map[string]any) {
			phase(s, 1)["approval"] = "Manual"
			s["approvedPhases"] = []any{"recent"}
		}, ""},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := tc.rename
			if name == "" {
				name = fmt.Sprintf("edge-%d", i)
			}
			obj := campaignFromYAML(t, strings.Replace(valid, "NAME", name, 1), ns)
			tc.edit(obj.Object["spec"].(map[string]any))
			if err := env.Client.Create(ctx, obj, client.DryRunAll); err != nil { // validated, not stored
				t.Fatalf("a valid campaign was rejected: %v", err)
			}
		})
	}
}

func TestInvalidMonthsAreRejected(t *testing.T) {
	ctx := context.Background()
	ns := env.NewNamespace(t, "badmonths")
	tests := []struct{ name, spec, message string }{
		{"prompt variant left at auto", `{campaign: c, phase: p, year: 2020, month: 1, promptVariant: auto, booksPerMonth: 20}`,
			`spec.promptVariant: Invalid value: "auto": a month's promptVariant must be resolved`},
		{"campaign name no campaign could have", `{campaign: My_Campaign, phase: p, year: 2020, month: 1, promptVariant: baseline, booksPerMonth: 20}`,
			`spec.campaign: Invalid value: "My_Campaign": must be a campaign's name`},
		{"phase name no phase could have", `{campaign: c, phase: "Phase 1", year: 2020, month: 1, promptVariant: baseline, booksPerMonth: 20}`,
			`spec.phase: Invalid value: "Phase 1": must be a phase name`},
		{"empty phase", `{campaign: c, phase: "", year: 2020, month: 1, promptVariant: baseline, booksPerMonth: 20}`,
			`spec.phase: Invalid value: "": spec.phase in body should be at least 1 chars long`},
		{"month 13", `{campaign: c, phase: p, year: 2020, month: 13, promptVariant: baseline, booksPerMonth: 20}`,
			"spec.month: Invalid value: 13: spec.month in body should be less than or equal to 12"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			obj := campaignFromYAML(t, fmt.Sprintf("apiVersion: alexandria.ooheynerds.com/v1alpha1\nkind: BackfillMonth\nmetadata: {name: m-%d}\nspec: %s\n", i, tc.spec), ns)
			assertRejected(t, ctx, obj, tc.message)
		})
	}
}

// A campaign written with nothing but its phases reads back with every documented default,
// and the controllers' accessors see the same values.
func TestMinimalCampaignGetsEveryDefault(t *testing.T) {
	ctx := context.Background()
	ns := env.NewNamespace(t, "minimal")
	obj := campaignFromYAML(t, `
apiVersion: alexandria.ooheynerds.com/v1alpha1
kind: BackfillCampaign
metadata: {name: minimal}
spec:
  phases:
  - {name: validate, years: {from: 2020, to: 2020}, monthsPerDay: 5, maxConcurrent: 2}
`, ns)
	if err := env.Client.Create(ctx, obj); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), obj) })
	var c v1alpha1.BackfillCampaign
	if err := env.Client.Get(ctx, types.NamespacedName{Namespace: ns, Name: "minimal"}, &c); err != nil {
		t.Fatal(err)
	}
	s := &c.Spec
	retry, budget := s.EffectiveRetry(), s.EffectiveEstimatedISBNdbCallsPerMonth()
	deadlines := attemptjob.DeadlinesOf(&c)
	got := map[string]any{
		"budget.isbndbCallsPerDay":                 *s.Budget.ISBNdbCallsPerDay,
		"budget.estimatedISBNdbCallsPerMonth":      budget,
		"retry.maxAttempts":                        retry.MaxAttempts,
		"retry.backoffBase":                        retry.BackoffBase.Duration,
		"retry.backoffCap":                         retry.BackoffCap.Duration,
		"job.pendingDeadline":                      deadlines.Pending,
		"job.runningDeadline":                      deadlines.Running,
		"order":                                    s.EffectiveOrder(),
		"mode":                                     s.EffectiveMode(),
		"promptVariant":                            s.EffectivePromptVariant(),
		"minMonthAge":                              s.EffectiveMinMonthAge(),
		"booksPerMonth":                            s.EffectiveBooksPerMonth(),
		"priority":                                 s.EffectivePriority(),
		"stored priority (no fallback)":            *s.Priority,
		"stored retry.backoffBase (no fallback)":   s.Retry.BackoffBase.Duration,
		"stored job.runningDeadline (no fallback)": s.Job.RunningDeadline.Duration,
	}
	want := map[string]any{
		"budget.isbndbCallsPerDay":                 int32(7000),
		"budget.estimatedISBNdbCallsPerMonth":      int32(10),
		"retry.maxAttempts":                        int32(5),
		"retry.backoffBase":                        5 * time.Minute,
		"retry.backoffCap":                         2 * time.Hour,
		"job.pendingDeadline":                      15 * time.Minute,
		"job.runningDeadline":                      time.Hour,
		"order":                                    v1alpha1.OrderNewestFirst,
		"mode":                                     v1alpha1.ModeLive,
		"promptVariant":                            v1alpha1.PromptAuto,
		"minMonthAge":                              int32(12),
		"booksPerMonth":                            int32(20),
		"priority":                                 int32(0),
		"stored priority (no fallback)":            int32(0),
		"stored retry.backoffBase (no fallback)":   5 * time.Minute,
		"stored job.runningDeadline (no fallback)": time.Hour,
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %v, want %v", k, got[k], w)
		}
	}
	// The builders' defaults are the API's: a test campaign built in Go equals one the API server defaulted.
	built := builders.MakeCampaign("minimal", ns).Phase("validate", 2020, 2020, 5, 2).Obj()
	a, _ := yaml.Marshal(built.Spec)
	b, _ := yaml.Marshal(c.Spec)
	if string(a) != string(b) {
		t.Errorf("builders.MakeCampaign's defaults differ from the API server's:\nbuilt:\n%s\nstored:\n%s", a, b)
	}
}
