package isbn

import (
	"errors"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr error
	}{
		{"9780306406157", "9780306406157", nil},
		{"978-0-306-40615-7", "9780306406157", nil},
		{"ISBN 978-0-306-40615-7", "9780306406157", nil},
		{"ISBN-13: 978 0 306 40615 7", "9780306406157", nil},
		{"isbn:0306406152", "9780306406157", nil},
		{"0-306-40615-2", "9780306406157", nil},
		{"080442957X", "9780804429573", nil},
		{"080442957x", "9780804429573", nil},
		{"ISBN-10 0-8044-2957-X", "9780804429573", nil},
		{"9791034304233", "9791034304233", nil},
		{"", "", ErrEmpty},
		{"ISBN", "", ErrEmpty},
		{"9780306406158", "", ErrChecksum},
		{"0306406153", "", ErrChecksum},
		{"97803064061", "", ErrLength},
		{"12345", "", ErrLength},
		{"X306406152", "", ErrChars},
		{"978030640615X", "", ErrChars},
		{"978-0-306-4O615-7", "", ErrChars},
		{"9770306406155", "", ErrPrefix},
	}
	for _, tt := range tests {
		got, err := Normalize(tt.in)
		if tt.wantErr != nil {
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Normalize(%q) error = %v, want %v", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestNormalizeErrorSaysWhatIsWrong(t *testing.T) {
	_, err := Normalize("9780306406158")
	if err == nil || err.Error() != `"9780306406158": ISBN-13 check digit should be 7: isbn check digit is wrong` {
		t.Errorf("error = %v", err)
	}
}

func TestValid(t *testing.T) {
	tests := []struct {
		in       string
		v10, v13 bool
	}{
		{"0306406152", true, false},
		{"080442957X", true, false},
		{"080442957x", false, false},
		{"0-306-40615-2", false, false},
		{"9780306406157", false, true},
		{"9780306406150", false, false},
		{"1234567890123", false, false},
		{"", false, false},
	}
	for _, tt := range tests {
		if got := Valid10(tt.in); got != tt.v10 {
			t.Errorf("Valid10(%q) = %v", tt.in, got)
		}
		if got := Valid13(tt.in); got != tt.v13 {
			t.Errorf("Valid13(%q) = %v", tt.in, got)
		}
	}
}

func TestConversions(t *testing.T) {
	pairs := [][2]string{{"0306406152", "9780306406157"}, {"080442957X", "9780804429573"}, {"0439064872", "9780439064873"}}
	for _, p := range pairs {
		if got, err := To13(p[0]); err != nil || got != p[1] {
			t.Errorf("To13(%q) = %q, %v; want %q", p[0], got, err, p[1])
		}
		if got, err := To10(p[1]); err != nil || got != p[0] {
			t.Errorf("To10(%q) = %q, %v; want %q", p[1], got, err, p[0])
		}
	}
	if _, err := To10("9791034304233"); err == nil {
		t.Error("To10 of a 979 ISBN succeeded")
	}
	if _, err := To13("0306406153"); err == nil {
		t.Error("To13 of a bad ISBN-10 succeeded")
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"9780306406157", "0-306-40615-2", "080442957X", "ISBN 978-0-306-40615-7", "", "X", "ISBN",
		"979-10-343-0423-3", "97803064061577", "\u2010", "isbn13:", "xxxxxxxxxx"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Normalize(s)
		if err != nil {
			if got != "" {
				t.Errorf("Normalize(%q) returned %q with error %v", s, got, err)
			}
			return
		}
		if !Valid13(got) {
			t.Errorf("Normalize(%q) = %q, not a valid ISBN-13", s, got)
		}
		if again, err := Normalize(got); err != nil || again != got {
			t.Errorf("Normalize not stable on %q: %q, %v", got, again, err)
		}
	})
}
