package rerun

import "github.com/ooheynerds/backfill-operator/api/v1alpha1"

// The month side of a rerun belongs to the month's state machine (internal/attempt); these
// two are the only places this package reads it.

// requested is the token the month is asked to honour ("" when none).
func requested(m *v1alpha1.BackfillMonth) string { return m.Annotations[v1alpha1.AnnotationRerun] }

// honouredToken is the last rerun token the month acted on.
func honouredToken(m *v1alpha1.BackfillMonth) string { return m.Status.RerunToken }
