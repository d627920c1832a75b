package manifests

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
)

// strictly decodes a rendered object into prometheus-operator's own Go type, refusing any
// field the type does not have: a misspelt or misplaced field would otherwise be dropped by
// the API server and the scrape or alert silently not happen.
func strictly[T any](t *testing.T, obj *unstructured.Unstructured) *T {
	t.Helper()
	data, err := json.Marshal(obj.Object)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	out := new(T)
	if err := dec.Decode(out); err != nil {
		t.Fatalf("%s %s does not match prometheus-operator's type: %v", obj.GetKind(), obj.GetName(), err)
	}
	return out
}

// TestChartServiceMonitorScrapesTheMetricsService renders the chart with the ServiceMonitor
// on and checks that it is a valid ServiceMonitor, selects the chart's metrics Service by
// its labels, names a port that Service has, and scrapes the endpoint the way the kustomize
// ServiceMonitor does.
func TestChartServiceMonitorScrapesTheMetricsService(t *testing.T) {
	chart := renderChart(t, map[string]any{"metrics": map[string]any{"serviceMonitor": map[string]any{"enabled": true, "interval": "45s"}}})
	monitors := ofKind(chart, "ServiceMonitor")
	if len(monitors) != 1 {
		t.Fatalf("the chart renders %d ServiceMonitors, want 1", len(monitors))
	}
	sm := strictly[monitoringv1.ServiceMonitor](t, monitors[0])
	services := ofKind(chart, "Service")
	var selected []*unstructured.Unstructured
	sel := labels.SelectorFromSet(sm.Spec.Selector.MatchLabels)
	for _, svc := range services {
		if svc.GetNamespace() == monitors[0].GetNamespace() && sel.Matches(labels.Set(svc.GetLabels())) {
			selected = append(selected, svc)
		}
	}
	if len(selected) != 1 || selected[0].GetName() != "backfill-controller-manager-metrics-service" {
		t.Fatalf("the ServiceMonitor's selector %v matches %d Services, want the metrics Service alone", sm.Spec.Selector.MatchLabels, len(selected))
	}
	ports, _, _ := unstructured.NestedSlice(selected[0].Object, "spec", "ports")
	if len(sm.Spec.Endpoints) != 1 {
		t.Fatalf("%d endpoints, want 1", len(sm.Spec.Endpoints))
	}
	ep := sm.Spec.Endpoints[0]
	if !hasPortNamed(ports, ep.Port) {
		t.Errorf("the ServiceMonitor scrapes port %q, which the metrics Service does not have (%v)", ep.Port, ports)
	}
	if string(ep.Interval) != "45s" {
		t.Errorf("interval %q, want the value's 45s", ep.Interval)
	}

	kust := strictly[monitoringv1.ServiceMonitor](t, find(t, kustomize(t, repoPath("config/prometheus")), "ServiceMonitor", "controller-manager-metrics-monitor"))
	want := kust.Spec.Endpoints[0]
	want.Interval = ep.Interval // kustomize leaves it to Prometheus' default
	if diff := cmp.Diff(want, ep); diff != "" {
		t.Errorf("the chart's endpoint differs from the kustomize ServiceMonitor's (-kustomize +chart):\n%s", diff)
	}

	off := renderChart(t, nil)
	if n := len(ofKind(off, "ServiceMonitor")); n != 0 {
		t.Errorf("the default values render %d ServiceMonitors; it needs prometheus-operator's CRDs and must be opt-in", n)
	}
}

// TestChartPrometheusRulesAreValid decodes every PrometheusRule the chart renders into
// prometheus-operator's type (the rules themselves are checked by promtool in internal/metrics).
func TestChartPrometheusRulesAreValid(t *testing.T) {
	chart := renderChart(t, map[string]any{"metrics": map[string]any{"prometheusRule": map[string]any{"enabled": true}}})
	rules := ofKind(chart, "PrometheusRule")
	if len(rules) == 0 {
		t.Fatal("prometheusRule.enabled renders no PrometheusRule")
	}
	for _, obj := range rules {
		pr := strictly[monitoringv1.PrometheusRule](t, obj)
		n := 0
		for _, g := range pr.Spec.Groups {
			n += len(g.Rules)
		}
		if n == 0 {
			t.Errorf("PrometheusRule %s has no rules", obj.GetName())
		}
	}
}

func hasPortNamed(ports []any, name string) bool {
	for _, p := range ports {
		if m, ok := p.(map[string]any); ok && m["name"] == name {
			return true
		}
	}
	return false
}
