// Package render turns campaigns and months into what a person reads in a terminal: the
// status summary, the months table, the calendar heatmap and the plan preview. Every function
// is pure (objects, a time and a Style in; text out) so the outputs have golden tests.
package render

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

// Style says how to draw.
type Style struct {
	// Color turns on ANSI colours; without it every distinction is made with characters alone.
	Color bool
}

const reset = "\x1b[0m"

// paint wraps s in an SGR sequence when colour is on.
func (st Style) paint(sgr, s string) string {
	if !st.Color || sgr == "" {
		return s
	}
	return "\x1b[" + sgr + "m" + s + reset
}

// stateSGR is the foreground colour of a month state's word.
func stateSGR(s v1alpha1.MonthState) string {
	switch s {
	case v1alpha1.MonthCompleted:
		return "32"
	case v1alpha1.MonthFailed:
		return "31"
	case v1alpha1.MonthRetry:
		return "33"
	case v1alpha1.MonthProcessing:
		return "34"
	}
	return ""
}

// Rate parses a resolution rate ("92.31"); ok is false when there is none.
func Rate(s string) (float64, bool) {
	if s == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// MonthRate is a month's resolution rate, or ok false when its latest attempt produced no
// books to resolve (a rate of nothing is not a bad rate).
func MonthRate(m *v1alpha1.BackfillMonth) (float64, bool) {
	if m.Status.Metrics.BooksGenerated == 0 {
		return 0, false
	}
	return Rate(m.Status.Metrics.ResolutionRate)
}

// Age is kubectl's AGE: the time since t, in its short form.
func Age(t, now time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now.Sub(t))
}

// When says when t is relative to now ("in 3h12m", "5m ago") with the UTC time beside it.
func When(t, now time.Time) string {
	d := t.Sub(now)
	stamp := t.UTC().Format("2006-01-02 15:04 UTC")
	switch {
	case d > 0:
		return fmt.Sprintf("in %s (%s)", duration.HumanDuration(d), stamp)
	case d < 0:
		return fmt.Sprintf("%s ago (%s)", duration.HumanDuration(-d), stamp)
	}
	return "now (" + stamp + ")"
}

// oneLine folds a message onto one line of at most n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
