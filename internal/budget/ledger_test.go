package budget

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ooheynerds/backfill-operator/internal/aggregate"
)

var key = Key{Namespace: "ns", Secret: "keys", Name: "isbndb"}

func member(name string, used int64, live int, versions map[string]string) Member {
	return Member{Campaign: name, Paid: aggregate.Paid{Used: used, PerMonth: 10, Live: live}, Versions: versions}
}

// pickOne chooses one month of the campaign to admit, when granted.
func pickOne(month string) func(int) []Hold {
	return func(grant int) []Hold {
		if grant == 0 {
			return nil
		}
		return []Hold{{Month: month, Version: "1", Estimate: 10}}
	}
}

// TestConcurrentPassesCannotBothTakeTheLastMonth runs the passes of ten campaigns at once
// against a key with room for two more months while the cache shows none of their admissions:
// the holds the ledger keeps let exactly two through.
func TestConcurrentPassesCannotBothTakeTheLastMonth(t *testing.T) {
	var l Ledger
	var members []Member
	for i := range 10 {
		name := fmt.Sprintf("c%d", i)
		members = append(members, member(name, 40, 2, map[string]string{name + "-m": "1"}))
	}
	// 10 × 40 used + 10 × 2 live × 10 = 600; limit 620 leaves two months
	var wg sync.WaitGroup
	var mu sync.Mutex
	granted := 0
	for _, m := range members {
		wg.Go(func() {
			g := l.Admit(key, Request{Campaign: m.Campaign, Want: 1, Limit: 620, Members: members}, pickOne(m.Campaign+"-m"))
			mu.Lock()
			granted += g.Months
			mu.Unlock()
		})
	}
	wg.Wait()
	if granted != 2 {
		t.Errorf("%d months granted, want 2", granted)
	}
	if v := l.View(key, 620, members); v.Used+v.Reserved != 620 {
		t.Errorf("used %d + reserved %d, want the limit 620 exactly", v.Used, v.Reserved)
	}
}

// TestHoldCountsUntilTheCacheShowsTheAdmission: a granted month is reserved once, first as a
// hold, then (once its cached version moves on) through its months' status; never twice.
func TestHoldCountsUntilTheCacheShowsTheAdmission(t *testing.T) {
	var l Ledger
	before := []Member{member("a", 0, 0, map[string]string{"a-m": "1"})}
	g := l.Admit(key, Request{Campaign: "a", Want: 1, Limit: 100, Members: before}, pickOne("a-m"))
	if g.Months != 1 || g.View.Reserved != 10 {
		t.Fatalf("grant %d, reserved %d; want 1 and 10", g.Months, g.View.Reserved)
	}
	if v := l.View(key, 100, before); v.Reserved != 10 {
		t.Errorf("before the cache shows it: reserved %d, want 10 (the hold)", v.Reserved)
	}
	after := []Member{member("a", 0, 1, map[string]string{"a-m": "2"})}
	if v := l.View(key, 100, after); v.Reserved != 10 {
		t.Errorf("once the cache shows it: reserved %d, want 10 (the month, not the month and the hold)", v.Reserved)
	}
	if v := l.View(key, 100, before); v.Reserved != 0 {
		t.Errorf("the hold outlived the cache showing the admission: reserved %d", v.Reserved)
	}
}

// TestRestartCountsTheSame: a new ledger (a restarted manager) counts the same day from the
// same months.
func TestRestartCountsTheSame(t *testing.T) {
	reset := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	members := []Member{member("a", 120, 2, nil), member("b", 30, 1, nil)}
	members[1].Paid.PausedUntil = &reset
	var first, second Ledger
	v1, v2 := first.View(key, 1000, members), second.View(key, 1000, members)
	if v1.Used != 150 || v1.Reserved != 30 || v1.PausedUntil == nil || !v1.PausedUntil.Equal(reset) {
		t.Errorf("view = %+v, want used 150, reserved 30, paused until %s for the whole key", v1, reset)
	}
	if v1.Used != v2.Used || v1.Reserved != v2.Reserved {
		t.Errorf("a restarted ledger counts %d/%d, the first %d/%d", v2.Used, v2.Reserved, v1.Used, v1.Reserved)
	}
}

// TestUndecidedCampaignKeepsItsPlace: after a restart, a campaign whose pass has not run yet
// may want a month; one that had fewer admissions today is not passed over by the first pass
// that runs, and is woken.
func TestUndecidedCampaignKeepsItsPlace(t *testing.T) {
	var l Ledger
	members := []Member{member("a", 0, 1, map[string]string{"a-m": "1"}), member("b", 0, 0, nil)}
	members[0].Paid.StartedToday = 1
	g := l.Admit(key, Request{Campaign: "a", Want: 1, Limit: 20, Members: members}, pickOne("a-m"))
	if g.Months != 0 || !slices.Equal(g.Wake, []string{"b"}) || !slices.Equal(g.Ahead, []string{"b"}) {
		t.Errorf("grant %d, wake %v, ahead %v; want 0, [b], [b]", g.Months, g.Wake, g.Ahead)
	}
	// b decides it wants nothing: a's turn
	l.Admit(key, Request{Campaign: "b", Want: 0, Limit: 20, Members: members}, pickOne("b-m"))
	if g := l.Admit(key, Request{Campaign: "a", Want: 1, Limit: 20, Members: members}, pickOne("a-m")); g.Months != 1 {
		t.Errorf("once b wants nothing, a is granted %d, want 1", g.Months)
	}
}

// TestIdleCampaignLosesItsPlace: a campaign the operator cannot interpret never decides; once
// marked idle it no longer holds up the others.
func TestIdleCampaignLosesItsPlace(t *testing.T) {
	var l Ledger
	members := []Member{member("a", 0, 1, map[string]string{"a-m": "1"}), member("broken", 0, 0, nil)}
	members[0].Paid.StartedToday = 1
	l.Idle(key, "broken")
	if g := l.Admit(key, Request{Campaign: "a", Want: 1, Limit: 20, Members: members}, pickOne("a-m")); g.Months != 1 || len(g.Wake) != 0 {
		t.Errorf("grant %d, wake %v; want 1 and nobody", g.Months, g.Wake)
	}
}

func TestRelease(t *testing.T) {
	var l Ledger
	members := []Member{member("a", 0, 0, map[string]string{"a-m": "1"})}
	l.Admit(key, Request{Campaign: "a", Want: 1, Limit: 100, Members: members}, pickOne("a-m"))
	l.Release(key, "a-m")
	if v := l.View(key, 100, members); v.Reserved != 0 {
		t.Errorf("a released hold still reserves %d", v.Reserved)
	}
	// a campaign that left the key takes its holds with it
	l.Admit(key, Request{Campaign: "a", Want: 1, Limit: 100, Members: members}, pickOne("a-m"))
	if v := l.View(key, 100, nil); v.Reserved != 0 {
		t.Errorf("the hold of a campaign no longer on the key still reserves %d", v.Reserved)
	}
}
