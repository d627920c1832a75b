package admission

import (
	"strings"
	"time"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

// AnnotationRerunsAdmittedAt lists when the month's reruns were admitted (RFC 3339, comma
// separated, only those within the cadence window of the latest): a rerun's run is a new
// admission and the cadence counts it, as it counts a month's first admission.
const AnnotationRerunsAdmittedAt = "alexandria.ooheynerds.com/reruns-admitted-at"

// Admissions are the times the month's runs were admitted: its first admission and each
// rerun's. Retries continue a run and are not admissions of a new one.
func Admissions(m *v1alpha1.BackfillMonth) []time.Time {
	var out []time.Time
	if at := m.FirstAdmittedAt(); at != nil {
		out = append(out, *at)
	}
	for _, v := range strings.Split(m.Annotations[AnnotationRerunsAdmittedAt], ",") {
		if at, err := time.Parse(time.RFC3339, v); err == nil {
			out = append(out, at)
		}
	}
	return out
}

// Stamp records on a month the campaign admits now what the cadence counts: the first
// admission once; and for a month that was admitted before and is Pending again (a rerun: the
// month's state machine sends a finished month back to Pending only for one), this rerun's
// admission, keeping the earlier ones still inside the window. A retry is stamped nothing.
func Stamp(m *v1alpha1.BackfillMonth, now time.Time) {
	if m.Annotations == nil {
		m.Annotations = map[string]string{}
	}
	if m.FirstAdmittedAt() == nil {
		m.Annotations[v1alpha1.AnnotationFirstAdmittedAt] = now.UTC().Format(time.RFC3339)
		return
	}
	if m.EffectiveState() != v1alpha1.MonthPending {
		return
	}
	var keep []string
	for _, v := range strings.Split(m.Annotations[AnnotationRerunsAdmittedAt], ",") {
		if at, err := time.Parse(time.RFC3339, v); err == nil && now.Sub(at) < Window {
			keep = append(keep, v)
		}
	}
	m.Annotations[AnnotationRerunsAdmittedAt] = strings.Join(append(keep, now.UTC().Format(time.RFC3339)), ",")
}
