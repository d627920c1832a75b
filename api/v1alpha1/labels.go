package v1alpha1

import "time"

// Labels and annotations the operator puts on the objects it creates.
const (
	// LabelCampaign names the campaign a month or Job belongs to.
	LabelCampaign = "alexandria.ooheynerds.com/campaign"
	// LabelPhase names the phase of a month.
	LabelPhase = "alexandria.ooheynerds.com/phase"
	// LabelMonth names the BackfillMonth a Job runs an attempt of.
	LabelMonth = "alexandria.ooheynerds.com/month"
	// LabelAttempt is the attempt number a Job runs.
	LabelAttempt = "alexandria.ooheynerds.com/attempt"
	// LabelMonthUID is the UID of the BackfillMonth incarnation a Job (and its pod) belongs to,
	// so a recreated month never reads an earlier incarnation's pods.
	LabelMonthUID = "alexandria.ooheynerds.com/month-uid"
	// LabelManagedBy selects the operator's Jobs (and their pods) in its label-filtered cache.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// ManagedByValue is the value of LabelManagedBy on the operator's Jobs.
	ManagedByValue = "backfill-operator"

	// AnnotationFirstAdmittedAt records when a month was first admitted (RFC 3339); the rolling
	// 24-hour cadence counts these. Retries do not move it.
	AnnotationFirstAdmittedAt = "alexandria.ooheynerds.com/first-admitted-at"

	// AnnotationRerun on a BackfillMonth asks for one more run: an opaque token; when it differs
	// from status.rerunToken and the month is finished (Completed or Failed), the month returns to
	// Pending, suspended, and goes through admission again with its history kept.
	AnnotationRerun = "alexandria.ooheynerds.com/rerun"
)

// FirstAdmittedAt is when the month was first admitted, or nil if it never was.
func (m *BackfillMonth) FirstAdmittedAt() *time.Time {
	v, ok := m.Annotations[AnnotationFirstAdmittedAt]
	if !ok {
		return nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return nil
	}
	return &t
}

// Admitted reports whether the month holds an admission it has not used up yet: unsuspended
// and not finished. Such a month counts against the campaign's concurrency.
func (m *BackfillMonth) Admitted() bool {
	return !m.Spec.Suspend && !m.Status.State.Finished()
}

// EffectiveState is the month's state, Pending before the month controller first saw it.
func (m *BackfillMonth) EffectiveState() MonthState {
	if m.Status.State == "" {
		return MonthPending
	}
	return m.Status.State
}
