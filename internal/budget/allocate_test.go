package budget

import (
	"maps"
	"testing"
)

func TestAllocate(t *testing.T) {
	claim := func(name string, prio int32, today, ever int, est int64, want int) Claim {
		return Claim{Campaign: name, Priority: prio, StartedToday: today, Started: ever, Estimate: est, Want: want}
	}
	tests := map[string]struct {
		free      int64
		unlimited bool
		claims    []Claim
		want      map[string]int
	}{
		"no limit grants every want": {
			unlimited: true, claims: []Claim{claim("a", 0, 0, 0, 10, 3), claim("b", 0, 0, 0, 10, 0)},
			want: map[string]int{"a": 3},
		},
		"equal priorities take turns, one month at a time": {
			free: 50, claims: []Claim{claim("a", 0, 0, 0, 10, 5), claim("b", 0, 0, 0, 10, 5), claim("c", 0, 0, 0, 10, 5)},
			want: map[string]int{"a": 2, "b": 2, "c": 1},
		},
		"the fewest started today goes first": {
			free: 20, claims: []Claim{claim("a", 0, 3, 3, 10, 5), claim("b", 0, 1, 9, 10, 5), claim("c", 0, 2, 2, 10, 5)},
			want: map[string]int{"b": 1, "c": 1}, // b then, at 2 each today, c (fewer ever)
		},
		"a tie today goes to the fewest ever, so the turn moves on across days": {
			free: 20, claims: []Claim{claim("a", 0, 0, 7, 10, 5), claim("b", 0, 0, 3, 10, 5), claim("c", 0, 0, 5, 10, 5)},
			want: map[string]int{"b": 1, "c": 1},
		},
		"higher priority is served first, however much it had": {
			free: 30, claims: []Claim{claim("low", 0, 0, 0, 10, 5), claim("high", 5, 9, 9, 10, 2)},
			want: map[string]int{"high": 2, "low": 1},
		},
		"lower priority never takes what a higher one waits for": {
			free: 15, claims: []Claim{claim("low", 0, 0, 0, 5, 5), claim("high", 5, 0, 0, 20, 1)},
			want: map[string]int{},
		},
		"a smaller month behind a larger one waits too": {
			free: 15, claims: []Claim{claim("big", 0, 0, 0, 20, 1), claim("small", 0, 1, 1, 5, 3)},
			want: map[string]int{},
		},
		"nothing free grants nothing": {
			free: 9, claims: []Claim{claim("a", 0, 0, 0, 10, 1)},
			want: map[string]int{},
		},
		"overspent grants nothing": {
			free: -40, claims: []Claim{claim("a", 0, 0, 0, 0, 1)},
			want: map[string]int{},
		},
		"a campaign whose months make no calls is never held back": {
			free: 0, claims: []Claim{claim("free", 0, 0, 0, 0, 2)},
			want: map[string]int{"free": 2},
		},
		"campaigns that want nothing are skipped": {
			free: 100, claims: []Claim{claim("idle", 9, 0, 0, 10, 0), claim("busy", 0, 5, 5, 10, 2)},
			want: map[string]int{"busy": 2},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := Allocate(tc.free, tc.unlimited, tc.claims)
			if !maps.Equal(got, tc.want) {
				t.Errorf("Allocate = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestAllocateNoneStarves plays many days of a scarce budget among twelve equal campaigns that
// always want a month: each day's admissions go round, and over the days every campaign gets
// its share within one month.
func TestAllocateNoneStarves(t *testing.T) {
	const campaigns, perDay, days = 12, 5, 24
	started := map[string]int{}
	names := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"}
	for range days {
		today := map[string]int{}
		for free := int64(perDay * 10); ; {
			var claims []Claim
			for _, n := range names {
				claims = append(claims, Claim{Campaign: n, StartedToday: today[n], Started: started[n], Estimate: 10, Want: 1})
			}
			g := Allocate(free, false, claims)
			if len(g) == 0 {
				break
			}
			for n, k := range g { // each campaign's pass takes one month at a time
				today[n] += k
				started[n] += k
				free -= int64(k) * 10
				break
			}
		}
	}
	lo, hi := days*perDay, 0
	for _, n := range names {
		lo, hi = min(lo, started[n]), max(hi, started[n])
	}
	if want := days * perDay / campaigns; lo < want || hi-lo > 1 {
		t.Errorf("after %d days: admissions range %d..%d per campaign (%v), want each %d within 1", days, lo, hi, started, want)
	}
}
