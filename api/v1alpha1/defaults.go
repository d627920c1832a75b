package v1alpha1

import "time"

// The API's defaults. The CRD's default markers apply them at admission (and, for objects stored
// before a default existed, whenever the API server reads them); these constants are the same
// values for code that builds objects without the API server, and the accessors below are the
// only fallback anywhere. A test applies a minimal campaign and checks both agree.
const (
	DefaultOrder                        = OrderNewestFirst
	DefaultMode                         = ModeLive
	DefaultPromptVariant                = PromptAuto
	DefaultMinMonthAge                  = 12
	DefaultBooksPerMonth                = 20
	DefaultMaxAttempts                  = 5
	DefaultBackoffBase                  = 5 * time.Minute
	DefaultBackoffCap                   = 2 * time.Hour
	DefaultISBNdbCallsPerDay            = 7000
	DefaultEstimatedISBNdbCallsPerMonth = 10
	DefaultPendingDeadline              = 15 * time.Minute
	DefaultRunningDeadline              = time.Hour
)

// EffectiveOrder is the admission order.
func (s *BackfillCampaignSpec) EffectiveOrder() Order { return orDefault(s.Order, DefaultOrder) }

// EffectiveMode is what admitted months do.
func (s *BackfillCampaignSpec) EffectiveMode() Mode { return orDefault(s.Mode, DefaultMode) }

// EffectivePromptVariant is the campaign's prompt template (possibly auto).
func (s *BackfillCampaignSpec) EffectivePromptVariant() PromptVariant {
	return orDefault(s.PromptVariant, DefaultPromptVariant)
}

// EffectiveMinMonthAge is how many months young months are held back.
func (s *BackfillCampaignSpec) EffectiveMinMonthAge() int32 {
	if s.MinMonthAge == nil {
		return DefaultMinMonthAge
	}
	return *s.MinMonthAge
}

// EffectiveBooksPerMonth is how many books each model is asked for.
func (s *BackfillCampaignSpec) EffectiveBooksPerMonth() int32 {
	return orDefault(s.BooksPerMonth, DefaultBooksPerMonth)
}

// EffectiveRetry is the retry policy with every field set.
func (s *BackfillCampaignSpec) EffectiveRetry() RetryPolicy {
	r := s.Retry
	r.MaxAttempts = orDefault(r.MaxAttempts, DefaultMaxAttempts)
	r.BackoffBase.Duration = orDefault(r.BackoffBase.Duration, DefaultBackoffBase)
	r.BackoffCap.Duration = orDefault(r.BackoffCap.Duration, DefaultBackoffCap)
	return r
}

// EffectiveBudget is the paid-source budget. A zero daily limit is the user's "no limit", so only
// the estimate falls back; the daily limit's default comes from the API server alone.
func (s *BackfillCampaignSpec) EffectiveBudget() Budget {
	b := s.Budget
	b.EstimatedISBNdbCallsPerMonth = orDefault(b.EstimatedISBNdbCallsPerMonth, DefaultEstimatedISBNdbCallsPerMonth)
	return b
}

// EffectivePendingDeadline is how long an attempt's Job may wait for its pod to start.
func (s *BackfillCampaignSpec) EffectivePendingDeadline() time.Duration {
	return orDefault(s.Job.PendingDeadline.Duration, DefaultPendingDeadline)
}

// EffectiveRunningDeadline is how long an attempt may run.
func (s *BackfillCampaignSpec) EffectiveRunningDeadline() time.Duration {
	return orDefault(s.Job.RunningDeadline.Duration, DefaultRunningDeadline)
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
