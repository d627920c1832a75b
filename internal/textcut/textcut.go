// Package textcut shortens text for places with a size limit (condition messages, status
// fields, termination messages) without cutting a UTF-8 character in two.
package textcut

// Cut shortens s to at most limit bytes, on a rune boundary, ending in "..." when it cut.
func Cut(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	if limit < 3 {
		limit = 3
	}
	end := 0
	for i := range s {
		if i > limit-3 {
			break
		}
		end = i
	}
	return s[:end] + "..."
}
