package naming

import (
	"strings"
	"testing"
)

func TestNames(t *testing.T) {
	long := strings.Repeat("c", 60)
	tests := map[string]struct {
		got, want string
	}{
		"month":                 {Month("alexandria", 2020, 1), "alexandria-2020-01"},
		"job":                   {Job("alexandria-2020-01", 3), "alexandria-2020-01-a3"},
		"short names unchanged": {Job(Month("x", 1999, 12), 1), "x-1999-12-a1"},
		"long month is hashed":  {Month(long, 2020, 1), long[:52] + "-" + Month(long, 2020, 1)[53:]},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Fatalf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}

func TestLongNamesFitAndStayDistinct(t *testing.T) {
	base := strings.Repeat("campaign", 8)
	seen := map[string]string{}
	for m := 1; m <= 12; m++ {
		for a := 1; a <= 5; a++ {
			name := Job(Month(base, 2020, m), a)
			if len(name) > MaxNameLength {
				t.Fatalf("%q is %d characters, over %d", name, len(name), MaxNameLength)
			}
			key := Month(base, 2020, m) + "/" + string(rune('0'+a))
			if other, dup := seen[name]; dup {
				t.Fatalf("%s and %s both map to %q", key, other, name)
			}
			seen[name] = key
		}
	}
}
