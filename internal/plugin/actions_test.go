package plugin_test

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/plugin"
)

func campaign(t *testing.T, ns string) *v1alpha1.BackfillCampaign {
	t.Helper()
	var c v1alpha1.BackfillCampaign
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "alexandria"}, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

func month(t *testing.T, ns, name string) *v1alpha1.BackfillMonth {
	t.Helper()
	var m v1alpha1.BackfillMonth
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &m); err != nil {
		t.Fatal(err)
	}
	return &m
}

func TestApproveSuspendResume(t *testing.T) {
	const ns = "actions"
	_, now := seed(t, ns)
	r := runner{now: now}
	n := []string{"-n", ns}

	res := r.must(t, append([]string{"approve", "alexandria", "history", "--print"}, n...)...)
	if want := "spec:\n  approvedPhases:\n  - history\n"; !strings.Contains(res.out, want) {
		t.Errorf("approve --print = %q, want it to contain %q", res.out, want)
	}
	if got := campaign(t, ns).Spec.ApprovedPhases; len(got) != 0 {
		t.Fatalf("approve --print changed the cluster: approvedPhases %v", got)
	}
	res = r.must(t, append([]string{"approve", "alexandria", "history"}, n...)...)
	if got := campaign(t, ns).Spec.ApprovedPhases; len(got) != 1 || got[0] != "history" {
		t.Fatalf("after approve: approvedPhases %v", got)
	}
	if strings.Contains(res.err, "Argo CD") {
		t.Error("an Argo CD note for a campaign Argo CD does not manage")
	}
	if res = r.must(t, append([]string{"approve", "alexandria", "history"}, n...)...); !strings.Contains(res.out, "already approved") {
		t.Errorf("approving twice: %q", res.out)
	}
	if res = r.must(t, append([]string{"approve", "alexandria", "recent"}, n...)...); !strings.Contains(res.out, "needs no approval") {
		t.Errorf("approving an Automatic phase: %q", res.out)
	}
	if res = r.run(t, append([]string{"approve", "alexandria", "histroy"}, n...)...); res.fail == nil || !strings.Contains(res.fail.Error(), "no phase \"histroy\"") {
		t.Errorf("approving a phase that does not exist: %v", res.fail)
	}

	r.must(t, append([]string{"suspend", "alexandria"}, n...)...)
	if !campaign(t, ns).Spec.Suspend {
		t.Fatal("suspend did not set spec.suspend")
	}
	if res = r.must(t, append([]string{"suspend", "alexandria"}, n...)...); !strings.Contains(res.out, "already suspended") {
		t.Errorf("suspending twice: %q", res.out)
	}
	if res = r.must(t, append([]string{"resume", "alexandria", "--print"}, n...)...); !strings.Contains(res.out, "spec:\n  suspend: false\n") || !campaign(t, ns).Spec.Suspend {
		t.Errorf("resume --print: %q (and the cluster must keep suspend)", res.out)
	}
	r.must(t, append([]string{"resume", "alexandria"}, n...)...)
	c := campaign(t, ns)
	if c.Spec.Suspend || len(c.Spec.ApprovedPhases) != 1 {
		t.Fatalf("after resume: suspend %v approvedPhases %v (the patch must touch only suspend)", c.Spec.Suspend, c.Spec.ApprovedPhases)
	}
}

func TestArgoCDManagedCampaignGetsANote(t *testing.T) {
	const ns = "argocd-managed"
	_, now := seed(t, ns, func(c *v1alpha1.BackfillCampaign) {
		c.Annotations = map[string]string{"argocd.argoproj.io/tracking-id": "books:alexandria.ooheynerds.com/BackfillCampaign:argocd-managed/alexandria"}
	})
	r := runner{now: now}
	res := r.must(t, "suspend", "alexandria", "-n", ns)
	if !strings.Contains(res.err, `Argo CD application "books"`) || !strings.Contains(res.err, "--print") {
		t.Errorf("no Argo CD note on stderr: %q", res.err)
	}
	if !campaign(t, ns).Spec.Suspend {
		t.Error("suspend was not applied")
	}
	res = r.must(t, "rerun", "alexandria-2020-11", "-n", ns)
	if !strings.Contains(res.err, "but not its months") {
		t.Errorf("rerun of an Argo CD campaign's month: stderr %q", res.err)
	}
}

func TestRerun(t *testing.T) {
	const ns = "rerun"
	_, now := seed(t, ns)
	r := runner{now: now}
	n := []string{"-n", ns}
	token := plugin.RerunToken(now)

	res := r.must(t, append([]string{"rerun", "alexandria-2020-11", "alexandria-2023-07", "alexandria-2021-02"}, n...)...)
	if !strings.Contains(res.err, "skipped alexandria-2023-07: it is Retry") {
		t.Errorf("a retrying month was not skipped with a note: %q", res.err)
	}
	for name, want := range map[string]string{"alexandria-2020-11": token, "alexandria-2021-02": token, "alexandria-2023-07": "", "alexandria-2022-03": ""} {
		if got := month(t, ns, name).Annotations[plugin.AnnotationRerun]; got != want {
			t.Errorf("%s rerun token = %q, want %q", name, got, want)
		}
	}
	// the operator's own annotations stay (merge patch)
	if month(t, ns, "alexandria-2020-11").FirstAdmittedAt() == nil {
		t.Error("the rerun patch removed the first-admitted annotation")
	}

	later := runner{now: now.Add(time.Minute)}
	res = later.must(t, append([]string{"rerun", "alexandria", "--state", "Failed"}, n...)...)
	newToken := plugin.RerunToken(now.Add(time.Minute))
	if strings.Count(res.out, "rerun requested") != 2 {
		t.Errorf("rerun --state Failed: %q, want the two failed months", res.out)
	}
	for _, name := range []string{"alexandria-2020-11", "alexandria-2022-03"} {
		if got := month(t, ns, name).Annotations[plugin.AnnotationRerun]; got != newToken {
			t.Errorf("%s token = %q, want the new %q", name, got, newToken)
		}
	}
	if got := month(t, ns, "alexandria-2021-02").Annotations[plugin.AnnotationRerun]; got != token {
		t.Errorf("a Completed month outside the selection was touched: %q", got)
	}

	// a quality bar within a phase: Completed months of validate below 92%
	res = later.must(t, append([]string{"rerun", "alexandria", "--phase", "validate", "--below-rate", "92", "--print"}, n...)...)
	for _, want := range []string{"patch backfillmonth alexandria-2020-03", "patch backfillmonth alexandria-2020-07", "patch backfillmonth alexandria-2020-06", "patch backfillmonth alexandria-2020-11"} {
		if !strings.Contains(res.out, want) {
			t.Errorf("rerun --below-rate 92 --print lacks %q:\n%s", want, res.out)
		}
	}
	if strings.Contains(res.out, "alexandria-2020-12") || strings.Count(res.out, "---") != 3 {
		t.Errorf("rerun --below-rate 92 selected the wrong months:\n%s", res.out)
	}
	if got := month(t, ns, "alexandria-2020-03").Annotations[plugin.AnnotationRerun]; got != "" {
		t.Error("--print changed the cluster")
	}

	for _, bad := range [][]string{
		{"rerun", "alexandria", "--phase", "validate"},    // no state or quality bar: too broad
		{"rerun", "alexandria", "x", "--state", "Failed"}, // campaign form with two names
		{"rerun", "alexandria-2099-01"},                   // no such month
		{"rerun", "alexandria", "--state", "Pending"},     // nothing finished
		{"rerun", "alexandria", "--below-rate", "120"},    // not a percentage
	} {
		if res := r.run(t, append(bad, n...)...); res.fail == nil {
			t.Errorf("kubectl backfill %s succeeded", strings.Join(bad, " "))
		}
	}
}

func TestLogsChoosesTheAttemptsPod(t *testing.T) {
	const ns = "logs"
	_, now := seed(t, ns)
	ctx := context.Background()
	r := runner{now: now}
	mk := func(name, attempt string) {
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{
				v1alpha1.LabelMonth: "alexandria-2020-11", v1alpha1.LabelAttempt: attempt}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "worker", Image: "backfill-operator:test"}}},
		}
		if err := env.Client.Create(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	mk("alexandria-2020-11-a4-x", "4")
	mk("alexandria-2020-11-a5-x", "5")
	// envtest has no kubelet, so the pods have no log to serve; the plugin names the pod it chose
	res := r.run(t, "logs", "alexandria-2020-11", "-n", ns)
	if !strings.Contains(res.err, "pod alexandria-2020-11-a5-x") {
		t.Errorf("latest attempt: err %v, stderr %q; want pod alexandria-2020-11-a5-x", res.fail, res.err)
	}
	res = r.run(t, "logs", "alexandria-2020-11", "--attempt", "4", "-n", ns)
	if !strings.Contains(res.err, "pod alexandria-2020-11-a4-x") {
		t.Errorf("--attempt 4: stderr %q", res.err)
	}
	if err := env.Client.Delete(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "alexandria-2020-11-a5-x", Namespace: ns}}); err != nil {
		t.Fatal(err)
	}
	res = r.run(t, "logs", "alexandria-2020-11", "-n", ns)
	if res.fail == nil || !strings.Contains(res.fail.Error(), "no pod of attempt 5") || !strings.Contains(res.fail.Error(), "503 Service Unavailable") {
		t.Errorf("an attempt whose pod is gone: %v", res.fail)
	}
	if res = r.run(t, "logs", "alexandria-2020-11", "--attempt", "6", "-n", ns); res.fail == nil {
		t.Error("an attempt that never started was accepted")
	}
	if res = r.run(t, "logs", "alexandria-2019-01", "-n", ns); res.fail == nil || !strings.Contains(res.fail.Error(), "has not started an attempt") {
		t.Errorf("a month never admitted: %v", res.fail)
	}
}
