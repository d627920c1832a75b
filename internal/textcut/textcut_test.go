package textcut

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCut(t *testing.T) {
	tests := map[string]struct {
		in    string
		limit int
		want  string
	}{
		"short stays":          {"abc", 10, "abc"},
		"exact stays":          {"abcde", 5, "abcde"},
		"ascii cut":            {"abcdefghij", 8, "abcde..."},
		"never splits a rune":  {"ééééé", 8, "éé..."},
		"four-byte runes":      {"😀😀😀", 9, "😀..."},
		"tiny limit still cut": {"abcdef", 1, "..."},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := Cut(tc.in, tc.limit)
			if got != tc.want || !utf8.ValidString(got) {
				t.Fatalf("Cut(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
			}
		})
	}
	long := strings.Repeat("ж", 1000)
	if got := Cut(long, 512); len(got) > 512 || !utf8.ValidString(got) {
		t.Fatalf("cut to %d bytes, valid=%v", len(got), utf8.ValidString(got))
	}
}
