package controllers

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ooheynerds/backfill-operator/internal/kstatus"
)

// setCondition sets a condition with the object's generation (see kstatus.SetCondition).
func setCondition(conds *[]metav1.Condition, generation int64, t string, s metav1.ConditionStatus, reason, msg string) {
	kstatus.SetCondition(conds, generation, t, s, reason, msg)
}
