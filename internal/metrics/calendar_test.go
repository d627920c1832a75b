package metrics

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/dev/builders"
	"github.com/ooheynerds/backfill-operator/internal/dev/localpg"
	"github.com/ooheynerds/backfill-operator/internal/dev/testdb"
	"github.com/ooheynerds/backfill-operator/internal/mirror"
)

func TestMain(m *testing.M) { localpg.RunTests(m) }

// TestCalendarQueryOnBackfillLog runs the dashboard's months calendar SQL, with Grafana's
// rendering of the namespace and campaign variables, on backfill_log as the manager writes it
// in a real PostgreSQL: one row per campaign and year, each month's state in its column, other
// campaigns left out.
func TestCalendarQueryOnBackfillLog(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL")
	}
	var sql string
	for _, p := range readDashboard(t).Panels {
		if p.Title == "Months calendar (backfill_log)" {
			sql = p.Targets[0].RawSQL
		}
	}
	if sql == "" {
		t.Fatal("no calendar SQL in the dashboard")
	}
	// a multi-value variable in a SQL query is rendered as quoted, comma-separated values
	sql = strings.NewReplacer("$namespace", "'books'", "$campaign", "'alexandria','biographies'").Replace(sql)

	ctx := context.Background()
	pool := testdb.Pool(t)
	for _, m := range []*v1alpha1.BackfillMonth{
		builders.MakeMonth("alexandria", "books", "validate", 2020, 1).State(v1alpha1.MonthCompleted).Obj(),
		builders.MakeMonth("alexandria", "books", "validate", 2020, 12).State(v1alpha1.MonthFailed).Obj(),
		builders.MakeMonth("alexandria", "books", "bulk", 2019, 6).State(v1alpha1.MonthProcessing).Obj(),
		builders.MakeMonth("other", "books", "bulk", 2019, 6).State(v1alpha1.MonthFailed).Obj(),
		builders.MakeMonth("alexandria", "elsewhere", "bulk", 2019, 7).State(v1alpha1.MonthFailed).Obj(),
	} {
		if err := mirror.Upsert(ctx, pool, mirror.RowFor(m)); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := pool.Query(ctx, sql)
	if err != nil {
		t.Fatalf("the calendar query fails on backfill_log: %v\n%s", err, sql)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		values, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		cells := make([]string, len(values))
		for i, v := range values {
			switch v := v.(type) {
			case nil:
				cells[i] = "-"
			case string:
				cells[i] = v
			default:
				cells[i] = fmt.Sprint(v)
			}
		}
		got = append(got, strings.Join(cells, " "))
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	want := []string{
		"alexandria 2020 completed - - - - - - - - - - failed",
		"alexandria 2019 - - - - - processing - - - - - -",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("calendar rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
