package plugin_test

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/dev/builders"
	"github.com/ooheynerds/backfill-operator/internal/plugin"
)

func TestFilterMatches(t *testing.T) {
	done := func(books, resolved int32) *v1alpha1.BackfillMonth {
		m := builders.MakeMonth("c", "ns", "p", 2020, 5).State(v1alpha1.MonthCompleted).Results(books, resolved).Obj()
		if books > 0 {
			m.Status.Metrics.ResolutionRate = map[int32]string{40: "75.00", 10: "100.00"}[books]
		}
		return m
	}
	pending := builders.MakeMonth("c", "ns", "p", 2020, 5).Obj()
	pending.Status.State = "" // before the month controller's first pass
	failed := builders.MakeMonth("c", "ns", "q", 2021, 1).State(v1alpha1.MonthFailed).Obj()
	for _, tc := range []struct {
		name   string
		f      plugin.Filter
		m      *v1alpha1.BackfillMonth
		expect bool
	}{
		{"empty matches all", plugin.Filter{}, pending, true},
		{"state of a never-seen month is Pending", plugin.Filter{States: []v1alpha1.MonthState{v1alpha1.MonthPending}}, pending, true},
		{"other state", plugin.Filter{States: []v1alpha1.MonthState{v1alpha1.MonthFailed}}, pending, false},
		{"phase", plugin.Filter{Phases: []string{"q"}}, failed, true},
		{"phase mismatch", plugin.Filter{Phases: []string{"q"}}, pending, false},
		{"year", plugin.Filter{Years: []int32{2021}}, failed, true},
		{"year mismatch", plugin.Filter{Years: []int32{2021}}, pending, false},
		{"below rate", plugin.Filter{BelowRate: ptr.To(80.0)}, done(40, 30), true},
		{"at the rate is not below", plugin.Filter{BelowRate: ptr.To(75.0)}, done(40, 30), false},
		{"above rate", plugin.Filter{BelowRate: ptr.To(80.0)}, done(10, 10), false},
		{"no books is below any bar", plugin.Filter{BelowRate: ptr.To(1.0)}, done(0, 0), true},
		{"an unfinished month has no rate yet", plugin.Filter{BelowRate: ptr.To(100.0)}, pending, false},
		{"failed counts as rate 0", plugin.Filter{BelowRate: ptr.To(50.0)}, failed, true},
		{"all parts must hold", plugin.Filter{States: []v1alpha1.MonthState{v1alpha1.MonthFailed}, Years: []int32{2020}}, failed, false},
	} {
		if got := tc.f.Matches(tc.m); got != tc.expect {
			t.Errorf("%s: Matches = %v, want %v", tc.name, got, tc.expect)
		}
	}
}

func TestArgoCDApp(t *testing.T) {
	for _, tc := range []struct {
		name        string
		labels      map[string]string
		annotations map[string]string
		app         string
		ok          bool
	}{
		{"none", nil, map[string]string{"kubectl.kubernetes.io/last-applied-configuration": "{}"}, "", false},
		{"annotation tracking", nil, map[string]string{"argocd.argoproj.io/tracking-id": "books:alexandria.ooheynerds.com/BackfillCampaign:ns/x"}, "books", true},
		{"label tracking (default label)", map[string]string{"app.kubernetes.io/instance": "books"}, nil, "books", true},
		{"argocd instance label", map[string]string{"argocd.argoproj.io/instance": "library"}, nil, "library", true},
		{"annotation wins", map[string]string{"app.kubernetes.io/instance": "helm-release"}, map[string]string{"argocd.argoproj.io/tracking-id": "books:x"}, "books", true},
	} {
		obj := &metav1.ObjectMeta{Labels: tc.labels, Annotations: tc.annotations}
		app, ok := plugin.ArgoCDApp(obj)
		if app != tc.app || ok != tc.ok {
			t.Errorf("%s: ArgoCDApp = %q, %v; want %q, %v", tc.name, app, ok, tc.app, tc.ok)
		}
	}
}

func TestPickPod(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	pod := func(name string, created time.Duration, phase corev1.PodPhase) corev1.Pod {
		return corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.Time{Time: t0.Add(created)}}, Status: corev1.PodStatus{Phase: phase}}
	}
	for _, tc := range []struct {
		name string
		pods []corev1.Pod
		want string
	}{
		{"none", nil, ""},
		{"one", []corev1.Pod{pod("a", 0, corev1.PodFailed)}, "a"},
		{"the replacement of a vanished pod", []corev1.Pod{pod("old", 0, corev1.PodFailed), pod("new", time.Minute, corev1.PodPending)}, "new"},
		{"same age: the one that ran", []corev1.Pod{pod("a", 0, corev1.PodPending), pod("b", 0, corev1.PodSucceeded)}, "b"},
	} {
		got := plugin.PickPod(tc.pods)
		if (got == nil && tc.want != "") || (got != nil && got.Name != tc.want) {
			t.Errorf("%s: PickPod = %v, want %q", tc.name, got, tc.want)
		}
	}
	sel := plugin.AttemptPodSelector("c-2020-01", 3).String()
	if sel != "alexandria.ooheynerds.com/attempt=3,alexandria.ooheynerds.com/month=c-2020-01" {
		t.Errorf("selector = %s", sel)
	}
}

func TestRerunToken(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 1, 2, 3, 4, time.FixedZone("CET", 3600))
	if got := plugin.RerunToken(t0); got != "20261206T000203.000000004Z" {
		t.Errorf("token = %s", got)
	}
	if plugin.RerunToken(t0) == plugin.RerunToken(t0.Add(time.Nanosecond)) {
		t.Error("two requests a nanosecond apart share a token")
	}
	for s, want := range map[v1alpha1.MonthState]bool{v1alpha1.MonthCompleted: true, v1alpha1.MonthFailed: true, v1alpha1.MonthRetry: false, v1alpha1.MonthProcessing: false, v1alpha1.MonthPending: false} {
		if got := plugin.Rerunnable(builders.MakeMonth("c", "n", "p", 2020, 1).State(s).Obj()); got != want {
			t.Errorf("Rerunnable(%s) = %v", s, got)
		}
	}
}
