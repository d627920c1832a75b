package cli

import (
	"strings"
	"testing"
)

func TestValidNamespaces(t *testing.T) {
	for _, tc := range []struct {
		in      []string
		wantErr string
	}{
		{in: nil},
		{in: []string{"team-a", "b2"}},
		{in: []string{""}, wantErr: `"" is not a namespace name`}, // "a,,b" or a trailing comma
		{in: []string{"Team"}, wantErr: `"Team" is not a namespace name`},
		{in: []string{"a.b"}, wantErr: `"a.b" is not a namespace name`},
		{in: []string{strings.Repeat("a", 64)}, wantErr: "is not a namespace name"},
		{in: []string{"a", "a"}, wantErr: `"a" is listed twice`},
	} {
		err := validNamespaces(tc.in)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%q: %v", tc.in, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%q: error %v, want %q", tc.in, err, tc.wantErr)
		}
	}
}
