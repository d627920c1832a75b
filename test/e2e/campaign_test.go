package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/dev/fakes"
	"github.com/ooheynerds/backfill-operator/internal/dev/localsystem"
)

// A two-phase campaign runs to completion through real Jobs; the months' status, the campaign's
// counts, backfill_log and the books tables agree, and the second phase starts only after the
// gated first phase has finished.
func TestMultiPhaseCampaignCompletes(t *testing.T) {
	ns := newNamespace(t, "multiphase", localsystem.NamespaceOptions{})
	validate := phase("validate", 2019, 1, 3, 2)
	validate.Gate = &v1alpha1.Gate{MinResolutionRate: ptr.To[int32](50)}
	c := newCampaign(ns, "rollout", validate, phase("recent", 2019, 4, 9, 3))
	create(t, c)

	final, months := waitFinished(t, ns, c.Name, 9, 3*time.Minute)
	if r := readyReason(final); r != "True/"+v1alpha1.ReasonCompleted {
		t.Errorf("campaign Ready = %s, want True/Completed", r)
	}
	var books, resolved int64
	var lastValidate time.Time
	for _, m := range months {
		if m.Status.State != v1alpha1.MonthCompleted {
			t.Errorf("%s ended %s (%s)", m.Name, m.Status.State, m.Status.LastError)
		}
		books += int64(m.Status.Metrics.BooksGenerated)
		resolved += int64(m.Status.Metrics.ISBNsResolved)
		if m.Spec.Phase == "validate" && m.Status.CompletedAt != nil && m.Status.CompletedAt.After(lastValidate) {
			lastValidate = m.Status.CompletedAt.Time
		}
	}
	for _, m := range months {
		if m.Spec.Phase == "recent" && m.Status.StartedAt != nil && m.Status.StartedAt.Time.Before(lastValidate) {
			t.Errorf("%s (phase recent) started at %s, before the gated phase validate finished at %s", m.Name, m.Status.StartedAt, lastValidate)
		}
	}
	if final.Status.Totals.BooksGenerated != books || final.Status.Totals.ISBNsResolved != resolved {
		t.Errorf("campaign totals %+v, months sum to %d books, %d resolved", final.Status.Totals, books, resolved)
	}
	for _, p := range final.Status.Phases {
		if p.State != v1alpha1.PhaseCompleted {
			t.Errorf("phase %s is %s, want Completed", p.Name, p.State)
		}
	}
	checkMonthsEndedOnce(t, ns, c.Name, months)
	waitMirrorAgrees(t, ns, c.Name, 30*time.Second)
}

// A worker that fails (both language models down) is retried through new Jobs and the month
// ends Failed after its last attempt, with the reason in its status (kubectl's wide output) and
// in backfill_log.error_message.
func TestWorkerFailureRetriedThenFailed(t *testing.T) {
	ns, c, months := runInModelOutage(t, "outage", phase("only", 2018, 3, 3, 1), 2, 1)
	m := months[0]
	if m.Status.State != v1alpha1.MonthFailed || m.Status.Attempts != 2 {
		t.Fatalf("%s: state %s after %d attempts, want Failed after 2 (history %+v)", m.Name, m.Status.State, m.Status.Attempts, m.Status.History)
	}
	for _, a := range m.Status.History {
		if a.Outcome != v1alpha1.AttemptFailed || a.Message == "" {
			t.Errorf("attempt %d: outcome %s, message %q; want Failed with a reason", a.Attempt, a.Outcome, a.Message)
		}
	}
	if m.Status.LastError == "" {
		t.Fatal("no lastError on the failed month")
	}
	for _, j := range listJobs(t, ns, client.MatchingLabels{v1alpha1.LabelMonth: m.Name}) {
		if !jobFailed(&j) {
			t.Errorf("Job %s did not fail: %+v", j.Name, j.Status.Conditions)
		}
	}
	checkMonthsEndedOnce(t, ns, c.Name, months)

	out, err := sys.Kubectl(context.Background(), "-n", ns, "get", "bfm", m.Name, "-o", "wide")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "Failed") || !strings.Contains(strings.Join(strings.Fields(string(out)), " "), strings.Join(strings.Fields(firstWords(m.Status.LastError, 4)), " ")) {
		t.Errorf("kubectl get bfm -o wide does not show the failure %q:\n%s", m.Status.LastError, out)
	}
	waitMirrorAgrees(t, ns, c.Name, 30*time.Second)
	if got := backfillLog(t, ns, c.Name)[m.Name]; got.Status != "failed" || got.ErrorMessage != m.Status.LastError || got.RetryCount != 2 {
		t.Errorf("backfill_log row %+v, want failed, retry_count 2, error_message %q", got, m.Status.LastError)
	}
}

func firstWords(s string, n int) string {
	w := strings.Fields(s)
	if len(w) > n {
		w = w[:n]
	}
	return strings.Join(w, " ")
}

func jobFailed(j *batchv1.Job) bool {
	for _, c := range j.Status.Conditions {
		if c.Type == batchv1.JobFailed && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// A pod that can never start (its database Secret does not exist, so the pod runner reports
// CreateContainerConfigError as a kubelet would) fails its attempt at once, naming the Secret,
// without using up one of the month's attempts (issue 9: an outage or a missing Secret is not
// the month's failure); the outside budget (4 × maxAttempts) still ends the month instead of
// retrying forever. The pending deadline is far beyond the test's patience: an attempt that
// waited for it would time the test out.
func TestPodThatNeverStartsFailsAtOnceWithoutUsingAttempts(t *testing.T) {
	ns := newNamespace(t, "nostart", localsystem.NamespaceOptions{WithoutDatabaseSecret: true})
	c := newCampaign(ns, "nostart", phase("only", 2015, 8, 8, 1))
	c.Spec.Retry.MaxAttempts = 1
	c.Spec.Job.PendingDeadline = &metav1.Duration{Duration: time.Hour}
	create(t, c)

	_, months := waitFinished(t, ns, c.Name, 1, 2*time.Minute)
	m := months[0]
	if m.Status.State != v1alpha1.MonthFailed || len(m.Status.History) != 4 || m.Status.RunAttempts != 0 || m.Status.OutsideFailures != 4 {
		t.Fatalf("%s: %s, runAttempts %d, outsideFailures %d, history %+v: want Failed after the outside budget (4) with no attempt of the month used",
			m.Name, m.Status.State, m.Status.RunAttempts, m.Status.OutsideFailures, m.Status.History)
	}
	for _, a := range m.Status.History {
		if a.Outcome != v1alpha1.AttemptFailed || a.Reason != v1alpha1.FailureOutside || a.Cause != v1alpha1.CauseSecretMissing ||
			!strings.Contains(a.Message, `secret "`+localsystem.DatabaseSecret+`" not found`) {
			t.Errorf("attempt %d: %s/%s/%s (%s), want Failed/%s/%s naming the Secret", a.Attempt, a.Outcome, a.Reason, a.Cause, a.Message, v1alpha1.FailureOutside, v1alpha1.CauseSecretMissing)
		}
	}
	if ready := meta.FindStatusCondition(m.Status.Conditions, v1alpha1.ConditionReady); ready == nil || ready.Reason != v1alpha1.ReasonOutsideBudgetExhausted {
		t.Errorf("Ready = %+v, want reason %s", ready, v1alpha1.ReasonOutsideBudgetExhausted)
	}
	checkMonthsEndedOnce(t, ns, c.Name, months)
	waitMirrorAgrees(t, ns, c.Name, 30*time.Second)
}

// Deleting a campaign while it runs removes its months, Jobs and pods through Kubernetes'
// garbage collector (owner references), nothing left behind.
func TestDeletingCampaignCollectsMonthsAndJobs(t *testing.T) {
	sys.InjectFaults(t, map[string]fakes.Faults{fakes.ProviderGemini: {LatencyMS: 5000}})
	ns := newNamespace(t, "gc", localsystem.NamespaceOptions{})
	c := newCampaign(ns, "gc", phase("only", 2014, 1, 4, 2))
	create(t, c)
	eventually(t, 2*time.Minute, "Jobs to run", func() (bool, string) {
		jobs := listJobs(t, ns, client.MatchingLabels{v1alpha1.LabelCampaign: c.Name})
		return len(jobs) >= 1, fmt.Sprintf("%d Jobs", len(jobs))
	})
	if err := sys.Client.Delete(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Minute, "the campaign, its months, Jobs and pods to be gone", func() (bool, string) {
		err := sys.Client.Get(context.Background(), client.ObjectKeyFromObject(c), &v1alpha1.BackfillCampaign{})
		months := listMonths(t, ns, c.Name)
		jobs := listJobs(t, ns, client.MatchingLabels{v1alpha1.LabelCampaign: c.Name})
		pods := listPods(t, ns, client.MatchingLabels{v1alpha1.LabelCampaign: c.Name})
		return apierrors.IsNotFound(err) && len(months) == 0 && len(jobs) == 0 && len(pods) == 0,
			fmt.Sprintf("campaign get: %v; %d months, %d Jobs, %d pods", err, len(months), len(jobs), len(pods))
	})
}

// The namespaces enforce the restricted Pod Security Standard — a pod without the required
// security context is refused — and the operator's Job pods are admitted and run there.
func TestRestrictedNamespaceAdmitsJobPods(t *testing.T) {
	ns := newNamespace(t, "restricted", localsystem.NamespaceOptions{})
	plain := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "plain"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
	}
	err := sys.Client.Create(context.Background(), plain, client.DryRunAll)
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "restricted") {
		t.Fatalf("a pod without a restricted security context was not refused by Pod Security admission: %v", err)
	}

	c := newCampaign(ns, "restricted", phase("only", 2014, 6, 7, 2))
	create(t, c)
	_, months := waitFinished(t, ns, c.Name, 2, 2*time.Minute)
	for _, m := range months {
		if m.Status.State != v1alpha1.MonthCompleted {
			t.Errorf("%s ended %s: %s", m.Name, m.Status.State, m.Status.LastError)
		}
		pods := listPods(t, ns, client.MatchingLabels{v1alpha1.LabelMonth: m.Name})
		if len(pods) != int(m.Status.Attempts) {
			t.Errorf("%s: %d pods for %d attempts", m.Name, len(pods), m.Status.Attempts)
		}
		for _, p := range pods {
			if p.Status.Phase != corev1.PodSucceeded {
				t.Errorf("pod %s is %s", p.Name, p.Status.Phase)
			}
		}
	}
	var events corev1.EventList
	if err := sys.Client.List(context.Background(), &events, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for _, e := range events.Items {
		if e.Reason == "FailedCreate" {
			t.Errorf("the Job controller could not create a pod: %s", e.Message)
		}
	}
	checkMonthsEndedOnce(t, ns, c.Name, months)
}
