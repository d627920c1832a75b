package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// BackfillBudgetSpec names a paid-source API key and holds its daily limit. ISBNdb's quota
// belongs to the key, not to a campaign: every campaign of the namespace whose
// spec.resolver.isbndb.apiKeySecretRef names this Secret key spends from this one budget and
// pauses together when a worker reports the account's quota exhausted.
type BackfillBudgetSpec struct {
	// SecretKeyRef names the ISBNdb API key (a Secret of this namespace and its key) whose
	// account this budget limits. It is compared with the campaigns' references, never read.
	SecretKeyRef SecretKeyRef `json:"secretKeyRef"`
	// ISBNdbCallsPerDay is the most ISBNdb calls all campaigns on the key together may spend per
	// UTC day, counting the calls of attempts finished today and the estimate of every month in
	// flight (ISBNdb Premium allows 15,000 per key and resets at 00:00 UTC).
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000000
	// +kubebuilder:default=15000
	// +optional
	ISBNdbCallsPerDay int32 `json:"isbndbCallsPerDay,omitempty"`
}

// BudgetCampaignUsage is one campaign's share of a budget's day.
type BudgetCampaignUsage struct {
	// Name of the campaign.
	Name string `json:"name"`
	// Priority of the campaign (spec.priority).
	Priority int32 `json:"priority"`
	// Used is the ISBNdb calls the campaign's attempts finished today have made.
	Used int64 `json:"used"`
	// Reserved is the estimate held for the campaign's months in flight.
	Reserved int64 `json:"reserved"`
	// AdmittedToday is how many attempts of the campaign started (or were admitted to start) today.
	AdmittedToday int32 `json:"admittedToday"`
}

// BackfillBudgetStatus is the key's day as the operator accounts it.
type BackfillBudgetStatus struct {
	// ObservedGeneration is the generation of the spec this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Conditions: Ready and Stalled (kstatus) and Exhausted (no further month fits today, or
	// the provider reported the quota exhausted).
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// Day is the UTC day the numbers are for (YYYY-MM-DD).
	// +optional
	Day string `json:"day,omitempty"`
	// Limit is the key's daily limit in force: this budget's, or a stricter one naming the same key.
	// +optional
	Limit int32 `json:"limit,omitempty"`
	// Used is the ISBNdb calls all campaigns on the key have spent today (attempts finished today).
	// +optional
	Used int64 `json:"used"`
	// Reserved is the estimate held for the months in flight on the key.
	// +optional
	Reserved int64 `json:"reserved"`
	// PausedUntil is set while every campaign on the key waits for the provider's quota reset.
	// +optional
	PausedUntil *metav1.Time `json:"pausedUntil,omitempty"`
	// Campaigns is each campaign on the key, by name (at most 64 are listed; the totals count all).
	// +kubebuilder:validation:MaxItems=64
	// +listType=map
	// +listMapKey=name
	// +optional
	Campaigns []BudgetCampaignUsage `json:"campaigns,omitempty"`
}

// BackfillBudget is the daily budget of one paid-source API key, shared by every campaign of
// the namespace that uses the key.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=bfb,categories=backfill
// +kubebuilder:printcolumn:name="Secret",type=string,JSONPath=`.spec.secretKeyRef.name`
// +kubebuilder:printcolumn:name="Key",type=string,JSONPath=`.spec.secretKeyRef.key`
// +kubebuilder:printcolumn:name="Limit",type=integer,JSONPath=`.status.limit`
// +kubebuilder:printcolumn:name="Used",type=integer,JSONPath=`.status.used`
// +kubebuilder:printcolumn:name="Reserved",type=integer,JSONPath=`.status.reserved`
// +kubebuilder:printcolumn:name="Paused Until",type=date,JSONPath=`.status.pausedUntil`
// +kubebuilder:printcolumn:name="Exhausted",type=string,JSONPath=`.status.conditions[?(@.type=="Exhausted")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type BackfillBudget struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec names the key and its limit.
	Spec BackfillBudgetSpec `json:"spec"`
	// Status is the key's day.
	// +optional
	Status BackfillBudgetStatus `json:"status,omitempty"`
}

// BackfillBudgetList is a list of BackfillBudgets.
// +kubebuilder:object:root=true
type BackfillBudgetList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the budgets.
	Items []BackfillBudget `json:"items"`
}

// EffectiveISBNdbCallsPerDay is the budget's daily limit.
func (s *BackfillBudgetSpec) EffectiveISBNdbCallsPerDay() int32 {
	return orDefault(s.ISBNdbCallsPerDay, DefaultBudgetISBNdbCallsPerDay)
}
