package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/attempt"
	"github.com/ooheynerds/backfill-operator/internal/dev/builders"
	"github.com/ooheynerds/backfill-operator/internal/dev/testenv"
)

// The pending rows of a fan-out are queued, not waited for. Re-planned (a new booksPerMonth),
// the pending rows follow. Planned while the database is down, the months say so in their
// Mirrored condition, and their rows are written when it is back.
func TestPendingRowsOfAFanOutThroughAReplanAndAnOutage(t *testing.T) {
	ctx := context.Background()
	ns := env.NewNamespace(t, "pending-rows")
	pg, dbURL, pool := ownPostgres(t)
	mgr, err := env.StartManager(ctx, testenv.ManagerOptions{DatabaseURL: dbURL, Jobs: jobs, WatchNamespaces: []string{ns}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mgr.Stop)

	replanned := builders.MakeCampaign("replanned", ns).Mode(v1alpha1.ModePlan).Phase("p", 2020, 2021, 5, 2).Obj()
	if err := env.Client.Create(ctx, replanned); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Minute, "the 24 pending rows", func() string {
		return rowsWhere(t, pool, ns, 24, "campaign = 'replanned' AND status = 'pending' AND batch_size = 20")
	})
	patch := client.MergeFrom(replanned.DeepCopy())
	replanned.Spec.BooksPerMonth = 30
	if err := env.Client.Patch(ctx, replanned, patch); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Minute, "the pending rows to follow the new booksPerMonth", func() string {
		return rowsWhere(t, pool, ns, 24, "campaign = 'replanned' AND status = 'pending' AND batch_size = 30")
	})
	if why := monthsWhere(t, ns, 24, "with a status", func(m *v1alpha1.BackfillMonth) bool { return !attempt.Unwritten(m.Status) }); why == "" {
		t.Error("every month has a status: the rows followed status writes, not the re-plan alone")
	}

	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	planned := builders.MakeCampaign("planned", ns).Mode(v1alpha1.ModePlan).Phase("p", 2020, 2021, 5, 2).Obj()
	if err := env.Client.Create(ctx, planned); err != nil {
		t.Fatal(err)
	}
	unwritten := func(m *v1alpha1.BackfillMonth) bool {
		cond := meta.FindStatusCondition(m.Status.Conditions, v1alpha1.ConditionMirrored)
		return m.Spec.Campaign == "planned" && cond != nil && cond.Status == metav1.ConditionFalse && cond.Reason == v1alpha1.ReasonDatabaseUnavailable
	}
	eventually(t, time.Minute, "every planned month to report its row unwritten", func() string {
		return monthsWhere(t, ns, 48, "Mirrored=False DatabaseUnavailable", func(m *v1alpha1.BackfillMonth) bool {
			return m.Spec.Campaign == "replanned" || unwritten(m)
		})
	})
	if err := pg.Restart(ctx, 0); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Minute, "the planned months' 24 pending rows after the outage", func() string {
		return rowsWhere(t, pool, ns, 48, "(campaign = 'planned' AND status = 'pending' AND batch_size = 20) OR campaign = 'replanned'")
	})
	eventually(t, time.Minute, "every planned month's Mirrored condition to recover", func() string {
		return monthsWhere(t, ns, 48, "Mirrored=True", func(m *v1alpha1.BackfillMonth) bool {
			return m.Spec.Campaign == "replanned" || meta.IsStatusConditionTrue(m.Status.Conditions, v1alpha1.ConditionMirrored)
		})
	})
}

// monthsWhere says how many of ns's months are what, unless want months are and no other exists.
func monthsWhere(t *testing.T, ns string, want int, what string, is func(*v1alpha1.BackfillMonth) bool) string {
	var list v1alpha1.BackfillMonthList
	if err := env.Client.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	n := 0
	for i := range list.Items {
		if is(&list.Items[i]) {
			n++
		}
	}
	if n == want && len(list.Items) == want {
		return ""
	}
	return fmt.Sprintf("%d of %d months %s, want %d", n, len(list.Items), what, want)
}

// rowsWhere says how many of ns's backfill_log rows match where, unless want rows do and no
// other exists.
func rowsWhere(t *testing.T, pool *pgxpool.Pool, ns string, want int, where string) string {
	var n, all int
	err := pool.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE `+where+`), count(*) FROM backfill_log WHERE namespace = $1`, ns).Scan(&n, &all)
	if err != nil {
		return err.Error() // the database may still be starting
	}
	if n == want && all == want {
		return ""
	}
	return fmt.Sprintf("%d of %d rows with %s, want %d", n, all, where, want)
}
