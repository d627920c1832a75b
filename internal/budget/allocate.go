package budget

import "cmp"

// Claim is one campaign's place in the queue of a key's budget.
type Claim struct {
	Campaign string
	// Priority is the campaign's spec.priority: higher goes first.
	Priority int32
	// StartedToday and Started count the campaign's attempts started (or admitted to start)
	// today and ever: among equal priorities, the fewest today goes first, then the fewest ever,
	// so that the turn moves on from one day to the next instead of always starting with the
	// same name.
	StartedToday, Started int
	// Estimate is the calls one more month of the campaign is expected to make.
	Estimate int64
	// Want is how many months the campaign would start now if the budget allowed.
	Want int
}

// Allocate hands out free calls one month at a time, always to the first claim in the queue
// that still wants one: the highest priority, then the fewest attempts today (counting what
// this allocation already gave), then the fewest ever, then the name. When that claim's next
// month does not fit, nothing further is handed out: a lower-priority or better-served
// campaign never takes calls that the campaign ahead of it is waiting for (a smaller month
// behind it waits too, so a large one is never starved). unlimited grants every want.
func Allocate(free int64, unlimited bool, claims []Claim) map[string]int {
	grants := make(map[string]int, len(claims))
	if unlimited {
		for _, c := range claims {
			if c.Want > 0 {
				grants[c.Campaign] = c.Want
			}
		}
		return grants
	}
	for {
		next := -1
		for i, c := range claims {
			if grants[c.Campaign] >= c.Want {
				continue
			}
			if next < 0 || ahead(c, claims[next], grants) {
				next = i
			}
		}
		if next < 0 || claims[next].Estimate > free {
			return grants
		}
		grants[claims[next].Campaign]++
		free -= claims[next].Estimate
	}
}

// ahead reports whether a goes before b, given what has been granted so far.
func ahead(a, b Claim, grants map[string]int) bool {
	if a.Priority != b.Priority {
		return a.Priority > b.Priority
	}
	if c := cmp.Compare(a.StartedToday+grants[a.Campaign], b.StartedToday+grants[b.Campaign]); c != 0 {
		return c < 0
	}
	if c := cmp.Compare(a.Started+grants[a.Campaign], b.Started+grants[b.Campaign]); c != 0 {
		return c < 0
	}
	return a.Campaign < b.Campaign
}
