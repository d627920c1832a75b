// Package aggregate folds a campaign's months into its status: counts by state, totals, a
// summary per phase, today's use of the paid source, and the plan of what remains. It is one
// pass over the months held in the informer cache, with no API requests, so it stays cheap
// with thousands of months.
package aggregate

import (
	"fmt"
	"math"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

// PaidSource is the provider whose calls the daily budget limits.
const PaidSource = string(v1alpha1.SourceISBNdb)

// Summary is what the campaign status is built from.
type Summary struct {
	Months  v1alpha1.MonthCounts
	Totals  v1alpha1.Totals
	ByPhase [][]*v1alpha1.BackfillMonth
	Phases  []v1alpha1.PhaseStatus
	Budget  v1alpha1.BudgetStatus
	// PausedUntil is set when an attempt finished today reported the paid source's quota
	// exhausted: the provider resets at the next UTC midnight.
	PausedUntil *time.Time
	// PaidCallsPerMonth is the measured mean of paid-source calls per finished month, or the
	// spec's estimate before any month finished.
	PaidCallsPerMonth int64
	// Unmirrored counts months whose latest state is not yet in backfill_log.
	Unmirrored int32
	// Paid is the campaign's own use of the paid source today.
	Paid Paid
}

// Summarize folds months (all of one campaign) into a Summary at time now.
func Summarize(spec *v1alpha1.BackfillCampaignSpec, months []*v1alpha1.BackfillMonth, now time.Time) Summary {
	s := Summary{ByPhase: make([][]*v1alpha1.BackfillMonth, len(spec.Phases)), Phases: make([]v1alpha1.PhaseStatus, len(spec.Phases))}
	index := map[string]int{}
	for i, p := range spec.Phases {
		index[p.Name] = i
		s.Phases[i].Name = p.Name
	}
	for _, m := range months {
		add(&s.Months, &s.Totals, m)
		if i, ok := index[m.Spec.Phase]; ok {
			s.ByPhase[i] = append(s.ByPhase[i], m)
			add(&s.Phases[i].Months, &s.Phases[i].Totals, m)
		}
		if !meta.IsStatusConditionTrue(m.Status.Conditions, v1alpha1.ConditionMirrored) {
			s.Unmirrored++
		}
	}
	s.Paid = PaidUse(spec, months, now)
	s.Budget = v1alpha1.BudgetStatus{Day: now.UTC().Format(time.DateOnly), Limit: spec.EffectiveISBNdbCallsPerDay(),
		ISBNdbCalls: s.Paid.Used, Reserved: s.Paid.Reserved()}
	s.PausedUntil = s.Paid.PausedUntil
	if s.PausedUntil != nil {
		s.Budget.PausedUntil = &metav1.Time{Time: *s.PausedUntil}
	}
	finish(&s.Totals)
	for i := range s.Phases {
		finish(&s.Phases[i].Totals)
	}
	s.PaidCallsPerMonth = s.Paid.PerMonth
	return s
}

func add(c *v1alpha1.MonthCounts, t *v1alpha1.Totals, m *v1alpha1.BackfillMonth) {
	c.Total++
	switch m.EffectiveState() {
	case v1alpha1.MonthPending:
		c.Pending++
	case v1alpha1.MonthProcessing:
		c.Processing++
	case v1alpha1.MonthRetry:
		c.Retry++
	case v1alpha1.MonthCompleted:
		c.Completed++
	case v1alpha1.MonthFailed:
		c.Failed++
	}
	t.BooksGenerated += int64(m.Status.Metrics.BooksGenerated)
	t.ISBNsResolved += int64(m.Status.Metrics.ISBNsResolved)
	t.ISBNsQueued += int64(m.Status.Metrics.ISBNsQueued)
	for _, a := range m.Status.History {
		for provider, n := range a.Calls {
			if t.Calls == nil {
				t.Calls = map[string]int64{}
			}
			t.Calls[provider] += int64(n)
		}
	}
}

func finish(t *v1alpha1.Totals) {
	t.ResolutionRate = v1alpha1.FormatRate(t.ISBNsResolved, t.BooksGenerated)
}

// Progress is "finished/total", the DONE/TOTAL column.
func Progress(c v1alpha1.MonthCounts) string {
	return fmt.Sprintf("%d/%d", c.Completed+c.Failed, c.Total)
}

// Estimate plans what remains: months not finished, the days the phases' cadences need for
// them from now, and the calls they are expected to make.
func Estimate(spec *v1alpha1.BackfillCampaignSpec, s Summary, models int, next []string, now time.Time) (v1alpha1.PlanEstimate, time.Time) {
	var e v1alpha1.PlanEstimate
	var days float64
	for i, d := range PhaseDays(spec, s) {
		c := s.Phases[i].Months
		e.MonthsRemaining += c.Total - c.Completed - c.Failed
		days += d
	}
	e.Days = int32(math.Ceil(days))
	e.LLMCalls = int64(e.MonthsRemaining) * int64(models)
	e.ISBNdbCalls = int64(e.MonthsRemaining) * s.PaidCallsPerMonth
	if len(next) > 12 {
		next = next[:12]
	}
	e.FirstMonths = next
	return e, now.Add(time.Duration(days * float64(24*time.Hour))).Truncate(time.Minute)
}
