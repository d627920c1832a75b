package attempt

import (
	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/database"
)

// Result is an attempt's outcome as its worker reported it, in the backfill_attempts row or
// in its pod's termination message.
type Result struct {
	Succeeded bool
	// Permanent failures (bad configuration) are not retried.
	Permanent bool
	// Cause classifies a failure.
	Cause          v1alpha1.FailureCause
	Metrics        v1alpha1.MonthMetrics
	Calls          map[string]int32
	QuotaExhausted []string
	Message        string
}

// FromRow reads a backfill_attempts row.
func FromRow(a database.Attempt) Result {
	res := Result{
		Succeeded:      a.Outcome == database.OutcomeSucceeded,
		Metrics:        metrics(a.BooksGenerated, a.ISBNsResolved, a.ISBNsQueued),
		Calls:          calls(a.Calls),
		QuotaExhausted: a.QuotaExhausted,
		Message:        a.Error,
		Cause:          v1alpha1.FailureCause(a.Cause),
	}
	if !res.Succeeded && res.Cause == "" {
		res.Cause = v1alpha1.CauseWorkerError // a row from before causes were recorded
	}
	return res
}

// FromSummary reads a worker's summary.
func FromSummary(s Summary) Result {
	res := Result{
		Succeeded:      s.Outcome == OutcomeSucceeded,
		Metrics:        metrics(s.BooksGenerated, s.ISBNsResolved, s.ISBNsQueued),
		Calls:          calls(s.Calls),
		QuotaExhausted: s.QuotaExhausted,
		Message:        s.Error,
	}
	if res.Succeeded {
		return res
	}
	res.Cause = s.Cause
	if res.Cause == "" {
		res.Cause = CauseOf(s.Reason) // a worker from before causes were reported
	}
	res.Permanent = !s.Retryable && !res.Cause.Outside()
	if res.Message == "" {
		res.Message = s.Reason
	}
	return res
}

func metrics(generated, resolved, queued int) v1alpha1.MonthMetrics {
	return v1alpha1.MonthMetrics{
		BooksGenerated: int32(generated), ISBNsResolved: int32(resolved), ISBNsQueued: int32(queued),
		ResolutionRate: v1alpha1.FormatRate(int64(resolved), int64(generated)),
	}
}

func calls(in map[string]int) map[string]int32 {
	out := make(map[string]int32, len(in))
	for k, v := range in {
		out[k] = int32(v)
	}
	return out
}
