// Package admission decides which of a campaign's months may start an attempt now. The
// campaign controller is the only admission authority: cadence (new runs of months, first
// runs and reruns, in any rolling 24 hours), concurrency (months holding an admission), the daily budget of the paid source,
// month age, suspension and the current phase all meet here, as one pure function.
package admission

import (
	"sort"
	"time"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/plan"
)

// Window is the span the cadence is counted over.
const Window = 24 * time.Hour

// DatabaseRetry is how soon admission looks again at a database that did not answer.
const DatabaseRetry = 5 * time.Second

// Input is everything admission depends on.
type Input struct {
	Now time.Time
	// Phase is the current phase (its cadence and concurrency), nil when no phase may admit.
	Phase *v1alpha1.Phase
	// Months are all months of the campaign.
	Months []*v1alpha1.BackfillMonth
	// Order is the campaign's admission order.
	Order v1alpha1.Order
	// MinMonthAge holds back months younger than this many months.
	MinMonthAge int
	// Suspended stops all admission (spec.suspend, Plan mode).
	Suspended bool
	// DatabaseDown stops all admission while the database the attempts write to does not
	// answer: an attempt started now would fail for a fault that is not the month's own.
	DatabaseDown bool
	// Budget: Limit 0 means none. Used is today's calls; Estimate is the expected calls of one
	// more month; PausedUntil is set while the provider's quota is exhausted.
	BudgetLimit, BudgetUsed, Estimate int64
	PausedUntil                       *time.Time
	// Allowance, when set, is how many more months the shared budget of the campaign's ISBNdb
	// key lets it start now (internal/budget decides it across the campaigns on the key).
	Allowance *int
}

// Blocker says why nothing (more) was admitted.
type Blocker string

const (
	BlockedNone        Blocker = ""
	BlockedSuspended   Blocker = "Suspended"
	BlockedDatabase    Blocker = "DatabaseUnavailable"
	BlockedNoPhase     Blocker = "NoPhase"
	BlockedConcurrency Blocker = "Concurrency"
	BlockedCadence     Blocker = "Cadence"
	BlockedBudget      Blocker = "Budget"
	BlockedQuota       Blocker = "QuotaExhausted"
	BlockedMonthAge    Blocker = "MonthAge"
	BlockedBackoff     Blocker = "Backoff"
	BlockedNothingLeft Blocker = "NothingLeft"
)

// Decision is what to admit now and when to look again.
type Decision struct {
	// Admit are the months to admit now, retries first, then new runs (months never admitted
	// and reruns) in admission order.
	Admit []*v1alpha1.BackfillMonth
	// Next is the earliest future time at which more could be admitted without any other event
	// (cadence window sliding, a backoff ending, a month ageing, the budget day rolling over).
	Next *time.Time
	// Blocked says what stopped admission, when something waits.
	Blocked Blocker
	// Live is the number of months holding an admission (before this decision).
	Live int
	// AdmittedInWindow is the number of runs (first runs and reruns) admitted in the last 24 hours.
	AdmittedInWindow int
}

// Decide applies the admission rules.
func Decide(in Input) Decision {
	var d Decision
	var windowStarts []time.Time
	for _, m := range in.Months {
		if m.Admitted() {
			d.Live++
		}
		for _, at := range Admissions(m) {
			if in.Now.Sub(at) < Window {
				windowStarts = append(windowStarts, at)
			}
		}
	}
	d.AdmittedInWindow = len(windowStarts)

	switch {
	case in.Suspended:
		d.Blocked = BlockedSuspended
		return d
	case in.DatabaseDown:
		d.Blocked = BlockedDatabase
		next := in.Now.Add(DatabaseRetry)
		d.Next = &next
		return d
	case in.PausedUntil != nil && in.Now.Before(*in.PausedUntil):
		d.Blocked = BlockedQuota
		d.Next = in.PausedUntil
		return d
	case in.Phase == nil:
		d.Blocked = BlockedNoPhase
		return d
	}

	retries, fresh, next, waitReason := candidates(in)
	d.Next, d.Blocked = next, waitReason
	slots := int(in.Phase.MaxConcurrent) - d.Live
	cadence := int(in.Phase.MonthsPerDay) - len(windowStarts)
	budgetLeft := int64(-1)
	if in.BudgetLimit > 0 {
		budgetLeft = in.BudgetLimit - in.BudgetUsed - int64(d.Live)*in.Estimate
	}
	allowance := -1
	if in.Allowance != nil {
		allowance = *in.Allowance
	}
	affordable := func() bool { return (budgetLeft < 0 || budgetLeft >= in.Estimate) && allowance != 0 }

	take := func(m *v1alpha1.BackfillMonth) {
		d.Admit = append(d.Admit, m)
		slots--
		if budgetLeft >= 0 {
			budgetLeft -= in.Estimate
		}
		if allowance > 0 {
			allowance--
		}
	}
	for _, m := range retries {
		if slots <= 0 || !affordable() {
			break
		}
		take(m)
	}
	for _, m := range fresh {
		if slots <= 0 || cadence <= 0 || !affordable() {
			break
		}
		take(m)
		cadence--
		windowStarts = append(windowStarts, in.Now)
	}

	waiting := len(retries)+len(fresh) > len(d.Admit)
	switch {
	case !waiting && len(retries)+len(fresh) > 0:
		// everything eligible was admitted; keep the time-based reason, if any
	case !waiting:
	case slots <= 0:
		d.Blocked = BlockedConcurrency
	case !affordable():
		d.Blocked = BlockedBudget
		d.Next = earliest(d.Next, plan.NextUTCDay(in.Now))
	case cadence <= 0:
		d.Blocked = BlockedCadence
		sort.Slice(windowStarts, func(i, j int) bool { return windowStarts[i].Before(windowStarts[j]) })
		// the oldest admission in the window leaves it first
		oldest := windowStarts[len(windowStarts)-int(in.Phase.MonthsPerDay)]
		d.Next = earliest(d.Next, oldest.Add(Window))
	}
	if d.Blocked == BlockedNone && len(d.Admit) == 0 && !hasOpenWork(in) {
		d.Blocked = BlockedNothingLeft
	}
	return d
}

// candidates lists, for the current phase, the retries whose backoff has ended and the new
// months that are old enough, in admission order; and when the next one will become eligible.
func candidates(in Input) (retries, fresh []*v1alpha1.BackfillMonth, next *time.Time, reason Blocker) {
	var youngest []plan.Month
	byName := map[string]*v1alpha1.BackfillMonth{}
	for _, m := range in.Months {
		if m.Spec.Phase != in.Phase.Name || !m.Spec.Suspend {
			continue
		}
		switch m.EffectiveState() {
		case v1alpha1.MonthRetry:
			if m.Status.NextRetryAt != nil && in.Now.Before(m.Status.NextRetryAt.Time) {
				next = earliest(next, m.Status.NextRetryAt.Time)
				reason = BlockedBackoff
				continue
			}
			retries = append(retries, m)
		case v1alpha1.MonthPending:
			ym := plan.YearMonth{Year: int(m.Spec.Year), Month: int(m.Spec.Month)}
			if at := ym.EligibleAt(in.MinMonthAge); in.Now.Before(at) {
				next = earliest(next, at)
				if reason == BlockedNone {
					reason = BlockedMonthAge
				}
				continue
			}
			byName[m.Name] = m
			youngest = append(youngest, plan.Month{Name: m.Name, YearMonth: ym})
		}
	}
	sort.Slice(retries, func(i, j int) bool {
		a, b := retries[i].Status.NextRetryAt, retries[j].Status.NextRetryAt
		if a == nil || b == nil {
			return a == nil && b != nil
		}
		return a.Before(b)
	})
	plan.SortForAdmission(youngest, in.Order)
	for _, pm := range youngest {
		fresh = append(fresh, byName[pm.Name])
	}
	return retries, fresh, next, reason
}

func hasOpenWork(in Input) bool {
	for _, m := range in.Months {
		if m.Spec.Phase == in.Phase.Name && !m.EffectiveState().Finished() {
			return true
		}
	}
	return false
}

func earliest(a *time.Time, b time.Time) *time.Time {
	if a == nil || b.Before(*a) {
		return &b
	}
	return a
}
