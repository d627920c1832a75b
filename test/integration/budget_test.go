package integration

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/database"
	"github.com/ooheynerds/backfill-operator/internal/dev/builders"
	"github.com/ooheynerds/backfill-operator/internal/dev/invariants"
	"github.com/ooheynerds/backfill-operator/internal/dev/localpg"
	"github.com/ooheynerds/backfill-operator/internal/dev/testenv"
)

// The key the campaigns of these tests share, and each month's ISBNdb calls (the estimate).
const (
	keySecret, keyName = "isbndb", "api-key"
	callsPerMonth      = 10
)

// keyWorld is a namespace of campaigns sharing an ISBNdb key, a manager that can be stopped
// and started again on the same clock and database, and a watcher of the key's day.
type keyWorld struct {
	*sim
	dbURL string
	mgr   *testenv.Manager
	// key are the campaigns on the shared key; all are every campaign created.
	key, all []string
	// limit is the key's budget; peak the most spent plus reserved the watcher saw.
	limit    int64
	mu       sync.Mutex
	peak     int64
	breaches []string
	samples  int
}

func newKeyWorld(t *testing.T, limit int64, outcomeOf func(*v1alpha1.BackfillMonth, int) outcome) *keyWorld {
	t.Helper()
	ctx := context.Background()
	ns, err := env.Namespace(ctx, "budget")
	if err != nil {
		t.Fatal(err)
	}
	dbURL := localpg.NewDatabase(t)
	pool, err := database.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	w := &keyWorld{dbURL: dbURL, limit: limit, sim: &sim{t: t, ctx: ctx, c: env.Client, ns: ns, pool: pool,
		clock: clocktesting.NewFakeClock(start), outcome: outcomeOf, done: map[string]bool{}}}
	if limit > 0 {
		w.create(builders.MakeBudget("isbndb-account", ns, keySecret, keyName).Limit(int32(limit)).Obj())
	}
	t.Cleanup(func() {
		if w.mgr != nil {
			w.mgr.Stop()
		}
	})
	return w
}

func (w *keyWorld) startManager() {
	w.t.Helper()
	mgr, err := env.StartManager(w.ctx, testenv.ManagerOptions{Clock: w.clock, DatabaseURL: w.dbURL, Jobs: jobs, WatchNamespaces: []string{w.ns}})
	if err != nil {
		w.t.Fatal(err)
	}
	w.mgr = mgr
}

// restart stops the manager, as a crash would, and starts a new one.
func (w *keyWorld) restart() {
	w.mgr.Stop()
	w.startManager()
}

func (w *keyWorld) create(objs ...client.Object) {
	w.t.Helper()
	for _, o := range objs {
		o.SetNamespace(w.ns)
		if err := w.c.Create(w.ctx, o); err != nil {
			w.t.Fatalf("creating %s: %v", o.GetName(), err)
		}
		if c, ok := o.(*v1alpha1.BackfillCampaign); ok {
			w.all = append(w.all, c.Name)
			if ref := c.Spec.ISBNdbKey(); ref != nil && ref.Name == keySecret && ref.Key == keyName {
				w.key = append(w.key, c.Name)
			}
		}
	}
}

// keyCampaign is a campaign on the shared key with the budget's reference, no cap of its own,
// the months of one year and the estimate each month really spends.
func keyCampaign(name string, year, concurrent int32) *builders.CampaignBuilder {
	return builders.MakeCampaign(name, "").Phase("p", year, year, 50, concurrent).Database("db", "url").
		Budget(0, callsPerMonth).ISBNdbKey(keySecret, keyName).BudgetRef("isbndb-account")
}

// watch samples the key's day from the API server until the test ends and records the most
// it saw spent plus reserved, and every sample above the limit plus one month's estimate.
func (w *keyWorld) watch() {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			var list v1alpha1.BackfillMonthList
			if err := w.c.List(context.Background(), &list, client.InNamespace(w.ns)); err != nil {
				continue
			}
			now := w.clock.Now()
			spent, reserved := invariants.KeyDay(list.Items, w.key, now, callsPerMonth)
			w.mu.Lock()
			w.samples++
			w.peak = max(w.peak, spent+reserved)
			if spent+reserved > w.limit+callsPerMonth {
				w.breaches = append(w.breaches, fmt.Sprintf("%s: %d spent + %d reserved", now.Format(time.RFC3339), spent, reserved))
			}
			w.mu.Unlock()
		}
	})
	w.t.Cleanup(func() {
		close(stop)
		wg.Wait()
	})
}

// checkKeyDay fails the test if the watcher, or the months' history by day, saw the key's
// limit exceeded by more than one month's estimate.
func (w *keyWorld) checkKeyDay() {
	w.t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.breaches) > 0 {
		w.t.Errorf("the key's day went past %d + %d in %d of %d samples, first %s", w.limit, callsPerMonth, len(w.breaches), w.samples, w.breaches[0])
	}
	for _, v := range invariants.CheckBudget(w.ctx, w.c, w.ns, w.key, w.limit, callsPerMonth) {
		w.t.Error(v)
	}
}

// settleAll waits until the operator has reacted to everything for every campaign.
func (w *keyWorld) settleAll() {
	w.t.Helper()
	for _, name := range w.all {
		w.settle(name)
	}
}

// tick finishes the running Jobs, lets the operator react, and moves the clock by d, nudging
// every campaign as its requeue timer would.
func (w *keyWorld) tick(d time.Duration) {
	w.t.Helper()
	w.settleAll()
	w.runJobs()
	w.settleAll()
	w.clock.Step(d)
	w.sim.tick++
	for _, m := range w.months() {
		if m.Status.State == v1alpha1.MonthProcessing {
			w.touch(&m)
		}
	}
	for _, name := range w.all {
		w.touch(w.campaign(name))
	}
	w.settleAll()
}

func (w *keyWorld) touch(o client.Object) {
	patch := client.MergeFrom(o.DeepCopyObject().(client.Object))
	ann := o.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	ann["test.alexandria.ooheynerds.com/tick"] = strconv.Itoa(w.sim.tick)
	o.SetAnnotations(ann)
	if err := w.c.Patch(w.ctx, o, patch); client.IgnoreNotFound(err) != nil {
		w.t.Fatal(err)
	}
}

// attempts counts each campaign's attempts (its Jobs' records), in total and on now's UTC day.
func (w *keyWorld) attempts() (total, today map[string]int) {
	return w.attemptsOn(w.clock.Now().UTC().Format(time.DateOnly))
}

// attemptsOn counts each campaign's attempts, in total and started on the UTC day.
func (w *keyWorld) attemptsOn(day string) (total, on map[string]int) {
	total, today := map[string]int{}, map[string]int{}
	for _, m := range w.months() {
		total[m.Spec.Campaign] += len(m.Status.History)
		for _, a := range m.Status.History {
			if a.StartedAt.UTC().Format(time.DateOnly) == day {
				today[m.Spec.Campaign]++
			}
		}
	}
	return total, today
}

// untilDone ticks until every month of every campaign finished, failing after maxTicks.
func (w *keyWorld) untilDone(maxTicks int, d time.Duration, each func(tick int)) {
	w.t.Helper()
	for i := range maxTicks {
		done := true
		for _, name := range w.all {
			c := w.campaign(name)
			done = done && c.Status.Months.Total > 0 && c.Status.Months.Completed+c.Status.Months.Failed == c.Status.Months.Total
		}
		if done {
			return
		}
		if each != nil {
			each(i)
		}
		w.tick(d)
	}
	w.t.Fatalf("after %d ticks not every campaign finished", maxTicks)
}

func (w *keyWorld) budget() *v1alpha1.BackfillBudget {
	var b v1alpha1.BackfillBudget
	if err := w.c.Get(w.ctx, client.ObjectKey{Namespace: w.ns, Name: "isbndb-account"}, &b); err != nil {
		w.t.Fatal(err)
	}
	return &b
}

// eventually polls cond (the operator's status writes are spaced), failing after 30 s.
func (w *keyWorld) eventually(what string, cond func() string) {
	w.t.Helper()
	eventually(w.t, 30*time.Second, what, cond)
}

// eventually polls cond until it says nothing is missing (""), failing after within.
func eventually(t *testing.T, within time.Duration, what string, cond func() string) {
	t.Helper()
	var why string
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if why = cond(); why == "" {
			return
		}
	}
	t.Fatalf("%s: %s", what, why)
}

func spends(calls int) func(*v1alpha1.BackfillMonth, int) outcome {
	return func(*v1alpha1.BackfillMonth, int) outcome { return outcome{books: 10, resolved: 9, isbndb: calls} }
}

// TestSharedBudgetTwoCampaigns: two campaigns on one key, each free to admit five at a time
// and unlimited on its own, share the key's 100 calls a day (with a manager restart mid-day):
// ten months a day between them,
// taken in turns, and no more until the UTC reset; both statuses and the budget's show the
// use by campaign and in total.
func TestSharedBudgetTwoCampaigns(t *testing.T) {
	w := newKeyWorld(t, 100, spends(callsPerMonth))
	w.create(keyCampaign("alpha", 2000, 5).Obj(), keyCampaign("beta", 2001, 5).Obj())
	w.watch()
	w.startManager()

	day := w.clock.Now().UTC().Format(time.DateOnly)
	for i := 0; w.clock.Now().UTC().Format(time.DateOnly) == day; i++ {
		if i == 2 {
			w.restart() // mid-day: the new manager counts the day from the months
		}
		w.tick(3 * time.Hour)
		if _, first := w.attemptsOn(day); first["alpha"]+first["beta"] > 10 {
			t.Fatalf("%s: %v attempts on the first day; the key allows 10 months", w.clock.Now().Format(time.RFC3339), first)
		}
	}
	if _, first := w.attemptsOn(day); first["alpha"] != 5 || first["beta"] != 5 {
		t.Errorf("first day: attempts %v, want 5 each (turns between equal priorities)", first)
	}
	// the first day's calls are spent: the second day admits again
	w.tick(3 * time.Hour)
	if _, today := w.attempts(); today["alpha"]+today["beta"] == 0 {
		t.Fatalf("after the UTC reset nothing was admitted: %v", today)
	}
	w.settleAll()
	w.eventually("the statuses to show the key's day", func() string {
		spent, reserved := invariants.KeyDay(w.months(), w.key, w.clock.Now(), callsPerMonth)
		b := w.budget()
		if b.Status.Used != spent || b.Status.Reserved != reserved || b.Status.Limit != 100 || len(b.Status.Campaigns) != 2 {
			return fmt.Sprintf("budget status %+v, months say %d spent, %d reserved", b.Status, spent, reserved)
		}
		var sum int64
		for _, u := range b.Status.Campaigns {
			sum += u.Used + u.Reserved
		}
		if sum != spent+reserved {
			return fmt.Sprintf("the budget's campaigns sum to %d, its total is %d", sum, spent+reserved)
		}
		for _, name := range w.key {
			st := w.campaign(name).Status.Budget
			if st == nil || st.Key == nil || st.Key.Budget != "isbndb-account" || st.Key.Used != spent || st.Key.Reserved != reserved || st.Key.Campaigns != 2 {
				return fmt.Sprintf("campaign %s budget status %+v, want the key's %d spent and %d reserved", name, st, spent, reserved)
			}
		}
		return ""
	})
	w.checkKeyDay()
	t.Logf("peak spent+reserved %d of %d over %d samples", w.peak, w.limit, w.samples)
}

// TestSharedBudgetTenCampaignsWithRestarts: ten campaigns on one key share 150 calls a day
// while the manager is stopped and started again every few hours (once between Jobs
// finishing and the operator seeing them). Spent plus reserved never goes past the limit plus
// one month, no month runs twice, and every campaign finishes.
func TestSharedBudgetTenCampaignsWithRestarts(t *testing.T) {
	w := newKeyWorld(t, 150, spends(callsPerMonth))
	for i := range 10 {
		// six months each: 2000-07..12 and so on
		w.create(keyCampaign(fmt.Sprintf("c%02d", i), 2000+int32(i), 2).Months(7, 12).Obj())
	}
	w.watch()
	w.startManager()
	restarts := 0
	w.untilDone(60, 3*time.Hour, func(tick int) {
		switch tick % 3 {
		case 1:
			w.restart()
			restarts++
		case 2: // the Jobs finish while no manager runs
			w.settleAll()
			w.mgr.Stop()
			w.runJobs()
			w.startManager()
			restarts++
		}
	})
	for _, m := range w.months() {
		if m.Status.State != v1alpha1.MonthCompleted || m.Status.Attempts != 1 || len(m.Status.History) != 1 {
			t.Errorf("month %s: %s after %d attempts, want Completed after 1", m.Name, m.Status.State, m.Status.Attempts)
		}
	}
	if n := len(w.jobs()); n != 60 {
		t.Errorf("%d Jobs for 60 months", n)
	}
	w.checkKeyDay()
	t.Logf("%d restarts; finished on %s; peak spent+reserved %d of %d over %d samples",
		restarts, w.clock.Now().Format(time.DateOnly), w.peak, w.limit, w.samples)
}

// TestQuotaExhaustedPausesEveryCampaignOnTheKey: a worker of one campaign reports ISBNdb's
// quota exhausted. Until the next UTC midnight no campaign on that key is admitted — those
// that reference the budget and one that uses the key without a reference — while a
// campaign on another key goes on; after the reset, all resume.
func TestQuotaExhaustedPausesEveryCampaignOnTheKey(t *testing.T) {
	w := newKeyWorld(t, 1000, func(m *v1alpha1.BackfillMonth, attempt int) outcome {
		if m.Spec.Campaign == "first" && attempt == 1 && m.Spec.Month == 12 {
			return outcome{books: 10, resolved: 4, isbndb: 3, quota: true}
		}
		return outcome{books: 10, resolved: 9, isbndb: callsPerMonth}
	})
	w.create(keyCampaign("first", 2000, 1).Obj())
	w.startManager()
	w.waitForJobs(1)
	w.tick(time.Hour) // the quota report
	reset := time.Date(2026, 1, 16, 0, 0, 0, 0, time.UTC)

	unreferenced := keyCampaign("unreferenced", 2002, 1).Obj()
	unreferenced.Spec.Budget.BudgetRef = nil
	other := keyCampaign("other-key", 2003, 1).ISBNdbKey("isbndb-2", keyName).Obj()
	other.Spec.Budget.BudgetRef = nil
	w.create(keyCampaign("second", 2001, 1).Obj(), unreferenced, other)
	jobsOf := func() map[string]int {
		n := map[string]int{}
		for _, j := range w.jobs() {
			n[j.Labels[v1alpha1.LabelCampaign]]++
		}
		return n
	}
	for w.clock.Now().Before(reset.Add(-3 * time.Hour)) {
		w.tick(3 * time.Hour)
		if n := jobsOf(); n["first"] != 1 || n["second"]+n["unreferenced"] != 0 {
			t.Fatalf("%s: Jobs %v: a campaign on the exhausted key was admitted before the reset", w.clock.Now().Format(time.RFC3339), n)
		}
	}
	if n := jobsOf(); n["other-key"] < 2 {
		t.Errorf("the campaign on another key ran %d Jobs meanwhile; its key is not exhausted", n["other-key"])
	}
	w.eventually("every campaign on the key to say why it waits", func() string {
		for _, name := range []string{"first", "second", "unreferenced"} {
			c := w.campaign(name)
			cond := meta.FindStatusCondition(c.Status.Conditions, v1alpha1.ConditionBudgetExhausted)
			if cond == nil || cond.Status != metav1.ConditionTrue || cond.Reason != v1alpha1.ReasonQuotaExhausted ||
				!strings.Contains(cond.Message, "isbndb key api-key") || c.Status.Budget.PausedUntil == nil || !c.Status.Budget.PausedUntil.Equal(&metav1.Time{Time: reset}) {
				return fmt.Sprintf("campaign %s: condition %+v, budget %+v", name, cond, c.Status.Budget)
			}
		}
		b := w.budget()
		cond := meta.FindStatusCondition(b.Status.Conditions, v1alpha1.ConditionExhausted)
		if cond == nil || cond.Status != metav1.ConditionTrue || cond.Reason != v1alpha1.ReasonQuotaExhausted || b.Status.PausedUntil == nil {
			return fmt.Sprintf("budget: condition %+v, pausedUntil %v", cond, b.Status.PausedUntil)
		}
		return ""
	})

	w.tick(3 * time.Hour) // past midnight UTC
	w.tick(time.Hour)
	if n := jobsOf(); n["first"] < 2 || n["second"] < 1 || n["unreferenced"] < 1 {
		t.Fatalf("after the reset: Jobs %v, want every campaign on the key admitted again", n)
	}
	w.eventually("the pause to clear", func() string {
		if cond := meta.FindStatusCondition(w.budget().Status.Conditions, v1alpha1.ConditionExhausted); cond == nil || cond.Status != metav1.ConditionFalse {
			return fmt.Sprintf("budget Exhausted %+v", cond)
		}
		return ""
	})
}

// TestBudgetReferenceFaultsAffectOnlyTheirCampaign: a campaign naming a budget that does not
// exist, and one whose budget names another key, admit nothing and say what to fix; a
// campaign on the budget's key beside them runs. Creating the missing budget lets its
// campaign run.
func TestBudgetReferenceFaultsAffectOnlyTheirCampaign(t *testing.T) {
	w := newKeyWorld(t, 1000, spends(callsPerMonth))
	missing := keyCampaign("missing", 2000, 1).BudgetRef("nobody").Obj()
	mismatch := keyCampaign("mismatch", 2001, 1).ISBNdbKey("isbndb-2", keyName).Obj()
	w.create(missing, mismatch, keyCampaign("fine", 2002, 1).Obj())
	w.startManager()
	w.waitForJobs(1)
	w.eventually("the faulty campaigns to be Stalled with what to fix", func() string {
		for name, want := range map[string][2]string{
			"missing":  {v1alpha1.ReasonBudgetNotFound, "BackfillBudget nobody, which does not exist"},
			"mismatch": {v1alpha1.ReasonBudgetKeyMismatch, "reference the budget of that key"},
		} {
			cond := meta.FindStatusCondition(w.campaign(name).Status.Conditions, v1alpha1.ConditionStalled)
			if cond == nil || cond.Status != metav1.ConditionTrue || cond.Reason != want[0] || !strings.Contains(cond.Message, want[1]) {
				return fmt.Sprintf("%s: Stalled %+v, want %s saying %q", name, cond, want[0], want[1])
			}
		}
		return ""
	})
	for _, j := range w.jobs() {
		if c := j.Labels[v1alpha1.LabelCampaign]; c != "fine" {
			t.Errorf("Job %s of campaign %s, whose budget reference is at fault", j.Name, c)
		}
	}
	w.create(builders.MakeBudget("nobody", "", keySecret, keyName).Limit(500).Obj())
	w.eventually("the campaign to run once its budget exists", func() string {
		for _, j := range w.jobs() {
			if j.Labels[v1alpha1.LabelCampaign] == "missing" {
				return ""
			}
		}
		return "no Job of campaign missing"
	})
	// two budgets now name the key: the stricter governs, the other says so
	w.eventually("the duplicate budget to say the stricter one governs", func() string {
		cond := meta.FindStatusCondition(w.budget().Status.Conditions, v1alpha1.ConditionStalled)
		if cond == nil || cond.Status != metav1.ConditionTrue || cond.Reason != v1alpha1.ReasonDuplicateKey || w.budget().Status.Limit != 500 {
			return fmt.Sprintf("budget isbndb-account: Stalled %+v, limit %d", cond, w.budget().Status.Limit)
		}
		return ""
	})
}

// TestBudgetFairnessAndPriority: thirteen campaigns compete for 60 calls a day (six months).
// The one of priority 10 is admitted first, all three of its months on the first day, its
// Jobs carrying its PriorityClass; the twelve of equal priority take turns, and after five
// days each has run two or three months: none starves.
func TestBudgetFairnessAndPriority(t *testing.T) {
	w := newKeyWorld(t, 60, spends(callsPerMonth))
	for i := range 12 {
		w.create(keyCampaign(fmt.Sprintf("eq-%02d", i), 2000+int32(i), 1).Obj())
	}
	w.create(keyCampaign("high", 2020, 3).Months(1, 3).Priority(10).PriorityClass("backfill-high").Obj())
	w.watch()
	w.startManager()

	firstDay := w.clock.Now().UTC().Format(time.DateOnly)
	var spreads []string
	for range 5 {
		day := w.clock.Now().UTC().Format(time.DateOnly)
		for w.clock.Now().UTC().Format(time.DateOnly) == day {
			w.tick(6 * time.Hour)
		}
		total, _ := w.attempts()
		lo, hi := 1<<30, 0
		for name, n := range total {
			if name != "high" {
				lo, hi = min(lo, n), max(hi, n)
			}
		}
		if len(total) < 13 {
			lo = 0
		}
		spreads = append(spreads, fmt.Sprintf("%s: %d..%d", day, lo, hi))
		if hi-lo > 1 {
			t.Errorf("after %s the equal campaigns ran %d..%d months each (%v): want turns, within one", day, lo, hi, total)
		}
	}
	total, _ := w.attempts()
	for i := range 12 {
		if n := total[fmt.Sprintf("eq-%02d", i)]; n < 2 {
			t.Errorf("eq-%02d ran %d months in five days: starved (%v)", i, n, total)
		}
	}
	for _, m := range w.months() {
		if m.Spec.Campaign != "high" {
			continue
		}
		if at := m.FirstAdmittedAt(); at == nil || at.UTC().Format(time.DateOnly) != firstDay {
			t.Errorf("high-priority month %s admitted at %v, want on the first day", m.Name, at)
		}
	}
	for _, j := range w.jobs() {
		if j.Labels[v1alpha1.LabelCampaign] == "high" && j.Spec.Template.Spec.PriorityClassName != "backfill-high" {
			t.Errorf("Job %s has priorityClassName %q, want backfill-high", j.Name, j.Spec.Template.Spec.PriorityClassName)
		}
	}
	w.checkKeyDay()
	slices.Sort(spreads)
	t.Logf("equal campaigns' months by day: %v; peak spent+reserved %d of %d", spreads, w.peak, w.limit)
}

// TestInvalidBudgetsAreRejectedWithAMessageThatSaysWhatToFix: a budget holds a key's name and a
// limit, never the key itself.
func TestInvalidBudgetsAreRejectedWithAMessageThatSaysWhatToFix(t *testing.T) {
	ctx := context.Background()
	ns, err := env.Namespace(ctx, "invalid-budget")
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		spec    map[string]any
		message string
	}{
		"an API key instead of its Secret's key name": {map[string]any{"secretKeyRef": map[string]any{"name": "keys", "key": "sk-proj-abcdefghijklmnopqrstuvwx"}},
			"key looks like a secret value, not the name of a key in a Secret"},
		"no key":           {map[string]any{"isbndbCallsPerDay": 100}, "spec.secretKeyRef: Required value"},
		"zero a day":       {map[string]any{"secretKeyRef": map[string]any{"name": "keys", "key": "isbndb"}, "isbndbCallsPerDay": 0}, "spec.isbndbCallsPerDay in body should be greater than or equal to 1"},
		"a negative limit": {map[string]any{"secretKeyRef": map[string]any{"name": "keys", "key": "isbndb"}, "isbndbCallsPerDay": -5}, "spec.isbndbCallsPerDay in body should be greater than or equal to 1"},
	} {
		t.Run(name, func(t *testing.T) {
			obj := &unstructured.Unstructured{Object: map[string]any{"spec": tc.spec}}
			obj.SetGroupVersionKind(v1alpha1.GroupVersion.WithKind("BackfillBudget"))
			obj.SetNamespace(ns)
			obj.SetName("account")
			assertRejected(t, ctx, obj, tc.message)
		})
	}
	// and a valid one is defaulted to ISBNdb Premium's 15,000
	b := builders.MakeBudget("account", ns, "keys", "isbndb").Obj()
	b.Spec.ISBNdbCallsPerDay = 0
	if err := env.Client.Create(ctx, b); err != nil {
		t.Fatal(err)
	}
	if b.Spec.ISBNdbCallsPerDay != v1alpha1.DefaultBudgetISBNdbCallsPerDay {
		t.Errorf("a budget without a limit stored %d, want the default %d", b.Spec.ISBNdbCallsPerDay, v1alpha1.DefaultBudgetISBNdbCallsPerDay)
	}
}
