package retry

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	tests := []struct {
		failures    int
		base, limit time.Duration
		want        time.Duration
	}{
		{0, time.Minute, time.Hour, 0},
		{1, 5 * time.Minute, 2 * time.Hour, 5 * time.Minute},
		{2, 5 * time.Minute, 2 * time.Hour, 10 * time.Minute},
		{4, 5 * time.Minute, 2 * time.Hour, 40 * time.Minute},
		{6, 5 * time.Minute, 2 * time.Hour, 2 * time.Hour},
		{60, 5 * time.Minute, 2 * time.Hour, 2 * time.Hour},
		{1, 3 * time.Hour, 2 * time.Hour, 2 * time.Hour},
		{3, 0, time.Hour, 0},
	}
	for _, tc := range tests {
		if got := Backoff(tc.failures, tc.base, tc.limit); got != tc.want {
			t.Errorf("Backoff(%d, %v, %v) = %v, want %v", tc.failures, tc.base, tc.limit, got, tc.want)
		}
	}
}
