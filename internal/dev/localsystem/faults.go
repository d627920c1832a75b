package localsystem

import (
	"testing"

	"github.com/ooheynerds/backfill-operator/internal/dev/fakes"
)

// InjectFaults sets the fakes' faults for the providers named in faults and clears them again
// when the test ends, so one test's outage never leaks into the next.
func (s *System) InjectFaults(t testing.TB, faults map[string]fakes.Faults) {
	t.Helper()
	for provider, f := range faults {
		if err := s.Fakes.SetFaults(provider, f); err != nil {
			t.Fatalf("setting the faults of %s: %v", provider, err)
		}
	}
	t.Cleanup(func() {
		for provider := range faults {
			if err := s.Fakes.SetFaults(provider, fakes.Faults{}); err != nil {
				t.Errorf("clearing the faults of %s: %v", provider, err)
			}
		}
	})
}
