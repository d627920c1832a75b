package controllers

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

// setWorkersBlocked tells on the campaign which months' attempts cannot start because of
// their configuration (a missing Secret or key, an image that cannot be pulled, an unusable
// database URL), quoting the cause the month shows, so the user sees it where they look first.
func setWorkersBlocked(st *v1alpha1.BackfillCampaignStatus, generation int64, months []*v1alpha1.BackfillMonth) {
	reason, lines := workersBlocked(months)
	if len(lines) == 0 {
		setCondition(&st.Conditions, generation, v1alpha1.ConditionWorkersBlocked, metav1.ConditionFalse, v1alpha1.ReasonWorkersStart,
			"no attempt waits on a Secret, an image or the database URL")
		return
	}
	msg := strings.Join(head(lines, 3), "; ")
	if len(lines) > 3 {
		msg += fmt.Sprintf("; and %d more month(s)", len(lines)-3)
	}
	setCondition(&st.Conditions, generation, v1alpha1.ConditionWorkersBlocked, metav1.ConditionTrue, reason, msg)
}

// workersBlocked lists "<month>: <cause>" for each month whose current attempt's pod waits on
// its configuration, or whose last attempt failed for such a cause and will be retried; the
// reason is the first such month's.
func workersBlocked(months []*v1alpha1.BackfillMonth) (string, []string) {
	sorted := slices.Clone(months)
	slices.SortFunc(sorted, func(a, b *v1alpha1.BackfillMonth) int { return strings.Compare(a.Name, b.Name) })
	var reason string
	var lines []string
	for _, m := range sorted {
		r, why := blockedBy(m)
		if why == "" {
			continue
		}
		if reason == "" {
			reason = r
		}
		lines = append(lines, m.Name+": "+why)
	}
	return reason, lines
}

func blockedBy(m *v1alpha1.BackfillMonth) (reason, why string) {
	s := &m.Status
	if s.State == v1alpha1.MonthProcessing {
		if c := meta.FindStatusCondition(s.Conditions, v1alpha1.ConditionReady); c != nil && c.Reason == v1alpha1.ReasonPodWaiting {
			return v1alpha1.ReasonPodWaiting, s.LastError
		}
		return "", ""
	}
	if s.State != v1alpha1.MonthRetry || len(s.History) == 0 {
		return "", ""
	}
	switch last := s.History[len(s.History)-1]; last.Cause {
	case v1alpha1.CauseSecretMissing, v1alpha1.CauseImageNotPullable, v1alpha1.CauseContainerNotCreated, v1alpha1.CauseDatabaseURLInvalid:
		return string(last.Cause), last.Message
	}
	return "", ""
}
