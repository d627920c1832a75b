// Package naming builds the deterministic names of a campaign's children, so every pass of
// every replica computes the same names and a create is always get-before-create safe.
package naming

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// MaxNameLength is the limit of a Job name (it becomes a pod label value) and a label value.
const MaxNameLength = 63

// Month is the BackfillMonth name of (year, month) in campaign: "<campaign>-YYYY-MM".
func Month(campaign string, year, month int) string {
	return fit(fmt.Sprintf("%s-%04d-%02d", campaign, year, month))
}

// Job is the Job name of attempt n of a month: "<month>-a<n>".
func Job(month string, attempt int) string {
	return fit(fmt.Sprintf("%s-a%d", month, attempt))
}

// fit keeps names within MaxNameLength: a longer name is cut and ends in a hash of the whole
// name, so distinct long names stay distinct and the same name always maps to the same result.
func fit(name string) string {
	if len(name) <= MaxNameLength {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	suffix := hex.EncodeToString(sum[:])[:10]
	return name[:MaxNameLength-len(suffix)-1] + "-" + suffix
}
