package fakes

import "strings"

// isbn13CheckDigit returns the ISBN-13 check digit for the first twelve digits.
func isbn13CheckDigit(first12 string) byte {
	sum := 0
	for i := 0; i < 12; i++ {
		d := int(first12[i] - '0')
		if i%2 == 1 {
			d *= 3
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}

// isbn10CheckDigit returns the ISBN-10 check character ('0'..'9' or 'X') for nine digits.
func isbn10CheckDigit(first9 string) byte {
	sum := 0
	for i := 0; i < 9; i++ {
		sum += int(first9[i]-'0') * (10 - i)
	}
	c := (11 - sum%11) % 11
	if c == 10 {
		return 'X'
	}
	return byte('0' + c)
}

// ValidISBN13 reports whether s is thirteen digits with a correct check digit.
func ValidISBN13(s string) bool {
	if len(s) != 13 || !allDigits(s) {
		return false
	}
	return s[12] == isbn13CheckDigit(s[:12])
}

// ValidISBN10 reports whether s is nine digits plus a correct check character (digit or X).
func ValidISBN10(s string) bool {
	if len(s) != 10 || !allDigits(s[:9]) {
		return false
	}
	return strings.ToUpper(s[9:]) == string(isbn10CheckDigit(s[:9]))
}

// ISBN10From13 converts a 978-prefixed ISBN-13 to its ISBN-10; 979 ISBNs have none.
func ISBN10From13(isbn13 string) string {
	if !ValidISBN13(isbn13) || !strings.HasPrefix(isbn13, "978") {
		return ""
	}
	body := isbn13[3:12]
	return body + string(isbn10CheckDigit(body))
}

// ISBN13From10 converts an ISBN-10 to its 978-prefixed ISBN-13.
func ISBN13From10(isbn10 string) string {
	if !ValidISBN10(isbn10) {
		return ""
	}
	first12 := "978" + isbn10[:9]
	return first12 + string(isbn13CheckDigit(first12))
}

// hyphenateISBN13 formats an ISBN-13 the way Wikidata stores it. Real hyphenation follows the
// ISBN agency's range tables; the fake uses a fixed 3-1-4-4-1 split, which is all a client that
// strips hyphens (as it must) can notice.
func hyphenateISBN13(s string) string {
	if len(s) != 13 {
		return s
	}
	return s[:3] + "-" + s[3:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:]
}

// normalizeISBN strips hyphens and spaces and upper-cases a trailing x.
func normalizeISBN(s string) string {
	s = strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(s))
	return strings.ToUpper(s)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
