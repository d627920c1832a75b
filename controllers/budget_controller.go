package controllers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/budget"
	"github.com/ooheynerds/backfill-operator/internal/kstatus"
	"github.com/ooheynerds/backfill-operator/internal/plan"
)

// EventBudgetKeyExhausted is emitted when a budget's key has no room for another month today,
// or the provider reported its quota exhausted.
const EventBudgetKeyExhausted = "Exhausted"

// maxListedCampaigns bounds status.campaigns of a budget; its totals count every campaign.
const maxListedCampaigns = 64

// BudgetReconciler keeps each BackfillBudget's status: the key's day (spent, reserved, the
// quota pause) in total and by campaign, counted exactly as admission counts it. It decides
// nothing; the campaign passes admit through the same ledger. A campaign pass asks for a
// recount (Events) instead of this controller watching every month.
type BudgetReconciler struct {
	client.Client
	Clock    clock.PassiveClock
	Recorder recorder.EventRecorder
	Ledger   *budget.Ledger
	// Events are the recounts campaign passes ask for.
	Events chan event.GenericEvent
	// Interval spaces count-only status writes and recounts asked by campaign passes.
	Interval time.Duration

	writes statusWrites
}

// +kubebuilder:rbac:groups=alexandria.ooheynerds.com,resources=backfillbudgets/status,verbs=get;update;patch

// Reconcile recounts one budget's key.
func (r *BudgetReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var b v1alpha1.BackfillBudget
	if err := r.Get(ctx, req.NamespacedName, &b); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !b.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	now := r.Clock.Now()
	key := budget.KeyOfBudget(&b)
	var budgets v1alpha1.BackfillBudgetList
	if err := r.List(ctx, &budgets, client.InNamespace(b.Namespace)); err != nil {
		return ctrl.Result{}, fmt.Errorf("listing budgets of namespace %s: %w", b.Namespace, err)
	}
	gov, naming := budget.Governing(key, budgets.Items)
	members, err := keyMembers(ctx, r.Client, key, now, nil)
	if err != nil {
		return ctrl.Result{}, err
	}
	limit := int64(gov.Spec.EffectiveISBNdbCallsPerDay())
	status := budgetStatus(&b, gov, naming, members, r.Ledger.View(key, limit, members), now)

	res := ctrl.Result{RequeueAfter: plan.NextUTCDay(now).Sub(now)} // the day's reset
	if !equality.Semantic.DeepEqual(b.Status, status) {
		if later := r.wait(req.NamespacedName, &b.Status, &status); later > 0 {
			return ctrl.Result{RequeueAfter: min(later, res.RequeueAfter)}, nil
		}
		before := b.Status.DeepCopy()
		b.Status = status
		if stored, res, err := r.writes.store(ctx, r.Client, req.NamespacedName, &b); !stored {
			return res, err
		}
		was := meta.FindStatusCondition(before.Conditions, v1alpha1.ConditionExhausted)
		if is := meta.FindStatusCondition(status.Conditions, v1alpha1.ConditionExhausted); is != nil && is.Status == metav1.ConditionTrue &&
			(was == nil || was.Status != metav1.ConditionTrue || was.Reason != is.Reason) {
			r.Recorder.Eventf(&b, nil, corev1.EventTypeWarning, EventBudgetKeyExhausted, "Account", "%s", is.Message)
		}
	}
	return res, nil
}

// budgetStatus builds a budget's status from the key's day.
func budgetStatus(b, gov *v1alpha1.BackfillBudget, naming []*v1alpha1.BackfillBudget, members []budget.Member, v budget.View, now time.Time) v1alpha1.BackfillBudgetStatus {
	st := v1alpha1.BackfillBudgetStatus{
		ObservedGeneration: b.Generation,
		Conditions:         append([]metav1.Condition(nil), b.Status.Conditions...),
		Day:                now.UTC().Format(time.DateOnly), Limit: int32(v.Limit), Used: v.Used, Reserved: v.Reserved,
	}
	if v.PausedUntil != nil {
		st.PausedUntil = &metav1.Time{Time: *v.PausedUntil}
	}
	for _, u := range v.Campaigns {
		st.Campaigns = append(st.Campaigns, v1alpha1.BudgetCampaignUsage{Name: u.Campaign, Priority: u.Priority, Used: u.Used,
			Reserved: u.Reserved, AdmittedToday: int32(u.StartedToday)})
	}
	slices.SortFunc(st.Campaigns, func(a, b v1alpha1.BudgetCampaignUsage) int { return strings.Compare(a.Name, b.Name) })
	if len(st.Campaigns) > maxListedCampaigns {
		st.Campaigns = st.Campaigns[:maxListedCampaigns]
	}

	gen := b.Generation
	switch {
	case gov.Name != b.Name:
		kstatus.Set(&st.Conditions, gen, kstatus.State{Stalled: true, Reason: v1alpha1.ReasonDuplicateKey,
			Message: fmt.Sprintf("BackfillBudget %s names the same key with a limit of %d, which governs (the stricter one): delete one of them", gov.Name, gov.Spec.EffectiveISBNdbCallsPerDay())})
	case len(naming) > 1:
		kstatus.Set(&st.Conditions, gen, kstatus.State{Ready: true, Reason: v1alpha1.ReasonDuplicateKey,
			Message: fmt.Sprintf("%d budgets name this key; this one's limit, the strictest, governs: delete the others", len(naming))})
	default:
		kstatus.Set(&st.Conditions, gen, kstatus.State{Ready: true, Reason: v1alpha1.ReasonAccounting,
			Message: fmt.Sprintf("%d campaign(s) use the key", len(members))})
	}
	// the smallest month any campaign on the key expects: when even that does not fit, the key is exhausted
	var smallest int64 = -1
	for _, m := range members {
		if smallest < 0 || m.Paid.PerMonth < smallest {
			smallest = m.Paid.PerMonth
		}
	}
	switch {
	case v.PausedUntil != nil:
		setCondition(&st.Conditions, gen, v1alpha1.ConditionExhausted, metav1.ConditionTrue, v1alpha1.ReasonQuotaExhausted,
			fmt.Sprintf("ISBNdb reported the key's quota exhausted: every campaign on it waits until %s (UTC reset)", v.PausedUntil.UTC().Format(time.RFC3339)))
	case smallest >= 0 && v.Free() < smallest:
		setCondition(&st.Conditions, gen, v1alpha1.ConditionExhausted, metav1.ConditionTrue, v1alpha1.ReasonBudgetExhausted,
			fmt.Sprintf("%d used and %d reserved of %d calls today: no further month fits until months finish or the UTC reset", v.Used, v.Reserved, v.Limit))
	default:
		setCondition(&st.Conditions, gen, v1alpha1.ConditionExhausted, metav1.ConditionFalse, v1alpha1.ReasonWithinBudget,
			fmt.Sprintf("%d used and %d reserved of %d calls today", v.Used, v.Reserved, v.Limit))
	}
	return st
}

// wait is how long a status write should wait: a change of conditions, generation, day or
// pause is written at once; a change of counts at most once per Interval.
func (r *BudgetReconciler) wait(key types.NamespacedName, old, cur *v1alpha1.BackfillBudgetStatus) time.Duration {
	if old.ObservedGeneration != cur.ObservedGeneration || old.Day != cur.Day || old.Limit != cur.Limit ||
		!equality.Semantic.DeepEqual(old.PausedUntil, cur.PausedUntil) || conditionsChanged(old.Conditions, cur.Conditions) {
		return 0
	}
	if last, ok := r.writes.lastWrite(key); ok && time.Since(last) < r.Interval {
		return r.Interval - time.Since(last)
	}
	return 0
}

// SetupWithManager watches budgets (their spec) and the recounts campaign passes ask for.
func (r *BudgetReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Interval == 0 {
		r.Interval = statusIntervalWindows * DefaultCoalesce
	}
	delay := r.Interval / statusIntervalWindows
	return ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.BackfillBudget{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		// another budget naming the same key changes which limit governs
		Watches(&v1alpha1.BackfillBudget{}, handler.EnqueueRequestsFromMapFunc(r.sameKey),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WatchesRawSource(source.Channel(r.Events, handler.Funcs{
			// a burst of campaign passes costs one recount per delay
			GenericFunc: func(_ context.Context, e event.GenericEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
				q.AddAfter(reconcile.Request{NamespacedName: client.ObjectKeyFromObject(e.Object)}, delay)
			},
		})).
		Named("backfillbudget").
		Complete(r)
}

// sameKey maps a budget to the other budgets of its namespace that name the same key.
func (r *BudgetReconciler) sameKey(ctx context.Context, o client.Object) []reconcile.Request {
	b, ok := o.(*v1alpha1.BackfillBudget)
	if !ok {
		return nil
	}
	var budgets v1alpha1.BackfillBudgetList
	if err := r.List(ctx, &budgets, client.InNamespace(b.Namespace)); err != nil {
		return nil
	}
	var out []reconcile.Request
	for i := range budgets.Items {
		if other := &budgets.Items[i]; other.Name != b.Name && budget.KeyOfBudget(other) == budget.KeyOfBudget(b) {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(other)})
		}
	}
	return out
}
