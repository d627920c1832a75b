package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// MonthState is the state of a month, the five states of the original backfill_log.
// +kubebuilder:validation:Enum=Pending;Processing;Completed;Retry;Failed
type MonthState string

const (
	// MonthPending waits for admission (or, once admitted, for its first Job).
	MonthPending MonthState = "Pending"
	// MonthProcessing has a live Job.
	MonthProcessing MonthState = "Processing"
	// MonthCompleted finished successfully.
	MonthCompleted MonthState = "Completed"
	// MonthRetry failed an attempt and waits for its backoff and re-admission.
	MonthRetry MonthState = "Retry"
	// MonthFailed used up its attempts, or failed permanently.
	MonthFailed MonthState = "Failed"
)

// Finished reports whether the state is terminal.
func (s MonthState) Finished() bool { return s == MonthCompleted || s == MonthFailed }

// AttemptOutcome is how an attempt ended.
// +kubebuilder:validation:Enum=Running;Succeeded;Failed
type AttemptOutcome string

const (
	AttemptRunning   AttemptOutcome = "Running"
	AttemptSucceeded AttemptOutcome = "Succeeded"
	AttemptFailed    AttemptOutcome = "Failed"
)

// Keys of AttemptRecord.Calls besides the resolution sources (Source values): the models.
const (
	ProviderGemini = "gemini"
	ProviderXAI    = "xai"
)

// MonthMetrics are the true results of the month's latest finished attempt.
type MonthMetrics struct {
	// BooksGenerated is the number of distinct books the models proposed.
	BooksGenerated int32 `json:"booksGenerated"`
	// ISBNsResolved is how many of them resolved to a verified ISBN.
	ISBNsResolved int32 `json:"isbnsResolved"`
	// ResolutionRate is ISBNsResolved / BooksGenerated in percent, two decimals.
	// +optional
	ResolutionRate string `json:"resolutionRate,omitempty"`
	// ISBNsQueued is how many ISBNs were newly added to the enrichment queue.
	ISBNsQueued int32 `json:"isbnsQueued"`
}

// AttemptRecord is one attempt of a month.
type AttemptRecord struct {
	// Attempt number, from 1.
	Attempt int32 `json:"attempt"`
	// JobName is the attempt's Job.
	JobName string `json:"jobName"`
	// StartedAt is when the attempt's Job was created.
	StartedAt metav1.Time `json:"startedAt"`
	// FinishedAt is when the attempt's outcome was observed.
	// +optional
	FinishedAt *metav1.Time `json:"finishedAt,omitempty"`
	// Outcome of the attempt.
	Outcome AttemptOutcome `json:"outcome"`
	// Reason is a machine-readable cause of a failure.
	// +optional
	Reason string `json:"reason,omitempty"`
	// Message explains the outcome.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Message string `json:"message,omitempty"`
	// Calls counts the requests the attempt really sent to each provider.
	// +optional
	Calls map[string]int32 `json:"calls,omitempty"`
	// QuotaExhausted lists sources that reported their quota exhausted during the attempt.
	// +optional
	QuotaExhausted []string `json:"quotaExhausted,omitempty"`
	// Cause classifies a failure: the month's own (counted against maxAttempts) or from outside
	// (infrastructure or provider quota, counted against the infrastructure budget).
	// +optional
	Cause FailureCause `json:"cause,omitempty"`
	// Run is the run the attempt belongs to: 0 for the month's first run, n after the n-th rerun.
	// +optional
	Run int32 `json:"run,omitempty"`
}

// FailureCause says why an attempt failed, and so whether it uses up one of the month's attempts.
// +kubebuilder:validation:Enum=DatabaseUnreachable;DatabaseURLInvalid;SecretMissing;ImageNotPullable;ContainerNotCreated;ProviderQuota;ProviderError;BadAnswer;InvalidConfig;WorkerError;JobFailed;JobVanished;PendingTooLong;RunningTooLong
type FailureCause string

const (
	// CauseDatabaseUnreachable: the worker could not reach PostgreSQL.
	CauseDatabaseUnreachable FailureCause = "DatabaseUnreachable"
	// CauseDatabaseURLInvalid: the database URL in the Secret cannot be used.
	CauseDatabaseURLInvalid FailureCause = "DatabaseURLInvalid"
	// CauseSecretMissing: a Secret or a key the Job references does not exist.
	CauseSecretMissing FailureCause = "SecretMissing"
	// CauseImageNotPullable: the worker image cannot be pulled.
	CauseImageNotPullable FailureCause = "ImageNotPullable"
	// CauseContainerNotCreated: the container runtime could not create the worker container.
	CauseContainerNotCreated FailureCause = "ContainerNotCreated"
	// CauseProviderQuota: every model's quota is spent; admission pauses until the reset.
	CauseProviderQuota FailureCause = "ProviderQuota"
	// CauseProviderError: a model or source failed (5xx, timeouts, network).
	CauseProviderError FailureCause = "ProviderError"
	// CauseBadAnswer: the models answered, but with no usable book.
	CauseBadAnswer FailureCause = "BadAnswer"
	// CauseInvalidConfig: the worker's settings cannot work; no retry helps.
	CauseInvalidConfig FailureCause = "InvalidConfig"
	// CauseWorkerError: the worker failed for a reason of its own (a write it could not make).
	CauseWorkerError FailureCause = "WorkerError"
	// CauseJobFailed: the Job failed without the worker reporting why.
	CauseJobFailed FailureCause = "JobFailed"
	// CauseJobVanished: the Job disappeared before its worker reported.
	CauseJobVanished FailureCause = "JobVanished"
	// CausePendingTooLong: no pod started within the pending deadline.
	CausePendingTooLong FailureCause = "PendingTooLong"
	// CauseRunningTooLong: the attempt ran past its running deadline.
	CauseRunningTooLong FailureCause = "RunningTooLong"
)

// Outside reports whether the cause lies outside the month (the system's infrastructure or a
// provider's quota): such a failure does not use up one of the month's attempts.
func (c FailureCause) Outside() bool {
	switch c {
	case CauseDatabaseUnreachable, CauseDatabaseURLInvalid, CauseSecretMissing, CauseImageNotPullable,
		CauseContainerNotCreated, CauseProviderQuota:
		return true
	}
	return false
}

// BackfillMonthSpec is one calendar month of a campaign, written by the campaign controller.
// +kubebuilder:validation:XValidation:rule="self.campaign == oldSelf.campaign && self.year == oldSelf.year && self.month == oldSelf.month",message="a month's campaign, year and month are its identity and cannot change: create another BackfillMonth instead"
type BackfillMonthSpec struct {
	// Campaign is the owning BackfillCampaign.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=52
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",message="must be a campaign's name: lower-case letters, digits and '-', starting and ending with a letter or digit"
	Campaign string `json:"campaign"`
	// Phase is the campaign phase the month belongs to.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=40
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",message="must be a phase name: lower-case letters, digits and '-', starting and ending with a letter or digit"
	Phase string `json:"phase"`
	// Year of the month.
	// +kubebuilder:validation:Minimum=1900
	// +kubebuilder:validation:Maximum=2100
	Year int32 `json:"year"`
	// Month of the year, 1-12.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=12
	Month int32 `json:"month"`
	// PromptVariant is the prompt the worker uses (auto already resolved).
	// +kubebuilder:validation:XValidation:rule="self != 'auto'",message="a month's promptVariant must be resolved: baseline or contemporary-notable, not auto"
	PromptVariant PromptVariant `json:"promptVariant"`
	// BooksPerMonth is how many books each model is asked for.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	BooksPerMonth int32 `json:"booksPerMonth"`
	// Suspend is the admission switch: a month is created suspended, the campaign controller
	// unsuspends it to admit an attempt, and it is suspended again after a failed attempt until
	// re-admitted.
	// +optional
	Suspend bool `json:"suspend,omitempty"`
}

// BackfillMonthStatus is what the operator observed of the month.
type BackfillMonthStatus struct {
	// ObservedGeneration is the generation of the spec this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Conditions: Ready, Reconciling, Stalled and Mirrored.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// State of the month.
	// +optional
	State MonthState `json:"state,omitempty"`
	// Attempts is the number of attempts started, over every run; it numbers Jobs and attempt rows.
	// +optional
	Attempts int32 `json:"attempts,omitempty"`
	// History of the attempts, oldest first.
	// +kubebuilder:validation:MaxItems=10
	// +optional
	History []AttemptRecord `json:"history,omitempty"`
	// StartedAt is when the current (or last) attempt started.
	// +optional
	StartedAt *metav1.Time `json:"startedAt,omitempty"`
	// CompletedAt is when the month reached Completed or Failed; cleared when an attempt restarts.
	// +optional
	CompletedAt *metav1.Time `json:"completedAt,omitempty"`
	// LastRetryAt is when the last retry attempt started.
	// +optional
	LastRetryAt *metav1.Time `json:"lastRetryAt,omitempty"`
	// NextRetryAt is the earliest time the month may be re-admitted after a failed attempt.
	// +optional
	NextRetryAt *metav1.Time `json:"nextRetryAt,omitempty"`
	// Metrics are the results of the latest finished attempt.
	// +optional
	Metrics MonthMetrics `json:"metrics,omitempty"`
	// LastError is the latest failure's message, or the reason the current attempt's pod is
	// waiting (a missing Secret, an image that cannot be pulled) while it lasts.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	LastError string `json:"lastError,omitempty"`
	// Run counts the reruns this month has honoured: 0 for its first run.
	// +optional
	Run int32 `json:"run,omitempty"`
	// RunAttempts is how many of the current run's attempts count against maxAttempts: started
	// attempts, less those that failed for a cause outside the month.
	// +optional
	RunAttempts int32 `json:"runAttempts,omitempty"`
	// OutsideFailures is how many of the current run's attempts failed for a cause outside the
	// month (infrastructure or provider quota); bounded by the infrastructure budget.
	// +optional
	OutsideFailures int32 `json:"outsideFailures,omitempty"`
	// RerunToken is the last value of the rerun annotation the month honoured.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	RerunToken string `json:"rerunToken,omitempty"`
}

// BackfillMonth is one calendar month of a BackfillCampaign and the attempts that fill it.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=bfm,categories=backfill
// +kubebuilder:printcolumn:name="Year",type=integer,JSONPath=`.spec.year`
// +kubebuilder:printcolumn:name="Month",type=integer,JSONPath=`.spec.month`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.spec.phase`
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=`.status.state`
// +kubebuilder:printcolumn:name="Books",type=integer,JSONPath=`.status.metrics.booksGenerated`
// +kubebuilder:printcolumn:name="Resolved",type=integer,JSONPath=`.status.metrics.isbnsResolved`
// +kubebuilder:printcolumn:name="Rate",type=string,JSONPath=`.status.metrics.resolutionRate`
// +kubebuilder:printcolumn:name="Attempts",type=integer,JSONPath=`.status.attempts`
// +kubebuilder:printcolumn:name="Error",type=string,JSONPath=`.status.lastError`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type BackfillMonth struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the month to fill.
	Spec BackfillMonthSpec `json:"spec"`
	// Status is the observed state of the month.
	// +optional
	Status BackfillMonthStatus `json:"status,omitempty"`
}

// BackfillMonthList is a list of BackfillMonths.
// +kubebuilder:object:root=true
type BackfillMonthList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the months.
	Items []BackfillMonth `json:"items"`
}
