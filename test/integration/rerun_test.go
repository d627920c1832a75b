package integration

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/admission"
	"github.com/ooheynerds/backfill-operator/internal/database"
	"github.com/ooheynerds/backfill-operator/internal/dev/builders"
	"github.com/ooheynerds/backfill-operator/internal/dev/testdb"
	"github.com/ooheynerds/backfill-operator/internal/dev/testenv"
	"github.com/ooheynerds/backfill-operator/internal/rerun"
)

// rerunWorld is a sim whose manager can be stopped and started again on the same clock and
// database, as a crash and restart would.
type rerunWorld struct {
	*sim
	dbURL string
	mgr   *testenv.Manager
}

func newRerunWorld(t *testing.T, c *v1alpha1.BackfillCampaign, outcomeOf func(*v1alpha1.BackfillMonth, int) outcome) *rerunWorld {
	t.Helper()
	ctx := context.Background()
	ns := env.NewNamespace(t, "rerun")
	dbURL, pool := testdb.New(t)
	w := &rerunWorld{dbURL: dbURL, sim: &sim{t: t, ctx: ctx, c: env.Client, ns: ns, pool: pool,
		clock: clocktesting.NewFakeClock(start), outcome: outcomeOf, done: map[string]bool{}}}
	w.startManager()
	t.Cleanup(func() { w.mgr.Stop() })
	c.Namespace = ns
	if err := env.Client.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *rerunWorld) startManager() {
	mgr, err := env.StartManager(w.ctx, testenv.ManagerOptions{Clock: w.clock, DatabaseURL: w.dbURL, Jobs: jobs})
	if err != nil {
		w.t.Fatal(err)
	}
	w.mgr = mgr
}

// failFirstAttempt fails attempt 1 of the listed months (a provider outage) and fills every
// other attempt with 10 books, 9 resolved.
func failFirstAttempt(months ...int32) func(*v1alpha1.BackfillMonth, int) outcome {
	return func(m *v1alpha1.BackfillMonth, attempt int) outcome {
		if attempt == 1 && slices.Contains(months, m.Spec.Month) {
			return outcome{fail: true}
		}
		return outcome{books: 10, resolved: 9, isbndb: 2}
	}
}

func campaignCompleted(c *v1alpha1.BackfillCampaign) bool {
	ready := meta.FindStatusCondition(c.Status.Conditions, v1alpha1.ConditionReady)
	return ready != nil && ready.Status == metav1.ConditionTrue && ready.Reason == v1alpha1.ReasonCompleted
}

func rerunStatus(c *v1alpha1.BackfillCampaign, name string) *v1alpha1.RerunStatus {
	for i := range c.Status.Reruns {
		if c.Status.Reruns[i].Name == name {
			return &c.Status.Reruns[i]
		}
	}
	return nil
}

func rerunIn(name string, state v1alpha1.RerunState) func(*v1alpha1.BackfillCampaign) bool {
	return func(c *v1alpha1.BackfillCampaign) bool {
		st := rerunStatus(c, name)
		return st != nil && st.State == state
	}
}

// setReruns replaces spec.reruns, as a user applying a new version of the campaign would.
func (w *rerunWorld) setReruns(campaign string, reruns ...v1alpha1.Rerun) {
	w.t.Helper()
	w.editSpec(campaign, func(c *v1alpha1.BackfillCampaign) { c.Spec.Reruns = reruns })
}

func (w *rerunWorld) month(campaign string, year, month int32) *v1alpha1.BackfillMonth {
	w.t.Helper()
	var m v1alpha1.BackfillMonth
	key := client.ObjectKey{Namespace: w.ns, Name: builders.MakeMonth(campaign, w.ns, "", year, month).Obj().Name}
	if err := w.c.Get(w.ctx, key, &m); err != nil {
		w.t.Fatal(err)
	}
	return &m
}

// attemptRows are the outcomes the worker recorded in backfill_attempts for a month, by attempt.
func (w *rerunWorld) attemptRows(campaign string, year, month int32) []string {
	w.t.Helper()
	rows, err := w.pool.Query(w.ctx, `SELECT outcome FROM backfill_attempts
		WHERE namespace = $1 AND campaign = $2 AND year = $3 AND month = $4 ORDER BY attempt`, w.ns, campaign, year, month)
	if err != nil {
		w.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			w.t.Fatal(err)
		}
		out = append(out, o)
	}
	return out
}

// outcomes is a month's attempt history as its outcomes, oldest first.
func outcomes(m *v1alpha1.BackfillMonth) []v1alpha1.AttemptOutcome {
	var out []v1alpha1.AttemptOutcome
	for _, a := range m.Status.History {
		out = append(out, a.Outcome)
	}
	return out
}

// waitForEvent waits until the campaign has an event with this reason whose note contains text.
func (w *rerunWorld) waitForEvent(campaign, reason, text string) {
	w.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var evs eventsv1.EventList
		if err := w.c.List(w.ctx, &evs, client.InNamespace(w.ns)); err != nil {
			w.t.Fatal(err)
		}
		for _, e := range evs.Items {
			if e.Regarding.Kind == "BackfillCampaign" && e.Regarding.Name == campaign && e.Reason == reason && strings.Contains(e.Note, text) {
				return
			}
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("no %s event on campaign %s saying %q", reason, campaign, text)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestSpecRerunOfFailedMonthsRunsThemOnceThroughAdmission: the first two months admitted fail in
// an outage; the next day's two are admitted and use up monthsPerDay. A rerun in the spec asks
// exactly the failed two; they wait for the cadence window like new runs and then use up a day
// of it themselves, complete with their history and attempt numbering kept, and nothing runs a
// second time.
func TestSpecRerunOfFailedMonthsRunsThemOnceThroughAdmission(t *testing.T) {
	c := builders.MakeCampaign("outage", "").Phase("p", 2020, 2020, 2, 4).Months(1, 6).
		Retry(1, time.Minute, time.Minute).Database("db", "url").Obj()
	w := newRerunWorld(t, c, failFirstAttempt(5, 6)) // newest first: 06 and 05 run on day one
	w.until("outage", 10, "the outage's months to fail", func(c *v1alpha1.BackfillCampaign) bool { return c.Status.Months.Failed == 2 })

	w.setReruns("outage", v1alpha1.Rerun{Name: "after-outage"})
	got := w.until("outage", 5, "the rerun to ask its months", func(c *v1alpha1.BackfillCampaign) bool {
		st := rerunStatus(c, "after-outage")
		return st != nil && st.State != v1alpha1.RerunRequesting
	})
	st := rerunStatus(got, "after-outage")
	token := rerun.Token(got.UID, "after-outage")
	if st.Matched != 2 || st.Done+int32(len(st.Waiting)) != 2 || st.Token != token || st.Removed {
		t.Fatalf("rerun status %+v, want the two failed months matched, token %s", st, token)
	}
	for mon, want := range map[int32]string{1: "", 2: "", 3: "", 4: "", 5: token, 6: token} {
		if ann := w.month("outage", 2020, mon).Annotations[v1alpha1.AnnotationRerun]; ann != want {
			t.Errorf("month 2020-%02d rerun annotation %q, want %q", mon, ann, want)
		}
	}
	w.waitForEvent("outage", rerun.EventRerunRecorded, "Rerun after-outage matched 2 month(s)")

	w.until("outage", 30, "the rerun to finish", rerunIn("after-outage", v1alpha1.RerunFinished))
	got = w.until("outage", 30, "the campaign to finish", campaignCompleted)
	st = rerunStatus(got, "after-outage")
	if st.Matched != 2 || st.Done != 2 || len(st.Waiting) != 0 || st.FinishedAt == nil {
		t.Fatalf("finished rerun status %+v, want 2 of 2 done", st)
	}
	w.waitForEvent("outage", rerun.EventRerunFinished, "Rerun after-outage finished: 2 of 2 month(s) ran again")
	if got.Status.Months.Completed != 6 {
		t.Fatalf("after the rerun: %+v, want all 6 completed", got.Status.Months)
	}
	// day two's admissions (04, 03) filled monthsPerDay: the reruns waited 24 hours for them
	windowFull := *w.month("outage", 2020, 4).FirstAdmittedAt()
	var rerunAdmitted time.Time
	for _, mon := range []int32{5, 6} {
		m := w.month("outage", 2020, mon)
		if m.Status.State != v1alpha1.MonthCompleted || m.Status.Attempts != 2 ||
			!slices.Equal(outcomes(m), []v1alpha1.AttemptOutcome{v1alpha1.AttemptFailed, v1alpha1.AttemptSucceeded}) {
			t.Errorf("month %s: %s after %d attempts, history %v; want Completed after 2, the failed attempt kept", m.Name, m.Status.State, m.Status.Attempts, outcomes(m))
		}
		if rows := w.attemptRows("outage", 2020, mon); !slices.Equal(rows, []string{string(database.OutcomeFailed), string(database.OutcomeSucceeded)}) {
			t.Errorf("month %s backfill_attempts %v, want attempt 1 failed and attempt 2 succeeded", m.Name, rows)
		}
		runs := admission.Admissions(m)
		if len(runs) != 2 || runs[1].Before(windowFull.Add(admission.Window)) {
			t.Fatalf("month %s runs admitted at %v, want its rerun admitted no earlier than %v (monthsPerDay 2 was used up)", m.Name, runs, windowFull.Add(admission.Window))
		}
		rerunAdmitted = runs[1]
	}
	// and the two reruns used up their day: the months that never ran waited 24 hours for them
	for _, mon := range []int32{1, 2} {
		m := w.month("outage", 2020, mon)
		if m.Status.Attempts != 1 {
			t.Errorf("month %s ran %d times; the rerun did not select it", m.Name, m.Status.Attempts)
		}
		if at := *m.FirstAdmittedAt(); at.Before(rerunAdmitted.Add(admission.Window)) {
			t.Errorf("month %s admitted at %v, within 24 hours of the two reruns admitted at %v: monthsPerDay 2 exceeded", m.Name, at, rerunAdmitted)
		}
	}
	jobCount := len(w.jobs())
	if jobCount != 8 {
		t.Fatalf("%d Jobs, want 8 (6 first runs, 2 reruns)", jobCount)
	}

	// applies once: more passes, and the spec left as it is, start nothing
	for i := 0; i < 3; i++ {
		w.advance("outage")
	}
	if n := len(w.jobs()); n != jobCount {
		t.Fatalf("%d Jobs after the rerun finished, want %d: a rerun applies once", n, jobCount)
	}
	// removed from the spec: its record stays, marked
	w.setReruns("outage")
	got = w.until("outage", 5, "the rerun to be marked removed", func(c *v1alpha1.BackfillCampaign) bool {
		st := rerunStatus(c, "after-outage")
		return st != nil && st.Removed
	})
	if st := rerunStatus(got, "after-outage"); st.State != v1alpha1.RerunFinished || st.Done != 2 {
		t.Fatalf("removed rerun lost its history: %+v", st)
	}
}

// TestSpecRerunOfMonthsBelowAQualityBar: after a better prompt, the months whose resolution
// rate or book count fell short run again; the others do not.
func TestSpecRerunOfMonthsBelowAQualityBar(t *testing.T) {
	c := builders.MakeCampaign("quality", "").Phase("p", 2020, 2020, 10, 3).Months(1, 3).Database("db", "url").Obj()
	w := newRerunWorld(t, c, func(m *v1alpha1.BackfillMonth, attempt int) outcome {
		if attempt == 1 {
			switch m.Spec.Month {
			case 1:
				return outcome{books: 10, resolved: 5} // 50%
			case 3:
				return outcome{books: 3, resolved: 3} // 100%, but few books
			}
		}
		return outcome{books: 10, resolved: 9}
	})
	w.until("quality", 20, "the campaign to finish", campaignCompleted)

	w.setReruns("quality",
		v1alpha1.Rerun{Name: "poor-rate", States: []v1alpha1.MonthState{v1alpha1.MonthCompleted}, ResolutionRateBelow: ptr.To[int32](80)},
		v1alpha1.Rerun{Name: "few-books", States: []v1alpha1.MonthState{v1alpha1.MonthCompleted}, BooksFewerThan: ptr.To[int32](5)})
	got := w.until("quality", 5, "both reruns to ask their months", func(c *v1alpha1.BackfillCampaign) bool {
		a, b := rerunStatus(c, "poor-rate"), rerunStatus(c, "few-books")
		return a != nil && b != nil && a.State != v1alpha1.RerunRequesting && b.State != v1alpha1.RerunRequesting
	})
	if st := rerunStatus(got, "poor-rate"); st.Matched != 1 {
		t.Fatalf("poor-rate %+v, want one month (2020-01: 50%% < 80%%)", st)
	}
	if st := rerunStatus(got, "few-books"); st.Matched != 1 {
		t.Fatalf("few-books %+v, want one month (2020-03: 3 books < 5)", st)
	}
	for mon, want := range map[int32]string{1: rerun.Token(got.UID, "poor-rate"), 2: "", 3: rerun.Token(got.UID, "few-books")} {
		if ann := w.month("quality", 2020, mon).Annotations[v1alpha1.AnnotationRerun]; ann != want {
			t.Errorf("month 2020-%02d rerun annotation %q, want %q", mon, ann, want)
		}
	}

	got = w.until("quality", 20, "both reruns to finish", func(c *v1alpha1.BackfillCampaign) bool {
		return rerunIn("poor-rate", v1alpha1.RerunFinished)(c) && rerunIn("few-books", v1alpha1.RerunFinished)(c)
	})
	for mon, attempts := range map[int32]int32{1: 2, 2: 1, 3: 2} {
		m := w.month("quality", 2020, mon)
		if m.Status.Attempts != attempts || m.Status.State != v1alpha1.MonthCompleted {
			t.Errorf("month %s: %s after %d attempts, want Completed after %d", m.Name, m.Status.State, m.Status.Attempts, attempts)
		}
		if m.Status.Metrics.BooksGenerated != 10 || m.Status.Metrics.ISBNsResolved != 9 {
			t.Errorf("month %s metrics %+v, want the latest run's 10 books, 9 resolved", m.Name, m.Status.Metrics)
		}
	}
	if got.Status.Totals.BooksGenerated != 30 || got.Status.Totals.ISBNsResolved != 27 {
		t.Errorf("campaign totals %+v, want each month counted once, from its latest run", got.Status.Totals)
	}
}

// TestRerunCutShortFinishesWithTheMonthsItRecorded: the manager stopped after a pass recorded a
// rerun and asked only one of its two months. Meanwhile a third month failed. The restarted
// manager asks the second recorded month, with the same token, and not the third.
func TestRerunCutShortFinishesWithTheMonthsItRecorded(t *testing.T) {
	c := builders.MakeCampaign("crash", "").Phase("p", 2020, 2020, 10, 4).Months(1, 4).
		Retry(1, time.Minute, time.Minute).Database("db", "url").Obj()
	w := newRerunWorld(t, c, failFirstAttempt(1, 2))
	got := w.until("crash", 20, "the campaign to finish", campaignCompleted)
	w.mgr.Stop()

	// what the killed pass left: the spec's rerun recorded with its two months, one of them asked
	token := rerun.Token(got.UID, "after-outage")
	w.setReruns("crash", v1alpha1.Rerun{Name: "after-outage"})
	got = w.campaign("crash")
	got.Status.Reruns = []v1alpha1.RerunStatus{{Name: "after-outage", Token: token, State: v1alpha1.RerunRequesting,
		Matched: 2, Waiting: []string{"2020-01", "2020-02"}, StartedAt: metav1.Time{Time: w.clock.Now().Truncate(time.Second)}}}
	if err := w.c.Status().Update(w.ctx, got); err != nil {
		t.Fatal(err)
	}
	first := w.month("crash", 2020, 1)
	patch := client.MergeFrom(first.DeepCopy())
	first.Annotations[v1alpha1.AnnotationRerun] = token
	if err := w.c.Patch(w.ctx, first, patch); err != nil {
		t.Fatal(err)
	}
	// and since then another month failed: it matches the selector now, but was not recorded
	fourth := w.month("crash", 2020, 4)
	fourth.Status.State = v1alpha1.MonthFailed
	if err := w.c.Status().Update(w.ctx, fourth); err != nil {
		t.Fatal(err)
	}

	w.startManager()
	got = w.until("crash", 5, "the restarted manager to ask the rest", func(c *v1alpha1.BackfillCampaign) bool {
		st := rerunStatus(c, "after-outage")
		return st != nil && st.State != v1alpha1.RerunRequesting
	})
	if st := rerunStatus(got, "after-outage"); st.Matched != 2 || st.Done+int32(len(st.Waiting)) != 2 || st.Token != token {
		t.Fatalf("rerun status after the restart %+v, want the recorded months and token", st)
	}
	for mon, want := range map[int32]string{1: token, 2: token, 3: "", 4: ""} {
		if ann := w.month("crash", 2020, mon).Annotations[v1alpha1.AnnotationRerun]; ann != want {
			t.Errorf("month 2020-%02d rerun annotation %q, want %q", mon, ann, want)
		}
	}

	got = w.until("crash", 30, "the rerun to finish", rerunIn("after-outage", v1alpha1.RerunFinished))
	if st := rerunStatus(got, "after-outage"); st.Done != 2 {
		t.Fatalf("finished rerun %+v, want 2 done", st)
	}
	for mon, want := range map[int32]v1alpha1.MonthState{1: v1alpha1.MonthCompleted, 2: v1alpha1.MonthCompleted, 4: v1alpha1.MonthFailed} {
		if m := w.month("crash", 2020, mon); m.Status.State != want {
			t.Errorf("month %s %s after %d attempts, want %s", m.Name, m.Status.State, m.Status.Attempts, want)
		}
	}
	if n := len(w.jobs()); n != 6 {
		t.Errorf("%d Jobs, want 6: each recorded month rerun once, the unrecorded one not at all", n)
	}
}
