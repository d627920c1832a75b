// Package isbn validates and converts International Standard Book Numbers. Every ISBN the
// backfill stores passes through Normalize, so the database holds only checksum-valid ISBN-13s.
package isbn

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Errors returned (wrapped) by Normalize, so callers can tell why a string was refused.
var (
	ErrEmpty    = errors.New("isbn is empty")
	ErrChars    = errors.New("isbn has characters other than digits (and a final X in an ISBN-10)")
	ErrLength   = errors.New("isbn must have 10 or 13 digits")
	ErrChecksum = errors.New("isbn check digit is wrong")
	ErrPrefix   = errors.New("isbn-13 must start with 978 or 979")
)

// Normalize accepts an ISBN-10 or ISBN-13 as people and catalogues write it ("ISBN 0-306-40615-2",
// "isbn13: 978 0 306 40615 7", "030640615x"), verifies its check digit and returns it as ISBN-13.
func Normalize(s string) (string, error) {
	raw := s
	s = strings.TrimSpace(s)
	upper := strings.ToUpper(s)
	for _, prefix := range []string{"ISBN-13", "ISBN-10", "ISBN13", "ISBN10", "ISBN"} {
		if strings.HasPrefix(upper, prefix) {
			s = s[len(prefix):]
			break
		}
	}
	s = strings.TrimLeft(s, ": ")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '-' || r == ' ' || r == '\u2010' || r == '\u2011' || r == '\u2013' || r == '\u00a0':
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == 'x' || r == 'X':
			b.WriteByte('X')
		default:
			if unicode.IsPrint(r) {
				return "", fmt.Errorf("%q: unexpected %q: %w", raw, r, ErrChars)
			}
			return "", fmt.Errorf("%q: unexpected character %U: %w", raw, r, ErrChars)
		}
	}
	digits := b.String()
	if digits == "" {
		return "", fmt.Errorf("%q: %w", raw, ErrEmpty)
	}
	if i := strings.IndexByte(digits, 'X'); i >= 0 && !(len(digits) == 10 && i == 9) {
		return "", fmt.Errorf("%q: X is only allowed as the last character of an ISBN-10: %w", raw, ErrChars)
	}
	switch len(digits) {
	case 10:
		if !Valid10(digits) {
			return "", fmt.Errorf("%q: ISBN-10 check digit should be %c: %w", raw, check10(digits[:9]), ErrChecksum)
		}
		return To13(digits)
	case 13:
		if !strings.HasPrefix(digits, "978") && !strings.HasPrefix(digits, "979") {
			return "", fmt.Errorf("%q: %w", raw, ErrPrefix)
		}
		if !Valid13(digits) {
			return "", fmt.Errorf("%q: ISBN-13 check digit should be %c: %w", raw, check13(digits[:12]), ErrChecksum)
		}
		return digits, nil
	default:
		return "", fmt.Errorf("%q has %d digits: %w", raw, len(digits), ErrLength)
	}
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// check10 computes the ISBN-10 check character for nine digits.
func check10(nine string) byte {
	sum := 0
	for i := range 9 {
		sum += int(nine[i]-'0') * (10 - i)
	}
	c := (11 - sum%11) % 11
	if c == 10 {
		return 'X'
	}
	return byte('0' + c)
}

// check13 computes the ISBN-13 (EAN-13) check digit for twelve digits.
func check13(twelve string) byte {
	sum := 0
	for i := range 12 {
		d := int(twelve[i] - '0')
		if i%2 == 1 {
			d *= 3
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}

// Valid10 reports whether s is exactly ten characters (nine digits and a digit or upper-case X)
// with a correct check character. It does not strip hyphens; use Normalize for free-form input.
func Valid10(s string) bool {
	return len(s) == 10 && allDigits(s[:9]) && (allDigits(s[9:]) || s[9] == 'X') && check10(s[:9]) == s[9]
}

// Valid13 reports whether s is exactly thirteen digits starting 978 or 979 with a correct check
// digit. It does not strip hyphens; use Normalize for free-form input.
func Valid13(s string) bool {
	return len(s) == 13 && allDigits(s) && (strings.HasPrefix(s, "978") || strings.HasPrefix(s, "979")) &&
		check13(s[:12]) == s[12]
}

// To13 converts a valid ISBN-10 to its ISBN-13 (978 prefix, recomputed check digit).
func To13(isbn10 string) (string, error) {
	if !Valid10(isbn10) {
		return "", fmt.Errorf("to ISBN-13: %q is not a valid ISBN-10", isbn10)
	}
	twelve := "978" + isbn10[:9]
	return twelve + string(check13(twelve)), nil
}

// To10 converts a valid 978-prefixed ISBN-13 to ISBN-10. 979 ISBNs have no ISBN-10 form.
func To10(isbn13 string) (string, error) {
	if !Valid13(isbn13) {
		return "", fmt.Errorf("to ISBN-10: %q is not a valid ISBN-13", isbn13)
	}
	if !strings.HasPrefix(isbn13, "978") {
		return "", fmt.Errorf("to ISBN-10: %q has prefix %s, only 978 ISBNs have an ISBN-10", isbn13, isbn13[:3])
	}
	nine := isbn13[3:12]
	return nine + string(check10(nine)), nil
}
