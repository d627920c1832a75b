package controllers

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

// maxMessage bounds condition messages: they are for humans, and status must stay small.
const maxMessage = 512

// setCondition sets a condition with the object's generation; lastTransitionTime moves only
// when the status changes.
func setCondition(conds *[]metav1.Condition, generation int64, t string, s metav1.ConditionStatus, reason, msg string) {
	if len(msg) > maxMessage {
		msg = msg[:maxMessage-3] + "..."
	}
	meta.SetStatusCondition(conds, metav1.Condition{Type: t, Status: s, Reason: reason, Message: msg, ObservedGeneration: generation})
}

// setKstatus sets Ready and the abnormal-true kstatus conditions together: Reconciling and
// Stalled are present only while True.
func setKstatus(conds *[]metav1.Condition, generation int64, ready bool, reconciling, stalled bool, reason, msg string) {
	status := metav1.ConditionFalse
	if ready {
		status = metav1.ConditionTrue
	}
	setCondition(conds, generation, v1alpha1.ConditionReady, status, reason, msg)
	if reconciling {
		setCondition(conds, generation, v1alpha1.ConditionReconciling, metav1.ConditionTrue, reason, msg)
	} else {
		meta.RemoveStatusCondition(conds, v1alpha1.ConditionReconciling)
	}
	if stalled {
		setCondition(conds, generation, v1alpha1.ConditionStalled, metav1.ConditionTrue, reason, msg)
	} else {
		meta.RemoveStatusCondition(conds, v1alpha1.ConditionStalled)
	}
}
