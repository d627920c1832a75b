package aggregate

import (
	"math"
	"slices"
	"time"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/plan"
)

// Paid is one campaign's use of the paid source on a UTC day, read from its months' durable
// status alone, so that a restarted manager counts exactly what it counted before: a call is
// spent once its attempt has finished (it is in the attempt's record), and a month holding an
// admission reserves the estimate until then. The month controller suspends a month before it
// publishes a failed attempt, so no month is both reserved and settled.
type Paid struct {
	// Used is the calls of the attempts that finished on the day.
	Used int64
	// PausedUntil is set when an attempt finished on the day reported the paid source's quota
	// exhausted: the provider resets at the next UTC midnight.
	PausedUntil *time.Time
	// PerMonth is the measured mean of calls per finished month, or the spec's estimate before
	// any month finished.
	PerMonth int64
	// Live is the number of months holding an admission: each reserves PerMonth.
	Live int
	// StartedToday counts the attempts started on the day and the admitted months about to
	// start one; Started counts them over all days. Fair shares are judged by them.
	StartedToday, Started int
}

// Reserved is the estimate held for the months in flight.
func (p Paid) Reserved() int64 { return int64(p.Live) * p.PerMonth }

// PaidUse folds one campaign's months into its use of the paid source on now's UTC day.
func PaidUse(spec *v1alpha1.BackfillCampaignSpec, months []*v1alpha1.BackfillMonth, now time.Time) Paid {
	var p Paid
	y, mo, d := now.UTC().Date()
	dayStart := time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
	today := func(t time.Time) bool { return !t.Before(dayStart) && t.Before(dayStart.Add(24*time.Hour)) }
	var calls, finished int64
	for _, m := range months {
		if m.Status.State.Finished() {
			finished++
		}
		if m.Admitted() {
			p.Live++
			if s := m.EffectiveState(); s == v1alpha1.MonthPending || s == v1alpha1.MonthRetry {
				p.StartedToday++ // admitted, its attempt about to start
				p.Started++
			}
		}
		p.Started += len(m.Status.History)
		for _, a := range m.Status.History {
			calls += int64(a.Calls[PaidSource])
			if today(a.StartedAt.Time) {
				p.StartedToday++
			}
			if a.FinishedAt == nil || !today(a.FinishedAt.Time) {
				continue
			}
			p.Used += int64(a.Calls[PaidSource])
			if slices.Contains(a.QuotaExhausted, PaidSource) {
				reset := plan.NextUTCDay(a.FinishedAt.Time)
				if reset.After(now) && (p.PausedUntil == nil || reset.After(*p.PausedUntil)) {
					p.PausedUntil = &reset
				}
			}
		}
	}
	p.PerMonth = int64(spec.EffectiveEstimatedISBNdbCallsPerMonth())
	if finished > 0 {
		p.PerMonth = int64(math.Ceil(float64(calls) / float64(finished)))
	}
	return p
}
