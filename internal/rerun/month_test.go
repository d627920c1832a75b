package rerun

import "github.com/ooheynerds/backfill-operator/api/v1alpha1"

// honouredKey stands in, in these tests only, for the month's status.rerunToken until the
// month side's field is in the API.
// MERGE: delete it and the init below; honour sets m.Status.RerunToken = token.
const honouredKey = "test.invalid/honoured-rerun-token"

func init() {
	honouredToken = func(m *v1alpha1.BackfillMonth) string { return m.Annotations[honouredKey] }
}

// honour is what the month's state machine records when it acts on a rerun token.
func honour(m *v1alpha1.BackfillMonth, token string) *v1alpha1.BackfillMonth {
	if m.Annotations == nil {
		m.Annotations = map[string]string{}
	}
	m.Annotations[honouredKey] = token
	return m
}
