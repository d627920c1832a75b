package v1alpha1

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestEffectiveValues(t *testing.T) {
	empty := BackfillCampaignSpec{}
	set := BackfillCampaignSpec{
		Retry:  RetryPolicy{MaxAttempts: 2, BackoffBase: &metav1.Duration{Duration: time.Second}, BackoffCap: &metav1.Duration{Duration: time.Minute}},
		Budget: Budget{ISBNdbCallsPerDay: ptr.To[int32](0), EstimatedISBNdbCallsPerMonth: 3},
		Job:    JobSpec{PendingDeadline: &metav1.Duration{Duration: time.Minute}, RunningDeadline: &metav1.Duration{Duration: 2 * time.Minute}},
		Order:  OrderOldestFirst, Mode: ModePlan, PromptVariant: PromptBaseline, MinMonthAge: ptr.To[int32](0), BooksPerMonth: 7,
		Priority: ptr.To[int32](-5),
		Resolver: ResolverSpec{ISBNdb: &SourceSpec{APIKeySecretRef: &SecretKeyRef{Name: "keys", Key: "isbndb"}}},
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"default attempts", empty.EffectiveRetry().MaxAttempts, int32(DefaultMaxAttempts)},
		{"default backoff base", empty.EffectiveRetry().BackoffBase.Duration, DefaultBackoffBase},
		{"default backoff cap", empty.EffectiveRetry().BackoffCap.Duration, DefaultBackoffCap},
		{"default budget", empty.EffectiveISBNdbCallsPerDay(), int32(DefaultISBNdbCallsPerDay)},
		{"default estimate", empty.EffectiveEstimatedISBNdbCallsPerMonth(), int32(DefaultEstimatedISBNdbCallsPerMonth)},
		{"default pending deadline", empty.EffectivePendingDeadline(), DefaultPendingDeadline},
		{"default running deadline", empty.EffectiveRunningDeadline(), DefaultRunningDeadline},
		{"default order", empty.EffectiveOrder(), DefaultOrder},
		{"default mode", empty.EffectiveMode(), DefaultMode},
		{"default prompt", empty.EffectivePromptVariant(), DefaultPromptVariant},
		{"default month age", empty.EffectiveMinMonthAge(), int32(DefaultMinMonthAge)},
		{"default books", empty.EffectiveBooksPerMonth(), int32(DefaultBooksPerMonth)},
		{"default priority", empty.EffectivePriority(), int32(DefaultPriority)},
		{"default key budget", (&BackfillBudgetSpec{}).EffectiveISBNdbCallsPerDay(), int32(DefaultBudgetISBNdbCallsPerDay)},
		{"no ISBNdb key", empty.ISBNdbKey() == nil, true},
		{"set attempts", set.EffectiveRetry().MaxAttempts, int32(2)},
		{"set backoff base", set.EffectiveRetry().BackoffBase.Duration, time.Second},
		{"set backoff cap", set.EffectiveRetry().BackoffCap.Duration, time.Minute},
		{"explicit zero budget is no limit", set.EffectiveISBNdbCallsPerDay(), int32(0)},
		{"set estimate", set.EffectiveEstimatedISBNdbCallsPerMonth(), int32(3)},
		{"set pending deadline", set.EffectivePendingDeadline(), time.Minute},
		{"set running deadline", set.EffectiveRunningDeadline(), 2 * time.Minute},
		{"set order", set.EffectiveOrder(), OrderOldestFirst},
		{"set mode", set.EffectiveMode(), ModePlan},
		{"set prompt", set.EffectivePromptVariant(), PromptBaseline},
		{"explicit zero month age", set.EffectiveMinMonthAge(), int32(0)},
		{"set books", set.EffectiveBooksPerMonth(), int32(7)},
		{"set priority", set.EffectivePriority(), int32(-5)},
		{"set key budget", (&BackfillBudgetSpec{ISBNdbCallsPerDay: 9}).EffectiveISBNdbCallsPerDay(), int32(9)},
		{"ISBNdb key", *set.ISBNdbKey(), SecretKeyRef{Name: "keys", Key: "isbndb"}},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}
