package integration

import (
	"context"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
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
	ns := env.NewNamespace(t, "valid")
	obj := campaignFromYAML(t, strings.Replace(valid, "NAME", "ok", 1), ns)
	// dry run: the API server validates fully but stores nothing, so no later test's manager
	// has to plan these campaigns
	if err := env.Client.Create(ctx, obj, client.DryRunAll); err != nil {
		t.Fatalf("the reference campaign was rejected: %v", err)
	}
}

// TestValidRerunsAreAccepted: every selector a user may write, and the default state filled in.
func TestValidRerunsAreAccepted(t *testing.T) {
	ctx := context.Background()
	ns := env.NewNamespace(t, "valid-reruns")
	obj := campaignFromYAML(t, strings.Replace(valid, "NAME", "reruns", 1)+`
  reruns:
  - name: failed-after-outage
  - name: poor-2021
    states: [Failed, Completed]
    phases: [recent]
    from: {year: 2021, month: 1}
    to: {year: 2021, month: 12}
    resolutionRateBelow: 80
    booksFewerThan: 5
  - name: one-month
    states: [Completed]
    from: {year: 2020, month: 7}
    to: {year: 2020, month: 7}
    booksFewerThan: 1
`, ns)
	if err := env.Client.Create(ctx, obj, client.DryRunAll); err != nil {
		t.Fatalf("valid reruns were rejected: %v", err)
	}
	reruns, _, _ := unstructured.NestedSlice(obj.Object, "spec", "reruns")
	if len(reruns) != 3 {
		t.Fatalf("reruns = %v", reruns)
	}
	states, _, _ := unstructured.NestedStringSlice(reruns[0].(map[string]any), "states")
	var want []string
	for _, s := range v1alpha1.DefaultRerunStates {
		want = append(want, string(s))
	}
	if !slices.Equal(states, want) || !slices.Equal(want, []string{"Failed"}) {
		t.Fatalf("a rerun without states selects %v; the API's default and DefaultRerunStates (%v) must both be [Failed]", states, want)
	}
}

func TestInvalidCampaignsAreRejectedWithAMessageThatSaysWhatToFix(t *testing.T) {
	ctx := context.Background()
	ns := env.NewNamespace(t, "invalid")
	tests := []struct {
		name    string
		edit    func(spec map[string]any)
		rename  string
		message string // the field path and the gist, as the user reads them
	}{
		{"year before 1900", func(s map[string]any) { phase(s, 0)["years"] = map[string]any{"from": 1899, "to": 2020} }, "",
			"spec.phases[0].years.from: Invalid value: 1899: spec.phases[0].years.from in body should be greater than or equal to 1900"},
		{"year after 2100", func(s map[string]any) { phase(s, 0)["years"] = map[string]any{"from": 2020, "to": 2101} }, "",
			"should be less than or equal to 2100"},
		{"years reversed", func(s map[string]any) { phase(s, 0)["years"] = map[string]any{"from": 2020, "to": 2019} }, "",
			"spec.phases[0].years: Invalid value: \"object\": years.from must not be after years.to: swap them (from is the earlier year)"},
		{"years as strings", func(s map[string]any) { phase(s, 0)["years"] = map[string]any{"from": "2020", "to": 2020} }, "",
			"spec.phases[0].years.from: Invalid value: \"string\": spec.phases[0].years.from in body must be of type integer"},
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
		}, "", "spec.phases: Too many: 11: must have at most 10 items"},
		{"overlapping phases", func(s map[string]any) { phase(s, 1)["years"] = map[string]any{"from": 2020, "to": 2022} }, "",
			"spec.phases: Invalid value: \"array\": phase validate shares months with another phase"},
		{"overlapping month ranges of one year", func(s map[string]any) {
			phase(s, 0)["months"] = map[string]any{"from": 1, "to": 6}
			phase(s, 1)["years"] = map[string]any{"from": 2020, "to": 2020}
			phase(s, 1)["months"] = map[string]any{"from": 6, "to": 12}
		}, "", "spec.phases: Invalid value: \"array\": phase recent shares months with another phase"},
		{"duplicate phase names", func(s map[string]any) { phase(s, 1)["name"] = "validate" }, "",
			`spec.phases[1]: Duplicate value: {"name":"validate"}`},
		{"phase name not a DNS label", func(s map[string]any) { phase(s, 0)["name"] = "Validate_2020" }, "",
			`spec.phases[0].name: Invalid value: "Validate_2020": must be a phase name`},
		{"phase name ending in a dash", func(s map[string]any) { phase(s, 0)["name"] = "validate-" }, "",
			`spec.phases[0].name: Invalid value: "validate-": must be a phase name`},
		{"phase name too long", func(s map[string]any) { phase(s, 0)["name"] = strings.Repeat("p", 41) }, "",
			"spec.phases[0].name: Too long: may not be more than 40 bytes"},
		{"zero months per day", func(s map[string]any) { phase(s, 0)["monthsPerDay"] = 0 }, "",
			"spec.phases[0].monthsPerDay in body should be greater than or equal to 1"},
		{"zero concurrency", func(s map[string]any) { phase(s, 0)["maxConcurrent"] = 0 }, "",
			"spec.phases[0].maxConcurrent in body should be greater than or equal to 1"},
		{"concurrency over 100", func(s map[string]any) { phase(s, 0)["maxConcurrent"] = 101 }, "",
			"spec.phases[0].maxConcurrent in body should be less than or equal to 100"},
		{"unknown approval", func(s map[string]any) { phase(s, 1)["approval"] = "Auto" }, "",
			`spec.phases[1].approval: Unsupported value: "Auto": supported values: "Automatic", "Manual"`},
		{"negative failed months", func(s map[string]any) { phase(s, 0)["gate"] = map[string]any{"maxFailedMonths": -1} }, "",
			"spec.phases[0].gate.maxFailedMonths in body should be greater than or equal to 0"},
		{"zero attempts", func(s map[string]any) { s["retry"] = map[string]any{"maxAttempts": 0} }, "",
			"spec.retry.maxAttempts in body should be greater than or equal to 1"},
		{"six attempts", func(s map[string]any) { s["retry"] = map[string]any{"maxAttempts": 6} }, "",
			"spec.retry.maxAttempts in body should be less than or equal to 5"},
		{"gate over 100%", func(s map[string]any) { phase(s, 0)["gate"] = map[string]any{"minResolutionRate": 101} }, "",
			"spec.phases[0].gate.minResolutionRate in body should be less than or equal to 100"},
		{"unknown mode", func(s map[string]any) { s["mode"] = "DryRun" }, "",
			`spec.mode: Unsupported value: "DryRun": supported values: "Live", "Experiment", "Plan"`},
		{"unknown order", func(s map[string]any) { s["order"] = "Random" }, "",
			`spec.order: Unsupported value: "Random"`},
		{"unknown prompt variant", func(s map[string]any) { s["promptVariant"] = "annual" }, "",
			`spec.promptVariant: Unsupported value: "annual"`},
		{"books per month over 100", func(s map[string]any) { s["booksPerMonth"] = 500 }, "",
			"spec.booksPerMonth in body should be less than or equal to 100"},
		{"negative month age", func(s map[string]any) { s["minMonthAge"] = -1 }, "",
			"spec.minMonthAge in body should be greater than or equal to 0"},
		{"negative budget", func(s map[string]any) { s["budget"] = map[string]any{"isbndbCallsPerDay": -5} }, "",
			"spec.budget.isbndbCallsPerDay in body should be greater than or equal to 0"},
		// Durations: parseable, positive, bounded.
		{"pending deadline not a duration", func(s map[string]any) { s["job"] = map[string]any{"pendingDeadline": "abc"} }, "",
			`spec.job.pendingDeadline: Invalid value: "abc": must be a Go duration such as 90s, 15m or 2h`},
		{"running deadline with a space", func(s map[string]any) { s["job"] = map[string]any{"runningDeadline": "1 h"} }, "",
			`spec.job.runningDeadline: Invalid value: "1 h": must be a Go duration`},
		{"negative backoff", func(s map[string]any) { s["retry"] = map[string]any{"backoffBase": "-5m"} }, "",
			`spec.retry.backoffBase: Invalid value: "-5m": must be a Go duration`},
		{"zero pending deadline", func(s map[string]any) { s["job"] = map[string]any{"pendingDeadline": "0s"} }, "",
			"spec.job.pendingDeadline: Invalid value: \"0s\": must be between 10s and 24h"},
		{"running deadline of a week", func(s map[string]any) { s["job"] = map[string]any{"runningDeadline": "168h"} }, "",
			"spec.job.runningDeadline: Invalid value: \"168h\": must be between 10s and 48h"},
		{"duration in days", func(s map[string]any) { s["retry"] = map[string]any{"backoffCap": "2d"} }, "",
			`spec.retry.backoffCap: Invalid value: "2d": must be a Go duration such as 30m, 2h or 24h`},
		{"duration as a number", func(s map[string]any) { s["job"] = map[string]any{"pendingDeadline": 900} }, "",
			"spec.job.pendingDeadline: Invalid value: \"integer\": spec.job.pendingDeadline in body must be of type string"},
		{"backoff cap below its base", func(s map[string]any) { s["retry"] = map[string]any{"backoffBase": "1h", "backoffCap": "10m"} }, "",
			"spec.retry.backoffCap: Invalid value: \"object\": backoffCap must not be shorter than backoffBase"},
		{"model timeout too long", func(s map[string]any) { s["generators"].(map[string]any)["timeout"] = "2h" }, "",
			"spec.generators.timeout: Invalid value: \"2h\": must be between 1s and 30m"},
		// The Job's shape.
		{"label key with spaces", func(s map[string]any) { s["job"] = map[string]any{"labels": map[string]any{"team name": "books"}} }, "",
			"spec.job.labels: Invalid value: \"object\": label keys must be valid Kubernetes label keys"},
		{"label key name over 63", func(s map[string]any) {
			s["job"] = map[string]any{"labels": map[string]any{"example.com/" + strings.Repeat("k", 64): "v"}}
		}, "", "label keys must be valid Kubernetes label keys"},
		{"label key with two slashes", func(s map[string]any) { s["job"] = map[string]any{"labels": map[string]any{"a/b/c": "v"}} }, "",
			"label keys must be valid Kubernetes label keys"},
		{"label value with a slash", func(s map[string]any) { s["job"] = map[string]any{"labels": map[string]any{"team": "books/history"}} }, "",
			`spec.job.labels[team]: Invalid value: "books/history": label values must be at most 63 letters`},
		{"label value too long", func(s map[string]any) {
			s["job"] = map[string]any{"labels": map[string]any{"team": strings.Repeat("v", 64)}}
		}, "",
			"spec.job.labels.team: Too long: may not be more than 63 bytes"},
		{"operator's managed-by label", func(s map[string]any) {
			s["job"] = map[string]any{"labels": map[string]any{"app.kubernetes.io/managed-by": "argocd"}}
		}, "", "spec.job.labels: Invalid value: \"object\": labels must not use the keys the operator and the Job controller set"},
		{"operator's own label prefix", func(s map[string]any) {
			s["job"] = map[string]any{"labels": map[string]any{"alexandria.ooheynerds.com/campaign": "other"}}
		}, "", "labels must not use the keys the operator and the Job controller set"},
		{"Job controller's label", func(s map[string]any) {
			s["job"] = map[string]any{"labels": map[string]any{"batch.kubernetes.io/job-name": "x"}}
		}, "", "labels must not use the keys the operator and the Job controller set"},
		{"pull policy outside the enum", func(s map[string]any) { s["job"] = map[string]any{"imagePullPolicy": "Sometimes"} }, "",
			`spec.job.imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"`},
		{"service account with upper case", func(s map[string]any) { s["job"] = map[string]any{"serviceAccountName": "Backfill_Worker"} }, "",
			`spec.job.serviceAccountName: Invalid value: "Backfill_Worker": must be a service account name`},
		{"image with whitespace", func(s map[string]any) {
			s["job"] = map[string]any{"image": "registry.example.com/backfill operator:v1"}
		}, "",
			`spec.job.image: Invalid value: "registry.example.com/backfill operator:v1": must be an image reference`},
		{"image with a newline", func(s map[string]any) { s["job"] = map[string]any{"image": "backfill:v1\n"} }, "",
			"spec.job.image: Invalid value: \"backfill:v1\\n\": must be an image reference"},
		{"negative cpu request", func(s map[string]any) {
			s["job"] = map[string]any{"resources": map[string]any{"requests": map[string]any{"cpu": "-100m"}}}
		}, "", "spec.job.resources.requests: Invalid value: \"object\": requests must be non-negative quantities"},
		{"zero memory limit", func(s map[string]any) {
			s["job"] = map[string]any{"resources": map[string]any{"limits": map[string]any{"memory": "0"}}}
		}, "", "spec.job.resources.limits: Invalid value: \"object\": limits must be positive quantities"},
		{"quantity that is no quantity", func(s map[string]any) {
			s["job"] = map[string]any{"resources": map[string]any{"limits": map[string]any{"memory": "lots"}}}
		}, "", "spec.job.resources.limits.memory"},
		{"request above its limit", func(s map[string]any) {
			s["job"] = map[string]any{"resources": map[string]any{"requests": map[string]any{"memory": "1Gi"}, "limits": map[string]any{"memory": "512Mi"}}}
		}, "", "spec.job.resources.requests: Invalid value: \"object\": a resource request must not exceed its limit"},
		{"negative TTL", func(s map[string]any) { s["job"] = map[string]any{"ttlSecondsAfterFinished": -1} }, "",
			"spec.job.ttlSecondsAfterFinished in body should be greater than or equal to 0"},
		// Secrets by reference only.
		{"API key as the secret name", func(s map[string]any) {
			s["generators"] = map[string]any{"gemini": map[string]any{"apiKeySecretRef": map[string]any{"name": "AIzaSyD" + strings.Repeat("x", 33), "key": "k"}}}
		}, "", "spec.generators.gemini.apiKeySecretRef.name: Invalid value: name looks like an API key itself"},
		{"ISBNdb-shaped key as the secret key", func(s map[string]any) {
			s["resolver"] = map[string]any{"isbndb": map[string]any{"apiKeySecretRef": map[string]any{"name": "isbndb", "key": "48291_a8F3kLm29QzXvB7nP4tR6wY1cE5uH0"}}}
		}, "", "spec.resolver.isbndb.apiKeySecretRef.key: Invalid value: key looks like a secret value"},
		{"lower-case hex key as the secret key", func(s map[string]any) {
			s["resolver"] = map[string]any{"googleBooks": map[string]any{"apiKeySecretRef": map[string]any{"name": "google", "key": "9f8e7d6c5b4a39281706f5e4d3c2b1a0"}}}
		}, "", "spec.resolver.googleBooks.apiKeySecretRef.key: Invalid value: key looks like a secret value"},
		{"lower-case hex key as the secret name", func(s map[string]any) {
			s["resolver"] = map[string]any{"isbndb": map[string]any{"apiKeySecretRef": map[string]any{"name": "a9f8e7d6c5b4a39281706f5e4d3c2b1a", "key": "key"}}}
		}, "", "spec.resolver.isbndb.apiKeySecretRef.name: Invalid value: name looks like an API key itself"},
		{"UUID-shaped key as the secret key", func(s map[string]any) {
			s["resolver"] = map[string]any{"isbndb": map[string]any{"apiKeySecretRef": map[string]any{"name": "isbndb", "key": "550e8400-e29b-41d4-a716-446655440000"}}}
		}, "", "key looks like a secret value"},
		{"xAI key as the secret key", func(s map[string]any) {
			s["generators"] = map[string]any{"xai": map[string]any{"apiKeySecretRef": map[string]any{"name": "llm", "key": "xai-" + strings.Repeat("q", 40)}}}
		}, "", "spec.generators.xai.apiKeySecretRef.key: Invalid value: key looks like a secret value"},
		{"connection string as the secret key", func(s map[string]any) {
			s["job"] = map[string]any{"databaseSecretRef": map[string]any{"name": "db", "key": "postgres://user:pw@db:5432/alexandria"}}
		}, "", "spec.job.databaseSecretRef.key: Invalid value: \"string\": this is a connection string or URL, not a key name"},
		{"API key pasted as the model", func(s map[string]any) {
			s["generators"].(map[string]any)["gemini"].(map[string]any)["model"] = "AIzaSyD" + strings.Repeat("x", 33)
		}, "", "spec.generators.gemini.model: Invalid value: \"string\": looks like an API key, not a model name"},
		{"model with a space", func(s map[string]any) { s["generators"].(map[string]any)["xai"].(map[string]any)["model"] = "grok 4" }, "",
			`spec.generators.xai.model: Invalid value: "grok 4": must be a model name`},
		{"literal key instead of a reference", func(s map[string]any) {
			s["generators"] = map[string]any{"xai": map[string]any{"apiKeySecretRef": "xai-123456"}}
		}, "", `spec.generators.xai.apiKeySecretRef: Invalid value: "string": spec.generators.xai.apiKeySecretRef in body must be of type object`},
		// URLs.
		{"base URL without scheme", func(s map[string]any) {
			s["generators"] = map[string]any{"gemini": map[string]any{"baseURL": "generativelanguage.googleapis.com"}}
		}, "", `spec.generators.gemini.baseURL: Invalid value: "generativelanguage.googleapis.com": must start with http:// or https://`},
		{"base URL with ftp", func(s map[string]any) {
			s["resolver"] = map[string]any{"loc": map[string]any{"baseURL": "ftp://lx2.loc.gov/sru"}}
		}, "",
			`spec.resolver.loc.baseURL: Invalid value: "ftp://lx2.loc.gov/sru": must start with http:// or https://`},
		{"base URL with credentials", func(s map[string]any) {
			s["resolver"] = map[string]any{"isbndb": map[string]any{"baseURL": "https://user:secret@api2.isbndb.com"}}
		}, "", "spec.resolver.isbndb.baseURL: Invalid value: \"string\": must not carry credentials"},
		{"base URL with a key query", func(s map[string]any) {
			s["resolver"] = map[string]any{"googleBooks": map[string]any{"baseURL": "https://www.googleapis.com/books/v1?key=AIzaSyD123"}}
		}, "", "spec.resolver.googleBooks.baseURL: Invalid value: \"string\": must not have a query string or fragment"},
		{"base URL with CR/LF header injection", func(s map[string]any) {
			s["generators"] = map[string]any{"xai": map[string]any{"baseURL": "https://api.x.ai/v1\r\nX-Injected: 1"}}
		}, "", "spec.generators.xai.baseURL: Invalid value: \"string\": must not contain spaces, line breaks or control characters"},
		{"base URL without a host", func(s map[string]any) {
			s["resolver"] = map[string]any{"wikidata": map[string]any{"baseURL": "https:///sparql"}}
		}, "",
			"spec.resolver.wikidata.baseURL: Invalid value: \"string\": must name a host"},
		{"approval of a phase that does not exist", func(s map[string]any) { s["approvedPhases"] = []any{"history"} }, "",
			"spec.approvedPhases: Invalid value: \"array\": approvedPhases lists history, which is not a phase of this campaign"},
		{"source listed twice", func(s map[string]any) {
			s["resolver"] = map[string]any{"sources": []any{"isbndb", "openlibrary", "isbndb"}}
		}, "", "resolver.sources lists a source twice: name each source once, in the order to try them"},
		{"unknown source", func(s map[string]any) { s["resolver"] = map[string]any{"sources": []any{"goodreads"}} }, "",
			`Unsupported value: "goodreads"`},
		{"requests per second over 100", func(s map[string]any) {
			s["resolver"] = map[string]any{"openLibrary": map[string]any{"requestsPerSecond": 1000}}
		}, "",
			"spec.resolver.openLibrary.requestsPerSecond in body should be less than or equal to 100"},
		{"rerun range reversed", func(s map[string]any) {
			s["reruns"] = []any{map[string]any{"name": "r", "from": map[string]any{"year": 2021, "month": 3}, "to": map[string]any{"year": 2021, "month": 2}}}
		}, "", "spec.reruns[0]: Invalid value: \"object\": from must not be after to: swap them"},
		{"rerun month 13", func(s map[string]any) {
			s["reruns"] = []any{map[string]any{"name": "r", "to": map[string]any{"year": 2021, "month": 13}}}
		}, "", "spec.reruns[0].to.month in body should be less than or equal to 12"},
		{"rerun year before 1900", func(s map[string]any) {
			s["reruns"] = []any{map[string]any{"name": "r", "from": map[string]any{"year": 1899, "month": 1}}}
		}, "", "spec.reruns[0].from.year in body should be greater than or equal to 1900"},
		{"rerun month without its year", func(s map[string]any) {
			s["reruns"] = []any{map[string]any{"name": "r", "from": map[string]any{"month": 1}}}
		}, "", "spec.reruns[0].from.year: Required value"},
		{"rerun of a phase that does not exist", func(s map[string]any) {
			s["reruns"] = []any{map[string]any{"name": "ok"}, map[string]any{"name": "typo", "phases": []any{"validate", "recnet"}}}
		}, "", "spec.reruns: Invalid value: \"array\": a rerun selects a phase that is not in spec.phases: list only names from spec.phases in reruns[].phases"},
		{"rerun of months still pending", func(s map[string]any) {
			s["reruns"] = []any{map[string]any{"name": "r", "states": []any{"Pending"}}}
		}, "", "spec.reruns[0].states: Invalid value: \"array\": a rerun selects finished months only: list Failed and/or Completed"},
		{"rerun state listed twice", func(s map[string]any) {
			s["reruns"] = []any{map[string]any{"name": "r", "states": []any{"Failed", "Failed"}}}
		}, "", "states lists a state twice"},
		{"rerun with no state", func(s map[string]any) {
			s["reruns"] = []any{map[string]any{"name": "r", "states": []any{}}}
		}, "", "spec.reruns[0].states: Invalid value: 0: spec.reruns[0].states in body should have at least 1 items"},
		{"rerun of an unknown state", func(s map[string]any) {
			s["reruns"] = []any{map[string]any{"name": "r", "states": []any{"Broken"}}}
		}, "", `spec.reruns[0].states[0]: Unsupported value: "Broken"`},
		{"duplicate rerun names", func(s map[string]any) {
			s["reruns"] = []any{map[string]any{"name": "again"}, map[string]any{"name": "again", "states": []any{"Completed"}}}
		}, "", `spec.reruns[1]: Duplicate value: {"name":"again"}`},
		{"rerun name not a DNS label", func(s map[string]any) {
			s["reruns"] = []any{map[string]any{"name": "Retry Failed"}}
		}, "", `spec.reruns[0].name: Invalid value: "Retry Failed": must be a rerun name`},
		{"rerun without a name", func(s map[string]any) {
			s["reruns"] = []any{map[string]any{"states": []any{"Failed"}}}
		}, "", "spec.reruns[0].name: Required value"},
		{"quality bar on failed months only", func(s map[string]any) {
			s["reruns"] = []any{map[string]any{"name": "poor", "resolutionRateBelow": 80}}
		}, "", "spec.reruns[0]: Invalid value: \"object\": resolutionRateBelow and booksFewerThan judge the results of Completed months: add Completed to states"},
		{"rerun rate over 100%", func(s map[string]any) {
			s["reruns"] = []any{map[string]any{"name": "poor", "states": []any{"Completed"}, "resolutionRateBelow": 101}}
		}, "", "spec.reruns[0].resolutionRateBelow in body should be less than or equal to 100"},
		{"rerun of fewer than zero books", func(s map[string]any) {
			s["reruns"] = []any{map[string]any{"name": "thin", "states": []any{"Completed"}, "booksFewerThan": 0}}
		}, "", "spec.reruns[0].booksFewerThan in body should be greater than or equal to 1"},
		{"seventeen reruns", func(s map[string]any) {
			var rs []any
			for i := 0; i < 17; i++ {
				rs = append(rs, map[string]any{"name": "r" + string(rune('a'+i))})
			}
			s["reruns"] = rs
		}, "", "spec.reruns: Too many: 17: must have at most 16 items"},
		{"priority beyond 1000", func(s map[string]any) { s["priority"] = 1001 }, "",
			"spec.priority in body should be less than or equal to 1000"},
		{"priority class not a name", func(s map[string]any) { s["job"] = map[string]any{"priorityClassName": "Backfill Low"} }, "",
			"spec.job.priorityClassName: Invalid value: \"string\": must be the name of a PriorityClass"},
		{"budget reference not a name", func(s map[string]any) {
			s["budget"] = map[string]any{"budgetRef": map[string]any{"name": "ISBNdb Account"}}
		}, "",
			"spec.budget.budgetRef.name: Invalid value: \"string\": must be the name of a BackfillBudget"},
		{"name too long for Job names", func(s map[string]any) {}, strings.Repeat("c", 53),
			"metadata.name is too long for a campaign: at most 52 characters"},
	}
	if len(tests) < 60 {
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
			assertRejected(t, ctx, obj, tc.message)
		})
	}
}

func TestMonthIdentityIsImmutable(t *testing.T) {
	ctx := context.Background()
	ns := env.NewNamespace(t, "immutable")
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
	err := env.Client.Update(ctx, obj)
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

// assertRejected creates obj by dry run and checks the API server refuses it with the message.
func assertRejected(t *testing.T, ctx context.Context, obj *unstructured.Unstructured, message string) {
	t.Helper()
	err := env.Client.Create(ctx, obj, client.DryRunAll)
	if err == nil {
		t.Fatalf("the API server accepted an invalid %s (want %q)", obj.GetKind(), message)
	}
	assertRejection(t, err, message)
}

// assertRejection checks that the API server's message names the field ("spec.job.image: ...")
// and says what is wrong. A "PATH: Invalid value: KIND: GIST" expectation matches whatever the
// server prints for the value (a quoted string, or nothing for CEL rules on objects).
func assertRejection(t *testing.T, err error, want string) {
	t.Helper()
	got := err.Error()
	for _, kind := range []string{`"object": `, `"string": `, `"array": `} {
		if path, gist, ok := strings.Cut(want, ": Invalid value: "+kind); ok {
			if !strings.Contains(got, path+": Invalid value: ") || !strings.Contains(got, gist) {
				t.Fatalf("rejected with:\n  %v\nwant the field %s and a message containing:\n  %s", err, path, gist)
			}
			return
		}
	}
	if !strings.Contains(got, want) {
		t.Fatalf("rejected with:\n  %v\nwant a message containing:\n  %s", err, want)
	}
}
