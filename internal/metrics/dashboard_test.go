package metrics

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/dev/builders"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

type target struct {
	RefID      string            `json:"refId"`
	Datasource map[string]string `json:"datasource"`
	Expr       string            `json:"expr"`
	RawSQL     string            `json:"rawSql"`
}

type panel struct {
	ID          int               `json:"id"`
	Type        string            `json:"type"`
	Title       string            `json:"title"`
	Description string            `json:"description"`
	Datasource  map[string]string `json:"datasource"`
	GridPos     struct{ X, Y, W, H int }
	Targets     []target `json:"targets"`
}

type dashboard struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []struct {
			Name       string            `json:"name"`
			Type       string            `json:"type"`
			Query      any               `json:"query"`
			Datasource map[string]string `json:"datasource"`
			Multi      bool              `json:"multi"`
			IncludeAll bool              `json:"includeAll"`
		} `json:"list"`
	} `json:"templating"`
}

const dashboardFile = "config/grafana/backfill-operator.json"

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repo, dashboardFile))
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s is not a dashboard: %v", dashboardFile, err)
	}
	return d
}

// TestDashboardIsValid checks the dashboard's shape: variables for the data sources, the
// namespace and the campaign; panels that all use a data source variable, unique ids, no
// overlap on the grid; and the panels the operator's users asked for.
func TestDashboardIsValid(t *testing.T) {
	d := readDashboard(t)
	if d.UID == "" || d.Title == "" || d.SchemaVersion < 36 {
		t.Errorf("uid %q, title %q, schemaVersion %d: want a uid, a title and a current schema", d.UID, d.Title, d.SchemaVersion)
	}
	vars := map[string]string{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v.Type
		if v.Type == "query" {
			if v.Datasource["uid"] != "${datasource}" || !v.Multi || !v.IncludeAll {
				t.Errorf("variable %s: datasource %v, multi %v, includeAll %v; want ${datasource}, multi-select with All", v.Name, v.Datasource, v.Multi, v.IncludeAll)
			}
		}
	}
	for name, typ := range map[string]string{"datasource": "datasource", "postgres": "datasource", "namespace": "query", "campaign": "query"} {
		if vars[name] != typ {
			t.Errorf("variable %s is %q, want a %s variable", name, vars[name], typ)
		}
	}
	ids := map[int]bool{}
	type cell struct{ x, y int }
	taken := map[cell]string{}
	var titles []string
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		for x := p.GridPos.X; x < p.GridPos.X+p.GridPos.W; x++ {
			for y := p.GridPos.Y; y < p.GridPos.Y+p.GridPos.H; y++ {
				if other, ok := taken[cell{x, y}]; ok {
					t.Fatalf("panels %q and %q overlap at %d,%d", other, p.Title, x, y)
				}
				taken[cell{x, y}] = p.Title
			}
		}
		if p.GridPos.X+p.GridPos.W > 24 || p.GridPos.W <= 0 || p.GridPos.H <= 0 {
			t.Errorf("panel %q: gridPos %+v is off the 24-column grid", p.Title, p.GridPos)
		}
		if p.Type == "row" {
			continue
		}
		titles = append(titles, p.Title)
		if p.Description == "" || len(p.Targets) == 0 {
			t.Errorf("panel %q has no description or no query", p.Title)
		}
		if uid := p.Datasource["uid"]; uid != "${datasource}" && uid != "${postgres}" {
			t.Errorf("panel %q uses data source %q, want a data source variable", p.Title, uid)
		}
	}
	for _, want := range []string{"Progress by phase", "Months calendar (backfill_log)", "Resolution rate of recent months",
		"Attempts by outcome and reason", "Provider calls", "Provider errors", "ISBNdb budget today", "Queue wait", "Attempt duration"} {
		if !slices.Contains(titles, want) {
			t.Errorf("no panel %q", want)
		}
	}
}

// TestDashboardConfigMap: kustomize packs the JSON file into a ConfigMap Grafana's sidecar loads.
func TestDashboardConfigMap(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repo, "config/grafana/kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		GeneratorOptions struct {
			Labels map[string]string `json:"labels"`
		} `json:"generatorOptions"`
		ConfigMapGenerator []struct {
			Files []string `json:"files"`
		} `json:"configMapGenerator"`
	}
	if err := yaml.Unmarshal(raw, &k); err != nil {
		t.Fatal(err)
	}
	if k.GeneratorOptions.Labels["grafana_dashboard"] != "1" {
		t.Errorf("dashboard ConfigMap labels %v, want grafana_dashboard: \"1\"", k.GeneratorOptions.Labels)
	}
	if len(k.ConfigMapGenerator) != 1 || !slices.Equal(k.ConfigMapGenerator[0].Files, []string{filepath.Base(dashboardFile)}) {
		t.Errorf("configMapGenerator %+v, want one ConfigMap of %s", k.ConfigMapGenerator, filepath.Base(dashboardFile))
	}
}

// grafanaVar is a Grafana variable reference: $name or ${name}.
var grafanaVar = regexp.MustCompile(`\$\{?(\w+)\}?`)

// asPromQL replaces Grafana's variables by what Grafana would send: an interval for the
// built-in ones, a regular expression for the multi-value namespace and campaign.
func asPromQL(expr string) string {
	return grafanaVar.ReplaceAllStringFunc(expr, func(v string) string {
		if strings.HasPrefix(strings.Trim(v, "${}"), "__") {
			return "5m"
		}
		return "books|biographies"
	})
}

// labelValues matches a variable query label_values(selector, label).
var labelValues = regexp.MustCompile(`^label_values\((.+),\s*\w+\)$`)

// TestQueriesUseExportedMetrics parses every query of the dashboard and every alert with
// Prometheus' own parser (bin/promql-metrics) and checks that each metric it selects is one
// the manager exports.
func TestQueriesUseExportedMetrics(t *testing.T) {
	tool := builtTool(t, "promql-metrics")
	where := map[string]string{} // query -> where it is used
	d := readDashboard(t)
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			if tg.Datasource["uid"] == "${datasource}" {
				where[asPromQL(tg.Expr)] = "panel " + p.Title
			}
		}
	}
	for _, v := range d.Templating.List {
		if q, ok := v.Query.(map[string]any); ok {
			if m := labelValues.FindStringSubmatch(q["query"].(string)); m != nil {
				where[asPromQL(m[1])] = "variable " + v.Name
			} else {
				t.Errorf("variable %s: query %v is not label_values(selector, label)", v.Name, q["query"])
			}
		}
	}
	groups, _ := prometheusRule(t)
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			where[r.Expr] = "alert " + r.Alert
		}
	}
	var in bytes.Buffer
	for q := range where {
		line, _ := json.Marshal(q)
		in.Write(append(line, '\n'))
	}
	cmd := exec.Command(tool)
	cmd.Stdin = &in
	out, err := cmd.Output()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	exported := exportedMetrics(t)
	dec := json.NewDecoder(bytes.NewReader(out))
	parsed := 0
	for dec.More() {
		var r struct {
			Expr    string   `json:"expr"`
			Metrics []string `json:"metrics"`
			Error   string   `json:"error"`
		}
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		parsed++
		if r.Error != "" {
			t.Errorf("%s: %q does not parse: %s", where[r.Expr], r.Expr, r.Error)
			continue
		}
		if len(r.Metrics) == 0 {
			t.Errorf("%s: %q selects no metric by name", where[r.Expr], r.Expr)
		}
		for _, m := range r.Metrics {
			if !exported[m] {
				t.Errorf("%s uses %s, which the manager does not export", where[r.Expr], m)
			}
		}
	}
	if parsed != len(where) {
		t.Errorf("promql-metrics answered %d of %d queries", parsed, len(where))
	}
}

// controllerRuntimeMetrics are the controller-runtime metrics the alerts and dashboard use.
// They have series only once a controller runs, so this unit test takes them from this list;
// the end-to-end scrape (test/e2e TestMetricsScrape) checks that the running manager serves them.
var controllerRuntimeMetrics = []string{"controller_runtime_reconcile_errors_total"}

// exportedMetrics are the series names the manager's registry serves once every backfill_
// metric has observations (histograms as _bucket, _sum and _count).
func exportedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	c, ms := observedCampaign(t, "books", "exported")
	ObserveCampaign(c, ms, now)
	m := builders.MakeMonth("exported", "books", "bulk", 2019, 1).Admitted(now.Add(-time.Hour)).
		Attempt(v1alpha1.AttemptSucceeded, now, map[string]int32{"isbndb": 2}, "isbndb").Results(20, 18).Obj()
	AttemptFinished(m)
	AttemptStarted(m, time.Minute)
	Admitted("books", "exported", 1)
	t.Cleanup(func() { Forget("books", "exported") })
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, f := range families {
		name := f.GetName()
		if f.GetType().String() == "HISTOGRAM" {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				out[name+suffix] = true
			}
			continue
		}
		out[name] = true
	}
	for _, n := range []string{NameBuildInfo, NameMonths, NameAttemptDuration + "_bucket", NameAttemptQueueWait + "_bucket", NameProviderErrors} {
		if !out[n] {
			t.Fatalf("the registry does not serve %s", n)
		}
	}
	for _, n := range controllerRuntimeMetrics {
		out[n] = true
	}
	return out
}
