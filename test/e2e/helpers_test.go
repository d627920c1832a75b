package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/dev/fakes"
	"github.com/ooheynerds/backfill-operator/internal/dev/invariants"
	"github.com/ooheynerds/backfill-operator/internal/dev/localsystem"
)

// The suite's helpers for namespaces, objects and waiting are the local system's, shared with
// the chaos suite.

func newNamespace(t testing.TB, prefix string, o localsystem.NamespaceOptions) string {
	t.Helper()
	return sys.NewNamespace(t, prefix, o)
}

func create(t testing.TB, obj client.Object) { t.Helper(); sys.Create(t, obj) }

func eventually(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	sys.Eventually(t, timeout, what, cond)
}

func getCampaign(t testing.TB, ns, name string) *v1alpha1.BackfillCampaign {
	t.Helper()
	return sys.GetCampaign(t, ns, name)
}

func listMonths(t testing.TB, ns, campaign string) []v1alpha1.BackfillMonth {
	t.Helper()
	return sys.ListMonths(t, ns, campaign)
}

func listPods(t testing.TB, ns string, labels client.MatchingLabels) []corev1.Pod {
	t.Helper()
	return sys.ListPods(t, ns, labels)
}

// phase is one phase over months from..to of a year.
func phase(name string, year, from, to, concurrent int32) v1alpha1.Phase {
	return localsystem.Phase(name, year, from, to, concurrent)
}

// newCampaign is a campaign against the fakes (localsystem.System.Campaign).
func newCampaign(ns, name string, phases ...v1alpha1.Phase) *v1alpha1.BackfillCampaign {
	return sys.Campaign(ns, name, phases...)
}

func listJobs(t testing.TB, ns string, labels client.MatchingLabels) []batchv1.Job {
	t.Helper()
	var l batchv1.JobList
	if err := sys.Client.List(context.Background(), &l, client.InNamespace(ns), labels); err != nil {
		t.Fatalf("listing Jobs: %v", err)
	}
	return l.Items
}

// waitFinished waits until every month of the campaign has finished (Completed or Failed) and
// the campaign's status counts them all, and returns both.
func waitFinished(t testing.TB, ns, name string, wantMonths int, timeout time.Duration) (*v1alpha1.BackfillCampaign, []v1alpha1.BackfillMonth) {
	t.Helper()
	var c *v1alpha1.BackfillCampaign
	var months []v1alpha1.BackfillMonth
	eventually(t, timeout, fmt.Sprintf("campaign %s/%s to finish its %d months", ns, name, wantMonths), func() (bool, string) {
		c = getCampaign(t, ns, name)
		months = listMonths(t, ns, name)
		finished := 0
		for _, m := range months {
			if m.Status.State.Finished() {
				finished++
			}
		}
		cm := c.Status.Months
		seen := fmt.Sprintf("%d months, %d finished; campaign status %+v, ready=%v", len(months), finished, cm, readyReason(c))
		return len(months) == wantMonths && finished == wantMonths && int(cm.Completed+cm.Failed) == wantMonths && cm.Total == int32(wantMonths), seen
	})
	return c, months
}

// runInModelOutage runs a campaign "outage" of one phase in a new namespace while both
// language models are down (until the test ends or clears the faults), so that each of its
// months fails after maxAttempts, and returns the namespace, the campaign and its finished months.
func runInModelOutage(t testing.TB, prefix string, p v1alpha1.Phase, maxAttempts int32, months int) (string, *v1alpha1.BackfillCampaign, []v1alpha1.BackfillMonth) {
	t.Helper()
	sys.InjectFaults(t, map[string]fakes.Faults{fakes.ProviderGemini: {Outage: true}, fakes.ProviderXAI: {Outage: true}})
	ns := newNamespace(t, prefix, localsystem.NamespaceOptions{})
	c := newCampaign(ns, "outage", p)
	c.Spec.Retry.MaxAttempts = maxAttempts
	create(t, c)
	_, finished := waitFinished(t, ns, c.Name, months, 3*time.Minute)
	return ns, c, finished
}

func readyReason(c *v1alpha1.BackfillCampaign) string {
	if r := meta.FindStatusCondition(c.Status.Conditions, v1alpha1.ConditionReady); r != nil {
		return string(r.Status) + "/" + r.Reason
	}
	return "none"
}

// logRow is the part of a backfill_log row the tests compare with the month's status.
type logRow struct {
	Status         string
	BooksGenerated int32
	ISBNsResolved  int32
	RetryCount     int32
	ErrorMessage   string
}

func backfillLog(t testing.TB, ns, campaign string) map[string]logRow {
	t.Helper()
	rows, err := sys.DB.Query(context.Background(), `
		SELECT year, month, status, COALESCE(books_generated, 0), COALESCE(isbns_resolved, 0), COALESCE(retry_count, 0), COALESCE(error_message, '')
		FROM backfill_log WHERE namespace = $1 AND campaign = $2`, ns, campaign)
	if err != nil {
		t.Fatalf("reading backfill_log: %v", err)
	}
	defer rows.Close()
	out := map[string]logRow{}
	for rows.Next() {
		var y, m int32
		var r logRow
		if err := rows.Scan(&y, &m, &r.Status, &r.BooksGenerated, &r.ISBNsResolved, &r.RetryCount, &r.ErrorMessage); err != nil {
			t.Fatal(err)
		}
		out[fmt.Sprintf("%s-%04d-%02d", campaign, y, m)] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// rowOf is what backfill_log must say about a month, derived here from the seed's meaning of
// its columns (status in lower case, the latest results, failed attempts as retry_count).
func rowOf(m *v1alpha1.BackfillMonth) logRow {
	r := logRow{
		Status:         strings.ToLower(string(m.EffectiveState())),
		BooksGenerated: m.Status.Metrics.BooksGenerated,
		ISBNsResolved:  m.Status.Metrics.ISBNsResolved,
		ErrorMessage:   m.Status.LastError,
	}
	for _, a := range m.Status.History {
		if a.Outcome == v1alpha1.AttemptFailed {
			r.RetryCount++
		}
	}
	return r
}

// mirrorDiff lists where backfill_log and the months' status disagree.
func mirrorDiff(t testing.TB, ns, campaign string, months []v1alpha1.BackfillMonth) []string {
	t.Helper()
	log := backfillLog(t, ns, campaign)
	var diffs []string
	for i := range months {
		m := &months[i]
		got, ok := log[m.Name]
		if !ok {
			diffs = append(diffs, m.Name+": no backfill_log row")
			continue
		}
		if want := rowOf(m); got != want {
			diffs = append(diffs, fmt.Sprintf("%s: backfill_log %+v, status %+v", m.Name, got, want))
		}
	}
	if len(log) != len(months) {
		diffs = append(diffs, fmt.Sprintf("backfill_log has %d rows for %d months", len(log), len(months)))
	}
	return diffs
}

// waitMirrorAgrees waits for the mirror to converge on the months' final status.
func waitMirrorAgrees(t testing.TB, ns, campaign string, timeout time.Duration) {
	t.Helper()
	eventually(t, timeout, "backfill_log to agree with the months' status", func() (bool, string) {
		d := mirrorDiff(t, ns, campaign, listMonths(t, ns, campaign))
		return len(d) == 0, strings.Join(d, "; ")
	})
}

// checkMonthsEndedOnce waits until every invariant of a finished campaign holds (see
// internal/dev/invariants, shared with the chaos suite): each month once and finished, one Job
// per attempt, attempts within bounds, the worker's report as the month's metrics, no book
// stored twice, backfill_log equal to the status, the campaign's counts and totals its months'.
func checkMonthsEndedOnce(t testing.TB, ns, campaign string, months []v1alpha1.BackfillMonth) {
	t.Helper()
	c := getCampaign(t, ns, campaign)
	e := invariants.Expect{Namespace: ns, Campaign: campaign, Months: len(months), MaxAttempts: c.Spec.Retry.MaxAttempts}
	eventually(t, 30*time.Second, "the campaign's invariants", func() (bool, string) {
		v := invariants.Check(context.Background(), sys.Client, sys.DB, e)
		return len(v) == 0, strings.Join(v, "; ")
	})
}
