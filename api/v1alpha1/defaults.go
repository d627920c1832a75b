package v1alpha1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

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
	DefaultBudgetISBNdbCallsPerDay      = 15000
	DefaultPriority                     = 0
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
	return RetryPolicy{
		MaxAttempts: orDefault(s.Retry.MaxAttempts, DefaultMaxAttempts),
		BackoffBase: &metav1.Duration{Duration: durationOr(s.Retry.BackoffBase, DefaultBackoffBase)},
		BackoffCap:  &metav1.Duration{Duration: durationOr(s.Retry.BackoffCap, DefaultBackoffCap)},
	}
}

// EffectiveISBNdbCallsPerDay is the daily ISBNdb budget; 0 is the user's "no limit".
func (s *BackfillCampaignSpec) EffectiveISBNdbCallsPerDay() int32 {
	if s.Budget.ISBNdbCallsPerDay == nil {
		return DefaultISBNdbCallsPerDay
	}
	return *s.Budget.ISBNdbCallsPerDay
}

// EffectiveEstimatedISBNdbCallsPerMonth is the estimate used before any month has finished.
func (s *BackfillCampaignSpec) EffectiveEstimatedISBNdbCallsPerMonth() int32 {
	return orDefault(s.Budget.EstimatedISBNdbCallsPerMonth, DefaultEstimatedISBNdbCallsPerMonth)
}

// EffectivePriority orders the campaign's admissions against other campaigns on its ISBNdb key.
func (s *BackfillCampaignSpec) EffectivePriority() int32 {
	if s.Priority == nil {
		return DefaultPriority
	}
	return *s.Priority
}

// ISBNdbKey is the Secret key the campaign's workers call ISBNdb with, nil when none is set.
func (s *BackfillCampaignSpec) ISBNdbKey() *SecretKeyRef {
	if s.Resolver.ISBNdb == nil {
		return nil
	}
	return s.Resolver.ISBNdb.APIKeySecretRef
}

// EffectivePendingDeadline is how long an attempt's Job may wait for its pod to start.
func (s *BackfillCampaignSpec) EffectivePendingDeadline() time.Duration {
	return durationOr(s.Job.PendingDeadline, DefaultPendingDeadline)
}

// EffectiveRunningDeadline is how long an attempt may run.
func (s *BackfillCampaignSpec) EffectiveRunningDeadline() time.Duration {
	return durationOr(s.Job.RunningDeadline, DefaultRunningDeadline)
}

func durationOr(d *metav1.Duration, def time.Duration) time.Duration {
	if d == nil || d.Duration == 0 {
		return def
	}
	return d.Duration
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
