// Package invariants checks what must hold for a campaign of the local system once it has
// finished, whatever faults it went through: every month once and finished, one Job per
// attempt, attempts within their bounds, no book stored twice, backfill_log equal to the
// months' status, and the campaign's counts and totals equal to its months'. The end-to-end
// and chaos suites share it, so a fault test asserts the same things as a plain run.
package invariants

import (
	"context"
	"fmt"
	"sort"

	"github.com/jackc/pgx/v5/pgxpool"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/mirror"
)

// Expect describes a campaign the checker judges.
type Expect struct {
	Namespace, Campaign string
	// Months is how many months the campaign plans.
	Months int
	// MaxAttempts is the campaign's retry.maxAttempts.
	MaxAttempts int32
	// AllCompleted requires every month to end Completed (the faults were all survivable).
	AllCompleted bool
}

// outsideBudgetPerAttempt bounds outside failures: at most this many per allowed attempt, so
// nothing loops forever.
const outsideBudgetPerAttempt = 4

// Check returns every invariant the campaign violates now; empty means all hold. Call it in a
// poll: the mirror and the campaign's status converge shortly after the last month finishes.
func Check(ctx context.Context, c client.Client, db *pgxpool.Pool, e Expect) []string {
	var v []string
	bad := func(format string, args ...any) { v = append(v, fmt.Sprintf(format, args...)) }

	var campaign v1alpha1.BackfillCampaign
	if err := c.Get(ctx, client.ObjectKey{Namespace: e.Namespace, Name: e.Campaign}, &campaign); err != nil {
		return []string{fmt.Sprintf("reading campaign: %v", err)}
	}
	var list v1alpha1.BackfillMonthList
	if err := c.List(ctx, &list, client.InNamespace(e.Namespace), client.MatchingLabels{v1alpha1.LabelCampaign: e.Campaign}); err != nil {
		return []string{fmt.Sprintf("listing months: %v", err)}
	}
	months := list.Items
	sort.Slice(months, func(i, j int) bool { return months[i].Name < months[j].Name })
	var jobs batchv1.JobList
	if err := c.List(ctx, &jobs, client.InNamespace(e.Namespace), client.MatchingLabels{v1alpha1.LabelCampaign: e.Campaign}); err != nil {
		return []string{fmt.Sprintf("listing Jobs: %v", err)}
	}
	var pods corev1.PodList
	if err := c.List(ctx, &pods, client.InNamespace(e.Namespace), client.MatchingLabels{v1alpha1.LabelCampaign: e.Campaign}); err != nil {
		return []string{fmt.Sprintf("listing pods: %v", err)}
	}

	// Every month once, and finished: none stuck.
	if len(months) != e.Months {
		bad("%d months, want %d", len(months), e.Months)
	}
	seen := map[[2]int32]string{}
	counts := map[v1alpha1.MonthState]int32{}
	var books, resolved int64
	for i := range months {
		m := &months[i]
		key := [2]int32{m.Spec.Year, m.Spec.Month}
		if other, dup := seen[key]; dup {
			bad("%s and %s are both %04d-%02d", other, m.Name, key[0], key[1])
		}
		seen[key] = m.Name
		counts[m.Status.State]++
		books += int64(m.Status.Metrics.BooksGenerated)
		resolved += int64(m.Status.Metrics.ISBNsResolved)
		if !m.Status.State.Finished() {
			bad("%s is %q (attempts %d, last error %q): not finished", m.Name, m.Status.State, m.Status.Attempts, m.Status.LastError)
		} else if e.AllCompleted && m.Status.State != v1alpha1.MonthCompleted {
			bad("%s ended %s after %d attempts: %s", m.Name, m.Status.State, m.Status.Attempts, m.Status.LastError)
		}
		v = append(v, checkAttempts(m, e.MaxAttempts, jobsOf(jobs.Items, m.UID))...)
		v = append(v, checkReport(ctx, db, m)...)
	}
	for _, j := range jobs.Items {
		if j.DeletionTimestamp == nil && !jobFinished(&j) {
			bad("Job %s is still running", j.Name)
		}
	}
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil && (p.Status.Phase == corev1.PodPending || p.Status.Phase == corev1.PodRunning) {
			bad("pod %s is still %s", p.Name, p.Status.Phase)
		}
	}

	// The campaign counts and sums its months.
	cm := campaign.Status.Months
	if cm.Total != int32(e.Months) || cm.Completed != counts[v1alpha1.MonthCompleted] || cm.Failed != counts[v1alpha1.MonthFailed] ||
		cm.Processing != counts[v1alpha1.MonthProcessing] || cm.Retry != counts[v1alpha1.MonthRetry] {
		bad("campaign counts %+v, months: %d completed, %d failed, %d processing, %d retry of %d",
			cm, counts[v1alpha1.MonthCompleted], counts[v1alpha1.MonthFailed], counts[v1alpha1.MonthProcessing], counts[v1alpha1.MonthRetry], len(months))
	}
	if t := campaign.Status.Totals; t.BooksGenerated != books || t.ISBNsResolved != resolved {
		bad("campaign totals %d books, %d resolved; months sum to %d, %d", t.BooksGenerated, t.ISBNsResolved, books, resolved)
	}

	// No book stored twice: one row per (title, author) in the campaign, never more rows than
	// the months report (a book another month proposed first is not stored again).
	var rows, distinct int64
	if err := db.QueryRow(ctx, `
		SELECT COUNT(*), COUNT(DISTINCT (title_key, author_key)) FROM backfill_books WHERE namespace = $1 AND campaign = $2`,
		e.Namespace, e.Campaign).Scan(&rows, &distinct); err != nil {
		bad("reading backfill_books: %v", err)
	} else if rows != distinct || rows > books || rows == 0 && books > 0 {
		bad("backfill_books: %d rows (%d distinct) for months reporting %d books", rows, distinct, books)
	}

	v = append(v, checkMirror(ctx, db, e, months)...)
	return v
}

// checkAttempts: attempts and history agree, numbered 1..n; only the last attempt may have
// succeeded, and a Completed month's did; the month's own failures stay within maxAttempts and
// outside ones within their budget; one Job per attempt, each named as its record says.
func checkAttempts(m *v1alpha1.BackfillMonth, maxAttempts int32, jobs []batchv1.Job) []string {
	var v []string
	bad := func(format string, args ...any) { v = append(v, m.Name+": "+fmt.Sprintf(format, args...)) }
	s := m.Status
	if int(s.Attempts) != len(s.History) {
		bad("%d attempts but %d history records", s.Attempts, len(s.History))
	}
	var own, outside, succeeded int32
	byAttempt := map[int32]v1alpha1.AttemptRecord{}
	for i, a := range s.History {
		if a.Attempt != int32(i+1) {
			bad("history record %d is attempt %d", i+1, a.Attempt)
		}
		byAttempt[a.Attempt] = a
		switch {
		case a.Outcome == v1alpha1.AttemptSucceeded:
			succeeded++
			own++
			if i != len(s.History)-1 {
				bad("attempt %d succeeded but more attempts followed", a.Attempt)
			}
		case a.Reason == v1alpha1.FailureOutside:
			outside++
		default:
			own++
		}
	}
	if own > maxAttempts {
		bad("%d attempts of its own, maxAttempts %d", own, maxAttempts)
	}
	if outside > outsideBudgetPerAttempt*maxAttempts {
		bad("%d failures from outside, budget %d", outside, outsideBudgetPerAttempt*maxAttempts)
	}
	if s.State == v1alpha1.MonthCompleted && succeeded != 1 {
		bad("Completed with %d succeeded attempts", succeeded)
	}
	if s.State == v1alpha1.MonthCompleted && s.Metrics.BooksGenerated == 0 {
		bad("Completed without books")
	}
	jobOf := map[int32]string{}
	for _, j := range jobs {
		var n int32
		if _, err := fmt.Sscan(j.Labels[v1alpha1.LabelAttempt], &n); err != nil {
			bad("Job %s has attempt label %q", j.Name, j.Labels[v1alpha1.LabelAttempt])
			continue
		}
		if other, dup := jobOf[n]; dup {
			bad("attempt %d has two Jobs, %s and %s", n, other, j.Name)
		}
		jobOf[n] = j.Name
		a, ok := byAttempt[n]
		if !ok {
			bad("Job %s (attempt %d) belongs to no recorded attempt", j.Name, n)
		} else if a.JobName != j.Name {
			bad("attempt %d recorded Job %q, but its Job is %s", n, a.JobName, j.Name)
		}
	}
	for _, a := range s.History {
		// The operator deletes the Jobs of attempts past a deadline, and of attempts whose pod
		// cannot start (a missing Secret, an image that cannot be pulled), itself.
		deletedByOperator := a.Reason == v1alpha1.FailurePendingTooLong || a.Reason == v1alpha1.FailureRunningTooLong ||
			a.Cause == v1alpha1.CauseSecretMissing || a.Cause == v1alpha1.CauseImageNotPullable || a.Cause == v1alpha1.CauseContainerNotCreated
		if _, ok := jobOf[a.Attempt]; !ok && !deletedByOperator {
			bad("attempt %d (%s/%s) has no Job", a.Attempt, a.Outcome, a.Reason)
		}
	}
	return v
}

// checkReport: a Completed month's metrics are its worker's report of the succeeding attempt,
// and that is the only succeeded report of this incarnation.
func checkReport(ctx context.Context, db *pgxpool.Pool, m *v1alpha1.BackfillMonth) []string {
	if m.Status.State != v1alpha1.MonthCompleted {
		return nil
	}
	// Attempt rows name the month's incarnation once the schema has month_uid; before, every
	// row of the (namespace, campaign, year, month) is this month's.
	query := `SELECT attempt, books_generated, isbns_resolved FROM backfill_attempts
		WHERE namespace = $1 AND campaign = $2 AND year = $3 AND month = $4 AND outcome = 'succeeded'`
	args := []any{m.Namespace, m.Spec.Campaign, m.Spec.Year, m.Spec.Month}
	if hasColumn(ctx, db, "backfill_attempts", "month_uid") {
		query += ` AND month_uid = $5`
		args = append(args, string(m.UID))
	}
	rows, err := db.Query(ctx, query, args...)
	if err != nil {
		return []string{fmt.Sprintf("%s: reading backfill_attempts: %v", m.Name, err)}
	}
	defer rows.Close()
	type report struct{ attempt, books, resolved int32 }
	var reports []report
	for rows.Next() {
		var r report
		if err := rows.Scan(&r.attempt, &r.books, &r.resolved); err != nil {
			return []string{err.Error()}
		}
		reports = append(reports, r)
	}
	if len(reports) != 1 {
		return []string{fmt.Sprintf("%s: %d succeeded reports in backfill_attempts, want 1", m.Name, len(reports))}
	}
	s := m.Status
	if r := reports[0]; r.attempt != s.Attempts || r.books != s.Metrics.BooksGenerated || r.resolved != s.Metrics.ISBNsResolved {
		return []string{fmt.Sprintf("%s: worker reported attempt %d with %d books, %d resolved; status says attempt %d with %+v",
			m.Name, r.attempt, r.books, r.resolved, s.Attempts, s.Metrics)}
	}
	return nil
}

// checkMirror: backfill_log holds one row per month, equal to what the month's status says.
func checkMirror(ctx context.Context, db *pgxpool.Pool, e Expect, months []v1alpha1.BackfillMonth) []string {
	rows, err := db.Query(ctx, `
		SELECT year, month, status, phase, COALESCE(batch_size, 0), COALESCE(books_generated, 0),
		       COALESCE(isbns_resolved, 0), COALESCE(retry_count, 0), COALESCE(error_message, '')
		FROM backfill_log WHERE namespace = $1 AND campaign = $2`, e.Namespace, e.Campaign)
	if err != nil {
		return []string{fmt.Sprintf("reading backfill_log: %v", err)}
	}
	defer rows.Close()
	type row struct {
		status, phase                    string
		batchSize, books, resolved, retr int32
		errorMessage                     string
	}
	got := map[[2]int32]row{}
	for rows.Next() {
		var y, m int32
		var r row
		if err := rows.Scan(&y, &m, &r.status, &r.phase, &r.batchSize, &r.books, &r.resolved, &r.retr, &r.errorMessage); err != nil {
			return []string{err.Error()}
		}
		got[[2]int32{y, m}] = r
	}
	var v []string
	for i := range months {
		m := &months[i]
		want := mirror.RowFor(m)
		w := row{status: want.Status, phase: want.Phase, batchSize: want.BatchSize, books: want.BooksGenerated,
			resolved: want.ISBNsResolved, retr: want.RetryCount}
		if want.ErrorMessage != nil {
			w.errorMessage = *want.ErrorMessage
		}
		g, ok := got[[2]int32{m.Spec.Year, m.Spec.Month}]
		switch {
		case !ok:
			v = append(v, m.Name+": no backfill_log row")
		case g != w:
			v = append(v, fmt.Sprintf("%s: backfill_log %+v, status says %+v", m.Name, g, w))
		}
	}
	if len(got) != len(months) {
		v = append(v, fmt.Sprintf("backfill_log has %d rows for %d months", len(got), len(months)))
	}
	return v
}

func jobsOf(all []batchv1.Job, month types.UID) []batchv1.Job {
	var out []batchv1.Job
	for _, j := range all {
		if owner := metav1.GetControllerOf(&j); owner != nil && owner.UID == month {
			out = append(out, j)
		}
	}
	return out
}

func jobFinished(j *batchv1.Job) bool {
	for _, c := range j.Status.Conditions {
		if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

func hasColumn(ctx context.Context, db *pgxpool.Pool, table, column string) bool {
	var n int
	err := db.QueryRow(ctx, `SELECT COUNT(*) FROM information_schema.columns WHERE table_name = $1 AND column_name = $2`,
		table, column).Scan(&n)
	return err == nil && n > 0
}
