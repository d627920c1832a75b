package integration

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// valid is a campaign the API accepts; each case below breaks one thing in it.
const valid = `
apiVersion: alexandria.ooheynerds.com/v1alpha1
kind: BackfillCampaign
metadata:
  name: NAME
spec:
  phases:
  - name: validate
    years: {from: 2020, to: 2020}
    monthsPerDay: 5
    maxConcurrent: 2
    gate: {minResolutionRate: 90}
  - name: recent
    years: {from: 2021, to: 2023}
    monthsPerDay: 15
    maxConcurrent: 5
  generators:
    gemini:
      apiKeySecretRef: {name: llm-keys, key: gemini}
    xai:
      apiKeySecretRef: {name: llm-keys, key: xai-api-key}
`

func TestValidCampaignIsAccepted(t *testing.T) {
	ctx := context.Background()
	ns, err := env.Namespace(ctx, "valid")
	if err != nil {
		t.Fatal(err)
	}
	obj := campaignFromYAML(t, strings.Replace(valid, "NAME", "ok", 1), ns)
	if err := env.Client.Create(ctx, obj); err != nil {
		t.Fatalf("the reference campaign was rejected: %v", err)
	}
}

func TestInvalidCampaignsAreRejectedWithAMessageThatSaysWhatToFix(t *testing.T) {
	ctx := context.Background()
	ns, err := env.Namespace(ctx, "invalid")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		edit    func(spec map[string]any)
		rename  string
		message string
	}{
		{"year before 1900", func(s map[string]any) { phase(s, 0)["years"] = map[string]any{"from": 1899, "to": 2020} }, "",
			"spec.phases[0].years.from: Invalid value: 1899: spec.phases[0].years.from in body should be greater than or equal to 1900"},
		{"year after 2100", func(s map[string]any) { phase(s, 0)["years"] = map[string]any{"from": 2020, "to": 2101} }, "",
			"should be less than or equal to 2100"},
		{"years reversed", func(s map[string]any) { phase(s, 0)["years"] = map[string]any{"from": 2020, "to": 2019} }, "",
			"years.from must not be after years.to: swap them (from is the earlier year)"},
		{"month 13", func(s map[string]any) { phase(s, 0)["months"] = map[string]any{"from": 1, "to": 13} }, "",
			"spec.phases[0].months.to in body should be less than or equal to 12"},
		{"month 0", func(s map[string]any) { phase(s, 0)["months"] = map[string]any{"from": 0, "to": 3} }, "",
			"spec.phases[0].months.from in body should be greater than or equal to 1"},
		{"months reversed", func(s map[string]any) { phase(s, 0)["months"] = map[string]any{"from": 11, "to": 2} }, "",
			"months.from must not be after months.to: a month range cannot wrap around the year end"},
		{"no phases", func(s map[string]any) { s["phases"] = []any{} }, "",
			"spec.phases: Invalid value: 0: spec.phases in body should have at least 1 items"},
		{"phases missing", func(s map[string]any) { delete(s, "phases") }, "",
			"spec.phases: Required value"},
		{"eleven phases", func(s map[string]any) {
			var ps []any
			for i := 0; i < 11; i++ {
				ps = append(ps, map[string]any{"name": "p" + string(rune('a'+i)), "years": map[string]any{"from": 2000 + i, "to": 2000 + i}, "monthsPerDay": 1, "maxConcurrent": 1})
			}
			s["phases"] = ps
		}, "", "must have at most 10 items"},
		{"overlapping phases", func(s map[string]any) { phase(s, 1)["years"] = map[string]any{"from": 2019, "to": 2021} }, "",
			"phases overlap: each month may belong to one phase only, so make the phases' year (or month) ranges disjoint"},
		{"duplicate phase names", func(s map[string]any) {
			phase(s, 1)["name"] = "validate"
		}, "", "phase names must be unique: rename the duplicate phase"},
		{"phase name not a DNS label", func(s map[string]any) { phase(s, 0)["name"] = "Validate_2020" }, "",
			`spec.phases[0].name in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'`},
		{"cadence zero", func(s map[string]any) { phase(s, 0)["monthsPerDay"] = 0 }, "",
			"spec.phases[0].monthsPerDay in body should be greater than or equal to 1"},
		{"cadence too high", func(s map[string]any) { phase(s, 0)["monthsPerDay"] = 5000 }, "",
			"spec.phases[0].monthsPerDay in body should be less than or equal to 1000"},
		{"concurrency zero", func(s map[string]any) { phase(s, 0)["maxConcurrent"] = 0 }, "",
			"spec.phases[0].maxConcurrent in body should be greater than or equal to 1"},
		{"concurrency too high", func(s map[string]any) { phase(s, 0)["maxConcurrent"] = 101 }, "",
			"spec.phases[0].maxConcurrent in body should be less than or equal to 100"},
		{"six attempts", func(s map[string]any) { s["retry"] = map[string]any{"maxAttempts": 6} }, "",
			"spec.retry.maxAttempts in body should be less than or equal to 5"},
		{"zero attempts", func(s map[string]any) { s["retry"] = map[string]any{"maxAttempts": 0} }, "",
			"spec.retry.maxAttempts in body should be greater than or equal to 1"},
		{"gate over 100%", func(s map[string]any) { phase(s, 0)["gate"] = map[string]any{"minResolutionRate": 101} }, "",
			"spec.phases[0].gate.minResolutionRate in body should be less than or equal to 100"},
		{"unknown mode", func(s map[string]any) { s["mode"] = "DryRun" }, "",
			`spec.mode: Unsupported value: "DryRun": supported values: "Live", "Experiment", "Plan"`},
		{"unknown prompt variant", func(s map[string]any) { s["promptVariant"] = "annual" }, "",
			`spec.promptVariant: Unsupported value: "annual"`},
		{"books per month over 100", func(s map[string]any) { s["booksPerMonth"] = 500 }, "",
			"spec.booksPerMonth in body should be less than or equal to 100"},
		{"API key as the secret name", func(s map[string]any) {
			s["generators"] = map[string]any{"gemini": map[string]any{"apiKeySecretRef": map[string]any{"name": "AIzaSyD" + strings.Repeat("x", 33), "key": "k"}}}
		}, "", "this looks like an API key itself: put the key in a Secret and reference it here by the Secret's name and key"},
		{"API key as the secret key", func(s map[string]any) {
			s["resolver"] = map[string]any{"isbndb": map[string]any{"apiKeySecretRef": map[string]any{"name": "isbndb", "key": "48291_a8F3kLm29QzXvB7nP4tR6wY1cE5uH0"}}}
		}, "", "key looks like a secret value, not the name of a key in a Secret"},
		{"xAI key as the secret key", func(s map[string]any) {
			s["generators"] = map[string]any{"xai": map[string]any{"apiKeySecretRef": map[string]any{"name": "llm", "key": "xai-" + strings.Repeat("q", 40)}}}
		}, "", "this looks like an API key itself"},
		{"literal key instead of a reference", func(s map[string]any) {
			s["generators"] = map[string]any{"xai": map[string]any{"apiKeySecretRef": "xai-123456"}}
		}, "", `spec.generators.xai.apiKeySecretRef: Invalid value: "string": spec.generators.xai.apiKeySecretRef in body must be of type object`},
		{"approval of a phase that does not exist", func(s map[string]any) { s["approvedPhases"] = []any{"history"} }, "",
			"approvedPhases names a phase that does not exist: list only names from spec.phases"},
		{"source listed twice", func(s map[string]any) {
			s["resolver"] = map[string]any{"sources": []any{"isbndb", "openlibrary", "isbndb"}}
		}, "", "resolver.sources lists a source twice: name each source once, in the order to try them"},
		{"unknown source", func(s map[string]any) { s["resolver"] = map[string]any{"sources": []any{"goodreads"}} }, "",
			`Unsupported value: "goodreads"`},
		{"base URL without scheme", func(s map[string]any) {
			s["generators"] = map[string]any{"gemini": map[string]any{"baseURL": "generativelanguage.googleapis.com"}}
		}, "", `spec.generators.gemini.baseURL in body should match '^https?://'`},
		{"name too long for Job names", func(s map[string]any) {}, strings.Repeat("c", 53),
			"campaign name is too long: at most 52 characters, so that '<campaign>-YYYY-MM-aN' Job names fit in 63"},
	}
	if len(tests) < 20 {
		t.Fatalf("only %d invalid manifests", len(tests))
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := tc.rename
			if name == "" {
				name = "bad-" + string(rune('a'+i%26)) + strings.Repeat("x", i/26)
			}
			obj := campaignFromYAML(t, strings.Replace(valid, "NAME", name, 1), ns)
			spec := obj.Object["spec"].(map[string]any)
			tc.edit(spec)
			err := env.Client.Create(ctx, obj)
			if err == nil {
				t.Fatalf("the API server accepted an invalid campaign (%s)", tc.name)
			}
			if !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("rejected with:\n  %v\nwant a message containing:\n  %s", err, tc.message)
			}
		})
	}
}

func TestMonthIdentityIsImmutable(t *testing.T) {
	ctx := context.Background()
	ns, err := env.Namespace(ctx, "immutable")
	if err != nil {
		t.Fatal(err)
	}
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(`
apiVersion: alexandria.ooheynerds.com/v1alpha1
kind: BackfillMonth
metadata: {name: c-2020-01}
spec: {campaign: c, phase: p, year: 2020, month: 1, promptVariant: contemporary-notable, booksPerMonth: 20, suspend: true}
`), &obj.Object); err != nil {
		t.Fatal(err)
	}
	obj.SetNamespace(ns)
	if err := env.Client.Create(ctx, obj); err != nil {
		t.Fatal(err)
	}
	obj.Object["spec"].(map[string]any)["year"] = int64(2021)
	err = env.Client.Update(ctx, obj)
	want := "a month's campaign, year and month are its identity and cannot change: create another BackfillMonth instead"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("changing a month's year: err = %v, want %q", err, want)
	}
}

func campaignFromYAML(t *testing.T, doc, ns string) *unstructured.Unstructured {
	t.Helper()
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(doc), &obj.Object); err != nil {
		t.Fatal(err)
	}
	obj.SetNamespace(ns)
	return obj
}

func phase(spec map[string]any, i int) map[string]any {
	return spec["phases"].([]any)[i].(map[string]any)
}
