package invariants

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

// paidSource is the provider a key's budget limits (the worker's record key for ISBNdb).
const paidSource = string(v1alpha1.SourceISBNdb)

// KeyDay counts, from the months of the campaigns sharing a key alone, what their attempts
// spent on the UTC day of now and what the months in flight hold at estimate calls each: the
// two numbers whose sum a shared budget keeps within its limit.
func KeyDay(months []v1alpha1.BackfillMonth, campaigns []string, now time.Time, estimate int64) (spent, reserved int64) {
	day := now.UTC().Format(time.DateOnly)
	for i := range months {
		m := &months[i]
		if !slices.Contains(campaigns, m.Spec.Campaign) {
			continue
		}
		if m.Admitted() {
			reserved += estimate
		}
		for _, a := range m.Status.History {
			if a.FinishedAt != nil && a.FinishedAt.UTC().Format(time.DateOnly) == day {
				spent += int64(a.Calls[paidSource])
			}
		}
	}
	return spent, reserved
}

// CheckBudget returns a violation for every UTC day on which the attempts of the campaigns
// sharing a key spent more than limit plus one month's estimate, by the day they finished.
func CheckBudget(ctx context.Context, c client.Client, namespace string, campaigns []string, limit, estimate int64) []string {
	var list v1alpha1.BackfillMonthList
	if err := c.List(ctx, &list, client.InNamespace(namespace)); err != nil {
		return []string{fmt.Sprintf("listing months: %v", err)}
	}
	byDay := map[string]int64{}
	for _, m := range list.Items {
		if !slices.Contains(campaigns, m.Spec.Campaign) {
			continue
		}
		for _, a := range m.Status.History {
			if a.FinishedAt != nil {
				byDay[a.FinishedAt.UTC().Format(time.DateOnly)] += int64(a.Calls[paidSource])
			}
		}
	}
	var v []string
	days := make([]string, 0, len(byDay))
	for d := range byDay {
		days = append(days, d)
	}
	sort.Strings(days)
	for _, d := range days {
		if byDay[d] > limit+estimate {
			v = append(v, fmt.Sprintf("%s: the key's campaigns spent %d ISBNdb calls, limit %d plus one month's estimate %d", d, byDay[d], limit, estimate))
		}
	}
	return v
}
