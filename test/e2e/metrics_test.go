package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"sigs.k8s.io/yaml"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/dev/fakes"
	"github.com/ooheynerds/backfill-operator/internal/dev/localsystem"
	"github.com/ooheynerds/backfill-operator/internal/metrics"
)

// The manager's /metrics, scraped while a campaign runs and after it finished, passes
// `promtool check metrics`; the attempt histograms have observations for the campaign; and
// every metric the alerts and the dashboard query is served by the running manager.
func TestMetricsScrape(t *testing.T) {
	promtool := filepath.Join(repoRoot(), "bin", "promtool")
	if _, err := os.Stat(promtool); err != nil {
		t.Fatalf("bin/promtool is missing: run hack/build-promtool.sh (make test does): %v", err)
	}
	sys.InjectFaults(t, map[string]fakes.Faults{fakes.ProviderGemini: {LatencyMS: 1000}})
	ns := newNamespace(t, "metrics", localsystem.NamespaceOptions{})
	c := newCampaign(ns, "watched", phase("validate", 2016, 1, 2, 1), phase("bulk", 2016, 3, 4, 2))
	create(t, c)

	eventually(t, 2*time.Minute, "a month of the campaign to be Processing", func() (bool, string) {
		for _, m := range listMonths(t, ns, c.Name) {
			if m.Status.State == v1alpha1.MonthProcessing {
				return true, ""
			}
		}
		return false, "no month Processing"
	})
	checkMetrics(t, promtool, scrape(t))

	waitFinished(t, ns, c.Name, 4, 3*time.Minute)
	var body []byte
	eventually(t, 30*time.Second, "the campaign's finished months in the metrics", func() (bool, string) {
		body = scrape(t)
		fam := families(t, body)
		completed := sumOf(fam[metrics.NameMonths], ns, c.Name, map[string]string{"state": "Completed"})
		return completed == 4, fmt.Sprintf("backfill_months{state=Completed} = %v", completed)
	})
	checkMetrics(t, promtool, body)
	fam := families(t, body)
	for _, h := range []string{metrics.NameAttemptDuration, metrics.NameAttemptQueueWait} {
		f := fam[h]
		if f == nil {
			t.Errorf("%s is not served", h)
			continue
		}
		var count uint64
		for _, m := range f.GetMetric() {
			if label(m.GetLabel(), "namespace") == ns && label(m.GetLabel(), "campaign") == c.Name {
				count += m.GetHistogram().GetSampleCount()
			}
		}
		if count < 4 {
			t.Errorf("%s has %d observations for the campaign's 4 attempts", h, count)
		}
	}
	if n := sumOf(fam[metrics.NameAttempts], ns, c.Name, map[string]string{"outcome": "Succeeded"}); n != 4 {
		t.Errorf("backfill_attempts_total{outcome=Succeeded} = %v, want 4 (each attempt counted once)", n)
	}

	// every metric the alerts and the dashboard use is one this manager serves
	served := map[string]bool{}
	for name, f := range fam {
		served[name] = true
		if f.GetType().String() == "HISTOGRAM" {
			served[name+"_bucket"], served[name+"_sum"], served[name+"_count"] = true, true, true
		}
	}
	for _, q := range usedQueries(t) {
		for _, name := range metricName.FindAllString(q, -1) {
			if !served[name] {
				t.Errorf("%q uses %s, which the running manager does not serve", q, name)
			}
		}
	}

	// a deleted campaign's series go away
	if err := sys.Client.Delete(context.Background(), getCampaign(t, ns, c.Name)); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Minute, "the deleted campaign's series to be removed", func() (bool, string) {
		body := scrape(t)
		left := bytes.Count(body, []byte(`campaign="`+c.Name+`",namespace="`+ns+`"`))
		return left == 0, "series left"
	})
}

// metricName finds the operator's and controller-runtime's metric names in a query (query
// syntax is checked by go test ./internal/metrics with Prometheus' parser).
var metricName = regexp.MustCompile(`\b(?:backfill|controller_runtime)_[a-z_]+[a-z]\b`)

// usedQueries are the alerts' and the dashboard's Prometheus queries.
func usedQueries(t *testing.T) []string {
	t.Helper()
	var rule struct {
		Spec struct {
			Groups []struct {
				Rules []struct {
					Expr string `json:"expr"`
				} `json:"rules"`
			} `json:"groups"`
		} `json:"spec"`
	}
	var dash struct {
		Panels []struct {
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	for file, into := range map[string]any{"config/prometheus/prometheus_rule.yaml": &rule, "config/grafana/backfill-operator.json": &dash} {
		raw, err := os.ReadFile(filepath.Join(repoRoot(), file))
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(raw, into); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
	}
	var out []string
	for _, g := range rule.Spec.Groups {
		for _, r := range g.Rules {
			out = append(out, r.Expr)
		}
	}
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			if tg.Expr != "" {
				out = append(out, tg.Expr)
			}
		}
	}
	if len(out) < 20 {
		t.Fatalf("found %d queries in the rules and the dashboard", len(out))
	}
	return out
}

func scrape(t *testing.T) []byte {
	t.Helper()
	resp, err := http.Get(metricsURL)
	if err != nil {
		t.Fatalf("scraping %s: %v", metricsURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scraping %s: %s %v", metricsURL, resp.Status, err)
	}
	return body
}

func checkMetrics(t *testing.T, promtool string, body []byte) {
	t.Helper()
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

func families(t *testing.T, body []byte) map[string]*dto.MetricFamily {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fam, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parsing the scrape: %v", err)
	}
	return fam
}

func label(pairs []*dto.LabelPair, name string) string {
	for _, p := range pairs {
		if p.GetName() == name {
			return p.GetValue()
		}
	}
	return ""
}

// sumOf adds the campaign's samples of a counter or gauge family whose labels include want.
func sumOf(f *dto.MetricFamily, ns, campaign string, want map[string]string) float64 {
	var sum float64
next:
	for _, m := range f.GetMetric() {
		if label(m.GetLabel(), "namespace") != ns || label(m.GetLabel(), "campaign") != campaign {
			continue
		}
		for k, v := range want {
			if label(m.GetLabel(), k) != v {
				continue next
			}
		}
		sum += m.GetGauge().GetValue() + m.GetCounter().GetValue()
	}
	return sum
}
