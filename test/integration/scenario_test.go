package integration

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"k8s.io/apimachinery/pkg/api/meta"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/attemptjob"
	"github.com/ooheynerds/backfill-operator/internal/dev/builders"
	"github.com/ooheynerds/backfill-operator/internal/dev/localpg"
	"github.com/ooheynerds/backfill-operator/internal/dev/testdb"
	"github.com/ooheynerds/backfill-operator/internal/dev/testenv"
	"github.com/ooheynerds/backfill-operator/internal/mirror"
)

var jobs = attemptjob.Builder{Image: "backfill-operator:test", DatabaseSecret: &v1alpha1.SecretKeyRef{Name: "db", Key: "url"}}

// start is when the scenarios begin: 2024 is more than a year old, so every month is eligible.
var start = time.Date(2026, 1, 15, 3, 0, 0, 0, time.UTC)

// ownPostgres starts a PostgreSQL server of the test's own, which the test may stop and restart
// (an outage), and returns it with the URL of its database and a pool on it.
func ownPostgres(t *testing.T) (*localpg.Server, string, *pgxpool.Pool) {
	t.Helper()
	pg, err := localpg.Start(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pg.Stop(); _ = os.RemoveAll(pg.Dir()) })
	dbURL := pg.URL("postgres")
	return pg, dbURL, testdb.Connect(t, dbURL)
}

// TestSeedRolloutOver300Months walks the seed's three-phase rollout over 2000–2024 with an
// injected clock, simulating Job outcomes, with manager restarts and a database outage on the
// way, and checks every rule a user relies on.
func TestSeedRolloutOver300Months(t *testing.T) {
	ctx := context.Background()
	ns := env.NewNamespace(t, "rollout")
	pg, dbURL, pool := ownPostgres(t)

	clock := clocktesting.NewFakeClock(start)
	const name = "alexandria"
	campaign := builders.MakeCampaign(name, ns).
		Phase("validate", 2020, 2020, 5, 2).Gate(90).
		Phase("recent", 2021, 2024, 15, 5).
		Phase("history", 2000, 2019, 20, 5).
		Retry(5, 5*time.Minute, 2*time.Hour).Budget(7000, 10).
		Deadlines(15*time.Minute, time.Hour).Database("db", "url").Obj()

	// what each month's attempts do
	alwaysFails := map[string]bool{"2022-06": true, "2005-02": true}
	failsTwice := map[string]bool{"2021-03": true, "2010-10": true, "2019-12": true}
	vanishes := map[string]bool{"2023-07": true}
	stuck := map[string]bool{"2008-08": true}
	outcomeOf := func(m *v1alpha1.BackfillMonth, attempt int) outcome {
		ym := fmt.Sprintf("%04d-%02d", m.Spec.Year, m.Spec.Month)
		switch {
		case alwaysFails[ym], failsTwice[ym] && attempt <= 2:
			return outcome{fail: true, isbndb: 1}
		case vanishes[ym] && attempt == 1:
			return outcome{vanish: true}
		case stuck[ym] && attempt == 1:
			return outcome{stuck: true}
		case m.Spec.Year == 2020:
			// exactly 90% over the phase: the gate holds at its threshold
			return outcome{books: 20, resolved: 18, isbndb: 3}
		default:
			books := 30 + int(m.Spec.Month)
			return outcome{books: books, resolved: books - int(m.Spec.Month)%4, isbndb: 4}
		}
	}

	start := func() *testenv.Manager {
		mgr, err := env.StartManager(ctx, testenv.ManagerOptions{Clock: clock, DatabaseURL: dbURL, Jobs: jobs})
		if err != nil {
			t.Fatal(err)
		}
		return mgr
	}
	mgr := start()
	defer func() { mgr.Stop() }()
	if err := env.Client.Create(ctx, campaign); err != nil {
		t.Fatal(err)
	}
	s := &sim{t: t, ctx: ctx, c: env.Client, ns: ns, pool: pool, clock: clock, outcome: outcomeOf, done: map[string]bool{}}

	restartAt := map[int]bool{3: true, 17: true, 40: true, 75: true}
	// The outage begins at round 25 or, should a month whose own failures the test counts
	// (failsTwice, alwaysFails) have a live attempt then, at the first round after it without
	// one: a Job that ends during the outage fails for it, which those months' attempt counts
	// must not include. Which months run in which round moves with the controllers' timing.
	outageFrom, outageRounds := 25, 3
	outageTo := -1
	countsOwnFailures := func() bool {
		for _, m := range s.months() {
			ym := fmt.Sprintf("%04d-%02d", m.Spec.Year, m.Spec.Month)
			if (failsTwice[ym] || alwaysFails[ym]) && (m.Admitted() || m.EffectiveState() == v1alpha1.MonthProcessing) {
				return true
			}
		}
		return false
	}
	var sawGateAdvance, sawOutageProgress bool
	var concurrencyViolations []string
	rounds := 0
	for round := 0; ; round++ {
		rounds = round
		if round > 600 {
			t.Fatalf("campaign not finished after %d rounds", round)
		}
		s.settle(name)
		c := s.campaign(name)
		if meta.IsStatusConditionTrue(c.Status.Conditions, v1alpha1.ConditionReady) {
			break
		}
		for _, p := range c.Status.Phases {
			if p.Name == "validate" && p.State == v1alpha1.PhaseCompleted {
				sawGateAdvance = true
			}
		}
		// concurrency: months holding an admission never exceed the current phase's limit
		live := 0
		for _, m := range s.months() {
			if m.Admitted() {
				live++
			}
		}
		if limit := phaseLimit(c); live > limit {
			concurrencyViolations = append(concurrencyViolations, fmt.Sprintf("round %d: %d live > %d", round, live, limit))
		}

		switch {
		case restartAt[round]:
			mgr.Stop()
			mgr = start()
		case outageTo < 0 && round >= outageFrom && !countsOwnFailures():
			outageTo = round + outageRounds
			if err := pg.Stop(); err != nil {
				t.Fatal(err)
			}
			s.dbDown = true
		case round == outageTo:
			before := c.Status.Months
			if before.Completed+before.Failed+before.Retry == 0 {
				t.Fatal("no progress recorded before the outage ended")
			}
			sawOutageProgress = !meta.IsStatusConditionTrue(c.Status.Conditions, v1alpha1.ConditionMirrored)
			if err := pg.Restart(ctx, 0); err != nil {
				t.Fatal(err)
			}
			s.dbDown = false
		}

		s.runJobs()
		s.settle(name)
		if s.liveJobs() == 0 || s.onlyStuck() {
			s.step(s.nextEvent(s.campaign(name)), name)
		}
	}
	t.Logf("campaign finished after %d rounds, %d clock steps, at %s", rounds, s.tick, clock.Now().Format(time.RFC3339))
	if !sawGateAdvance {
		t.Error("phase validate never completed through its 90% gate")
	}
	if !sawOutageProgress {
		t.Error("during the database outage the campaign did not report backfill_log as behind")
	}
	for _, v := range concurrencyViolations {
		t.Error("concurrency exceeded: " + v)
	}

	months := s.months()
	c := s.campaign(name)
	if len(months) != 300 || c.Status.Months.Total != 300 {
		t.Fatalf("%d months, campaign counts %d; want 300", len(months), c.Status.Months.Total)
	}

	t.Run("cadence never exceeded in any rolling 24 hours", func(t *testing.T) {
		perDay := map[string]int{"validate": 5, "recent": 15, "history": 20}
		order := map[string]int{"validate": 0, "recent": 1, "history": 2}
		type admission struct {
			at    time.Time
			phase string
		}
		var all []admission
		for _, m := range months {
			if at := m.FirstAdmittedAt(); at != nil {
				all = append(all, admission{*at, m.Spec.Phase})
			}
		}
		// phases run in order, so within one second an earlier phase's admissions came first
		sort.Slice(all, func(i, j int) bool {
			if !all[i].at.Equal(all[j].at) {
				return all[i].at.Before(all[j].at)
			}
			return order[all[i].phase] < order[all[j].phase]
		})
		for i, a := range all {
			n := 0
			for j := i; j >= 0 && a.at.Sub(all[j].at) < 24*time.Hour; j-- {
				n++
			}
			if n > perDay[a.phase] {
				t.Fatalf("%d admissions in the 24 hours up to %v (phase %s allows %d)", n, a.at, a.phase, perDay[a.phase])
			}
		}
	})

	t.Run("retries stop at 5 attempts with Failed", func(t *testing.T) {
		for _, m := range months {
			ym := fmt.Sprintf("%04d-%02d", m.Spec.Year, m.Spec.Month)
			switch {
			case alwaysFails[ym]:
				if m.Status.State != v1alpha1.MonthFailed || m.Status.Attempts != 5 || m.Status.CompletedAt == nil {
					t.Errorf("%s: state %s after %d attempts, want Failed after 5", m.Name, m.Status.State, m.Status.Attempts)
				}
			case failsTwice[ym]:
				if m.Status.State != v1alpha1.MonthCompleted || m.Status.Attempts != 3 {
					t.Errorf("%s: state %s after %d attempts, want Completed on attempt 3", m.Name, m.Status.State, m.Status.Attempts)
				}
			}
		}
	})

	t.Run("a vanished or stuck Job is a failed attempt with a reason", func(t *testing.T) {
		for _, m := range months {
			ym := fmt.Sprintf("%04d-%02d", m.Spec.Year, m.Spec.Month)
			want := ""
			switch {
			case vanishes[ym]:
				want = v1alpha1.FailureJobVanished
			case stuck[ym]:
				want = v1alpha1.FailurePendingTooLong
			default:
				continue
			}
			if len(m.Status.History) < 2 || m.Status.History[0].Reason != want || m.Status.History[0].Outcome != v1alpha1.AttemptFailed {
				t.Errorf("%s: history %+v, want attempt 1 failed with %s", m.Name, m.Status.History, want)
			}
			if m.Status.State != v1alpha1.MonthCompleted {
				t.Errorf("%s ended %s, want Completed on its retry", m.Name, m.Status.State)
			}
		}
	})

	t.Run("no duplicate Job and no lost result across restarts", func(t *testing.T) {
		byMonth := map[string][]string{}
		for _, j := range s.jobs() {
			byMonth[j.Labels[v1alpha1.LabelMonth]] = append(byMonth[j.Labels[v1alpha1.LabelMonth]], j.Name)
		}
		for _, m := range months {
			jobsOf := byMonth[m.Name]
			ym := fmt.Sprintf("%04d-%02d", m.Spec.Year, m.Spec.Month)
			wantJobs := int(m.Status.Attempts)
			if vanishes[ym] || stuck[ym] {
				wantJobs-- // attempt 1's Job was deleted
			}
			if len(jobsOf) != wantJobs {
				t.Errorf("%s: %d Jobs %v for %d attempts; history %+v", m.Name, len(jobsOf), jobsOf, m.Status.Attempts, m.Status.History)
			}
			if m.Status.State == v1alpha1.MonthCompleted && m.Status.Metrics.BooksGenerated == 0 {
				t.Errorf("%s completed without its result", m.Name)
			}
		}
	})

	t.Run("campaign totals equal the sum of its months", func(t *testing.T) {
		var books, resolved, queued int64
		calls := map[string]int64{}
		for _, m := range months {
			books += int64(m.Status.Metrics.BooksGenerated)
			resolved += int64(m.Status.Metrics.ISBNsResolved)
			queued += int64(m.Status.Metrics.ISBNsQueued)
			for _, a := range m.Status.History {
				for k, v := range a.Calls {
					calls[k] += int64(v)
				}
			}
		}
		tot := c.Status.Totals
		if tot.BooksGenerated != books || tot.ISBNsResolved != resolved || tot.ISBNsQueued != queued || !reflect.DeepEqual(tot.Calls, calls) {
			t.Errorf("campaign totals %+v, months sum to books=%d resolved=%d queued=%d calls=%v", tot, books, resolved, queued, calls)
		}
	})

	t.Run("backfill_log equals the CR status for all 300 months", func(t *testing.T) {
		waitMirrored(t, pool, months)
	})
}

// waitMirrored waits (the mirror repairs itself on a timer) until every month's row equals
// what its status says.
func waitMirrored(t *testing.T, pool *pgxpool.Pool, months []v1alpha1.BackfillMonth) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		diffs := mirrorDiffs(t, pool, months)
		if len(diffs) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d months differ from backfill_log, e.g. %s", len(diffs), diffs[0])
		}
		time.Sleep(time.Second)
	}
}

func mirrorDiffs(t *testing.T, pool *pgxpool.Pool, months []v1alpha1.BackfillMonth) []string {
	ctx := context.Background()
	var diffs []string
	for _, m := range months {
		want := mirror.RowFor(&m)
		var got mirror.Row
		var rate *string
		err := pool.QueryRow(ctx, `SELECT namespace, campaign, phase, year, month, status, books_generated, isbns_resolved,
			resolution_rate::text, isbns_queued, gemini_calls, xai_calls, isbndb_calls, started_at, completed_at, error_message,
			retry_count, last_retry_at, prompt_variant, batch_size
			FROM backfill_log WHERE namespace = $1 AND campaign = $2 AND year = $3 AND month = $4`,
			m.Namespace, m.Spec.Campaign, m.Spec.Year, m.Spec.Month).Scan(&got.Namespace, &got.Campaign, &got.Phase, &got.Year, &got.Month,
			&got.Status, &got.BooksGenerated, &got.ISBNsResolved, &rate, &got.ISBNsQueued, &got.GeminiCalls, &got.XAICalls,
			&got.ISBNdbCalls, &got.StartedAt, &got.CompletedAt, &got.ErrorMessage, &got.RetryCount, &got.LastRetryAt,
			&got.PromptVariant, &got.BatchSize)
		if err != nil {
			diffs = append(diffs, fmt.Sprintf("%s: %v", m.Name, err))
			continue
		}
		got.ResolutionRate = rate
		for _, p := range []**time.Time{&got.StartedAt, &got.CompletedAt, &got.LastRetryAt} {
			if *p != nil {
				u := (*p).UTC()
				*p = &u
			}
		}
		if !reflect.DeepEqual(normalise(want), normalise(got)) {
			diffs = append(diffs, fmt.Sprintf("%s: status says %+v, backfill_log has %+v", m.Name, normalise(want), normalise(got)))
		}
	}
	return diffs
}

// normalise renders a row for comparison (pointers by value, times to the second).
func normalise(r mirror.Row) string {
	ts := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.UTC().Truncate(time.Second).Format(time.RFC3339)
	}
	str := func(s *string) string {
		if s == nil {
			return "-"
		}
		return *s
	}
	return strings.Join([]string{r.Namespace, r.Campaign, r.Phase, fmt.Sprint(r.Year, r.Month), r.Status,
		fmt.Sprint(r.BooksGenerated, r.ISBNsResolved, r.ISBNsQueued), str(r.ResolutionRate),
		fmt.Sprint(r.GeminiCalls, r.XAICalls, r.ISBNdbCalls, r.RetryCount, r.BatchSize),
		ts(r.StartedAt), ts(r.CompletedAt), ts(r.LastRetryAt), str(r.ErrorMessage), r.PromptVariant}, "|")
}

func phaseLimit(c *v1alpha1.BackfillCampaign) int {
	for _, p := range c.Spec.Phases {
		if p.Name == c.Status.CurrentPhase {
			return int(p.MaxConcurrent)
		}
	}
	return 0
}

// nextEvent is how far the clock must move for something to happen: the next admission, the
// end of a retry backoff, or a stuck attempt's pending deadline.
func (s *sim) nextEvent(c *v1alpha1.BackfillCampaign) time.Duration {
	now := s.clock.Now()
	next := 24 * time.Hour
	consider := func(t time.Time) {
		if d := t.Sub(now); d > 0 && d < next {
			next = d
		}
	}
	if c.Status.NextAdmissionTime != nil {
		consider(c.Status.NextAdmissionTime.Time)
	}
	for _, m := range s.months() {
		if m.Status.NextRetryAt != nil {
			consider(m.Status.NextRetryAt.Time)
		}
		if m.Status.State == v1alpha1.MonthProcessing && m.Status.StartedAt != nil {
			consider(m.Status.StartedAt.Add(attemptjob.DeadlinesOf(c).Pending))
		}
	}
	return next + time.Second
}

func (s *sim) liveJobs() int {
	n := 0
	for _, j := range s.jobs() {
		if !finished(&j) {
			n++
		}
	}
	return n
}

// onlyStuck reports that every unfinished Job is one the scenario lets hang.
func (s *sim) onlyStuck() bool {
	for _, j := range s.jobs() {
		if !finished(&j) && !s.done[j.Name] {
			return false
		}
	}
	return true
}
