// Package builders has fluent test builders for the operator's objects, so tests state only
// what matters to them.
package builders

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/naming"
)

// CampaignBuilder builds a BackfillCampaign.
type CampaignBuilder struct{ c v1alpha1.BackfillCampaign }

// MakeCampaign starts a campaign with no phases and the API's defaults filled in.
func MakeCampaign(name, namespace string) *CampaignBuilder {
	return &CampaignBuilder{c: v1alpha1.BackfillCampaign{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "BackfillCampaign"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: v1alpha1.BackfillCampaignSpec{
			Order:         v1alpha1.DefaultOrder,
			MinMonthAge:   ptr.To[int32](v1alpha1.DefaultMinMonthAge),
			BooksPerMonth: v1alpha1.DefaultBooksPerMonth,
			PromptVariant: v1alpha1.DefaultPromptVariant,
			Mode:          v1alpha1.DefaultMode,
			Priority:      ptr.To[int32](v1alpha1.DefaultPriority),
			Retry: v1alpha1.RetryPolicy{
				MaxAttempts: v1alpha1.DefaultMaxAttempts,
				BackoffBase: &metav1.Duration{Duration: v1alpha1.DefaultBackoffBase},
				BackoffCap:  &metav1.Duration{Duration: v1alpha1.DefaultBackoffCap},
			},
			Budget: v1alpha1.Budget{ISBNdbCallsPerDay: ptr.To[int32](v1alpha1.DefaultISBNdbCallsPerDay),
				EstimatedISBNdbCallsPerMonth: v1alpha1.DefaultEstimatedISBNdbCallsPerMonth},
			Job: v1alpha1.JobSpec{
				PendingDeadline: &metav1.Duration{Duration: v1alpha1.DefaultPendingDeadline},
				RunningDeadline: &metav1.Duration{Duration: v1alpha1.DefaultRunningDeadline},
			},
		},
	}}
}

// Phase appends a phase over the years from..to.
func (b *CampaignBuilder) Phase(name string, from, to, perDay, concurrent int32) *CampaignBuilder {
	b.c.Spec.Phases = append(b.c.Spec.Phases, v1alpha1.Phase{
		Name: name, Years: v1alpha1.YearRange{From: from, To: to}, MonthsPerDay: perDay, MaxConcurrent: concurrent,
	})
	return b
}

// Months restricts the last phase to the months from..to of each year.
func (b *CampaignBuilder) Months(from, to int32) *CampaignBuilder {
	b.last().Months = &v1alpha1.MonthRange{From: from, To: to}
	return b
}

// Gate sets the last phase's minimum resolution rate.
func (b *CampaignBuilder) Gate(minRate int32) *CampaignBuilder {
	b.last().Gate = &v1alpha1.Gate{MinResolutionRate: ptr.To(minRate)}
	return b
}

// MaxFailed sets the last phase's maximum number of failed months.
func (b *CampaignBuilder) MaxFailed(n int32) *CampaignBuilder {
	if b.last().Gate == nil {
		b.last().Gate = &v1alpha1.Gate{}
	}
	b.last().Gate.MaxFailedMonths = ptr.To(n)
	return b
}

// ManualApproval makes the last phase wait for approval.
func (b *CampaignBuilder) ManualApproval() *CampaignBuilder {
	b.last().Approval = v1alpha1.ApprovalManual
	return b
}

// Approve lists phases in spec.approvedPhases.
func (b *CampaignBuilder) Approve(phases ...string) *CampaignBuilder {
	b.c.Spec.ApprovedPhases = append(b.c.Spec.ApprovedPhases, phases...)
	return b
}

// MinMonthAge sets spec.minMonthAge.
func (b *CampaignBuilder) MinMonthAge(months int32) *CampaignBuilder {
	b.c.Spec.MinMonthAge = ptr.To(months)
	return b
}

// Order sets spec.order.
func (b *CampaignBuilder) Order(o v1alpha1.Order) *CampaignBuilder {
	b.c.Spec.Order = o
	return b
}

// Mode sets spec.mode.
func (b *CampaignBuilder) Mode(m v1alpha1.Mode) *CampaignBuilder {
	b.c.Spec.Mode = m
	return b
}

// Suspend sets spec.suspend.
func (b *CampaignBuilder) Suspend(s bool) *CampaignBuilder {
	b.c.Spec.Suspend = s
	return b
}

// Retry sets the retry policy.
func (b *CampaignBuilder) Retry(maxAttempts int32, base, limit time.Duration) *CampaignBuilder {
	b.c.Spec.Retry = v1alpha1.RetryPolicy{MaxAttempts: maxAttempts,
		BackoffBase: &metav1.Duration{Duration: base}, BackoffCap: &metav1.Duration{Duration: limit}}
	return b
}

// Budget sets the daily ISBNdb budget and the per-month estimate.
func (b *CampaignBuilder) Budget(perDay, estimatePerMonth int32) *CampaignBuilder {
	b.c.Spec.Budget = v1alpha1.Budget{ISBNdbCallsPerDay: ptr.To(perDay), EstimatedISBNdbCallsPerMonth: estimatePerMonth}
	return b
}

// Deadlines sets the Job pending and running deadlines.
func (b *CampaignBuilder) Deadlines(pending, running time.Duration) *CampaignBuilder {
	b.c.Spec.Job.PendingDeadline = &metav1.Duration{Duration: pending}
	b.c.Spec.Job.RunningDeadline = &metav1.Duration{Duration: running}
	return b
}

// Database sets the worker's database Secret reference.
func (b *CampaignBuilder) Database(secret, key string) *CampaignBuilder {
	b.c.Spec.Job.DatabaseSecretRef = &v1alpha1.SecretKeyRef{Name: secret, Key: key}
	return b
}

// Obj returns the built campaign.
func (b *CampaignBuilder) Obj() *v1alpha1.BackfillCampaign { return b.c.DeepCopy() }

func (b *CampaignBuilder) last() *v1alpha1.Phase { return &b.c.Spec.Phases[len(b.c.Spec.Phases)-1] }

// MonthBuilder builds a BackfillMonth.
type MonthBuilder struct{ m v1alpha1.BackfillMonth }

// MakeMonth starts a suspended, Pending month of a campaign.
func MakeMonth(campaign, namespace, phase string, year, month int32) *MonthBuilder {
	return &MonthBuilder{m: v1alpha1.BackfillMonth{
		TypeMeta: metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "BackfillMonth"},
		ObjectMeta: metav1.ObjectMeta{
			Name: naming.Month(campaign, int(year), int(month)), Namespace: namespace,
			Labels: map[string]string{v1alpha1.LabelCampaign: campaign, v1alpha1.LabelPhase: phase},
		},
		Spec: v1alpha1.BackfillMonthSpec{
			Campaign: campaign, Phase: phase, Year: year, Month: month,
			PromptVariant: v1alpha1.PromptBaseline, BooksPerMonth: 20, Suspend: true,
		},
		Status: v1alpha1.BackfillMonthStatus{State: v1alpha1.MonthPending},
	}}
}

// State sets the status state.
func (b *MonthBuilder) State(s v1alpha1.MonthState) *MonthBuilder {
	b.m.Status.State = s
	return b
}

// Admitted unsuspends the month and records its first admission.
func (b *MonthBuilder) Admitted(at time.Time) *MonthBuilder {
	b.m.Spec.Suspend = false
	if b.m.Annotations == nil {
		b.m.Annotations = map[string]string{}
	}
	b.m.Annotations[v1alpha1.AnnotationFirstAdmittedAt] = at.UTC().Format(time.RFC3339)
	return b
}

// Suspended sets spec.suspend.
func (b *MonthBuilder) Suspended(s bool) *MonthBuilder {
	b.m.Spec.Suspend = s
	return b
}

// Results sets the metrics of the latest attempt.
func (b *MonthBuilder) Results(books, resolved int32) *MonthBuilder {
	b.m.Status.Metrics.BooksGenerated = books
	b.m.Status.Metrics.ISBNsResolved = resolved
	return b
}

// RetryAt sets the next retry time and the attempt count.
func (b *MonthBuilder) RetryAt(t time.Time, attempts int32) *MonthBuilder {
	b.m.Status.NextRetryAt = &metav1.Time{Time: t}
	b.m.Status.Attempts = attempts
	return b
}

// Attempt appends a finished attempt to the history.
func (b *MonthBuilder) Attempt(outcome v1alpha1.AttemptOutcome, finished time.Time, calls map[string]int32, quotaExhausted ...string) *MonthBuilder {
	n := int32(len(b.m.Status.History) + 1)
	b.m.Status.History = append(b.m.Status.History, v1alpha1.AttemptRecord{
		Attempt: n, JobName: naming.Job(b.m.Name, int(n)), StartedAt: metav1.Time{Time: finished.Add(-time.Minute)},
		FinishedAt: &metav1.Time{Time: finished}, Outcome: outcome, Calls: calls, QuotaExhausted: quotaExhausted,
	})
	b.m.Status.Attempts = n
	return b
}

// Obj returns the built month.
func (b *MonthBuilder) Obj() *v1alpha1.BackfillMonth { return b.m.DeepCopy() }

// Rerun appends a rerun to spec.reruns.
func (b *CampaignBuilder) Rerun(r v1alpha1.Rerun) *CampaignBuilder {
	b.c.Spec.Reruns = append(b.c.Spec.Reruns, r)
	return b
}

// Annotation sets an annotation of the month.
func (b *MonthBuilder) Annotation(key, value string) *MonthBuilder {
	if b.m.Annotations == nil {
		b.m.Annotations = map[string]string{}
	}
	b.m.Annotations[key] = value
	return b
}

// Priority sets spec.priority.
func (b *CampaignBuilder) Priority(p int32) *CampaignBuilder {
	b.c.Spec.Priority = ptr.To(p)
	return b
}

// ISBNdbKey sets the ISBNdb source's API key reference.
func (b *CampaignBuilder) ISBNdbKey(secret, key string) *CampaignBuilder {
	if b.c.Spec.Resolver.ISBNdb == nil {
		b.c.Spec.Resolver.ISBNdb = &v1alpha1.SourceSpec{}
	}
	b.c.Spec.Resolver.ISBNdb.APIKeySecretRef = &v1alpha1.SecretKeyRef{Name: secret, Key: key}
	return b
}

// BudgetRef references a BackfillBudget.
func (b *CampaignBuilder) BudgetRef(name string) *CampaignBuilder {
	b.c.Spec.Budget.BudgetRef = &v1alpha1.BudgetReference{Name: name}
	return b
}

// PriorityClass sets the Jobs' PriorityClass.
func (b *CampaignBuilder) PriorityClass(name string) *CampaignBuilder {
	b.c.Spec.Job.PriorityClassName = name
	return b
}

// BudgetBuilder builds a BackfillBudget.
type BudgetBuilder struct{ b v1alpha1.BackfillBudget }

// MakeBudget starts a budget of the ISBNdb key secret/key with the API's default limit.
func MakeBudget(name, namespace, secret, key string) *BudgetBuilder {
	return &BudgetBuilder{b: v1alpha1.BackfillBudget{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "BackfillBudget"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: v1alpha1.BackfillBudgetSpec{SecretKeyRef: v1alpha1.SecretKeyRef{Name: secret, Key: key},
			ISBNdbCallsPerDay: v1alpha1.DefaultBudgetISBNdbCallsPerDay},
	}}
}

// Limit sets the daily limit.
func (b *BudgetBuilder) Limit(perDay int32) *BudgetBuilder {
	b.b.Spec.ISBNdbCallsPerDay = perDay
	return b
}

// Obj returns the built budget.
func (b *BudgetBuilder) Obj() *v1alpha1.BackfillBudget { return b.b.DeepCopy() }
