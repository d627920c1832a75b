package controllers

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/admission"
	"github.com/ooheynerds/backfill-operator/internal/aggregate"
	"github.com/ooheynerds/backfill-operator/internal/budget"
	"github.com/ooheynerds/backfill-operator/internal/kstatus"
)

// +kubebuilder:rbac:groups=alexandria.ooheynerds.com,resources=backfillbudgets,verbs=get;list;watch

// keyShare is what a campaign pass knows of the ISBNdb key it shares with other campaigns.
type keyShare struct {
	key    budget.Key
	hasKey bool
	// gov is the budget whose limit the key is held to; nil when no budget names the key.
	gov *v1alpha1.BackfillBudget
	// naming are all budgets that name the key (more than one is a fault of theirs).
	naming []*v1alpha1.BackfillBudget
	limit  int64
	// members are the campaigns on the key, this one included.
	members []budget.Member
	// paused is the latest quota reset any campaign on the key waits for.
	paused *time.Time
	// faultReason and faultMessage say why the campaign's own budget reference keeps it from
	// admitting (BudgetNotFound, BudgetKeyMismatch); the fault is the campaign's alone.
	faultReason, faultMessage string
	// grant is the ledger's answer to this pass.
	grant budget.Grant
	// estimate is the calls one more month of this campaign is expected to make.
	estimate int64
}

// shareOf finds the campaign's key, the budget that governs it and the campaigns on it, or
// nil when the campaign names no ISBNdb key and references no budget (its own cap applies
// alone, as before budgets existed).
func (r *CampaignReconciler) shareOf(ctx context.Context, c *v1alpha1.BackfillCampaign, own aggregate.Paid, months []*v1alpha1.BackfillMonth, now time.Time) (*keyShare, error) {
	key, hasKey := budget.KeyOf(c)
	ref := c.Spec.Budget.BudgetRef
	if !hasKey && ref == nil {
		return nil, nil
	}
	s := &keyShare{key: key, hasKey: hasKey}
	var budgets v1alpha1.BackfillBudgetList
	if err := r.List(ctx, &budgets, client.InNamespace(c.Namespace)); err != nil {
		return nil, fmt.Errorf("listing budgets of namespace %s: %w", c.Namespace, err)
	}
	if ref != nil {
		var named *v1alpha1.BackfillBudget
		for i := range budgets.Items {
			if budgets.Items[i].Name == ref.Name {
				named = &budgets.Items[i]
			}
		}
		switch {
		case named == nil:
			s.faultReason = v1alpha1.ReasonBudgetNotFound
			s.faultMessage = fmt.Sprintf("spec.budget.budgetRef names BackfillBudget %s, which does not exist in namespace %s: create it or correct the name; no month is admitted until then", ref.Name, c.Namespace)
		case !hasKey:
			s.faultReason = v1alpha1.ReasonBudgetKeyMismatch
			s.faultMessage = fmt.Sprintf("BackfillBudget %s limits the ISBNdb key %s, but spec.resolver.isbndb.apiKeySecretRef is not set: set it to that key (or remove budgetRef); no month is admitted until then", ref.Name, budget.KeyOfBudget(named))
		case budget.KeyOfBudget(named) != key:
			s.faultReason = v1alpha1.ReasonBudgetKeyMismatch
			s.faultMessage = fmt.Sprintf("BackfillBudget %s limits the ISBNdb key %s, but the campaign's workers use %s (spec.resolver.isbndb.apiKeySecretRef): reference the budget of that key, or correct either; no month is admitted until then", ref.Name, budget.KeyOfBudget(named), key)
		}
	}
	if !hasKey {
		return s, nil
	}
	if s.gov, s.naming = budget.Governing(key, budgets.Items); s.gov != nil {
		s.limit = int64(s.gov.Spec.EffectiveISBNdbCallsPerDay())
	}
	members, err := keyMembers(ctx, r.Client, key, now, &budget.Member{Campaign: c.Name, Priority: c.Spec.EffectivePriority(), Paid: own, Versions: versions(months)})
	if err != nil {
		return nil, err
	}
	s.members = members
	for _, m := range members {
		if p := m.Paid.PausedUntil; p != nil && (s.paused == nil || p.After(*s.paused)) {
			s.paused = p
		}
	}
	return s, nil
}

// keyMembers lists the campaigns of the key's namespace whose ISBNdb key is the key, with
// their use of it today from their cached months. Campaigns are read unstructured and only
// the fields the budget needs are taken, so a campaign the operator cannot otherwise
// interpret still counts what its months spent. self, when given, stands for its campaign.
func keyMembers(ctx context.Context, r client.Reader, key budget.Key, now time.Time, self *budget.Member) ([]budget.Member, error) {
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(v1alpha1.GroupVersion.WithKind("BackfillCampaignList"))
	if err := r.List(ctx, list, client.InNamespace(key.Namespace)); err != nil {
		return nil, fmt.Errorf("listing campaigns of namespace %s: %w", key.Namespace, err)
	}
	var members []budget.Member
	for i := range list.Items {
		u := &list.Items[i]
		if self != nil && u.GetName() == self.Campaign {
			members = append(members, *self)
			continue
		}
		secret, _, _ := unstructured.NestedString(u.Object, "spec", "resolver", "isbndb", "apiKeySecretRef", "name")
		name, _, _ := unstructured.NestedString(u.Object, "spec", "resolver", "isbndb", "apiKeySecretRef", "key")
		if (budget.Key{Namespace: u.GetNamespace(), Secret: secret, Name: name}) != key {
			continue
		}
		var months v1alpha1.BackfillMonthList
		if err := r.List(ctx, &months, client.InNamespace(key.Namespace), client.MatchingFields{IndexMonthCampaign: u.GetName()},
			client.UnsafeDisableDeepCopy); err != nil {
			return nil, fmt.Errorf("listing months of %s: %w", u.GetName(), err)
		}
		ms := make([]*v1alpha1.BackfillMonth, len(months.Items))
		for j := range months.Items {
			ms[j] = &months.Items[j]
		}
		spec := v1alpha1.BackfillCampaignSpec{}
		if est, ok, _ := unstructured.NestedInt64(u.Object, "spec", "budget", "estimatedISBNdbCallsPerMonth"); ok && est >= 0 && est <= 10000 {
			spec.Budget.EstimatedISBNdbCallsPerMonth = int32(est)
		}
		if p, ok, _ := unstructured.NestedInt64(u.Object, "spec", "priority"); ok && p >= -1000 && p <= 1000 {
			spec.Priority = ptr.To(int32(p))
		}
		members = append(members, budget.Member{Campaign: u.GetName(), Priority: spec.EffectivePriority(),
			Paid: aggregate.PaidUse(&spec, ms, now), Versions: versions(ms)})
	}
	return members, nil
}

func versions(months []*v1alpha1.BackfillMonth) map[string]string {
	out := make(map[string]string, len(months))
	for _, m := range months {
		out[m.Name] = m.ResourceVersion
	}
	return out
}

// decide is admission with the key's budget: the campaign's own decision says how many
// months it would start; the ledger, alone on the key, grants some of them by priority and
// fairness and holds their reservations; the decision is then taken again within the grant.
func (r *CampaignReconciler) decide(c *v1alpha1.BackfillCampaign, in admission.Input, s *keyShare) admission.Decision {
	if s == nil {
		return admission.Decide(in)
	}
	s.estimate = in.Estimate
	if s.paused != nil && (in.PausedUntil == nil || s.paused.After(*in.PausedUntil)) {
		in.PausedUntil = s.paused // the account is exhausted, whichever campaign found out
	}
	if !s.hasKey {
		none := 0
		in.Allowance = &none
		return admission.Decide(in)
	}
	want := 0
	if s.faultReason == "" {
		want = len(admission.Decide(in).Admit)
	}
	var d admission.Decision
	s.grant = r.Budgets.Admit(s.key, budget.Request{Campaign: c.Name, Want: want, Limit: s.limit, Members: s.members},
		func(grant int) []budget.Hold {
			if s.faultReason != "" {
				grant = 0
			}
			in.Allowance = &grant
			d = admission.Decide(in)
			holds := make([]budget.Hold, len(d.Admit))
			for i, m := range d.Admit {
				holds[i] = budget.Hold{Month: m.Name, Version: m.ResourceVersion, Estimate: in.Estimate}
			}
			return holds
		})
	return d
}

// settle releases the holds of months whose admission was not written, wakes the campaigns
// the key's budget now has room for, and has the key's budgets recount.
func (r *CampaignReconciler) settle(ctx context.Context, s *keyShare, unwritten []*v1alpha1.BackfillMonth) {
	if s == nil || !s.hasKey {
		return
	}
	for _, m := range unwritten {
		r.Budgets.Release(s.key, m.Name)
	}
	for _, name := range s.grant.Wake {
		send(ctx, r.wake, &v1alpha1.BackfillCampaign{ObjectMeta: metav1.ObjectMeta{Namespace: s.key.Namespace, Name: name}})
	}
	if r.BudgetEvents != nil {
		for _, b := range s.naming {
			send(ctx, r.BudgetEvents, b)
		}
	}
}

func send(ctx context.Context, ch chan<- event.GenericEvent, o client.Object) {
	select {
	case ch <- event.GenericEvent{Object: o}:
	case <-ctx.Done():
	}
}

// campaignsOfBudget maps a budget to the campaigns of its namespace that reference it or use
// its key: a budget created, changed or deleted changes what they may admit.
func (r *CampaignReconciler) campaignsOfBudget(ctx context.Context, o client.Object) []reconcile.Request {
	b, ok := o.(*v1alpha1.BackfillBudget)
	if !ok {
		return nil
	}
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(v1alpha1.GroupVersion.WithKind("BackfillCampaignList"))
	if err := r.List(ctx, list, client.InNamespace(b.Namespace)); err != nil {
		return nil
	}
	key := budget.KeyOfBudget(b)
	var out []reconcile.Request
	for _, u := range list.Items {
		ref, _, _ := unstructured.NestedString(u.Object, "spec", "budget", "budgetRef", "name")
		secret, _, _ := unstructured.NestedString(u.Object, "spec", "resolver", "isbndb", "apiKeySecretRef", "name")
		name, _, _ := unstructured.NestedString(u.Object, "spec", "resolver", "isbndb", "apiKeySecretRef", "key")
		if ref == b.Name || (budget.Key{Namespace: b.Namespace, Secret: secret, Name: name}) == key {
			out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: u.GetNamespace(), Name: u.GetName()}})
		}
	}
	return out
}

// wakeEvents runs a woken campaign's pass after the coalescing delay, so that the passes
// of several campaigns woken together do not all start before the first has taken its turn.
func wakeEvents(delay time.Duration) handler.TypedEventHandler[client.Object, reconcile.Request] {
	return handler.Funcs{GenericFunc: func(_ context.Context, e event.GenericEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
		q.AddAfter(reconcile.Request{NamespacedName: client.ObjectKeyFromObject(e.Object)}, delay)
	}}
}

// shareStatus adds the key's day to the campaign's status, and says in its conditions when
// the key (rather than the campaign's own cap) holds admission back, and why.
func shareStatus(st *v1alpha1.BackfillCampaignStatus, c *v1alpha1.BackfillCampaign, s *keyShare, d admission.Decision) {
	if s == nil {
		return
	}
	gen := c.Generation
	if s.faultReason != "" {
		if ready := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionReady); ready != nil && ready.Reason == v1alpha1.ReasonProgressing {
			kstatus.Set(&st.Conditions, gen, kstatus.State{Stalled: true, Reason: s.faultReason, Message: s.faultMessage})
		}
		if d.Blocked == admission.BlockedBudget {
			setCondition(&st.Conditions, gen, v1alpha1.ConditionBudgetExhausted, metav1.ConditionTrue, s.faultReason, s.faultMessage)
		}
	}
	if !s.hasKey {
		return
	}
	v := s.grant.View
	st.Budget.Key = &v1alpha1.KeyBudgetStatus{Limit: int32(s.limit), Used: v.Used, Reserved: v.Reserved, Campaigns: int32(len(s.members))}
	governed := "no BackfillBudget names it"
	if s.gov != nil {
		st.Budget.Key.Budget = s.gov.Name
		governed = "BackfillBudget " + s.gov.Name
	}
	if s.paused != nil {
		st.Budget.PausedUntil = &metav1.Time{Time: *s.paused}
	}
	switch {
	case s.faultReason != "":
	case d.Blocked == admission.BlockedQuota:
		setCondition(&st.Conditions, gen, v1alpha1.ConditionBudgetExhausted, metav1.ConditionTrue, v1alpha1.ReasonQuotaExhausted,
			fmt.Sprintf("ISBNdb reported the quota of key %s exhausted; every campaign on the key waits; admissions resume at %s (UTC reset)",
				s.key, d.Next.UTC().Format(time.RFC3339)))
	case d.Blocked == admission.BlockedBudget && !ownCapFull(st.Budget, s.estimate):
		if len(s.grant.Ahead) > 0 && v.Free() >= s.estimate {
			setCondition(&st.Conditions, gen, v1alpha1.ConditionBudgetExhausted, metav1.ConditionTrue, v1alpha1.ReasonWaitingForTurn,
				fmt.Sprintf("key %s (%s) has %d calls free today; served first: %s (higher priority, or fewer admissions today)",
					s.key, governed, v.Free(), budget.Names(s.grant.Ahead, 5)))
			break
		}
		setCondition(&st.Conditions, gen, v1alpha1.ConditionBudgetExhausted, metav1.ConditionTrue, v1alpha1.ReasonBudgetExhausted,
			fmt.Sprintf("%d used and %d reserved of the %d ISBNdb calls key %s (%s) allows today, shared by %d campaign(s); admissions resume as months finish, at the latest at %s (UTC reset)",
				v.Used, v.Reserved, s.limit, s.key, governed, len(s.members), d.Next.UTC().Format(time.RFC3339)))
	}
}

// ownCapFull reports the campaign's own isbndbCallsPerDay as what holds it back.
func ownCapFull(b *v1alpha1.BudgetStatus, estimate int64) bool {
	return b.Limit > 0 && b.ISBNdbCalls+b.Reserved+estimate > int64(b.Limit)
}

// idle takes a campaign that will not decide (being deleted, or not interpretable) out of its
// key's queue; its months still count for the key.
func (r *CampaignReconciler) idle(u *unstructured.Unstructured) {
	secret, _, _ := unstructured.NestedString(u.Object, "spec", "resolver", "isbndb", "apiKeySecretRef", "name")
	name, _, _ := unstructured.NestedString(u.Object, "spec", "resolver", "isbndb", "apiKeySecretRef", "key")
	if r.Budgets != nil && secret != "" && name != "" {
		r.Budgets.Idle(budget.Key{Namespace: u.GetNamespace(), Secret: secret, Name: name}, u.GetName())
	}
}
