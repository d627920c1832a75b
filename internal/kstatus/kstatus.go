// Package kstatus sets the conditions both kinds publish: Ready, and Reconciling and Stalled
// following kstatus (present only while True), so kubectl wait, Argo CD and Flux read them.
package kstatus

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/textcut"
)

// MaxMessage bounds condition messages: they are for humans, and status must stay small.
const MaxMessage = 512

// State is what an object's kstatus conditions say.
type State struct {
	Ready       bool
	Reconciling bool
	Stalled     bool
	Reason      string
	Message     string
}

// Set sets Ready from s, and Reconciling and Stalled while they are True (removing them otherwise).
func Set(conds *[]metav1.Condition, generation int64, s State) {
	status := metav1.ConditionFalse
	if s.Ready {
		status = metav1.ConditionTrue
	}
	SetCondition(conds, generation, v1alpha1.ConditionReady, status, s.Reason, s.Message)
	for _, c := range []struct {
		t  string
		on bool
	}{{v1alpha1.ConditionReconciling, s.Reconciling}, {v1alpha1.ConditionStalled, s.Stalled}} {
		if c.on {
			SetCondition(conds, generation, c.t, metav1.ConditionTrue, s.Reason, s.Message)
		} else {
			meta.RemoveStatusCondition(conds, c.t)
		}
	}
}

// SetCondition sets one condition with the object's generation and a bounded message;
// lastTransitionTime moves only when the status changes.
func SetCondition(conds *[]metav1.Condition, generation int64, t string, s metav1.ConditionStatus, reason, msg string) {
	meta.SetStatusCondition(conds, metav1.Condition{Type: t, Status: s, Reason: reason, Message: textcut.Cut(msg, MaxMessage), ObservedGeneration: generation})
}
