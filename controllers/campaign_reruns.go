package controllers

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/rerun"
)

// syncReruns moves the campaign's declared reruns one step (internal/rerun decides) and returns
// the status.reruns this pass writes. A rerun first seen is only recorded, with its matched
// months, by this pass's status write; the next pass asks those months by setting their rerun
// annotation. So a pass lost at any point leaves either no trace or a record that the next
// pass completes with the same months and the same token. The months asked are added to
// written, so no later pass counts progress from a cache that predates the request.
func (r *CampaignReconciler) syncReruns(ctx context.Context, c *v1alpha1.BackfillCampaign, months []*v1alpha1.BackfillMonth,
	written map[string]string, now time.Time) ([]v1alpha1.RerunStatus, error) {
	d := rerun.Decide(rerun.Input{Now: now.UTC().Truncate(time.Second), Campaign: c.UID, Spec: c.Spec.Reruns, Status: c.Status.Reruns, Months: months})
	for _, q := range d.Requests {
		err := r.requestRerun(ctx, q)
		switch {
		case apierrors.IsNotFound(err):
			// deleted since the list: the campaign recreates it if the spec still covers it, and
			// the new incarnation's run counts once it finishes
			continue
		case err != nil:
			return nil, err
		}
		written[q.Month.Name] = q.Month.ResourceVersion
	}
	return d.Status, nil
}

// requestRerun sets the month's rerun annotation with a merge patch of that one key: it
// touches nothing the month controller writes, and repeating it changes nothing.
func (r *CampaignReconciler) requestRerun(ctx context.Context, q rerun.Request) error {
	m := q.Month
	patch := client.MergeFrom(m.DeepCopy())
	if m.Annotations == nil {
		m.Annotations = map[string]string{}
	}
	m.Annotations[v1alpha1.AnnotationRerun] = q.Token
	if err := r.Patch(ctx, m, patch); err != nil {
		return fmt.Errorf("asking month %s to run again: %w", m.Name, err)
	}
	return nil
}

// emitRerunTransitions records the reruns' events; call it after the status write that made
// them true.
func (r *CampaignReconciler) emitRerunTransitions(c *v1alpha1.BackfillCampaign, before []v1alpha1.RerunStatus) {
	for _, e := range rerun.Transitions(before, c.Status.Reruns) {
		r.Recorder.Eventf(c, nil, e.Type, e.Reason, e.Action, "%s", e.Note)
	}
}

// rerunRequestDelay is how soon the pass that asks a just-recorded rerun's months follows the
// status write that recorded it.
const rerunRequestDelay = time.Second

// soonerForReruns shortens the requeue when a rerun was recorded but not yet asked of its
// months: no month changed, so no event would bring the next pass.
func soonerForReruns(res ctrl.Result, reruns []v1alpha1.RerunStatus) ctrl.Result {
	if rerun.AwaitsRequest(reruns) && (res.RequeueAfter == 0 || res.RequeueAfter > rerunRequestDelay) {
		res.RequeueAfter = rerunRequestDelay
	}
	return res
}
