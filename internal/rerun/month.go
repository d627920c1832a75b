package rerun

import "github.com/ooheynerds/backfill-operator/api/v1alpha1"

// The month side of a rerun belongs to the month's state machine; these two are the only
// places this package reads it.

// Annotation asks a finished BackfillMonth for one more run: an opaque token, honoured once.
// MERGE: the same name as v1alpha1.AnnotationRerun, which the month side defines; point this at it.
const Annotation = "alexandria.ooheynerds.com/rerun"

// honouredToken is the last rerun token the month acted on.
// MERGE: make this a plain func returning m.Status.RerunToken once the month side's status
// field is in the API (and drop the stand-in in month_test.go).
var honouredToken = func(m *v1alpha1.BackfillMonth) string { return "" }

// requested is the token the month is asked to honour ("" when none).
func requested(m *v1alpha1.BackfillMonth) string { return m.Annotations[Annotation] }
