package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/dev/fakes"
	"github.com/ooheynerds/backfill-operator/internal/dev/localsystem"
)

// newNamespace creates a restricted namespace with the Secrets campaigns reference.
func newNamespace(t testing.TB, prefix string, o localsystem.NamespaceOptions) string {
	t.Helper()
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	name := prefix + "-" + hex.EncodeToString(b)
	ctx := context.Background()
	if err := sys.Namespace(ctx, name, o); err != nil {
		t.Fatal(err)
	}
	if err := sys.Cluster.WaitForDefaultServiceAccount(ctx, name); err != nil {
		t.Fatal(err)
	}
	return name
}

// phase is one phase over months from..to of a year.
func phase(name string, year, from, to, concurrent int32) v1alpha1.Phase {
	return v1alpha1.Phase{
		Name: name, Years: v1alpha1.YearRange{From: year, To: year},
		Months:       &v1alpha1.MonthRange{From: from, To: to},
		MonthsPerDay: 1000, MaxConcurrent: concurrent,
	}
}

// newCampaign is a campaign against the fakes: every provider's base URL points at them and
// rates are high enough that only the operator paces the run.
func newCampaign(ns, name string, phases ...v1alpha1.Phase) *v1alpha1.BackfillCampaign {
	u := sys.Fakes.BaseURLs()
	keyRef := func(key string) *v1alpha1.SecretKeyRef {
		return &v1alpha1.SecretKeyRef{Name: localsystem.APIKeysSecret, Key: key}
	}
	src := func(base string, key string) *v1alpha1.SourceSpec {
		s := &v1alpha1.SourceSpec{BaseURL: base, RequestsPerSecond: ptr.To[int32](100)}
		if key != "" {
			s.APIKeySecretRef = keyRef(key)
		}
		return s
	}
	return &v1alpha1.BackfillCampaign{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.BackfillCampaignSpec{
			Phases:        phases,
			BooksPerMonth: 6,
			Generators: v1alpha1.GeneratorSpec{
				Gemini: &v1alpha1.ModelSpec{BaseURL: u[fakes.ProviderGemini], APIKeySecretRef: keyRef(localsystem.KeyGemini)},
				XAI:    &v1alpha1.ModelSpec{BaseURL: u[fakes.ProviderXAI], APIKeySecretRef: keyRef(localsystem.KeyXAI)},
			},
			Resolver: v1alpha1.ResolverSpec{
				ISBNdb:      src(u[fakes.SourceISBNdb], localsystem.KeyISBNdb),
				GoogleBooks: src(u[fakes.SourceGoogleBooks], localsystem.KeyGoogleBooks),
				OpenLibrary: src(u[fakes.SourceOpenLibrary], ""),
				LOC:         src(u[fakes.SourceLOC], ""),
				Wikidata:    src(u[fakes.SourceWikidata], ""),
				Archive:     src(u[fakes.SourceArchive], ""),
			},
			Retry: v1alpha1.RetryPolicy{
				MaxAttempts: 3,
				BackoffBase: &metav1.Duration{Duration: time.Second},
				BackoffCap:  &metav1.Duration{Duration: 2 * time.Second},
			},
			Job: v1alpha1.JobSpec{DatabaseSecretRef: &v1alpha1.SecretKeyRef{Name: localsystem.DatabaseSecret, Key: localsystem.DatabaseSecretKey}},
		},
	}
}

func create(t testing.TB, obj client.Object) {
	t.Helper()
	if err := sys.Client.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
}

// setFaults changes the fakes' faults through their admin endpoint, and clears them again when
// the test ends.
func setFaults(t testing.TB, faults map[string]fakes.Faults) {
	t.Helper()
	put := func(f map[string]fakes.Faults) error {
		body, _ := json.Marshal(f)
		req, _ := http.NewRequest(http.MethodPut, sys.Fakes.URL()+"/_fake/faults", bytes.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("PUT /_fake/faults: %s", resp.Status)
		}
		return nil
	}
	if err := put(faults); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		clear := map[string]fakes.Faults{}
		for name := range faults {
			clear[name] = fakes.Faults{}
		}
		if err := put(clear); err != nil {
			t.Errorf("clearing faults: %v", err)
		}
	})
}

// eventually polls cond every 250ms until it holds or timeout passes; on timeout the test
// fails with what was last seen and the end of the manager's log.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for {
		ok, seen := cond()
		if ok {
			return
		}
		last = seen
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last seen: %s\n--- manager log (tail) ---\n%s",
				timeout, what, last, localsystem.Tail(sys.ManagerLog(), 4000))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func getCampaign(t testing.TB, ns, name string) *v1alpha1.BackfillCampaign {
	t.Helper()
	c := &v1alpha1.BackfillCampaign{}
	if err := sys.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, c); err != nil {
		t.Fatalf("reading campaign %s/%s: %v", ns, name, err)
	}
	return c
}

func listMonths(t testing.TB, ns, campaign string) []v1alpha1.BackfillMonth {
	t.Helper()
	var l v1alpha1.BackfillMonthList
	if err := sys.Client.List(context.Background(), &l, client.InNamespace(ns), client.MatchingLabels{v1alpha1.LabelCampaign: campaign}); err != nil {
		t.Fatalf("listing months: %v", err)
	}
	sort.Slice(l.Items, func(i, j int) bool { return l.Items[i].Name < l.Items[j].Name })
	return l.Items
}

func listJobs(t testing.TB, ns string, labels client.MatchingLabels) []batchv1.Job {
	t.Helper()
	var l batchv1.JobList
	if err := sys.Client.List(context.Background(), &l, client.InNamespace(ns), labels); err != nil {
		t.Fatalf("listing Jobs: %v", err)
	}
	return l.Items
}

func listPods(t testing.TB, ns string, labels client.MatchingLabels) []corev1.Pod {
	t.Helper()
	var l corev1.PodList
	if err := sys.Client.List(context.Background(), &l, client.InNamespace(ns), labels); err != nil {
		t.Fatalf("listing pods: %v", err)
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

// attemptRow is one row of backfill_attempts.
type attemptRow struct {
	Attempt                       int32
	Outcome                       string
	BooksGenerated, ISBNsResolved int32
}

func attemptRows(t testing.TB, ns, campaign string, year, month int32) []attemptRow {
	t.Helper()
	rows, err := sys.DB.Query(context.Background(), `
		SELECT attempt, outcome, books_generated, isbns_resolved FROM backfill_attempts
		WHERE namespace = $1 AND campaign = $2 AND year = $3 AND month = $4 ORDER BY attempt`, ns, campaign, year, month)
	if err != nil {
		t.Fatalf("reading backfill_attempts: %v", err)
	}
	defer rows.Close()
	var out []attemptRow
	for rows.Next() {
		var a attemptRow
		if err := rows.Scan(&a.Attempt, &a.Outcome, &a.BooksGenerated, &a.ISBNsResolved); err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

// checkMonthsEndedOnce asserts what must hold for every month of a finished campaign whatever
// happened on the way: attempts, history and Jobs agree one to one (Job names <month>-aN for
// N = 1..attempts, no duplicates), exactly the last attempt decides the state, the worker's
// report of a Completed month's succeeding attempt is the month's metrics, and its books are in
// backfill_books once.
func checkMonthsEndedOnce(t testing.TB, ns, campaign string, months []v1alpha1.BackfillMonth) {
	t.Helper()
	var sumBooks int64
	for i := range months {
		m := &months[i]
		s := m.Status
		if int(s.Attempts) != len(s.History) {
			t.Errorf("%s: %d attempts but %d history records", m.Name, s.Attempts, len(s.History))
		}
		// One Job per attempt, named <month>-aN; the only ones missing may be those the
		// operator deleted itself because they exceeded a deadline or their pod could not start
		// (a missing Secret, an image that cannot be pulled).
		jobs := map[string]bool{}
		for _, j := range listJobs(t, ns, client.MatchingLabels{v1alpha1.LabelMonth: m.Name}) {
			jobs[j.Name] = true
		}
		expected := map[string]bool{}
		for _, a := range s.History {
			name := fmt.Sprintf("%s-a%d", m.Name, a.Attempt)
			expected[name] = true
			if a.JobName != name {
				t.Errorf("%s: attempt %d recorded Job %q, want %q", m.Name, a.Attempt, a.JobName, name)
			}
			deletedByDeadline := a.Reason == v1alpha1.FailurePendingTooLong || a.Reason == v1alpha1.FailureRunningTooLong ||
				a.Cause == v1alpha1.CauseSecretMissing || a.Cause == v1alpha1.CauseImageNotPullable || a.Cause == v1alpha1.CauseContainerNotCreated
			if !jobs[name] && !deletedByDeadline {
				t.Errorf("%s: attempt %d (%s) has no Job %s", m.Name, a.Attempt, a.Outcome, name)
			}
		}
		for name := range jobs {
			if !expected[name] {
				t.Errorf("%s: Job %s belongs to no recorded attempt (attempts: %d)", m.Name, name, s.Attempts)
			}
		}
		succeeded := 0
		for k, a := range s.History {
			if a.Outcome == v1alpha1.AttemptSucceeded {
				succeeded++
				if k != len(s.History)-1 {
					t.Errorf("%s: attempt %d succeeded but more attempts followed", m.Name, a.Attempt)
				}
			}
		}
		if m.Status.State == v1alpha1.MonthCompleted {
			if succeeded != 1 {
				t.Errorf("%s: Completed with %d succeeded attempts, want exactly 1", m.Name, succeeded)
			}
			var okRows []attemptRow
			for _, r := range attemptRows(t, ns, campaign, m.Spec.Year, m.Spec.Month) {
				if r.Outcome == "succeeded" {
					okRows = append(okRows, r)
				}
			}
			if len(okRows) != 1 {
				t.Errorf("%s: %d succeeded rows in backfill_attempts, want 1", m.Name, len(okRows))
			} else if r := okRows[0]; r.Attempt != s.Attempts || r.BooksGenerated != s.Metrics.BooksGenerated || r.ISBNsResolved != s.Metrics.ISBNsResolved {
				t.Errorf("%s: worker reported %+v, status says attempt %d with %+v", m.Name, r, s.Attempts, s.Metrics)
			}
			if s.Metrics.BooksGenerated == 0 {
				t.Errorf("%s: Completed without books", m.Name)
			}
		}
		sumBooks += int64(s.Metrics.BooksGenerated)
	}
	// Every generated book is stored once per (title, author) across all campaigns, so this
	// campaign's rows can only be fewer than its months' books (a book another month proposed
	// first is not stored again), never more — more would mean an attempt's books stored twice.
	var rows, distinct int64
	if err := sys.DB.QueryRow(context.Background(), `
		SELECT COUNT(*), COUNT(DISTINCT (title_key, author_key)) FROM backfill_books WHERE namespace = $1 AND campaign = $2`,
		ns, campaign).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows != distinct || rows > sumBooks || rows == 0 && sumBooks > 0 {
		t.Errorf("backfill_books: %d rows (%d distinct) for months reporting %d books", rows, distinct, sumBooks)
	}
}
