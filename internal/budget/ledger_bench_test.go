package budget

import (
	"fmt"
	"testing"

	"github.com/ooheynerds/backfill-operator/internal/aggregate"
)

// BenchmarkAdmit measures one decision on a key shared by 100 campaigns on a scarce budget:
// the count, the hand-out one month at a time, and the requester's holds.
func BenchmarkAdmit(b *testing.B) {
	members := make([]Member, 100)
	for i := range members {
		name := fmt.Sprintf("c%03d", i)
		members[i] = Member{Campaign: name, Priority: int32(i % 3),
			Paid:     aggregate.Paid{Used: 100, PerMonth: 10, Live: 2, StartedToday: i % 5, Started: i},
			Versions: map[string]string{name + "-m": "1"}}
	}
	var l Ledger
	for i := range members { // every campaign has decided once
		l.Admit(key, Request{Campaign: members[i].Campaign, Want: 5, Limit: 1 << 20, Members: members}, func(int) []Hold { return nil })
	}
	b.ReportAllocs()
	for b.Loop() {
		l.Admit(key, Request{Campaign: "c000", Want: 5, Limit: 100*100 + 100*20 + 500, Members: members}, func(int) []Hold { return nil })
	}
}
