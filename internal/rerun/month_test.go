package rerun

import "github.com/ooheynerds/backfill-operator/api/v1alpha1"

// honour is what the month's state machine records when it acts on a rerun token.
func honour(m *v1alpha1.BackfillMonth, token string) *v1alpha1.BackfillMonth {
	m.Status.RerunToken = token
	return m
}
