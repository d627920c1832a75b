package v1alpha1

import "testing"

func TestFormatRate(t *testing.T) {
	for _, tc := range []struct {
		part, whole int64
		want        string
	}{{36, 39, "92.31"}, {12, 19, "63.16"}, {0, 0, "0.00"}, {20, 20, "100.00"}, {1, 3, "33.33"}, {2, 3, "66.67"}} {
		if got := FormatRate(tc.part, tc.whole); got != tc.want {
			t.Errorf("FormatRate(%d, %d) = %s, want %s", tc.part, tc.whole, got, tc.want)
		}
	}
}
