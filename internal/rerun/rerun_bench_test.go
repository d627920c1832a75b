package rerun

import (
	"fmt"
	"testing"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

// BenchmarkDecide is one campaign pass over the largest campaign (1900-2100, 2412 months) with
// the most reruns the API allows (16), each waiting on every failed month (a third of them).
func BenchmarkDecide(b *testing.B) {
	var months []*v1alpha1.BackfillMonth
	for y := int32(1900); y <= 2100; y++ {
		for m := int32(1); m <= 12; m++ {
			state := v1alpha1.MonthCompleted
			if (y+m)%3 == 0 {
				state = v1alpha1.MonthFailed
			}
			months = append(months, month("p", y, m, state).Results(20, 15).Obj())
		}
	}
	var spec []v1alpha1.Rerun
	for i := 0; i < 16; i++ {
		spec = append(spec, v1alpha1.Rerun{Name: fmt.Sprintf("r%02d", i)})
	}
	recorded := Decide(Input{Now: now, Campaign: uid, Spec: spec, Months: months}).Status
	running := Decide(Input{Now: now, Campaign: uid, Spec: spec, Status: recorded, Months: months}).Status
	b.Run("first seen", func(b *testing.B) {
		for b.Loop() {
			Decide(Input{Now: now, Campaign: uid, Spec: spec, Months: months})
		}
	})
	b.Run("running", func(b *testing.B) {
		for b.Loop() {
			Decide(Input{Now: now, Campaign: uid, Spec: spec, Status: running, Months: months})
		}
	})
}
