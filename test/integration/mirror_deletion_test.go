package integration

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/dev/builders"
	"github.com/ooheynerds/backfill-operator/internal/dev/testdb"
	"github.com/ooheynerds/backfill-operator/internal/dev/testenv"
	"github.com/ooheynerds/backfill-operator/internal/mirror"
)

// A campaign deleted mid-run: its unfinished months' rows leave backfill_log (the seed's
// active-processing query reports no work that no one does), its completed month stays as
// history.
func TestMirrorFollowsDeletedCampaign(t *testing.T) {
	c := builders.MakeCampaign("deleted", "").Phase("p", 2020, 2020, 5, 3).Months(1, 3).Database("db", "url").Obj()
	s := newSim(t, c, func(m *v1alpha1.BackfillMonth, _ int) outcome {
		if m.Spec.Month == 1 {
			return outcome{books: 10, resolved: 9}
		}
		return outcome{stuck: true}
	})
	s.until("deleted", 20, "month 1 completed, the others processing", func(c *v1alpha1.BackfillCampaign) bool {
		return c.Status.Months.Completed == 1 && c.Status.Months.Processing == 2
	})
	waitForRows(t, s.pool, map[string]string{"2020-01": "completed", "2020-02": "processing", "2020-03": "processing"})
	if n := activeProcessing(t, s.pool); n != 2 {
		t.Fatalf("active-processing reports %d months before the deletion, want 2", n)
	}

	// envtest has no garbage collector: the months go the way it would take them.
	if err := s.c.Delete(s.ctx, s.campaign("deleted")); err != nil {
		t.Fatal(err)
	}
	for _, m := range s.months() {
		if err := s.c.Delete(s.ctx, &m); err != nil {
			t.Fatal(err)
		}
	}
	waitForRows(t, s.pool, map[string]string{"2020-01": "completed"})
	if n := activeProcessing(t, s.pool); n != 0 {
		t.Fatalf("active-processing reports %d months of a deleted campaign", n)
	}
}

// A manager that was down while months were deleted (or crashed between the deletion and its
// sweep) repairs backfill_log when it starts.
func TestMirrorRepairedAtStartAfterDeletionsWhileDown(t *testing.T) {
	ctx := context.Background()
	ns := env.NewNamespace(t, "sweep")
	dbURL, pool := testdb.New(t)
	// What a manager that died mid-run left: rows of months that no longer exist.
	for month, state := range map[int32]v1alpha1.MonthState{1: v1alpha1.MonthCompleted, 2: v1alpha1.MonthProcessing, 3: v1alpha1.MonthRetry, 4: v1alpha1.MonthPending} {
		m := builders.MakeMonth("crashed", ns, "p", 2020, month).State(state).Obj()
		if err := mirror.Upsert(ctx, pool, mirror.RowFor(m)); err != nil {
			t.Fatal(err)
		}
	}
	// And a month that does exist, processing: its row must stay.
	live := builders.MakeMonth("crashed", ns, "p", 2020, 5).Obj()
	live.Spec.Suspend = true // no campaign owns it; keep the controller from starting it
	if err := env.Client.Create(ctx, live); err != nil {
		t.Fatal(err)
	}
	live.Status = v1alpha1.BackfillMonthStatus{State: v1alpha1.MonthProcessing}
	if err := mirror.Upsert(ctx, pool, mirror.RowFor(live)); err != nil {
		t.Fatal(err)
	}
	mgr, err := env.StartManager(ctx, testenv.ManagerOptions{DatabaseURL: dbURL, Jobs: jobs, WatchNamespaces: []string{ns}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mgr.Stop)
	// The live month's row stays, whatever the manager now says of it ("" is any status).
	waitForRows(t, pool, map[string]string{"2020-01": "completed", "2020-05": ""})
}

// waitForRows waits until backfill_log holds exactly want's months with their statuses.
func waitForRows(t *testing.T, pool *pgxpool.Pool, want map[string]string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := map[string]string{}
		rows, err := pool.Query(context.Background(), `SELECT year, month, status FROM backfill_log`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var y, m int32
			var status string
			if err := rows.Scan(&y, &m, &status); err != nil {
				t.Fatal(err)
			}
			got[fmt.Sprintf("%04d-%02d", y, m)] = status
		}
		rows.Close()
		if maps.EqualFunc(got, want, func(g, w string) bool { return w == "" || g == w }) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("backfill_log rows %v, want %v", got, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// activeProcessing runs the seed's active-processing query and counts its rows.
func activeProcessing(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	for _, q := range mirror.OperationsQueries() {
		if q.Name != "active-processing" {
			continue
		}
		rows, err := pool.Query(context.Background(), strings.TrimSuffix(q.SQL, ";"))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			n++
		}
		rows.Close()
		return n
	}
	t.Fatal("no active-processing query")
	return 0
}
