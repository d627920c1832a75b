package metrics

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// repo is the repository root, from this package's directory.
const repo = "../.."

type rule struct {
	Alert       string            `json:"alert"`
	Record      string            `json:"record"`
	Expr        string            `json:"expr"`
	For         string            `json:"for"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

type ruleGroups struct {
	Groups []struct {
		Name  string `json:"name"`
		Rules []rule `json:"rules"`
	} `json:"groups"`
}

// prometheusRule reads config/prometheus/prometheus_rule.yaml and returns its spec as the rule
// file Prometheus and promtool read.
func prometheusRule(t *testing.T) (ruleGroups, []byte) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repo, "config/prometheus/prometheus_rule.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var obj struct {
		APIVersion string          `json:"apiVersion"`
		Kind       string          `json:"kind"`
		Metadata   json.RawMessage `json:"metadata"`
		Spec       json.RawMessage `json:"spec"`
	}
	if err := yaml.UnmarshalStrict(raw, &obj); err != nil {
		t.Fatalf("prometheus_rule.yaml: %v", err)
	}
	if obj.APIVersion != "monitoring.coreos.com/v1" || obj.Kind != "PrometheusRule" {
		t.Fatalf("prometheus_rule.yaml is a %s %s, want a monitoring.coreos.com/v1 PrometheusRule", obj.APIVersion, obj.Kind)
	}
	var groups ruleGroups
	if err := yaml.UnmarshalStrict(obj.Spec, &groups); err != nil {
		t.Fatalf("PrometheusRule spec: %v", err)
	}
	file, err := yaml.JSONToYAML(obj.Spec)
	if err != nil {
		t.Fatal(err)
	}
	return groups, file
}

func alerts(groups ruleGroups) []rule {
	var out []rule
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			if r.Alert != "" {
				out = append(out, r)
			}
		}
	}
	return out
}

// promtool is bin/promtool, built by hack/build-promtool.sh (make test builds it first).
func promtool(t *testing.T) string { return builtTool(t, "promtool") }

// builtTool is bin/NAME, one of the tools hack/build-promtool.sh builds; missing, it fails the
// test unless -short.
func builtTool(t *testing.T, name string) string {
	t.Helper()
	path, err := filepath.Abs(filepath.Join(repo, "bin", name))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		if testing.Short() {
			t.Skipf("bin/%s not built (hack/build-promtool.sh)", name)
		}
		t.Fatalf("bin/%s is missing: run hack/build-promtool.sh (make test does): %v", name, err)
	}
	return path
}

// TestRulesWithPromtool runs `promtool check rules` on the PrometheusRule's spec and `promtool
// test rules` on every unit test in config/prometheus/tests.
func TestRulesWithPromtool(t *testing.T) {
	tool := promtool(t)
	_, file := prometheusRule(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "backfill.rules.yaml"), file, 0o644); err != nil {
		t.Fatal(err)
	}
	tests, err := filepath.Glob(filepath.Join(repo, "config/prometheus/tests/*.yaml"))
	if err != nil || len(tests) == 0 {
		t.Fatalf("no rule unit tests in config/prometheus/tests (%v)", err)
	}
	args := []string{"test", "rules"}
	for _, src := range tests {
		raw, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, filepath.Base(src))
		if err := os.WriteFile(dst, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, dst)
	}
	for _, cmd := range [][]string{{"check", "rules", filepath.Join(dir, "backfill.rules.yaml")}, args} {
		out, err := exec.Command(tool, cmd...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(cmd[:2], " "), err, out)
		}
	}
}

type ruleTests struct {
	RuleFiles []string `json:"rule_files"`
	Tests     []struct {
		AlertRuleTests []struct {
			Alertname string           `json:"alertname"`
			ExpAlerts []map[string]any `json:"exp_alerts"`
		} `json:"alert_rule_test"`
	} `json:"tests"`
}

// TestEveryAlertFiresAndStaysSilentInATest: each alert has a unit test in which it fires and
// one in which it does not, and nothing tests an alert that does not exist.
func TestEveryAlertFiresAndStaysSilentInATest(t *testing.T) {
	groups, _ := prometheusRule(t)
	fires, silent := map[string]bool{}, map[string]bool{}
	files, _ := filepath.Glob(filepath.Join(repo, "config/prometheus/tests/*.yaml"))
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var rt ruleTests
		if err := yaml.Unmarshal(raw, &rt); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !slices.Equal(rt.RuleFiles, []string{"backfill.rules.yaml"}) {
			t.Errorf("%s: rule_files = %v, want [backfill.rules.yaml] (the PrometheusRule's spec)", f, rt.RuleFiles)
		}
		for _, tc := range rt.Tests {
			for _, a := range tc.AlertRuleTests {
				if len(a.ExpAlerts) > 0 {
					fires[a.Alertname] = true
				} else {
					silent[a.Alertname] = true
				}
			}
		}
	}
	names := map[string]bool{}
	for _, a := range alerts(groups) {
		names[a.Alert] = true
		if !fires[a.Alert] {
			t.Errorf("no unit test in which %s fires", a.Alert)
		}
		if !silent[a.Alert] {
			t.Errorf("no unit test in which %s stays silent", a.Alert)
		}
	}
	for name := range fires {
		if !names[name] {
			t.Errorf("tests expect alert %s, which the PrometheusRule does not define", name)
		}
	}
}

// TestAlertsAreActionable: every alert has a severity, a summary, a description that says what
// to do, and a runbook link to a section that exists in docs/observability.md.
func TestAlertsAreActionable(t *testing.T) {
	groups, _ := prometheusRule(t)
	anchors := docAnchors(t)
	as := alerts(groups)
	if len(as) < 13 {
		t.Errorf("%d alerts, want at least the 13 the issue lists", len(as))
	}
	const prefix = "https://github.com/ooheynerds/backfill-operator/blob/main/docs/observability.md#"
	for _, a := range as {
		if !slices.Contains([]string{"info", "warning", "critical"}, a.Labels["severity"]) {
			t.Errorf("%s: severity %q, want info, warning or critical", a.Alert, a.Labels["severity"])
		}
		for _, k := range []string{"summary", "description", "runbook_url"} {
			if strings.TrimSpace(a.Annotations[k]) == "" {
				t.Errorf("%s has no %s", a.Alert, k)
			}
		}
		url := a.Annotations["runbook_url"]
		anchor, ok := strings.CutPrefix(url, prefix)
		if !ok || !anchors[anchor] {
			t.Errorf("%s: runbook_url %q is not a section of docs/observability.md", a.Alert, url)
		}
	}
}

var heading = regexp.MustCompile(`(?m)^#{1,6} (.+)$`)

// docAnchors are the GitHub anchors of docs/observability.md's headings.
func docAnchors(t *testing.T) map[string]bool {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repo, "docs/observability.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, m := range heading.FindAllStringSubmatch(string(raw), -1) {
		out[githubAnchor(m[1])] = true
	}
	return out
}

func githubAnchor(title string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(title)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteRune('-')
		}
	}
	return b.String()
}
