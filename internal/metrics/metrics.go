// Package metrics exports the operator's own Prometheus metrics (prefix backfill_) through
// controller-runtime's registry, next to its default controller metrics. Labels stay bounded:
// namespace and campaign (campaigns are few), phase (at most ten per campaign), state,
// provider, outcome and reason class — never a month, a Job or an error message.
//
// Gauges are rebuilt from a campaign's status and its months on every campaign pass, so they
// are right after a restart. Counters and histograms are observed by the month controller
// right after the status write that stores an attempt's start or outcome: that write happens
// once per attempt (a pass that loses a conflict is redone and observes nothing), and after a
// restart the stored record is already finished, so no attempt is counted twice. A manager
// that dies between the write and the observation loses that one observation; Prometheus
// treats the restart as a counter reset (rate and increase stay right).
package metrics

import (
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/version"
)

// Metric names, written once: the rules, the dashboard and their tests refer to these.
const (
	NameBuildInfo          = "backfill_build_info"
	NameMonths             = "backfill_months"
	NamePhaseState         = "backfill_phase_state"
	NameCampaignCondition  = "backfill_campaign_condition"
	NameBooksGenerated     = "backfill_books_generated"
	NameISBNsResolved      = "backfill_isbns_resolved"
	NameProviderCalls      = "backfill_provider_calls"
	NameISBNdbCallsToday   = "backfill_isbndb_calls_today"
	NameISBNdbBudget       = "backfill_isbndb_budget_calls_per_day"
	NameMonthsOverdue      = "backfill_months_processing_overdue"
	NameMirrorUnmirrored   = "backfill_mirror_unmirrored_months"
	NameMirrorLag          = "backfill_mirror_lag_seconds"
	NameAdmissions         = "backfill_admissions_total"
	NameAttempts           = "backfill_attempts_total"
	NameAttemptDuration    = "backfill_attempt_duration_seconds"
	NameAttemptQueueWait   = "backfill_attempt_queue_wait_seconds"
	NameAttemptBooks       = "backfill_attempt_books_generated_total"
	NameAttemptResolved    = "backfill_attempt_isbns_resolved_total"
	NameProviderCallsTotal = "backfill_provider_calls_total"
	NameProviderErrors     = "backfill_provider_errors_total"
)

// ReasonOther is the reason class of a failure whose reason is not one of the operator's own
// (it keeps the label bounded whatever a record holds).
const ReasonOther = "Other"

// ErrorQuotaExhausted is the provider error class a worker reports per provider.
const ErrorQuotaExhausted = "QuotaExhausted"

// failureReasons are the attempt reason classes; anything else is ReasonOther.
var failureReasons = []string{
	v1alpha1.FailureJobFailed, v1alpha1.FailureJobVanished, v1alpha1.FailurePendingTooLong,
	v1alpha1.FailureRunningTooLong, v1alpha1.FailureWorkerFailed, v1alpha1.FailurePermanent, v1alpha1.FailureOutside,
}

var monthStates = []v1alpha1.MonthState{
	v1alpha1.MonthPending, v1alpha1.MonthProcessing, v1alpha1.MonthRetry, v1alpha1.MonthCompleted, v1alpha1.MonthFailed,
}

var phaseStates = []v1alpha1.PhaseState{
	v1alpha1.PhaseWaiting, v1alpha1.PhaseActive, v1alpha1.PhaseGateBlocked, v1alpha1.PhaseAwaitingApproval, v1alpha1.PhaseCompleted,
}

var campaignConditions = []string{
	v1alpha1.ConditionReady, v1alpha1.ConditionReconciling, v1alpha1.ConditionStalled,
	v1alpha1.ConditionGateBlocked, v1alpha1.ConditionBudgetExhausted, v1alpha1.ConditionMirrored, v1alpha1.ConditionWorkersBlocked,
}

// Attempt durations run from seconds (a fake or a refusal) to the running deadline (1h by
// default); queue waits from seconds to days (cadence and budget hold months back).
var (
	durationBuckets  = []float64{5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200}
	queueWaitBuckets = []float64{1, 10, 60, 300, 900, 3600, 4 * 3600, 12 * 3600, 24 * 3600, 3 * 24 * 3600, 7 * 24 * 3600}
)

var (
	buildInfo = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: NameBuildInfo, Help: "Always 1; the labels say which build of the operator is running.",
	}, []string{"version", "revision", "goversion"})

	months = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: NameMonths, Help: "Months of a campaign's phase by state.",
	}, []string{"namespace", "campaign", "phase", "state"})
	phaseState = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: NamePhaseState, Help: "1 for the state a campaign's phase (and its gate) is in, 0 for the others.",
	}, []string{"namespace", "campaign", "phase", "state"})
	condition = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: NameCampaignCondition, Help: "1 while a campaign's condition is True, 0 otherwise.",
	}, []string{"namespace", "campaign", "condition"})
	books = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: NameBooksGenerated, Help: "Distinct books the models proposed, over a phase's months (latest attempt of each).",
	}, []string{"namespace", "campaign", "phase"})
	resolved = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: NameISBNsResolved, Help: "Books resolved to a verified ISBN, over a phase's months (latest attempt of each).",
	}, []string{"namespace", "campaign", "phase"})
	calls = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: NameProviderCalls, Help: "Requests really sent to each provider by all attempts of a campaign (from its status).",
	}, []string{"namespace", "campaign", "provider"})
	isbndbToday = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: NameISBNdbCallsToday, Help: "ISBNdb calls made today (UTC) by attempts of a campaign.",
	}, []string{"namespace", "campaign"})
	isbndbBudget = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: NameISBNdbBudget, Help: "A campaign's daily ISBNdb budget (0: none).",
	}, []string{"namespace", "campaign"})
	overdue = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: NameMonthsOverdue, Help: "Months Processing for longer than their pending plus running deadline.",
	}, []string{"namespace", "campaign", "phase"})
	unmirrored = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: NameMirrorUnmirrored, Help: "Months whose latest state the manager failed to write into backfill_log.",
	}, []string{"namespace", "campaign"})
	mirrorLag = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: NameMirrorLag, Help: "Seconds since the oldest of a campaign's failed backfill_log writes (0 when in step).",
	}, []string{"namespace", "campaign"})

	admissions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: NameAdmissions, Help: "Months admitted (first admissions and retries).",
	}, []string{"namespace", "campaign"})
	attempts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: NameAttempts, Help: "Finished attempts by outcome and reason class (empty for a success).",
	}, []string{"namespace", "campaign", "phase", "outcome", "reason"})
	duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: NameAttemptDuration, Help: "Time from an attempt's Job creation to its observed outcome.",
		Buckets: durationBuckets,
	}, []string{"namespace", "campaign", "phase", "outcome"})
	queueWait = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: NameAttemptQueueWait, Help: "Time from a month being runnable (first admission, or end of its retry backoff) to its attempt's Job creation.",
		Buckets: queueWaitBuckets,
	}, []string{"namespace", "campaign", "phase"})
	attemptBooks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: NameAttemptBooks, Help: "Books generated by successful attempts (rate over a window: the recent months).",
	}, []string{"namespace", "campaign", "phase"})
	attemptResolved = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: NameAttemptResolved, Help: "ISBNs resolved by successful attempts (rate over a window: the recent months).",
	}, []string{"namespace", "campaign", "phase"})
	providerCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: NameProviderCallsTotal, Help: "Requests really sent to each provider, counted as attempts finish.",
	}, []string{"namespace", "campaign", "provider"})
	providerErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: NameProviderErrors, Help: "Finished attempts in which a provider reported an error, by error class.",
	}, []string{"namespace", "campaign", "provider", "error"})
)

// perCampaign are the vectors a deleted campaign's series are removed from.
var perCampaign = []interface {
	prometheus.Collector
	DeletePartialMatch(prometheus.Labels) int
}{
	months, phaseState, condition, books, resolved, calls, isbndbToday, isbndbBudget, overdue, unmirrored, mirrorLag,
	admissions, attempts, duration, queueWait, attemptBooks, attemptResolved, providerCalls, providerErrors,
}

func init() {
	crmetrics.Registry.MustRegister(buildInfo, months, phaseState, condition, books, resolved, calls, isbndbToday,
		isbndbBudget, overdue, unmirrored, mirrorLag, admissions, attempts, duration, queueWait, attemptBooks,
		attemptResolved, providerCalls, providerErrors)
	buildInfo.WithLabelValues(version.Version, version.Revision, version.GoVersion()).Set(1)
}

// ObserveCampaign publishes a campaign's status and what its months show at time now (months
// overdue, the backfill_log mirror's lag). Called on every campaign pass: the overdue and lag
// gauges move with time even when the status does not.
func ObserveCampaign(c *v1alpha1.BackfillCampaign, ms []*v1alpha1.BackfillMonth, now time.Time) {
	ns, name := c.Namespace, c.Name
	deadline := c.Spec.EffectivePendingDeadline() + c.Spec.EffectiveRunningDeadline()
	late := map[string]int{}
	var failed int
	var oldest *metav1.Time
	for _, m := range ms {
		if deadline > 0 && m.Status.State == v1alpha1.MonthProcessing && m.Status.StartedAt != nil &&
			now.Sub(m.Status.StartedAt.Time) > deadline {
			late[m.Spec.Phase]++
		}
		// only a write the mirror tried and failed counts: without a database there is no mirror
		if cond := meta.FindStatusCondition(m.Status.Conditions, v1alpha1.ConditionMirrored); cond != nil && cond.Status == metav1.ConditionFalse {
			failed++
			if oldest == nil || cond.LastTransitionTime.Before(oldest) {
				oldest = &cond.LastTransitionTime
			}
		}
	}

	forgetDroppedPhases(c)
	for _, p := range c.Status.Phases {
		counts := map[v1alpha1.MonthState]int32{
			v1alpha1.MonthPending: p.Months.Pending, v1alpha1.MonthProcessing: p.Months.Processing, v1alpha1.MonthRetry: p.Months.Retry,
			v1alpha1.MonthCompleted: p.Months.Completed, v1alpha1.MonthFailed: p.Months.Failed,
		}
		for _, s := range monthStates {
			months.WithLabelValues(ns, name, p.Name, string(s)).Set(float64(counts[s]))
		}
		for _, s := range phaseStates {
			phaseState.WithLabelValues(ns, name, p.Name, string(s)).Set(boolValue(p.State == s))
		}
		books.WithLabelValues(ns, name, p.Name).Set(float64(p.Totals.BooksGenerated))
		resolved.WithLabelValues(ns, name, p.Name).Set(float64(p.Totals.ISBNsResolved))
		overdue.WithLabelValues(ns, name, p.Name).Set(float64(late[p.Name]))
	}
	for _, t := range campaignConditions {
		condition.WithLabelValues(ns, name, t).Set(boolValue(meta.IsStatusConditionTrue(c.Status.Conditions, t)))
	}
	for provider, n := range c.Status.Totals.Calls {
		calls.WithLabelValues(ns, name, provider).Set(float64(n))
	}
	if b := c.Status.Budget; b != nil {
		isbndbToday.WithLabelValues(ns, name).Set(float64(b.ISBNdbCalls))
		isbndbBudget.WithLabelValues(ns, name).Set(float64(b.Limit))
	}
	unmirrored.WithLabelValues(ns, name).Set(float64(failed))
	lag := 0.0
	if oldest != nil {
		lag = max(now.Sub(oldest.Time).Seconds(), 0)
	}
	mirrorLag.WithLabelValues(ns, name).Set(lag)
}

// phasesShown remembers each campaign's phases, so that a phase renamed or removed from the
// spec loses its series without a scrape ever seeing the kept phases vanish for a moment.
var (
	phasesMu    sync.Mutex
	phasesShown = map[[2]string][]string{}
)

func forgetDroppedPhases(c *v1alpha1.BackfillCampaign) {
	key := [2]string{c.Namespace, c.Name}
	current := make([]string, 0, len(c.Status.Phases))
	for _, p := range c.Status.Phases {
		current = append(current, p.Name)
	}
	phasesMu.Lock()
	defer phasesMu.Unlock()
	for _, old := range phasesShown[key] {
		if slices.Contains(current, old) {
			continue
		}
		labels := prometheus.Labels{"namespace": c.Namespace, "campaign": c.Name, "phase": old}
		for _, v := range []*prometheus.GaugeVec{months, phaseState, books, resolved, overdue} {
			v.DeletePartialMatch(labels)
		}
	}
	phasesShown[key] = current
}

// Admitted counts n admissions.
func Admitted(namespace, campaign string, n int) {
	admissions.WithLabelValues(namespace, campaign).Add(float64(n))
}

// QueueWait is how long the month's next attempt has waited at time now: since its first
// admission for attempt 1, since the end of its retry backoff for a retry. ok is false when
// the month does not say when it became runnable. m is the month before the attempt starts.
func QueueWait(m *v1alpha1.BackfillMonth, now time.Time) (wait time.Duration, ok bool) {
	var since time.Time
	switch {
	case m.Status.Attempts == 0 && m.FirstAdmittedAt() != nil:
		since = *m.FirstAdmittedAt()
	case m.Status.Attempts > 0 && m.Status.NextRetryAt != nil:
		since = m.Status.NextRetryAt.Time
	default:
		return 0, false
	}
	return max(now.Sub(since), 0), true
}

// AttemptStarted observes the queue wait of an attempt whose start was just stored.
func AttemptStarted(m *v1alpha1.BackfillMonth, wait time.Duration) {
	queueWait.WithLabelValues(m.Namespace, m.Spec.Campaign, m.Spec.Phase).Observe(wait.Seconds())
}

// AttemptFinished counts the month's latest attempt, whose outcome was just stored.
func AttemptFinished(m *v1alpha1.BackfillMonth) {
	if len(m.Status.History) == 0 {
		return
	}
	rec := m.Status.History[len(m.Status.History)-1]
	if rec.Outcome == v1alpha1.AttemptRunning || rec.FinishedAt == nil {
		return
	}
	ns, campaign, phase := m.Namespace, m.Spec.Campaign, m.Spec.Phase
	attempts.WithLabelValues(ns, campaign, phase, string(rec.Outcome), ReasonClass(rec)).Inc()
	duration.WithLabelValues(ns, campaign, phase, string(rec.Outcome)).Observe(max(rec.FinishedAt.Sub(rec.StartedAt.Time).Seconds(), 0))
	if rec.Outcome == v1alpha1.AttemptSucceeded {
		attemptBooks.WithLabelValues(ns, campaign, phase).Add(float64(m.Status.Metrics.BooksGenerated))
		attemptResolved.WithLabelValues(ns, campaign, phase).Add(float64(m.Status.Metrics.ISBNsResolved))
	}
	for provider, n := range rec.Calls {
		providerCalls.WithLabelValues(ns, campaign, provider).Add(float64(n))
		// a provider that was called has an error series from 0, so rate() sees its first error
		providerErrors.WithLabelValues(ns, campaign, provider, ErrorQuotaExhausted).Add(0)
	}
	for _, provider := range rec.QuotaExhausted {
		providerErrors.WithLabelValues(ns, campaign, provider, ErrorQuotaExhausted).Inc()
	}
}

// ReasonClass is the bounded reason label of an attempt record.
func ReasonClass(rec v1alpha1.AttemptRecord) string {
	if rec.Outcome == v1alpha1.AttemptSucceeded {
		return ""
	}
	if slices.Contains(failureReasons, rec.Reason) {
		return rec.Reason
	}
	return ReasonOther
}

// Forget drops a deleted campaign's series.
func Forget(namespace, campaign string) {
	phasesMu.Lock()
	delete(phasesShown, [2]string{namespace, campaign})
	phasesMu.Unlock()
	labels := prometheus.Labels{"namespace": namespace, "campaign": campaign}
	for _, v := range perCampaign {
		v.DeletePartialMatch(labels)
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
