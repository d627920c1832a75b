// Package textmatch turns book titles and author names into comparable normalised forms and
// scores how alike two of them are. It is the single definition of "the same book" used by the
// merge of model answers, the ISBN resolution cache and the books table, so that a title written
// "The Hobbit: or There and Back Again" by one source and "hobbit" by another meet on one key.
package textmatch

import (
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/hbollon/go-edlib"
	"golang.org/x/text/unicode/norm"
)

// Key is the identity of a book: its normalised title and normalised first author. An edition
// whose title carries edition marks (see EditionMarks) is another book than the bare title, so
// its marks are part of Title, in brackets ("pride and prejudice [graphic novel]"), which no
// normalised title contains.
type Key struct{ Title, Author string }

// KeyOf returns the identity of the book with this title and author.
func KeyOf(title, author string) Key {
	t := NormalizeTitle(title)
	if marks := EditionMarks(title); len(marks) > 0 && t != "" {
		t += " [" + strings.Join(marks, ", ") + "]"
	}
	return Key{Title: t, Author: NormalizeAuthor(author)}
}

// fold lower-cases s and removes diacritics. Compatibility decomposition can produce upper-case
// letters ("℡" -> "TEL") and lower-casing can produce decomposable letters, so the steps are
// repeated until stable; that keeps NormalizeTitle idempotent.
func fold(s string) string {
	for range 4 {
		var b strings.Builder
		b.Grow(len(s))
		var base rune
		// the letters are spelled out on every round: a dropped mark can reveal one ("ǣ" is
		// "æ" with a macron, filed as "ae")
		for _, r := range norm.NFKD.String(foldLetters.Replace(s)) {
			if unicode.Is(unicode.Mn, r) {
				if droppable(base, r) {
					continue
				}
			} else {
				base = r
			}
			b.WriteRune(unicode.ToLower(r))
		}
		next := norm.NFC.String(b.String())
		if next == s {
			break
		}
		s = next
	}
	return s
}

// droppable reports whether a combining mark on base is a diacritic readers and catalogues
// ignore. That holds for accents on Latin, Greek and Cyrillic letters and for the optional vowel
// points of Arabic and Hebrew. It does not hold for the Cyrillic breve ("й" is its own letter:
// "мой" is not "мои"), nor for marks that change a letter elsewhere: the Japanese voicing marks
// ("が" is not "か"), Indic vowel signs and Thai vowels and tones are kept.
func droppable(base, mark rune) bool {
	switch {
	case base == 0:
		return true
	case unicode.Is(unicode.Cyrillic, base):
		return mark != '\u0306'
	case unicode.In(base, unicode.Latin, unicode.Greek, unicode.Arabic, unicode.Hebrew, unicode.Common):
		return true
	default:
		return false
	}
}

// foldLetters spells the letters that Unicode does not decompose the way readers and catalogues
// write them without diacritics: "Straße" is filed as "strasse", "Œuvre" as "oeuvre", "Łódź" as
// "lodz". Compatibility decomposition (NFKD, in fold) already turns full-width forms ("Ｄｕｎｅ",
// the CJK colon "：") and ligatures such as "ﬁ" into their plain letters.
var foldLetters = strings.NewReplacer(
	"ß", "ss", "ẞ", "ss", "œ", "oe", "Œ", "oe", "æ", "ae", "Æ", "ae", "ø", "o", "Ø", "o",
	"ł", "l", "Ł", "l", "þ", "th", "Þ", "th", "ð", "d", "Ð", "d", "đ", "d", "Đ", "d",
	"ı", "i", "ς", "σ", "ħ", "h", "Ħ", "h", "ŀ", "l", "Ŀ", "l", "ŧ", "t", "Ŧ", "t", "ĸ", "k",
	// Punctuation that compatibility decomposition leaves alone but that separates like its
	// ASCII counterpart: the ideographic full stop and comma, and CJK brackets.
	"。", ".", "、", ",", "【", "[", "】", "]", "「", "\"", "」", "\"", "『", "\"", "』", "\"",
)

// width folds full-width and other compatibility forms before punctuation is read, so that the
// CJK colon "：" and full-width "（…）" separate subtitles and notes like ":" and "(…)".
func width(s string) string { return norm.NFKC.String(foldLetters.Replace(s)) }

// isApostrophe reports runes that join a word rather than separate two ("philosopher's").
func isApostrophe(r rune) bool {
	return r == '\'' || r == '’' || r == 'ʼ' || r == '`' || r == '‘'
}

// words folds s, turns '&' into "and", drops apostrophes and turns every other non-alphanumeric
// rune into a word break.
func words(s string) []string {
	s = fold(s)
	var b strings.Builder
	b.Grow(len(s))
	inWord := false // the last rune written belongs to a word
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString(" and ")
			inWord = false
		case isApostrophe(r):
		case unicode.IsMark(r):
			// Marks that fold kept belong to their letter (Thai tones, Indic vowel signs); one
			// whose base was not a letter goes with it, or a second pass would see it bare.
			if inWord {
				b.WriteRune(r)
			}
		case unicode.IsLetter(r) || unicode.IsNumber(r):
			b.WriteRune(r)
			inWord = true
		default:
			b.WriteByte(' ')
			inWord = false
		}
	}
	return strings.Fields(b.String())
}

// stripBracketed removes "(...)" and "[...]" groups, which in catalogue data hold series notes and
// edition remarks ("(Harry Potter, #1)", "[Large Print]") rather than the title. If nothing would
// remain the input is returned unchanged.
func stripBracketed(s string) string {
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch r {
		case '(', '[':
			depth++
			continue
		case ')', ']':
			if depth > 0 {
				depth--
				continue
			}
		}
		if depth == 0 {
			b.WriteRune(r)
		}
	}
	if strings.TrimSpace(b.String()) == "" {
		return s
	}
	return b.String()
}

// cutSubtitle keeps what precedes the first subtitle separator, unless that would leave nothing.
func cutSubtitle(s string) string {
	cut := len(s)
	for _, sep := range []string{":", " - ", " – ", " — ", "; "} {
		if i := strings.Index(s, sep); i >= 0 && i < cut {
			cut = i
		}
	}
	if head := s[:cut]; strings.TrimSpace(head) != "" && len(words(head)) > 0 {
		return head
	}
	return s
}

var articles = map[string]bool{"a": true, "an": true, "the": true}

// invertedArticle matches the catalogue habit of filing "The Road" as "Road, The".
var invertedArticle = regexp.MustCompile(`(?i),\s*(the|an|a)\s*$`)

func dropInvertedArticle(s string) string {
	if loc := invertedArticle.FindStringIndex(s); loc != nil && strings.TrimSpace(s[:loc[0]]) != "" {
		return s[:loc[0]]
	}
	return s
}

// NormalizeTitle returns the comparable form of a book title: lower case, diacritics folded,
// bracketed notes, the subtitle (after ':' or ' - ') and a catalogue's inverted article
// ("Road, The") dropped, '&' spelled "and", punctuation
// dropped, leading English articles dropped and whitespace collapsed. A title made only of an
// article keeps it, so that no title normalises to "".
func NormalizeTitle(s string) string {
	ws := words(dropInvertedArticle(cutSubtitle(stripBracketed(width(s)))))
	for len(ws) > 1 && articles[ws[0]] {
		ws = ws[1:]
	}
	return strings.Join(ws, " ")
}

// nameSuffixes are generational and academic suffixes that do not identify a person.
var nameSuffixes = map[string]bool{"jr": true, "sr": true, "ii": true, "iii": true, "iv": true, "phd": true, "md": true}

// surnameParticles begin multi-word surnames ("Le Guin", "van Gogh"); "Le Guin, Ursula" is
// therefore one inverted name, not two authors.
var surnameParticles = map[string]bool{
	"le": true, "la": true, "de": true, "du": true, "des": true, "del": true, "della": true, "di": true, "da": true,
	"van": true, "von": true, "der": true, "den": true, "ten": true, "ter": true, "st": true, "mac": true, "al": true, "bin": true,
}

// authorSeparators separate two people in a credit line; ';' always separates credits, the
// others only between people (see groupOrganisations).
// "y" is left out: "José Ortega y Gasset" is one man.
var authorSeparators = []string{" and ", " & ", " with ", " und ", " et "}

// splitCredit cuts a credit line into the people and organisations it names, each as folded
// words joined by single spaces, in credit order. ';' always separates credits; "and", "&",
// "with" separate people, but not the parts of an organisation's name ("Procter & Gamble
// Company", "Council on Climate and Security"). A comma separates people unless it inverts one
// name: the text before it is a bare surname ("Rowling, J. K.", "Le Guin, Ursula K.") or the
// text after it is given names ("García Márquez, Gabriel"); a generational suffix after a comma
// ("King, Stephen, Jr.") belongs to the name before it.
func splitCredit(s string) []string {
	s = lifeDates.ReplaceAllString(stripBracketed(width(s)), "")
	var out []string
	for credit := range strings.SplitSeq(fold(s), ";") {
		segments := []string{" " + credit + " "}
		for _, sep := range authorSeparators {
			var next []string
			for _, seg := range segments {
				next = append(next, strings.Split(seg, sep)...)
			}
			segments = next
		}
		for _, g := range groupOrganisations(segments) {
			if ws := words(g); isCorporate(ws) {
				for len(ws) > 1 && articles[ws[0]] {
					ws = ws[1:]
				}
				out = append(out, strings.Join(ws, " "))
				continue
			}
			out = append(out, people(g)...)
		}
	}
	return out
}

// groupOrganisations joins the segments of a credit that belong to one organisation's name: one
// or more single words before a segment with an organisation word ("procter" + "gamble company")
// and a single word after it ("council on climate" + "security"). Other segments stay apart.
func groupOrganisations(segments []string) []string {
	var out []string
	var pending []string // single-word segments that may start an organisation's name
	flush := func() { out, pending = append(out, pending...), nil }
	lastOrg := false
	for _, seg := range segments {
		ws := words(seg)
		switch {
		case len(ws) == 0:
			continue
		case isCorporate(ws):
			out = append(out, strings.Join(append(pending, seg), " and "))
			pending, lastOrg = nil, true
		case len(ws) == 1 && lastOrg && len(pending) == 0:
			out[len(out)-1] += " and " + seg
		case len(ws) == 1:
			pending = append(pending, seg)
			lastOrg = false
		default:
			flush()
			out = append(out, seg)
			lastOrg = false
		}
	}
	flush()
	return out
}

// people reads one credit segment without organisations into the people it names.
func people(seg string) []string {
	var parts []string
	for p := range strings.SplitSeq(seg, ",") {
		ws := words(p)
		if len(ws) == 0 {
			continue
		}
		if len(parts) > 0 && len(ws) == 1 && nameSuffixes[ws[0]] {
			continue
		}
		parts = append(parts, strings.Join(ws, " "))
	}
	var out []string
	for i := 0; i < len(parts); i++ {
		if i+1 < len(parts) && (isBareSurname(parts[i]) || isGivenNames(parts[i+1])) {
			out = append(out, parts[i+1]+" "+parts[i])
			i++
			continue
		}
		out = append(out, parts[i])
	}
	return out
}

// corporateWords mark a credit as an organisation's: such a credit is one author even when it
// contains "and", "&" or commas ("Procter & Gamble Company", "Editors of Time-Life Books").
var corporateWords = map[string]bool{
	"society": true, "association": true, "institute": true, "institution": true, "corporation": true,
	"corp": true, "company": true, "co": true, "inc": true, "ltd": true, "llc": true, "llp": true, "plc": true, "gmbh": true, "ag": true,
	"group": true, "council": true, "committee": true, "university": true, "press": true,
	"foundation": true, "editors": true, "staff": true, "department": true, "agency": true,
	"bureau": true, "organization": true, "organisation": true, "commission": true, "museum": true,
	"academy": true, "center": true, "centre": true, "trust": true, "ministry": true,
	"federation": true, "publications": true, "publishing": true, "magazine": true, "studios": true,
	"collective": true, "coalition": true, "nations": true, "board": true, "office": true,
}

// isCorporate reports a credit that names an organisation rather than people.
func isCorporate(ws []string) bool {
	for _, w := range ws {
		if corporateWords[w] {
			return true
		}
	}
	return false
}

// firstAuthor is the first person (or the organisation) a credit line names.
func firstAuthor(s string) string {
	if all := splitCredit(s); len(all) > 0 {
		return all[0]
	}
	return ""
}

// lifeDates are the birth and death years library headings add ("García Márquez, Gabriel,
// 1927-2014"); they are not part of the name.
var lifeDates = regexp.MustCompile(`,?\s*(?:b\.\s*|d\.\s*|ca\.\s*)?\d{4}\??\s*-\s*(?:\d{4}\??)?\s*\.?|,\s*\d{4}-?\s*$`)

// isGivenNames reports whether the text after a comma reads as given names rather than a second
// author: one name with at most initials around it ("Gabriel", "Ursula K.", "J. R. R."), so that
// "García Márquez, Gabriel" is one inverted name while "Terry Pratchett, Neil Gaiman" is two
// people.
func isGivenNames(name string) bool {
	full := 0
	for _, w := range strings.Fields(name) {
		if len([]rune(w)) > 1 {
			full++
		}
	}
	return full <= 1
}

// isBareSurname reports whether name looks like a surname alone: one word, or particles
// followed by one word.
func isBareSurname(name string) bool {
	ws := strings.Fields(name)
	for _, w := range ws[:len(ws)-1] {
		if !surnameParticles[w] {
			return false
		}
	}
	return true
}

// NormalizeAuthor returns the comparable form of an author credit: the first author only (see
// Authors), folded like titles, "Last, First" turned into "first last", suffixes such as "Jr."
// dropped, initials split into single letters ("J.K." -> "j k"), and middle initials dropped
// when a full first name is present ("George R. R. Martin" -> "george martin"), because
// catalogues disagree on them.
func NormalizeAuthor(s string) string { return normalizePerson(firstAuthor(s)) }

// Authors returns the comparable form (see NormalizeAuthor) of every author a credit line names,
// in credit order: "Pratchett, Terry; Gaiman, Neil" gives "terry pratchett" and "neil gaiman",
// "Ernst & Young" one organisation.
func Authors(s string) []string {
	var out []string
	for _, a := range splitCredit(s) {
		if n := normalizePerson(a); n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

func normalizePerson(name string) string {
	ws := strings.Fields(name)
	if isCorporate(ws) {
		return name
	}
	for len(ws) > 1 && nameSuffixes[ws[len(ws)-1]] {
		ws = ws[:len(ws)-1]
	}
	ws = splitGluedInitials(ws)
	if len(ws) > 2 && len([]rune(ws[0])) > 1 {
		kept := []string{ws[0]}
		for _, w := range ws[1 : len(ws)-1] {
			if len([]rune(w)) > 1 {
				kept = append(kept, w)
			}
		}
		ws = append(kept, ws[len(ws)-1])
	}
	return strings.Join(ws, " ")
}

// splitGluedInitials turns a leading all-consonant given name of two or three letters such as
// "jk" (from "JK Rowling") or "jrr" into initials. Only given names (not the last word) are
// considered.
func splitGluedInitials(ws []string) []string {
	if len(ws) < 2 {
		return ws
	}
	r := []rune(ws[0])
	if len(r) < 2 || len(r) > 3 {
		return ws
	}
	for _, c := range r {
		if isVowel(c) || !unicode.IsLetter(c) {
			return ws
		}
	}
	out := make([]string, 0, len(ws)+len(r))
	for _, c := range r {
		out = append(out, string(c))
	}
	return append(out, ws[1:]...)
}

func isVowel(r rune) bool { return strings.ContainsRune("aeiouy", r) }

// levenshteinSimilarity is 1 - distance/longer length, on runes. The distance is Damerau's
// (optimal string alignment): two swapped letters, the commonest typo, count as one edit.
func levenshteinSimilarity(a, b string) float64 {
	la, lb := len([]rune(a)), len([]rune(b))
	longer := max(la, lb)
	if longer == 0 {
		return 1
	}
	return 1 - float64(edlib.OSADamerauLevenshteinDistance(a, b))/float64(longer)
}

// allowedEdits is how many typos a word of this length may carry and still count as the same
// word. Short words get none: "emma" and "emmy" are different books even though three quarters
// of their letters agree.
func allowedEdits(n int) int {
	switch {
	case n <= 4:
		return 0
	case n <= 8:
		return 1
	default:
		return 2
	}
}

func sameWord(a, b string) bool {
	if a == b {
		return true
	}
	n := min(len([]rune(a)), len([]rune(b)))
	return edlib.OSADamerauLevenshteinDistance(a, b) <= allowedEdits(n)
}

// wordAgreement is the share of words, counted on the longer title, that find a matching word in
// the other title (each word used once).
func wordAgreement(a, b []string) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 1
	}
	used := make([]bool, len(b))
	matched := 0
	for _, w := range a {
		for j, v := range b {
			if !used[j] && sameWord(w, v) {
				used[j] = true
				matched++
				break
			}
		}
	}
	return float64(matched) / float64(max(len(a), len(b)))
}

// TitleSimilarity scores two titles from 0 (unrelated) to 1 (same normalised title). It is the
// lower of a character score (Levenshtein over the whole title, which tolerates a typo in a long
// title) and a word score (share of words that agree, short words exactly), because the
// character score alone rates short different titles such as "Emma" and "Emmy" as 0.75 alike.
func TitleSimilarity(a, b string) float64 {
	na, nb := NormalizeTitle(a), NormalizeTitle(b)
	if na == nb {
		return 1
	}
	if na == "" || nb == "" {
		return 0
	}
	return min(levenshteinSimilarity(na, nb), wordAgreement(strings.Fields(na), strings.Fields(nb)))
}

// AuthorSimilarity scores two author credits from 0 to 1: the best agreement between any author
// of one and any author of the other (see Authors), so that "Neil Gaiman and Terry Pratchett"
// agrees with "Pratchett, Terry; Gaiman, Neil" and with a catalogue that lists only one of them.
// For two people, surnames must agree (allowing a typo in a long one); given names then decide
// the score: identical given names give 1, an initial that fits a full name ("J. K. Rowling" vs
// "Joanne Rowling") 0.8, a credit without given names 0.75 and two different full given names
// 0.3. Organisations are compared word by word, and never agree with a person.
func AuthorSimilarity(a, b string) float64 {
	best := 0.0
	for _, x := range Authors(a) {
		for _, y := range Authors(b) {
			best = max(best, personSimilarity(x, y))
		}
	}
	return best
}

func personSimilarity(na, nb string) float64 {
	if na == nb {
		if na == "" {
			return 0
		}
		return 1
	}
	wa, wb := strings.Fields(na), strings.Fields(nb)
	if len(wa) == 0 || len(wb) == 0 {
		return 0
	}
	if ca, cb := isCorporate(wa), isCorporate(wb); ca || cb {
		if !ca || !cb {
			return 0
		}
		return min(levenshteinSimilarity(na, nb), wordAgreement(wa, wb))
	}
	surnameA, surnameB := wa[len(wa)-1], wb[len(wb)-1]
	if !sameWord(surnameA, surnameB) {
		// "Ursula Le Guin" and "Ursula LeGuin" differ only in where the words break.
		if strings.ReplaceAll(na, " ", "") == strings.ReplaceAll(nb, " ", "") {
			return 0.95
		}
		// Otherwise a different surname is a different person; the score only keeps some order
		// among wrong answers and stays far below any sensible threshold.
		return 0.5 * levenshteinSimilarity(surnameA, surnameB)
	}
	givenA, givenB := wa[:len(wa)-1], wb[:len(wb)-1]
	switch {
	case len(givenA) == 0 || len(givenB) == 0:
		return 0.75
	case sameWord(givenA[0], givenB[0]) && len([]rune(givenA[0])) > 1:
		return 1 - 0.05*(1-wordAgreement(givenA, givenB))
	case initialFits(givenA[0], givenB[0]):
		return 0.8
	default:
		return 0.3
	}
}

// initialFits reports whether two given names can be the same name written with an initial.
func initialFits(x, y string) bool {
	rx, ry := []rune(x), []rune(y)
	if len(rx) != 1 && len(ry) != 1 {
		return false
	}
	return rx[0] == ry[0]
}

// editionMarks are words in a subtitle or a bracketed note that make a book a different work or
// a different edition from the one of the bare title: an adaptation, an illustrated or graphic
// edition, a companion, a summary. Two titles whose marks differ are never the same book.
var editionMarks = []string{
	"graphic novel", "graphic history", "graphic adaptation", "graphic memoir", "illustrated",
	"companion", "adaptation", "adapted", "study guide", "summary", "workbook", "young readers",
	"young reader", "for kids", "coloring book", "colouring book", "abridged", "annotated",
	"screenplay", "movie tie in", "picture book", "manga", "activity book", "readers guide",
	"large print", "pop up", "board book", "box set", "boxed set", "cookbook", "novelization",
}

// markSpellings names one mark for the ways of writing it, so that "A Graphic History" and "The
// Graphic Novel", or "Young Reader's Edition" and "for Young Readers", count as the same mark.
var markSpellings = map[string]string{
	"graphic history": "graphic novel", "graphic adaptation": "graphic novel", "graphic memoir": "graphic novel",
	"young reader": "young readers", "for kids": "young readers", "colouring book": "coloring book",
	"boxed set": "box set", "adapted": "adaptation",
}

// EditionMarks returns the edition marks (see editionMarks) a title carries anywhere, sorted.
func EditionMarks(title string) []string {
	joined := " " + strings.Join(words(width(title)), " ") + " "
	var out []string
	for _, m := range editionMarks {
		if !strings.Contains(joined, " "+m+" ") {
			continue
		}
		if same, ok := markSpellings[m]; ok {
			m = same
		}
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	// A graphic novel of a prose book is its adaptation: "A Graphic Novel Adaptation" and "The
	// Graphic Novel" name one edition.
	if slices.Contains(out, "graphic novel") {
		out = slices.DeleteFunc(out, func(m string) bool { return m == "adaptation" })
	}
	slices.Sort(out)
	return out
}

// SameEditionMarks reports whether two titles carry the same edition marks: "Pride and
// Prejudice" and "Pride and Prejudice: The Graphic Novel" do not, though their titles agree once
// the subtitle is cut.
func SameEditionMarks(a, b string) bool { return slices.Equal(EditionMarks(a), EditionMarks(b)) }
