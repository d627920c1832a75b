package controllers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/kstatus"
)

// EventInvalidSpec is emitted when a stored campaign cannot be interpreted.
const EventInvalidSpec = "InvalidSpec"

// campaignShape is how the operator watches and reads campaigns: unstructured, so that the
// shared informer never decodes a spec and one campaign stored before today's validation (or
// while it was off) cannot stop the operator for every other campaign. Each pass converts its
// own campaign with v1alpha1.DecodeCampaign.
func campaignShape() *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(v1alpha1.GroupVersion.WithKind("BackfillCampaign"))
	return u
}

// getCampaign reads a campaign from the cache and converts it. A campaign that cannot be
// converted returns its stored form and a *v1alpha1.UndecodableError.
func getCampaign(ctx context.Context, r client.Reader, key types.NamespacedName) (*unstructured.Unstructured, *v1alpha1.BackfillCampaign, error) {
	u := campaignShape()
	if err := r.Get(ctx, key, u); err != nil {
		return nil, nil, err
	}
	c, err := v1alpha1.DecodeCampaign(u)
	return u, c, err
}

// stallUndecodable marks a campaign the operator cannot interpret Stalled/InvalidSpec, naming
// the field, and plans nothing for it. A fix of the spec is a new generation and a new pass.
func (r *CampaignReconciler) stallUndecodable(ctx context.Context, u *unstructured.Unstructured, derr *v1alpha1.UndecodableError) (ctrl.Result, error) {
	var old []metav1.Condition
	if raw, ok, _ := unstructured.NestedSlice(u.Object, "status", "conditions"); ok {
		if data, err := json.Marshal(raw); err == nil {
			_ = json.Unmarshal(data, &old) // unreadable old conditions are replaced
		}
	}
	conds := append([]metav1.Condition(nil), old...)
	msg := fmt.Sprintf("the operator cannot interpret %s: %v; correct that field (the API server validates it now) and the campaign resumes", derr.Field, derr.Err)
	kstatus.Set(&conds, u.GetGeneration(), kstatus.State{Stalled: true, Reason: v1alpha1.ReasonInvalidSpec, Message: msg})
	if equality.Semantic.DeepEqual(old, conds) {
		return ctrl.Result{}, nil
	}
	patch, err := json.Marshal(map[string]any{"status": map[string]any{"conditions": conds, "observedGeneration": u.GetGeneration()}})
	if err != nil {
		return ctrl.Result{}, err
	}
	if err := r.Status().Patch(ctx, u, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if was := meta.FindStatusCondition(old, v1alpha1.ConditionStalled); was == nil || was.Reason != v1alpha1.ReasonInvalidSpec {
		r.Recorder.Eventf(u, nil, corev1.EventTypeWarning, EventInvalidSpec, "Decode", "%s", msg)
	}
	ctrl.LoggerFrom(ctx).Info("BackfillCampaign cannot be interpreted", "field", derr.Field, "error", derr.Err.Error())
	return ctrl.Result{}, nil
}

func asUndecodable(err error) (*v1alpha1.UndecodableError, bool) {
	var ue *v1alpha1.UndecodableError
	return ue, errors.As(err, &ue)
}
