package controllers

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/recorder"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/admission"
	"github.com/ooheynerds/backfill-operator/internal/aggregate"
	"github.com/ooheynerds/backfill-operator/internal/budget"
	"github.com/ooheynerds/backfill-operator/internal/gate"
	"github.com/ooheynerds/backfill-operator/internal/kstatus"
	"github.com/ooheynerds/backfill-operator/internal/metrics"
	"github.com/ooheynerds/backfill-operator/internal/plan"
)

// Campaign event reasons.
const (
	EventMonthsPlanned     = "MonthsPlanned"
	EventPhaseStarted      = "PhaseStarted"
	EventPhaseCompleted    = "PhaseCompleted"
	EventGateBlocked       = "GateBlocked"
	EventAwaitingApproval  = "AwaitingApproval"
	EventBudgetExhausted   = "BudgetExhausted"
	EventCampaignCompleted = "CampaignCompleted"
	EventNameConflict      = "NameConflict"
)

// IndexMonthCampaign indexes months by the campaign they belong to.
const IndexMonthCampaign = "spec.campaign"

// DefaultCoalesce is the coalescing window of month events: a month that frees a concurrency
// slot triggers a campaign pass at once, but at most one such pass starts per window and
// campaign; the rest of a burst, and every other month change, waits for the window's end, so
// that a burst of month changes costs one aggregation, not one per month.
const DefaultCoalesce = 500 * time.Millisecond

// staleAdmissionRetry is how soon a pass whose admission lost an update conflict runs again.
const staleAdmissionRetry = 50 * time.Millisecond

// DefaultFanoutWorkers bounds the month creates one campaign pass has in flight. The client's
// rate limiter and the API server's priority and fairness (429 with Retry-After, which client-go
// retries) bound them further; 16 keeps the server's queue short for the other controllers.
const DefaultFanoutWorkers = 16

// CampaignWorkers is how many campaigns are reconciled at once (never one campaign twice): a
// pass that fans a campaign out into thousands of months takes seconds, and the other campaigns'
// admissions should not wait behind it. Campaigns on one ISBNdb key still decide one at a time
// (budget.Ledger).
const CampaignWorkers = 4

// statusIntervalWindows is the shortest time between two campaign status writes that only move
// counts, totals and estimates, in coalescing windows (5 s by default); a change of phase,
// condition reason or generation is written at once. Progress of a campaign that runs for days
// needs no rewrite per month event.
const statusIntervalWindows = 10

// CampaignReconciler plans a campaign's months, is the only admission authority, advances
// phases through their gates and aggregates the campaign's status.
type CampaignReconciler struct {
	client.Client
	Scheme   *runtime.Scheme
	Clock    clock.PassiveClock
	Recorder recorder.EventRecorder
	// Models is how many LLMs a month calls, for the plan's estimate.
	Models int
	// Coalesce delays campaign passes triggered by month events (DefaultCoalesce when zero).
	Coalesce time.Duration
	// DatabaseReachable reports whether the database answers; nil when the manager runs
	// without one. While it does not, no month is admitted.
	DatabaseReachable func(context.Context) error
	// FanoutWorkers bounds the creates a pass has in flight (DefaultFanoutWorkers when zero).
	FanoutWorkers int
	// StatusInterval spaces count-only status writes (statusIntervalWindows × Coalesce when
	// zero).
	StatusInterval time.Duration

	// Workers tells the manager's readiness check when this controller's workers run.
	Workers WorkerProbe
	// Budgets serializes the admissions of campaigns that share an ISBNdb key (one per manager).
	Budgets *budget.Ledger
	// BudgetEvents, when set, asks the budget controller to recount a budget after a pass.
	BudgetEvents chan<- event.GenericEvent

	// wake runs the passes of campaigns the key's budget has room for.
	wake chan event.GenericEvent

	expect  expectations
	written statusWrites
}

// +kubebuilder:rbac:groups=alexandria.ooheynerds.com,resources=backfillcampaigns,verbs=get;list;watch
// +kubebuilder:rbac:groups=alexandria.ooheynerds.com,resources=backfillcampaigns/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=alexandria.ooheynerds.com,resources=backfillmonths,verbs=get;list;watch;create;update;patch;delete

// Reconcile plans, admits, gates and aggregates one campaign.
func (r *CampaignReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	if r.Workers.Take(req) {
		return ctrl.Result{}, nil
	}
	logger := log.FromContext(ctx)
	u, decoded, err := getCampaign(ctx, r.Client, req.NamespacedName)
	if err != nil {
		if ue, ok := asUndecodable(err); ok {
			r.idle(u)
			return r.stallUndecodable(ctx, u, ue)
		}
		if apierrors.IsNotFound(err) {
			metrics.Forget(req.Namespace, req.Name)
			r.written.forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	c := *decoded
	if !c.DeletionTimestamp.IsZero() {
		r.idle(u)
		return ctrl.Result{}, nil // the garbage collector removes the months and their Jobs
	}
	now := r.Clock.Now()

	// The months are the cache's own objects (no deep copy of every month per pass): everything
	// below only reads them, and syncMonths and admit copy a month before they change it.
	var list v1alpha1.BackfillMonthList
	if err := r.List(ctx, &list, client.InNamespace(c.Namespace), client.MatchingFields{IndexMonthCampaign: c.Name},
		client.UnsafeDisableDeepCopy); err != nil {
		return ctrl.Result{}, fmt.Errorf("listing months of %s: %w", c.Name, err)
	}
	byName := make(map[string]*v1alpha1.BackfillMonth, len(list.Items))
	for i := range list.Items {
		byName[list.Items[i].Name] = &list.Items[i]
	}
	if !r.expect.met(req.NamespacedName, byName, now) {
		return ctrl.Result{RequeueAfter: 200 * time.Millisecond}, nil
	}

	written := map[string]string{}
	desired := plan.Months(c.Name, &c.Spec)
	conflicts, err := r.syncMonths(ctx, &c, desired, byName, written)
	if err != nil {
		r.expect.set(req.NamespacedName, expected{written: written, since: now})
		return ctrl.Result{}, err
	}
	months := make([]*v1alpha1.BackfillMonth, 0, len(desired))
	order := make([]string, 0, len(desired))
	for _, d := range desired {
		if m := byName[d.Name]; m != nil && metav1.IsControlledBy(m, &c) {
			months = append(months, m)
			if !m.EffectiveState().Finished() && m.FirstAdmittedAt() == nil {
				order = append(order, d.Name)
			}
		}
	}

	reruns, err := r.syncReruns(ctx, &c, months, written, now)
	if err != nil {
		r.expect.set(req.NamespacedName, expected{written: written, since: now})
		return ctrl.Result{}, err
	}

	summary := aggregate.Summarize(&c.Spec, months, now)
	progress := gate.Progression(&c.Spec, summary.ByPhase)
	share, err := r.shareOf(ctx, &c, summary.Paid, months, now)
	if err != nil {
		r.expect.set(req.NamespacedName, expected{written: written, since: now})
		return ctrl.Result{}, err
	}
	in := admission.Input{
		Now: now, Months: months, Order: c.Spec.EffectiveOrder(), MinMonthAge: int(c.Spec.EffectiveMinMonthAge()),
		Suspended:    c.Spec.Suspend || c.Spec.EffectiveMode() == v1alpha1.ModePlan || len(conflicts) > 0,
		DatabaseDown: r.databaseDown(ctx),
		BudgetLimit:  int64(c.Spec.EffectiveISBNdbCallsPerDay()), BudgetUsed: summary.Budget.ISBNdbCalls,
		Estimate: summary.PaidCallsPerMonth, PausedUntil: summary.PausedUntil,
	}
	if progress.Current >= 0 {
		in.Phase = &c.Spec.Phases[progress.Current]
	}
	decision := r.decide(&c, in, share)
	admitted, stale, err := r.admit(ctx, decision.Admit, now, written)
	r.settle(ctx, share, decision.Admit[admitted:])
	r.expect.set(req.NamespacedName, expected{written: written, since: now})
	if err != nil {
		return ctrl.Result{}, err
	}
	if admitted > 0 {
		metrics.Admitted(c.Namespace, c.Name, admitted)
	}

	status := r.buildStatus(&c, summary, progress, decision, admitted, conflicts, order, in.DatabaseDown, now)
	shareStatus(&status, &c, share, decision)
	setWorkersBlocked(&status, c.Generation, months)
	status.Reruns = reruns
	var later time.Duration // a count-only status change waiting for its turn
	if !equality.Semantic.DeepEqual(c.Status, status) {
		if later = r.written.wait(req.NamespacedName, &c.Status, &status, r.statusInterval()); later == 0 {
			before := c.DeepCopy()
			c.Status = status
			// our own status writes do not trigger passes (see SetupWithManager): a pass that
			// loses a conflict is retried soon
			if stored, res, err := r.written.store(ctx, r.Client, req.NamespacedName, &c); !stored {
				return res, err
			}
			// after the write: a pass that lost a conflict announces nothing twice. Admitting
			// months is routine, not a transition: it has no Event (an Event is a write, and
			// one per admission would be one per month); the months record their admission
			// and the backfill_admissions_total metric counts them.
			r.emitTransitions(before, &c.Status)
			r.emitRerunTransitions(&c, before.Status.Reruns)
			logger.V(1).Info("Updated BackfillCampaign status", "progress", status.Progress, "phase", status.CurrentPhase)
		}
	}
	metrics.ObserveCampaign(&c, months, now) // every pass: overdue months and mirror lag move with time
	var res ctrl.Result
	if decision.Next != nil {
		res.RequeueAfter = max(decision.Next.Sub(now), time.Second)
	}
	if later > 0 && (res.RequeueAfter == 0 || later < res.RequeueAfter) { // (negative: skipped)
		res.RequeueAfter = later
	}
	if stale && (res.RequeueAfter == 0 || res.RequeueAfter > staleAdmissionRetry) {
		// an admission lost a conflict (the month changed meanwhile, usually its own status):
		// decide again once the cache has caught up, not on the next month event
		res.RequeueAfter = staleAdmissionRetry
	}
	return soonerForReruns(res, status.Reruns), nil
}

func (r *CampaignReconciler) statusInterval() time.Duration {
	if r.StatusInterval > 0 {
		return r.StatusInterval
	}
	return statusIntervalWindows * r.Coalesce
}

// databaseDown pings the database (bounded), so that admission waits out an outage instead of
// starting attempts that would fail for it.
func (r *CampaignReconciler) databaseDown(ctx context.Context) bool {
	if r.DatabaseReachable == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return r.DatabaseReachable(ctx) != nil
}

// syncMonths creates missing months (suspended, owned by the campaign), adopts its orphans,
// keeps the phase and prompt of unstarted months in step with the spec, and deletes
// never-admitted months the spec no longer covers. A month name taken by an object of another
// owner is a conflict: it is reported, never adopted by force. byName holds the cache's
// objects: a month is copied before it is changed.
func (r *CampaignReconciler) syncMonths(ctx context.Context, c *v1alpha1.BackfillCampaign, desired []plan.Month, byName map[string]*v1alpha1.BackfillMonth, written map[string]string) ([]string, error) {
	var conflicts, missing []plan.Month
	want := make(map[string]bool, len(desired))
	for _, d := range desired {
		want[d.Name] = true
		m := byName[d.Name]
		if m == nil {
			missing = append(missing, d)
			continue
		}
		if !metav1.IsControlledBy(m, c) {
			if !adoptable(m, c) {
				conflicts = append(conflicts, d)
				continue
			}
			// an orphan of this campaign (e.g. left by `kubectl delete --cascade=orphan` and a
			// re-apply): take it back with its history rather than refuse or recreate it
			m = m.DeepCopy()
			if err := ctrl.SetControllerReference(c, m, r.Scheme); err != nil {
				return names(conflicts), err
			}
			if err := r.Update(ctx, m); err != nil {
				return names(conflicts), ignoreConflict(err)
			}
			written[m.Name] = m.ResourceVersion
			byName[m.Name] = m
		}
		if m.EffectiveState() == v1alpha1.MonthPending && m.FirstAdmittedAt() == nil &&
			(m.Spec.Phase != d.Phase || m.Spec.PromptVariant != d.PromptVariant || m.Spec.BooksPerMonth != booksPerMonth(c)) {
			m = m.DeepCopy()
			m.Spec.Phase, m.Spec.PromptVariant, m.Spec.BooksPerMonth = d.Phase, d.PromptVariant, booksPerMonth(c)
			if m.Labels == nil {
				m.Labels = map[string]string{}
			}
			m.Labels[v1alpha1.LabelPhase] = d.Phase
			if err := r.Update(ctx, m); err != nil {
				return names(conflicts), ignoreConflict(err)
			}
			written[m.Name] = m.ResourceVersion
			byName[m.Name] = m
		}
	}
	created, taken, err := r.createMonths(ctx, c, missing)
	for _, m := range created {
		written[m.Name] = m.ResourceVersion
		byName[m.Name] = m
	}
	conflicts = append(conflicts, taken...)
	if len(created) > 0 {
		r.Recorder.Eventf(c, nil, corev1.EventTypeNormal, EventMonthsPlanned, "Plan", "Created %d BackfillMonth(s)", len(created))
	}
	if err != nil {
		return names(conflicts), err
	}
	for name, m := range byName {
		if want[name] || !metav1.IsControlledBy(m, c) || m.FirstAdmittedAt() != nil || m.EffectiveState() != v1alpha1.MonthPending {
			continue
		}
		if err := r.Delete(ctx, m); client.IgnoreNotFound(err) != nil {
			return names(conflicts), fmt.Errorf("deleting month %s the spec no longer covers: %w", name, err)
		}
		delete(byName, name)
	}
	if len(conflicts) > 0 {
		r.Recorder.Eventf(c, nil, corev1.EventTypeWarning, EventNameConflict, "Plan",
			"%d month name(s) are taken by objects this campaign does not own, e.g. %s", len(conflicts), conflicts[0].Name)
	}
	return names(conflicts), nil
}

// createMonths creates the missing months with up to FanoutWorkers creates in flight. Creates
// are idempotent by name, so a pass that dies half-way leaves no duplicate: the next pass
// (after a restart, from a freshly synced cache) creates only what is still missing. After
// the first error no further create starts, but those in flight finish with the pass's own
// context, so that every month the server stored is reported as created and expected. A
// refusal for load (429 after client-go's own Retry-After retries, or a timeout) is returned
// and the work queue retries the pass with exponential backoff.
func (r *CampaignReconciler) createMonths(ctx context.Context, c *v1alpha1.BackfillCampaign, missing []plan.Month) (created []*v1alpha1.BackfillMonth, taken []plan.Month, err error) {
	if len(missing) == 0 {
		return nil, nil, nil
	}
	workers := r.FanoutWorkers
	if workers <= 0 {
		workers = DefaultFanoutWorkers
	}
	type outcome struct {
		month plan.Month
		obj   *v1alpha1.BackfillMonth
		err   error
	}
	var (
		next    = make(chan plan.Month)
		results = make(chan outcome)
		stop    = make(chan struct{})
		wg      sync.WaitGroup
	)
	for range min(workers, len(missing)) {
		wg.Go(func() {
			for d := range next {
				nm := newMonth(c, d)
				err := ctrl.SetControllerReference(c, nm, r.Scheme)
				if err == nil {
					err = r.Create(ctx, nm)
				}
				results <- outcome{month: d, obj: nm, err: err}
			}
		})
	}
	go func() {
		defer close(next)
		for _, d := range missing {
			select {
			case next <- d:
			case <-stop:
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(results)
	}()
	for o := range results {
		switch {
		case o.err == nil:
			created = append(created, o.obj)
		case apierrors.IsAlreadyExists(o.err):
			// the cache lists this campaign's months (by spec.campaign) and has synced, so a
			// name it does not show is taken by another campaign's or a user's object
			taken = append(taken, o.month)
		case err == nil:
			err = fmt.Errorf("creating month %s: %w", o.month.Name, o.err)
			close(stop)
		}
	}
	return created, taken, err
}

func names(months []plan.Month) []string {
	if len(months) == 0 {
		return nil
	}
	out := make([]string, len(months))
	for i, m := range months {
		out[i] = m.Name
	}
	return out
}

// adoptable reports a month that names this campaign and has no controller: an orphan of it.
func adoptable(m *v1alpha1.BackfillMonth, c *v1alpha1.BackfillCampaign) bool {
	return metav1.GetControllerOf(m) == nil && m.Spec.Campaign == c.Name && m.DeletionTimestamp.IsZero()
}

func newMonth(c *v1alpha1.BackfillCampaign, d plan.Month) *v1alpha1.BackfillMonth {
	return &v1alpha1.BackfillMonth{
		ObjectMeta: metav1.ObjectMeta{
			Name: d.Name, Namespace: c.Namespace,
			Labels: map[string]string{v1alpha1.LabelCampaign: c.Name, v1alpha1.LabelPhase: d.Phase},
		},
		Spec: v1alpha1.BackfillMonthSpec{
			Campaign: c.Name, Phase: d.Phase,
			Year: int32(d.YearMonth.Year), Month: int32(d.YearMonth.Month),
			PromptVariant: d.PromptVariant, BooksPerMonth: booksPerMonth(c), Suspend: true,
		},
	}
}

func booksPerMonth(c *v1alpha1.BackfillCampaign) int32 { return c.Spec.EffectiveBooksPerMonth() }

// admit unsuspends the months admission chose, recording the admission times the cadence
// counts (admission.Stamp). Each update carries the cached resourceVersion, so a stale decision fails
// with a conflict instead of admitting twice.
func (r *CampaignReconciler) admit(ctx context.Context, months []*v1alpha1.BackfillMonth, now time.Time, written map[string]string) (n int, stale bool, err error) {
	for _, m := range months {
		m = m.DeepCopy() // the cache's object
		m.Spec.Suspend = false
		admission.Stamp(m, now)
		if err := r.Update(ctx, m); err != nil {
			if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
				return n, true, nil // decided from an old copy: the next pass decides again
			}
			return n, false, fmt.Errorf("admitting month %s: %w", m.Name, err)
		}
		written[m.Name] = m.ResourceVersion
		n++
	}
	return n, false, nil
}

func (r *CampaignReconciler) buildStatus(c *v1alpha1.BackfillCampaign, s aggregate.Summary, p gate.Progress, d admission.Decision,
	admitted int, conflicts []string, order []string, dbDown bool, now time.Time) v1alpha1.BackfillCampaignStatus {
	st := v1alpha1.BackfillCampaignStatus{
		ObservedGeneration: c.Generation,
		Conditions:         append([]metav1.Condition(nil), c.Status.Conditions...),
		Progress:           aggregate.Progress(s.Months),
		Months:             s.Months,
		Totals:             s.Totals,
		Phases:             s.Phases,
		AdmittedLast24h:    int32(d.AdmittedInWindow + admitted),
	}
	for i := range st.Phases {
		st.Phases[i].State = p.States[i]
		st.Phases[i].Gate = p.Messages[i]
	}
	switch {
	case p.Current >= 0:
		st.CurrentPhase = c.Spec.Phases[p.Current].Name
	case p.Blocked >= 0:
		st.CurrentPhase = c.Spec.Phases[p.Blocked].Name
	}
	budget := s.Budget
	st.Budget = &budget
	if d.Next != nil && (len(d.Admit) == 0 || d.Blocked != admission.BlockedNone) {
		st.NextAdmissionTime = &metav1.Time{Time: d.Next.UTC().Truncate(time.Second)}
	}
	models := r.Models
	if models == 0 {
		models = 2
	}
	estimate, eta := aggregate.Estimate(&c.Spec, s, models, order, now)
	st.Plan = &estimate
	if estimate.MonthsRemaining > 0 {
		st.EstimatedCompletionTime = &metav1.Time{Time: eta}
	}

	gen := c.Generation
	finished := s.Months.Completed+s.Months.Failed == s.Months.Total && s.Months.Total > 0
	allPhasesDone := p.Current < 0 && p.Blocked < 0
	var ks kstatus.State
	switch {
	case len(conflicts) > 0:
		ks = kstatus.State{Stalled: true, Reason: v1alpha1.ReasonNameConflict,
			Message: fmt.Sprintf("month names taken by objects this campaign does not own: %s; delete or rename them", strings.Join(head(conflicts, 5), ", "))}
	case c.Spec.EffectiveMode() == v1alpha1.ModePlan:
		ks = kstatus.State{Ready: true, Reason: v1alpha1.ReasonPlanned,
			Message: fmt.Sprintf("Plan mode: %d months, about %d days, %d LLM and %d ISBNdb calls estimated", estimate.MonthsRemaining, estimate.Days, estimate.LLMCalls, estimate.ISBNdbCalls)}
	case p.Blocked >= 0 && p.States[p.Blocked] == v1alpha1.PhaseGateBlocked:
		ks = kstatus.State{Stalled: true, Reason: v1alpha1.ReasonGateBlocked,
			Message: fmt.Sprintf("phase %s gate does not hold: %s", c.Spec.Phases[p.Blocked].Name, p.Messages[p.Blocked])}
	case p.Blocked >= 0:
		ks = kstatus.State{Reason: v1alpha1.ReasonAwaitingApproval, Message: p.Messages[p.Blocked]}
	case finished && allPhasesDone:
		ks = kstatus.State{Ready: true, Reason: v1alpha1.ReasonCompleted,
			Message: fmt.Sprintf("all %d months finished: %d completed, %d failed; resolution rate %s%%", s.Months.Total, s.Months.Completed, s.Months.Failed, s.Totals.ResolutionRate)}
	case c.Spec.Suspend:
		ks = kstatus.State{Reason: v1alpha1.ReasonSuspended, Message: "suspended: no month is admitted; running Jobs finish"}
	default:
		ks = kstatus.State{Reconciling: true, Reason: v1alpha1.ReasonProgressing,
			Message: fmt.Sprintf("phase %s: %s months finished%s", st.CurrentPhase, st.Progress, blockedSuffix(d))}
	}
	kstatus.Set(&st.Conditions, gen, ks)
	if p.Blocked >= 0 && p.States[p.Blocked] == v1alpha1.PhaseGateBlocked {
		setCondition(&st.Conditions, gen, v1alpha1.ConditionGateBlocked, metav1.ConditionTrue, v1alpha1.ReasonGateBlocked, p.Messages[p.Blocked])
	} else {
		setCondition(&st.Conditions, gen, v1alpha1.ConditionGateBlocked, metav1.ConditionFalse, v1alpha1.ReasonGateHolds, "no gate blocks the campaign")
	}
	switch d.Blocked {
	case admission.BlockedQuota:
		setCondition(&st.Conditions, gen, v1alpha1.ConditionBudgetExhausted, metav1.ConditionTrue, v1alpha1.ReasonQuotaExhausted,
			fmt.Sprintf("ISBNdb reported its quota exhausted; admissions resume at %s (UTC reset)", d.Next.UTC().Format(time.RFC3339)))
	case admission.BlockedBudget:
		setCondition(&st.Conditions, gen, v1alpha1.ConditionBudgetExhausted, metav1.ConditionTrue, v1alpha1.ReasonBudgetExhausted,
			fmt.Sprintf("%d of %d ISBNdb calls used today; admissions resume at %s (UTC reset)", s.Budget.ISBNdbCalls, s.Budget.Limit, d.Next.UTC().Format(time.RFC3339)))
	default:
		setCondition(&st.Conditions, gen, v1alpha1.ConditionBudgetExhausted, metav1.ConditionFalse, v1alpha1.ReasonWithinBudget,
			fmt.Sprintf("%d ISBNdb calls used today", s.Budget.ISBNdbCalls))
	}
	// Mirrored is about the database, not about the month changes in flight: while it answers,
	// the month controller mirrors each change within its pass, so counting unmirrored months
	// here would flip the condition (and rewrite the status) with every month change. The lag
	// itself is the backfill_mirror_unmirrored_months metric.
	switch {
	case s.Unmirrored > 0 && r.DatabaseReachable == nil:
		setCondition(&st.Conditions, gen, v1alpha1.ConditionMirrored, metav1.ConditionFalse, v1alpha1.ReasonDatabaseUnavailable,
			"the manager runs without a database: backfill_log is not kept")
	case s.Unmirrored > 0 && dbDown:
		setCondition(&st.Conditions, gen, v1alpha1.ConditionMirrored, metav1.ConditionFalse, v1alpha1.ReasonDatabaseUnavailable,
			"the database does not answer: backfill_log is behind until it does")
	case s.Unmirrored > 0:
		setCondition(&st.Conditions, gen, v1alpha1.ConditionMirrored, metav1.ConditionTrue, v1alpha1.ReasonMirrored,
			"the database answers; backfill_log follows every month's state")
	default:
		setCondition(&st.Conditions, gen, v1alpha1.ConditionMirrored, metav1.ConditionTrue, v1alpha1.ReasonMirrored, "backfill_log holds every month's state")
	}
	return st
}

func blockedSuffix(d admission.Decision) string {
	switch d.Blocked {
	case admission.BlockedNone, admission.BlockedNothingLeft:
		return ""
	case admission.BlockedConcurrency:
		return "; waiting for running months (concurrency)"
	case admission.BlockedCadence:
		return "; cadence reached for the last 24h"
	case admission.BlockedMonthAge:
		return "; remaining months are younger than minMonthAge"
	case admission.BlockedBackoff:
		return "; retries waiting for backoff"
	case admission.BlockedDatabase:
		return "; the database does not answer: no month is admitted until it does"
	default:
		return "; " + string(d.Blocked)
	}
}

// emitTransitions records events for phase and campaign transitions, comparing with the
// status as it was.
func (r *CampaignReconciler) emitTransitions(c *v1alpha1.BackfillCampaign, st *v1alpha1.BackfillCampaignStatus) {
	old := map[string]v1alpha1.PhaseState{}
	for _, p := range c.Status.Phases {
		old[p.Name] = p.State
	}
	for _, p := range st.Phases {
		if old[p.Name] == p.State {
			continue
		}
		switch p.State {
		case v1alpha1.PhaseActive:
			r.Recorder.Eventf(c, nil, corev1.EventTypeNormal, EventPhaseStarted, "Advance", "Phase %s started", p.Name)
		case v1alpha1.PhaseCompleted:
			r.Recorder.Eventf(c, nil, corev1.EventTypeNormal, EventPhaseCompleted, "Advance", "Phase %s completed: %s", p.Name, p.Gate)
		case v1alpha1.PhaseGateBlocked:
			r.Recorder.Eventf(c, nil, corev1.EventTypeWarning, EventGateBlocked, "Gate", "Phase %s gate blocks the next phase: %s", p.Name, p.Gate)
		case v1alpha1.PhaseAwaitingApproval:
			r.Recorder.Eventf(c, nil, corev1.EventTypeNormal, EventAwaitingApproval, "Gate", "Phase %s awaits approval in spec.approvedPhases", p.Name)
		}
	}
	was := meta.FindStatusCondition(c.Status.Conditions, v1alpha1.ConditionBudgetExhausted)
	now := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionBudgetExhausted)
	if now != nil && now.Status == metav1.ConditionTrue && (was == nil || was.Status != metav1.ConditionTrue) {
		r.Recorder.Eventf(c, nil, corev1.EventTypeWarning, EventBudgetExhausted, "Admit", "%s", now.Message)
	}
	wasReady := meta.FindStatusCondition(c.Status.Conditions, v1alpha1.ConditionReady)
	ready := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionReady)
	if ready != nil && ready.Reason == v1alpha1.ReasonCompleted && (wasReady == nil || wasReady.Reason != v1alpha1.ReasonCompleted) {
		r.Recorder.Eventf(c, nil, corev1.EventTypeNormal, EventCampaignCompleted, "Complete", "%s", ready.Message)
	}
}

func head(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// SetupWithManager indexes months by campaign and watches campaigns and their months, with
// month events paced per campaign (monthEvents).
func (r *CampaignReconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager) error {
	if r.Coalesce == 0 {
		r.Coalesce = DefaultCoalesce
	}
	if r.Budgets == nil {
		r.Budgets = &budget.Ledger{}
	}
	r.wake = make(chan event.GenericEvent, 64)
	if err := mgr.GetFieldIndexer().IndexField(ctx, &v1alpha1.BackfillMonth{}, IndexMonthCampaign, func(o client.Object) []string {
		return []string{o.(*v1alpha1.BackfillMonth).Spec.Campaign}
	}); err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).
		// a pass reacts to the spec (generation), labels and annotations, never to a status
		// write (its own, or a conflicting one: that pass requeues itself)
		For(campaignShape(), builder.WithPredicates(predicate.Or[client.Object](
			predicate.GenerationChangedPredicate{}, predicate.LabelChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		Watches(&v1alpha1.BackfillMonth{}, newMonthEvents(r.Coalesce)).
		WatchesRawSource(r.Workers.Source()).
		// a budget's spec (created, limit changed, deleted) changes what its campaigns may admit
		Watches(&v1alpha1.BackfillBudget{}, handler.EnqueueRequestsFromMapFunc(r.campaignsOfBudget),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WatchesRawSource(source.Channel(r.wake, wakeEvents(r.Coalesce))).
		WithOptions(controller.Options{MaxConcurrentReconciles: CampaignWorkers}).
		Named("backfillcampaign").
		Complete(r)
}
