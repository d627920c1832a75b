// Package metrics exports the operator's own Prometheus metrics (prefix backfill_) through
// controller-runtime's registry, next to its default controller metrics. Labels stay bounded:
// namespace and campaign (campaigns are few), state, provider and outcome.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

var (
	months = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "backfill_months", Help: "Months of a campaign by state.",
	}, []string{"namespace", "campaign", "state"})
	books = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "backfill_books_generated", Help: "Distinct books the models proposed, over a campaign's months.",
	}, []string{"namespace", "campaign"})
	resolved = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "backfill_isbns_resolved", Help: "Books resolved to a verified ISBN, over a campaign's months.",
	}, []string{"namespace", "campaign"})
	calls = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "backfill_provider_calls", Help: "Requests really sent to each provider by a campaign's attempts.",
	}, []string{"namespace", "campaign", "provider"})
	budget = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "backfill_isbndb_calls_today", Help: "ISBNdb calls made today (UTC) by attempts of a campaign.",
	}, []string{"namespace", "campaign"})
	admissions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "backfill_admissions_total", Help: "Months admitted (first admissions and retries).",
	}, []string{"namespace", "campaign"})
	attempts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "backfill_attempts_total", Help: "Finished attempts by outcome.",
	}, []string{"namespace", "campaign", "outcome"})
)

func init() {
	crmetrics.Registry.MustRegister(months, books, resolved, calls, budget, admissions, attempts)
}

// ObserveCampaign publishes a campaign's status.
func ObserveCampaign(c *v1alpha1.BackfillCampaign) {
	ns, name := c.Namespace, c.Name
	m := c.Status.Months
	for state, n := range map[v1alpha1.MonthState]int32{
		v1alpha1.MonthPending: m.Pending, v1alpha1.MonthProcessing: m.Processing, v1alpha1.MonthRetry: m.Retry,
		v1alpha1.MonthCompleted: m.Completed, v1alpha1.MonthFailed: m.Failed,
	} {
		months.WithLabelValues(ns, name, string(state)).Set(float64(n))
	}
	books.WithLabelValues(ns, name).Set(float64(c.Status.Totals.BooksGenerated))
	resolved.WithLabelValues(ns, name).Set(float64(c.Status.Totals.ISBNsResolved))
	for provider, n := range c.Status.Totals.Calls {
		calls.WithLabelValues(ns, name, provider).Set(float64(n))
	}
	if b := c.Status.Budget; b != nil {
		budget.WithLabelValues(ns, name).Set(float64(b.ISBNdbCalls))
	}
}

// Admitted counts n admissions.
func Admitted(namespace, campaign string, n int) {
	admissions.WithLabelValues(namespace, campaign).Add(float64(n))
}

// AttemptFinished counts a finished attempt.
func AttemptFinished(namespace, campaign string, outcome v1alpha1.AttemptOutcome) {
	attempts.WithLabelValues(namespace, campaign, string(outcome)).Inc()
}

// Forget drops a deleted campaign's series.
func Forget(namespace, campaign string) {
	labels := prometheus.Labels{"namespace": namespace, "campaign": campaign}
	for _, v := range []*prometheus.GaugeVec{months, books, resolved, calls, budget} {
		v.DeletePartialMatch(labels)
	}
	admissions.DeletePartialMatch(labels)
	attempts.DeletePartialMatch(labels)
}
