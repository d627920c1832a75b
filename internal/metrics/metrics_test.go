package metrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/builders"
)

func TestCampaignSeries(t *testing.T) {
	c := builders.MakeCampaign("alexandria", "books").Obj()
	c.Status.Months = v1alpha1.MonthCounts{Total: 3, Completed: 2, Failed: 1}
	c.Status.Totals = v1alpha1.Totals{BooksGenerated: 39, ISBNsResolved: 36, Calls: map[string]int64{"isbndb": 7}}
	ObserveCampaign(c)
	Admitted("books", "alexandria", 3)
	AttemptFinished("books", "alexandria", v1alpha1.AttemptSucceeded)
	want := `
# HELP backfill_months Months of a campaign by state.
# TYPE backfill_months gauge
backfill_months{campaign="alexandria",namespace="books",state="Completed"} 2
backfill_months{campaign="alexandria",namespace="books",state="Failed"} 1
backfill_months{campaign="alexandria",namespace="books",state="Pending"} 0
backfill_months{campaign="alexandria",namespace="books",state="Processing"} 0
backfill_months{campaign="alexandria",namespace="books",state="Retry"} 0
`
	if err := testutil.CollectAndCompare(months, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	if got := testutil.ToFloat64(calls.WithLabelValues("books", "alexandria", "isbndb")); got != 7 {
		t.Errorf("isbndb calls = %v", got)
	}
	if got := testutil.ToFloat64(admissions.WithLabelValues("books", "alexandria")); got != 3 {
		t.Errorf("admissions = %v", got)
	}
	Forget("books", "alexandria")
	if n := testutil.CollectAndCount(months); n != 0 {
		t.Errorf("%d month series left after the campaign was deleted", n)
	}
}
