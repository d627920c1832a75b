package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Order is the order in which a phase's months are admitted.
// +kubebuilder:validation:Enum=NewestFirst;OldestFirst
type Order string

const (
	// OrderNewestFirst admits the most recent month first, as the original scheduler did.
	OrderNewestFirst Order = "NewestFirst"
	// OrderOldestFirst admits the earliest month first.
	OrderOldestFirst Order = "OldestFirst"
)

// Mode says what admitted months do.
// +kubebuilder:validation:Enum=Live;Experiment;Plan
type Mode string

const (
	// ModeLive runs the worker and writes books, ISBNs and results.
	ModeLive Mode = "Live"
	// ModeExperiment runs the whole pipeline but writes only the attempt results (for trying a prompt).
	ModeExperiment Mode = "Experiment"
	// ModePlan creates no Jobs: the status shows the plan, the ETA and the estimated API calls.
	ModePlan Mode = "Plan"
)

// Approval says how the phase after a gated phase is allowed to start.
// +kubebuilder:validation:Enum=Automatic;Manual
type Approval string

const (
	// ApprovalAutomatic starts the phase as soon as the previous phase's gate holds.
	ApprovalAutomatic Approval = "Automatic"
	// ApprovalManual starts the phase only once its name is listed in spec.approvedPhases.
	ApprovalManual Approval = "Manual"
)

// PromptVariant names a prompt template of the worker.
// +kubebuilder:validation:Enum=auto;baseline;contemporary-notable
type PromptVariant string

const (
	// PromptAuto picks contemporary-notable for 2020 and later and baseline before.
	PromptAuto                PromptVariant = "auto"
	PromptBaseline            PromptVariant = "baseline"
	PromptContemporaryNotable PromptVariant = "contemporary-notable"
)

// Source names an ISBN resolution source of the worker.
// +kubebuilder:validation:Enum=isbndb;googlebooks;openlibrary;loc;wikidata;archive
type Source string

// The resolution sources; each also names the worker's flags for it (--<source>-base-url, --<source>-rate).
const (
	SourceISBNdb      Source = "isbndb"
	SourceGoogleBooks Source = "googlebooks"
	SourceOpenLibrary Source = "openlibrary"
	SourceLOC         Source = "loc"
	SourceWikidata    Source = "wikidata"
	SourceArchive     Source = "archive"
)

// YearRange is an inclusive range of calendar years.
// +kubebuilder:validation:XValidation:rule="self.from <= self.to",message="years.from must not be after years.to: swap them (from is the earlier year)"
type YearRange struct {
	// From is the first year of the range.
	// +kubebuilder:validation:Minimum=1900
	// +kubebuilder:validation:Maximum=2100
	From int32 `json:"from"`
	// To is the last year of the range, inclusive.
	// +kubebuilder:validation:Minimum=1900
	// +kubebuilder:validation:Maximum=2100
	To int32 `json:"to"`
}

// MonthRange is an inclusive range of months within each year of a phase.
// +kubebuilder:validation:XValidation:rule="self.from <= self.to",message="months.from must not be after months.to: a month range cannot wrap around the year end"
type MonthRange struct {
	// From is the first month (1-12).
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=12
	From int32 `json:"from"`
	// To is the last month (1-12), inclusive.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=12
	To int32 `json:"to"`
}

// Gate is the quality bar a phase's finished months must meet before the next phase starts.
type Gate struct {
	// MinResolutionRate is the lowest acceptable share, in percent (0-100), of generated books
	// that resolved to an ISBN over the phase's completed months.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	MinResolutionRate *int32 `json:"minResolutionRate,omitempty"`
	// MaxFailedMonths is the largest acceptable number of the phase's months that ended Failed.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=2412
	// +optional
	MaxFailedMonths *int32 `json:"maxFailedMonths,omitempty"`
}

// Phase is a slice of the campaign's months with its own cadence, concurrency and gate.
type Phase struct {
	// Name identifies the phase; it labels the phase's months and may be listed in approvedPhases.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=40
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",message="must be a phase name: lower-case letters, digits and '-', starting and ending with a letter or digit (for example validate or recent-2021)"
	Name string `json:"name"`
	// Years is the range of years whose months belong to the phase.
	Years YearRange `json:"years"`
	// Months restricts the phase to these months of each year; all twelve when omitted.
	// +optional
	Months *MonthRange `json:"months,omitempty"`
	// MonthsPerDay is the cadence: at most this many runs are admitted in any rolling 24 hours,
	// counting a month's first run and each rerun (retries continue a run and do not count).
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	MonthsPerDay int32 `json:"monthsPerDay"`
	// MaxConcurrent is the largest number of the campaign's months with a live Job at once.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	MaxConcurrent int32 `json:"maxConcurrent"`
	// Gate must hold over this phase's months before the next phase starts; none when omitted.
	// +optional
	Gate *Gate `json:"gate,omitempty"`
	// Approval says how this phase may start once the previous phase's gate holds:
	// Automatic (when omitted) or Manual (only once listed in spec.approvedPhases).
	// +optional
	Approval Approval `json:"approval,omitempty"`
}

// CalendarMonth is one month of one year.
type CalendarMonth struct {
	// Year of the month.
	// +kubebuilder:validation:Minimum=1900
	// +kubebuilder:validation:Maximum=2100
	Year int32 `json:"year"`
	// Month of the year, 1-12.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=12
	Month int32 `json:"month"`
}

// Rerun asks, once, for another run of the months its selector matches when the operator first
// sees it. Every condition given must hold for a month to be selected. To rerun again, add a
// rerun with a new name: a name that has been applied never applies again.
// +kubebuilder:validation:XValidation:rule="!has(self.from) || !has(self.to) || self.from.year < self.to.year || (self.from.year == self.to.year && self.from.month <= self.to.month)",message="from must not be after to: swap them (from is the earlier month)"
// +kubebuilder:validation:XValidation:rule="(!has(self.resolutionRateBelow) && !has(self.booksFewerThan)) || (has(self.states) && self.states.exists(s, s == 'Completed'))",message="resolutionRateBelow and booksFewerThan judge the results of Completed months: add Completed to states (states: [Completed], or [Failed, Completed] to rerun the failed months too)"
type Rerun struct {
	// Name identifies the rerun; it applies once, so a new rerun needs a new name.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",message="must be a rerun name: lower-case letters, digits and '-', starting and ending with a letter or digit (for example after-outage-2026-12)"
	Name string `json:"name"`
	// States selects months that ended in one of these states: Failed (when omitted) and/or Completed.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=2
	// +kubebuilder:validation:XValidation:rule="self.all(s, s == 'Failed' || s == 'Completed')",message="a rerun selects finished months only: list Failed and/or Completed"
	// +kubebuilder:validation:XValidation:rule="self.all(s, self.exists_one(t, t == s))",message="states lists a state twice: name each state once"
	// +kubebuilder:default={Failed}
	// +optional
	States []MonthState `json:"states,omitempty"`
	// Phases selects months of these phases (names from spec.phases); all phases when omitted.
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:validation:items:MaxLength=40
	// +optional
	Phases []string `json:"phases,omitempty"`
	// From selects months from this one on (inclusive).
	// +optional
	From *CalendarMonth `json:"from,omitempty"`
	// To selects months up to this one (inclusive).
	// +optional
	To *CalendarMonth `json:"to,omitempty"`
	// ResolutionRateBelow selects Completed months whose resolution rate, in percent (0-100),
	// is below this value; a month that generated no books has a rate of 0. With
	// booksFewerThan, a month falling short of either is selected. Failed months (when states
	// lists Failed) have no results to judge and are selected whatever this says.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	ResolutionRateBelow *int32 `json:"resolutionRateBelow,omitempty"`
	// BooksFewerThan selects Completed months that generated fewer than this many books.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	// +optional
	BooksFewerThan *int32 `json:"booksFewerThan,omitempty"`
}

// DefaultRerunStates is what a rerun selects when it names no state (the CRD default marker
// of Rerun.States says the same).
var DefaultRerunStates = []MonthState{MonthFailed}

// EffectiveStates are the states the rerun selects.
func (r *Rerun) EffectiveStates() []MonthState {
	if len(r.States) == 0 {
		return DefaultRerunStates
	}
	return r.States
}

// SecretKeyRef points at one key of a Secret in the campaign's namespace. API keys and
// connection strings are only ever referenced, never written into a spec.
// +kubebuilder:validation:XValidation:rule="!(self.name.matches('^AIza[-_0-9A-Za-z]{30,}$') || self.name.matches('^(xai-|sk-|sk-proj-|sk-ant-[a-z0-9]+-|gsk_|ghp_|github_pat_)[A-Za-z0-9_]{16,}') || (self.name.size() >= 20 && self.name.matches('[0-9][a-zA-Z]+[0-9][a-zA-Z]+[0-9]') && !self.name.matches('[a-zA-Z]{4,}[-.][a-zA-Z]{4,}')) || self.name.matches('^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'))",message="name looks like an API key itself, not the name of a Secret: put the key in a Secret and reference it here by the Secret's name and key",fieldPath=".name"
// +kubebuilder:validation:XValidation:rule="!(self.key.matches('^AIza[-_0-9A-Za-z]{30,}$') || self.key.matches('^(xai-|sk-|sk-proj-|sk-ant-[a-z0-9]+-|gsk_|ghp_|github_pat_)[A-Za-z0-9_]{16,}') || (self.key.size() >= 20 && self.key.matches('[0-9][a-zA-Z]+[0-9][a-zA-Z]+[0-9]') && !self.key.matches('[a-zA-Z]{4,}[-.][a-zA-Z]{4,}')) || self.key.matches('^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'))",message="key looks like a secret value, not the name of a key in a Secret: store the value in a Secret and give the key's name (for example api-key)",fieldPath=".key"
type SecretKeyRef struct {
	// Name of the Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="must be the name of a Secret: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit"
	Name string `json:"name"`
	// Key within the Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="!self.contains('://')",message="this is a connection string or URL, not a key name: store it in a Secret and give the key's name here (for example url)"
	// +kubebuilder:validation:XValidation:rule="self.contains('://') || self.matches('^[-._a-zA-Z0-9]+$')",message="must be the name of a key in the Secret: letters, digits, '-', '_' and '.' only"
	Key string `json:"key"`
}

// ModelSpec configures one LLM that proposes books.
type ModelSpec struct {
	// Model is the provider's model name (for example gemini-2.5-flash); the worker's default when omitted.
	// +kubebuilder:validation:MaxLength=100
	// +kubebuilder:validation:XValidation:rule="self.matches('^[A-Za-z0-9][-A-Za-z0-9._:/]*$')",message="must be a model name such as gemini-2.5-flash or grok-4: letters, digits and - . _ : / only"
	// +kubebuilder:validation:XValidation:rule="!(self.matches('^AIza[-_0-9A-Za-z]{30,}$') || self.matches('^(xai-|sk-|sk-proj-|sk-ant-[a-z0-9]+-|gsk_|ghp_|github_pat_)[A-Za-z0-9_]{16,}') || (self.size() >= 20 && self.matches('[0-9][a-zA-Z]+[0-9][a-zA-Z]+[0-9]') && !self.matches('[a-zA-Z]{4,}[-.][a-zA-Z]{4,}')) || self.matches('^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'))",message="looks like an API key, not a model name: put the key in a Secret and reference it with apiKeySecretRef"
	// +optional
	Model string `json:"model,omitempty"`
	// BaseURL overrides the provider's API endpoint (for a proxy or the offline fakes).
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:XValidation:rule="self.matches('^https?://')",message="must start with http:// or https://"
	// +kubebuilder:validation:XValidation:rule="!self.matches('[[:space:][:cntrl:]]')",message="must not contain spaces, line breaks or control characters"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^[a-zA-Z]+://[^/]*@')",message="must not carry credentials (user:password@host): reference the key with apiKeySecretRef instead"
	// +kubebuilder:validation:XValidation:rule="!self.contains('?') && !self.contains('#')",message="must not have a query string or fragment: a key in a URL (?key=...) belongs in a Secret referenced by apiKeySecretRef"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^https?://') || self.matches('[[:space:][:cntrl:]]') || (isURL(self) && url(self).getHostname() != '')",message="must name a host, for example https://api.example.com"
	// +optional
	BaseURL string `json:"baseURL,omitempty"`
	// APIKeySecretRef references the API key. A model without a key is skipped.
	// +optional
	APIKeySecretRef *SecretKeyRef `json:"apiKeySecretRef,omitempty"`
}

// GeneratorSpec configures the LLMs asked for each month's notable books.
type GeneratorSpec struct {
	// Gemini is Google's Gemini (google.golang.org/genai).
	// +optional
	Gemini *ModelSpec `json:"gemini,omitempty"`
	// XAI is xAI's Grok through its OpenAI-compatible API.
	// +optional
	XAI *ModelSpec `json:"xai,omitempty"`
	// Timeout bounds each model call; the worker's default when omitted.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$')",message="must be a Go duration such as 90s or 5m (digits followed by s, m or h; no spaces, no negative values)"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$') || (duration(self) >= duration('1s') && duration(self) <= duration('30m'))",message="must be between 1s and 30m"
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`
}

// SourceSpec configures one ISBN resolution source.
type SourceSpec struct {
	// BaseURL overrides the source's endpoint; for ISBNdb it selects the plan's host.
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:XValidation:rule="self.matches('^https?://')",message="must start with http:// or https://"
	// +kubebuilder:validation:XValidation:rule="!self.matches('[[:space:][:cntrl:]]')",message="must not contain spaces, line breaks or control characters"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^[a-zA-Z]+://[^/]*@')",message="must not carry credentials (user:password@host): reference the key with apiKeySecretRef instead"
	// +kubebuilder:validation:XValidation:rule="!self.contains('?') && !self.contains('#')",message="must not have a query string or fragment: a key in a URL (?key=...) belongs in a Secret referenced by apiKeySecretRef"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^https?://') || self.matches('[[:space:][:cntrl:]]') || (isURL(self) && url(self).getHostname() != '')",message="must name a host, for example https://api.example.com"
	// +optional
	BaseURL string `json:"baseURL,omitempty"`
	// RequestsPerSecond is the source's rate limit; the worker's per-source default when omitted.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	// +optional
	RequestsPerSecond *int32 `json:"requestsPerSecond,omitempty"`
	// APIKeySecretRef references the source's API key, where it needs one.
	// +optional
	APIKeySecretRef *SecretKeyRef `json:"apiKeySecretRef,omitempty"`
}

// ResolverSpec configures how generated books are resolved to ISBNs.
type ResolverSpec struct {
	// Sources is the ordered resolution chain; the worker's default chain when omitted.
	// +kubebuilder:validation:MaxItems=6
	// +kubebuilder:validation:XValidation:rule="self.all(s, self.exists_one(t, t == s))",message="resolver.sources lists a source twice: name each source once, in the order to try them"
	// +optional
	Sources []Source `json:"sources,omitempty"`
	// ISBNdb configures the paid ISBNdb source.
	// +optional
	ISBNdb *SourceSpec `json:"isbndb,omitempty"`
	// GoogleBooks configures Google Books.
	// +optional
	GoogleBooks *SourceSpec `json:"googleBooks,omitempty"`
	// OpenLibrary configures Open Library.
	// +optional
	OpenLibrary *SourceSpec `json:"openLibrary,omitempty"`
	// LOC configures the Library of Congress SRU service.
	// +optional
	LOC *SourceSpec `json:"loc,omitempty"`
	// Wikidata configures the Wikidata SPARQL service.
	// +optional
	Wikidata *SourceSpec `json:"wikidata,omitempty"`
	// Archive configures Archive.org's advanced search.
	// +optional
	Archive *SourceSpec `json:"archive,omitempty"`
}

// RetryPolicy says how failed months are retried.
// +kubebuilder:validation:XValidation:rule="!has(self.backoffBase) || !has(self.backoffCap) || !self.backoffBase.matches('^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$') || !self.backoffCap.matches('^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$') || duration(self.backoffCap) >= duration(self.backoffBase)",message="backoffCap must not be shorter than backoffBase: raise the cap or lower the base",fieldPath=".backoffCap"
type RetryPolicy struct {
	// MaxAttempts is how many attempts a month gets before it is Failed.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=5
	// +kubebuilder:default=5
	// +optional
	MaxAttempts int32 `json:"maxAttempts,omitempty"`
	// BackoffBase is the wait after the first failed attempt; it doubles after each further failure.
	// +kubebuilder:default="5m"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$')",message="must be a Go duration such as 30s, 5m or 1h (digits followed by s, m or h; no spaces, no negative values)"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$') || (duration(self) >= duration('1s') && duration(self) <= duration('24h'))",message="must be between 1s and 24h"
	// +optional
	BackoffBase *metav1.Duration `json:"backoffBase,omitempty"`
	// BackoffCap is the longest wait between attempts.
	// +kubebuilder:default="2h"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$')",message="must be a Go duration such as 30m, 2h or 24h (digits followed by s, m or h; no spaces, no negative values)"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$') || (duration(self) >= duration('1s') && duration(self) <= duration('168h'))",message="must be between 1s and 168h"
	// +optional
	BackoffCap *metav1.Duration `json:"backoffCap,omitempty"`
}

// Budget limits spending on the paid ISBN source.
type Budget struct {
	// ISBNdbCallsPerDay is the most ISBNdb calls the campaign may spend per UTC day (ISBNdb Premium
	// allows 15,000; the original alerted above 7,000). Admission stops when the day's calls plus
	// the estimate for another month would exceed it, and when a worker reports the quota exhausted
	// it pauses until the next UTC midnight. 0 means no limit.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000000
	// +kubebuilder:default=7000
	// +optional
	ISBNdbCallsPerDay *int32 `json:"isbndbCallsPerDay,omitempty"`
	// EstimatedISBNdbCallsPerMonth is the estimate used before any month has finished; afterwards
	// the campaign's measured average is used.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=10000
	// +kubebuilder:default=10
	// +optional
	EstimatedISBNdbCallsPerMonth int32 `json:"estimatedISBNdbCallsPerMonth,omitempty"`
	// BudgetRef names the BackfillBudget (in this namespace) of the campaign's ISBNdb key: the
	// daily limit every campaign on the key shares. The budget must name the same Secret key as
	// spec.resolver.isbndb.apiKeySecretRef; until it exists and does, no month is admitted.
	// Campaigns on a key are held to the budgets naming it whether or not they reference one,
	// and always share the key's quota pause; isbndbCallsPerDay stays a cap on this campaign
	// alone (0 leaves only the shared budget).
	// +optional
	BudgetRef *BudgetReference `json:"budgetRef,omitempty"`
}

// BudgetReference names a BackfillBudget of the campaign's namespace.
type BudgetReference struct {
	// Name of the BackfillBudget.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="must be the name of a BackfillBudget: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit"
	Name string `json:"name"`
}

// WorkerResources are the worker container's resource requests and limits (the shape of a
// container's resources, bounded so the API server can check them).
// +kubebuilder:validation:XValidation:rule="!has(self.requests) || !has(self.limits) || self.requests.all(k, !(k in self.limits) || quantity(string(self.requests[k])).compareTo(quantity(string(self.limits[k]))) <= 0)",message="a resource request must not exceed its limit: lower the request or raise the limit",fieldPath=".requests"
type WorkerResources struct {
	// Requests are the resources the scheduler reserves for the worker (for example cpu: 100m, memory: 128Mi).
	// +kubebuilder:validation:MaxProperties=6
	// +kubebuilder:validation:XValidation:rule="self.all(k, quantity(string(self[k])).compareTo(quantity('0')) >= 0)",message="requests must be non-negative quantities such as 100m, 0.5 or 128Mi"
	// +optional
	Requests corev1.ResourceList `json:"requests,omitempty"`
	// Limits are the most the worker may use.
	// +kubebuilder:validation:MaxProperties=6
	// +kubebuilder:validation:XValidation:rule="self.all(k, quantity(string(self[k])).compareTo(quantity('0')) > 0)",message="limits must be positive quantities such as 500m, 1 or 512Mi"
	// +optional
	Limits corev1.ResourceList `json:"limits,omitempty"`
}

// LabelValue is the value of a Kubernetes label.
// +kubebuilder:validation:MaxLength=63
// +kubebuilder:validation:XValidation:rule="self.matches('^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$')",message="label values must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
type LabelValue string

// JobSpec shapes the batch/v1 Job that runs each attempt.
type JobSpec struct {
	// Image of the worker; the operator's own image when omitted.
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9][a-zA-Z0-9._/:@-]*$')",message="must be an image reference such as registry.example.com/backfill-operator:v0.2.0 (no spaces, upper-case registry or control characters)"
	// +optional
	Image string `json:"image,omitempty"`
	// ImagePullPolicy of the worker container: Always, IfNotPresent or Never.
	// +kubebuilder:validation:Enum=Always;IfNotPresent;Never
	// +optional
	ImagePullPolicy corev1.PullPolicy `json:"imagePullPolicy,omitempty"`
	// Resources of the worker container.
	// +optional
	Resources WorkerResources `json:"resources,omitempty"`
	// ServiceAccountName runs the worker under this service account. The worker needs no API rights.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="must be a service account name: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit"
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`
	// Labels are added to each Job and its pod (for example kueue.x-k8s.io/queue-name).
	// +kubebuilder:validation:MaxProperties=20
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.size() <= 317 && k.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$') && (k.contains('/') ? k.substring(k.indexOf('/') + 1) : k).size() <= 63 && (!k.contains('/') || k.indexOf('/') <= 253))",message="label keys must be valid Kubernetes label keys: an optional DNS prefix and '/', then at most 63 letters, digits, '-', '_' or '.' (for example kueue.x-k8s.io/queue-name)"
	// +kubebuilder:validation:XValidation:rule="self.all(k, k != 'app.kubernetes.io/managed-by' && !k.startsWith('alexandria.ooheynerds.com/') && !k.startsWith('batch.kubernetes.io/') && k != 'job-name' && k != 'controller-uid')",message="labels must not use the keys the operator and the Job controller set (app.kubernetes.io/managed-by, alexandria.ooheynerds.com/*, batch.kubernetes.io/*, job-name, controller-uid): choose another key"
	// +optional
	Labels map[string]LabelValue `json:"labels,omitempty"`
	// DatabaseSecretRef references the PostgreSQL connection URL the worker writes with; the
	// operator's default (--worker-database-secret) when omitted.
	// +optional
	DatabaseSecretRef *SecretKeyRef `json:"databaseSecretRef,omitempty"`
	// PendingDeadline is how long an attempt's Job may wait for its pod to start before the
	// attempt fails.
	// +kubebuilder:default="15m"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$')",message="must be a Go duration such as 90s, 15m or 2h (digits followed by s, m or h; no spaces, no negative values)"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$') || (duration(self) >= duration('10s') && duration(self) <= duration('24h'))",message="must be between 10s and 24h"
	// +optional
	PendingDeadline *metav1.Duration `json:"pendingDeadline,omitempty"`
	// RunningDeadline is how long an attempt may run before it fails.
	// +kubebuilder:default="1h"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$')",message="must be a Go duration such as 30m, 1h or 6h (digits followed by s, m or h; no spaces, no negative values)"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$') || (duration(self) >= duration('10s') && duration(self) <= duration('48h'))",message="must be between 10s and 48h"
	// +optional
	RunningDeadline *metav1.Duration `json:"runningDeadline,omitempty"`
	// TTLSecondsAfterFinished deletes finished Jobs after this many seconds; kept when omitted.
	// Results survive in the month's status and in PostgreSQL.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=2592000
	// +optional
	TTLSecondsAfterFinished *int32 `json:"ttlSecondsAfterFinished,omitempty"`
	// PriorityClassName is set on each attempt's pod: the scheduler (and Kueue) order and
	// preempt pods by it. It does not order admission between campaigns; spec.priority does.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="must be the name of a PriorityClass: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit (for example backfill-low)"
	// +optional
	PriorityClassName string `json:"priorityClassName,omitempty"`
}

// BackfillCampaignSpec is what the user asks for.
// +kubebuilder:validation:XValidation:rule="self.phases.size() <= 0 || !self.phases.exists(q, q.name != self.phases[0].name && !(q.years.to < self.phases[0].years.from || q.years.from > self.phases[0].years.to || (has(self.phases[0].months) && has(q.months) && (q.months.to < self.phases[0].months.from || q.months.from > self.phases[0].months.to))))",messageExpression="'phase ' + self.phases[0].name + ' shares months with another phase: each month may belong to one phase only, so make the phases\\' year (or month) ranges disjoint'",fieldPath=".phases"
// +kubebuilder:validation:XValidation:rule="self.phases.size() <= 1 || !self.phases.exists(q, q.name != self.phases[1].name && !(q.years.to < self.phases[1].years.from || q.years.from > self.phases[1].years.to || (has(self.phases[1].months) && has(q.months) && (q.months.to < self.phases[1].months.from || q.months.from > self.phases[1].months.to))))",messageExpression="'phase ' + self.phases[1].name + ' shares months with another phase: each month may belong to one phase only, so make the phases\\' year (or month) ranges disjoint'",fieldPath=".phases"
// +kubebuilder:validation:XValidation:rule="self.phases.size() <= 2 || !self.phases.exists(q, q.name != self.phases[2].name && !(q.years.to < self.phases[2].years.from || q.years.from > self.phases[2].years.to || (has(self.phases[2].months) && has(q.months) && (q.months.to < self.phases[2].months.from || q.months.from > self.phases[2].months.to))))",messageExpression="'phase ' + self.phases[2].name + ' shares months with another phase: each month may belong to one phase only, so make the phases\\' year (or month) ranges disjoint'",fieldPath=".phases"
// +kubebuilder:validation:XValidation:rule="self.phases.size() <= 3 || !self.phases.exists(q, q.name != self.phases[3].name && !(q.years.to < self.phases[3].years.from || q.years.from > self.phases[3].years.to || (has(self.phases[3].months) && has(q.months) && (q.months.to < self.phases[3].months.from || q.months.from > self.phases[3].months.to))))",messageExpression="'phase ' + self.phases[3].name + ' shares months with another phase: each month may belong to one phase only, so make the phases\\' year (or month) ranges disjoint'",fieldPath=".phases"
// +kubebuilder:validation:XValidation:rule="self.phases.size() <= 4 || !self.phases.exists(q, q.name != self.phases[4].name && !(q.years.to < self.phases[4].years.from || q.years.from > self.phases[4].years.to || (has(self.phases[4].months) && has(q.months) && (q.months.to < self.phases[4].months.from || q.months.from > self.phases[4].months.to))))",messageExpression="'phase ' + self.phases[4].name + ' shares months with another phase: each month may belong to one phase only, so make the phases\\' year (or month) ranges disjoint'",fieldPath=".phases"
// +kubebuilder:validation:XValidation:rule="self.phases.size() <= 5 || !self.phases.exists(q, q.name != self.phases[5].name && !(q.years.to < self.phases[5].years.from || q.years.from > self.phases[5].years.to || (has(self.phases[5].months) && has(q.months) && (q.months.to < self.phases[5].months.from || q.months.from > self.phases[5].months.to))))",messageExpression="'phase ' + self.phases[5].name + ' shares months with another phase: each month may belong to one phase only, so make the phases\\' year (or month) ranges disjoint'",fieldPath=".phases"
// +kubebuilder:validation:XValidation:rule="self.phases.size() <= 6 || !self.phases.exists(q, q.name != self.phases[6].name && !(q.years.to < self.phases[6].years.from || q.years.from > self.phases[6].years.to || (has(self.phases[6].months) && has(q.months) && (q.months.to < self.phases[6].months.from || q.months.from > self.phases[6].months.to))))",messageExpression="'phase ' + self.phases[6].name + ' shares months with another phase: each month may belong to one phase only, so make the phases\\' year (or month) ranges disjoint'",fieldPath=".phases"
// +kubebuilder:validation:XValidation:rule="self.phases.size() <= 7 || !self.phases.exists(q, q.name != self.phases[7].name && !(q.years.to < self.phases[7].years.from || q.years.from > self.phases[7].years.to || (has(self.phases[7].months) && has(q.months) && (q.months.to < self.phases[7].months.from || q.months.from > self.phases[7].months.to))))",messageExpression="'phase ' + self.phases[7].name + ' shares months with another phase: each month may belong to one phase only, so make the phases\\' year (or month) ranges disjoint'",fieldPath=".phases"
// +kubebuilder:validation:XValidation:rule="self.phases.size() <= 8 || !self.phases.exists(q, q.name != self.phases[8].name && !(q.years.to < self.phases[8].years.from || q.years.from > self.phases[8].years.to || (has(self.phases[8].months) && has(q.months) && (q.months.to < self.phases[8].months.from || q.months.from > self.phases[8].months.to))))",messageExpression="'phase ' + self.phases[8].name + ' shares months with another phase: each month may belong to one phase only, so make the phases\\' year (or month) ranges disjoint'",fieldPath=".phases"
// +kubebuilder:validation:XValidation:rule="self.phases.size() <= 9 || !self.phases.exists(q, q.name != self.phases[9].name && !(q.years.to < self.phases[9].years.from || q.years.from > self.phases[9].years.to || (has(self.phases[9].months) && has(q.months) && (q.months.to < self.phases[9].months.from || q.months.from > self.phases[9].months.to))))",messageExpression="'phase ' + self.phases[9].name + ' shares months with another phase: each month may belong to one phase only, so make the phases\\' year (or month) ranges disjoint'",fieldPath=".phases"
// +kubebuilder:validation:XValidation:rule="!has(self.approvedPhases) || self.approvedPhases.size() <= 0 || self.phases.exists(p, p.name == self.approvedPhases[0])",messageExpression="'approvedPhases lists ' + self.approvedPhases[0] + ', which is not a phase of this campaign: list only names from spec.phases'",fieldPath=".approvedPhases"
// +kubebuilder:validation:XValidation:rule="!has(self.approvedPhases) || self.approvedPhases.size() <= 1 || self.phases.exists(p, p.name == self.approvedPhases[1])",messageExpression="'approvedPhases lists ' + self.approvedPhases[1] + ', which is not a phase of this campaign: list only names from spec.phases'",fieldPath=".approvedPhases"
// +kubebuilder:validation:XValidation:rule="!has(self.approvedPhases) || self.approvedPhases.size() <= 2 || self.phases.exists(p, p.name == self.approvedPhases[2])",messageExpression="'approvedPhases lists ' + self.approvedPhases[2] + ', which is not a phase of this campaign: list only names from spec.phases'",fieldPath=".approvedPhases"
// +kubebuilder:validation:XValidation:rule="!has(self.approvedPhases) || self.approvedPhases.size() <= 3 || self.phases.exists(p, p.name == self.approvedPhases[3])",messageExpression="'approvedPhases lists ' + self.approvedPhases[3] + ', which is not a phase of this campaign: list only names from spec.phases'",fieldPath=".approvedPhases"
// +kubebuilder:validation:XValidation:rule="!has(self.approvedPhases) || self.approvedPhases.size() <= 4 || self.phases.exists(p, p.name == self.approvedPhases[4])",messageExpression="'approvedPhases lists ' + self.approvedPhases[4] + ', which is not a phase of this campaign: list only names from spec.phases'",fieldPath=".approvedPhases"
// +kubebuilder:validation:XValidation:rule="!has(self.approvedPhases) || self.approvedPhases.size() <= 5 || self.phases.exists(p, p.name == self.approvedPhases[5])",messageExpression="'approvedPhases lists ' + self.approvedPhases[5] + ', which is not a phase of this campaign: list only names from spec.phases'",fieldPath=".approvedPhases"
// +kubebuilder:validation:XValidation:rule="!has(self.approvedPhases) || self.approvedPhases.size() <= 6 || self.phases.exists(p, p.name == self.approvedPhases[6])",messageExpression="'approvedPhases lists ' + self.approvedPhases[6] + ', which is not a phase of this campaign: list only names from spec.phases'",fieldPath=".approvedPhases"
// +kubebuilder:validation:XValidation:rule="!has(self.approvedPhases) || self.approvedPhases.size() <= 7 || self.phases.exists(p, p.name == self.approvedPhases[7])",messageExpression="'approvedPhases lists ' + self.approvedPhases[7] + ', which is not a phase of this campaign: list only names from spec.phases'",fieldPath=".approvedPhases"
// +kubebuilder:validation:XValidation:rule="!has(self.approvedPhases) || self.approvedPhases.size() <= 8 || self.phases.exists(p, p.name == self.approvedPhases[8])",messageExpression="'approvedPhases lists ' + self.approvedPhases[8] + ', which is not a phase of this campaign: list only names from spec.phases'",fieldPath=".approvedPhases"
// +kubebuilder:validation:XValidation:rule="!has(self.approvedPhases) || self.approvedPhases.size() <= 9 || self.phases.exists(p, p.name == self.approvedPhases[9])",messageExpression="'approvedPhases lists ' + self.approvedPhases[9] + ', which is not a phase of this campaign: list only names from spec.phases'",fieldPath=".approvedPhases"
// +kubebuilder:validation:XValidation:rule="!has(self.reruns) || self.reruns.all(r, !has(r.phases) || r.phases.all(n, self.phases.exists(p, p.name == n)))",message="a rerun selects a phase that is not in spec.phases: list only names from spec.phases in reruns[].phases",fieldPath=".reruns"
type BackfillCampaignSpec struct {
	// Phases run one after another; a phase starts when the one before it has finished all its
	// months and its gate holds (and, for Manual approval, when it is listed in approvedPhases).
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=10
	// +listType=map
	// +listMapKey=name
	Phases []Phase `json:"phases"`
	// ApprovedPhases lists the Manual-approval phases that may start once their gate holds.
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:validation:items:MaxLength=40
	// +optional
	ApprovedPhases []string `json:"approvedPhases,omitempty"`
	// Order in which each phase's months are admitted.
	// +kubebuilder:default=NewestFirst
	// +optional
	Order Order `json:"order,omitempty"`
	// MinMonthAge holds back months younger than this many months (counted from the end of the
	// month): very recent books have no ISBN data yet (the original measured 0% for them).
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=120
	// +kubebuilder:default=12
	// +optional
	MinMonthAge *int32 `json:"minMonthAge,omitempty"`
	// BooksPerMonth is how many books each model is asked for (up to), per month.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	// +kubebuilder:default=20
	// +optional
	BooksPerMonth int32 `json:"booksPerMonth,omitempty"`
	// PromptVariant is the prompt template; auto picks contemporary-notable for 2020 and later.
	// +kubebuilder:default=auto
	// +optional
	PromptVariant PromptVariant `json:"promptVariant,omitempty"`
	// Generators configures the LLMs.
	// +kubebuilder:default={}
	// +optional
	Generators GeneratorSpec `json:"generators,omitempty"`
	// Resolver configures ISBN resolution.
	// +kubebuilder:default={}
	// +optional
	Resolver ResolverSpec `json:"resolver,omitempty"`
	// Retry says how failed months are retried.
	// +kubebuilder:default={}
	// +optional
	Retry RetryPolicy `json:"retry,omitempty"`
	// Budget limits the paid ISBN source.
	// +kubebuilder:default={}
	// +optional
	Budget Budget `json:"budget,omitempty"`
	// Priority orders admission between campaigns that share an ISBNdb key's budget: while a
	// campaign of higher priority waits for budget, none of lower priority is admitted; equal
	// priorities take turns, the campaign with the fewest attempts admitted today first.
	// +kubebuilder:validation:Minimum=-1000
	// +kubebuilder:validation:Maximum=1000
	// +kubebuilder:default=0
	// +optional
	Priority *int32 `json:"priority,omitempty"`
	// Suspend stops admitting months; running Jobs finish.
	// +optional
	Suspend bool `json:"suspend,omitempty"`
	// Mode is Live (default), Experiment (no books written) or Plan (no Jobs; the status shows the plan).
	// +kubebuilder:default=Live
	// +optional
	Mode Mode `json:"mode,omitempty"`
	// Job shapes the Job of each attempt.
	// +kubebuilder:default={}
	// +optional
	Job JobSpec `json:"job,omitempty"`
	// Reruns ask for months to run again, each once, when first seen; see status.reruns for
	// their progress. Removing a rerun stops nothing that already started.
	// +kubebuilder:validation:MaxItems=16
	// +listType=map
	// +listMapKey=name
	// +optional
	Reruns []Rerun `json:"reruns,omitempty"`
}

// MonthCounts counts months by state.
type MonthCounts struct {
	// Total is the number of months planned.
	Total int32 `json:"total"`
	// Pending months wait for admission (or are admitted and about to start).
	Pending int32 `json:"pending"`
	// Processing months have a live Job.
	Processing int32 `json:"processing"`
	// Retry months wait for their backoff and re-admission.
	Retry int32 `json:"retry"`
	// Completed months finished successfully.
	Completed int32 `json:"completed"`
	// Failed months used up their attempts.
	Failed int32 `json:"failed"`
}

// Totals sums the results of months.
type Totals struct {
	// BooksGenerated is the number of distinct books the models proposed.
	BooksGenerated int64 `json:"booksGenerated"`
	// ISBNsResolved is the number of those books resolved to a verified ISBN.
	ISBNsResolved int64 `json:"isbnsResolved"`
	// ResolutionRate is ISBNsResolved / BooksGenerated in percent, two decimals ("92.31").
	// +optional
	ResolutionRate string `json:"resolutionRate,omitempty"`
	// ISBNsQueued is the number of ISBNs newly added to the enrichment queue.
	ISBNsQueued int64 `json:"isbnsQueued"`
	// Calls counts the requests really sent to each provider.
	// +optional
	Calls map[string]int64 `json:"calls,omitempty"`
}

// PhaseState is where a phase stands.
// +kubebuilder:validation:Enum=Waiting;Active;GateBlocked;AwaitingApproval;Completed
type PhaseState string

const (
	PhaseWaiting          PhaseState = "Waiting"
	PhaseActive           PhaseState = "Active"
	PhaseGateBlocked      PhaseState = "GateBlocked"
	PhaseAwaitingApproval PhaseState = "AwaitingApproval"
	PhaseCompleted        PhaseState = "Completed"
)

// PhaseStatus summarises one phase.
type PhaseStatus struct {
	// Name of the phase.
	Name string `json:"name"`
	// State of the phase.
	State PhaseState `json:"state"`
	// Months counts the phase's months by state.
	Months MonthCounts `json:"months"`
	// Totals sums the phase's results.
	Totals Totals `json:"totals"`
	// Gate explains the gate's verdict once the phase's months are finished.
	// +optional
	Gate string `json:"gate,omitempty"`
}

// BudgetStatus is today's use of the paid source.
type BudgetStatus struct {
	// Day is the UTC day the numbers are for (YYYY-MM-DD).
	Day string `json:"day"`
	// ISBNdbCalls is the number of ISBNdb calls attempts finished today have made.
	ISBNdbCalls int64 `json:"isbndbCalls"`
	// Limit is the day's budget (0: none).
	Limit int32 `json:"limit"`
	// PausedUntil is set while admissions wait for the provider's quota to reset; with a shared
	// key, a quota report of any campaign on the key pauses them all.
	// +optional
	PausedUntil *metav1.Time `json:"pausedUntil,omitempty"`
	// Reserved is the estimate held for this campaign's months in flight.
	// +optional
	Reserved int64 `json:"reserved,omitempty"`
	// Key is the day of the ISBNdb key the campaign shares with others, when it has a key.
	// +optional
	Key *KeyBudgetStatus `json:"key,omitempty"`
}

// KeyBudgetStatus is the day of an ISBNdb key shared by campaigns.
type KeyBudgetStatus struct {
	// Budget names the BackfillBudget whose limit the key is held to; empty when none names the key.
	// +optional
	Budget string `json:"budget,omitempty"`
	// Limit is the key's daily limit (0: no shared limit).
	Limit int32 `json:"limit"`
	// Used is the calls all campaigns on the key spent today.
	Used int64 `json:"used"`
	// Reserved is the estimate held for all months in flight on the key.
	Reserved int64 `json:"reserved"`
	// Campaigns is how many campaigns use the key.
	Campaigns int32 `json:"campaigns"`
}

// PlanEstimate is what the campaign is expected to cost and take.
type PlanEstimate struct {
	// MonthsRemaining is the number of months not yet finished.
	MonthsRemaining int32 `json:"monthsRemaining"`
	// Days is the estimated number of days to finish at the phases' cadences.
	Days int32 `json:"days"`
	// LLMCalls is the estimated number of model calls still to make.
	LLMCalls int64 `json:"llmCalls"`
	// ISBNdbCalls is the estimated number of ISBNdb calls still to make.
	ISBNdbCalls int64 `json:"isbndbCalls"`
	// FirstMonths are the next months in admission order (at most 12).
	// +optional
	FirstMonths []string `json:"firstMonths,omitempty"`
}

// RerunState is where a rerun of the spec stands.
// +kubebuilder:validation:Enum=Requesting;Running;Finished
type RerunState string

const (
	// RerunRequesting: the matched months are recorded and are being asked to run again.
	RerunRequesting RerunState = "Requesting"
	// RerunRunning: every matched month has been asked; some have not finished their new run.
	RerunRunning RerunState = "Running"
	// RerunFinished: every matched month has finished its new run (or is gone).
	RerunFinished RerunState = "Finished"
)

// RerunStatus is the progress of one rerun of spec.reruns.
type RerunStatus struct {
	// Name of the rerun.
	Name string `json:"name"`
	// Token is the value of the months' rerun annotation that this rerun sets.
	Token string `json:"token"`
	// State of the rerun.
	State RerunState `json:"state"`
	// Matched is how many months the rerun selected when it was first seen.
	Matched int32 `json:"matched"`
	// Done is how many of them have finished their new run.
	Done int32 `json:"done"`
	// Waiting lists the matched months (YYYY-MM) that have not finished their new run yet.
	// +kubebuilder:validation:MaxItems=2412
	// +optional
	Waiting []string `json:"waiting,omitempty"`
	// StartedAt is when the rerun was first seen and its months recorded.
	StartedAt metav1.Time `json:"startedAt"`
	// FinishedAt is when the last matched month finished its new run.
	// +optional
	FinishedAt *metav1.Time `json:"finishedAt,omitempty"`
	// Removed is true once the rerun is no longer in spec.reruns; what it started still runs.
	// +optional
	Removed bool `json:"removed,omitempty"`
}

// BackfillCampaignStatus is what the operator observed.
type BackfillCampaignStatus struct {
	// ObservedGeneration is the generation of the spec this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Conditions: Ready, Reconciling, Stalled (kstatus) and the domain conditions GateBlocked,
	// BudgetExhausted and Mirrored.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// CurrentPhase is the phase whose months are being admitted.
	// +optional
	CurrentPhase string `json:"currentPhase,omitempty"`
	// Progress is "finished/total" months, for kubectl get.
	// +optional
	Progress string `json:"progress,omitempty"`
	// Months counts all months by state.
	// +optional
	Months MonthCounts `json:"months,omitempty"`
	// Totals sums all months' results.
	// +optional
	Totals Totals `json:"totals,omitempty"`
	// Phases summarises each phase, in spec order.
	// +optional
	Phases []PhaseStatus `json:"phases,omitempty"`
	// Budget is today's use of the paid source.
	// +optional
	Budget *BudgetStatus `json:"budget,omitempty"`
	// AdmittedLast24h is how many runs (first runs and reruns) were admitted in the last 24 hours.
	// +optional
	AdmittedLast24h int32 `json:"admittedLast24h,omitempty"`
	// NextAdmissionTime is when the next month can be admitted, when that is in the future.
	// +optional
	NextAdmissionTime *metav1.Time `json:"nextAdmissionTime,omitempty"`
	// EstimatedCompletionTime is when the campaign is expected to finish at its cadences.
	// +optional
	EstimatedCompletionTime *metav1.Time `json:"estimatedCompletionTime,omitempty"`
	// Plan is the estimate of what remains.
	// +optional
	Plan *PlanEstimate `json:"plan,omitempty"`
	// Reruns is the progress of each rerun the spec asked for, including removed ones.
	// +kubebuilder:validation:MaxItems=64
	// +listType=map
	// +listMapKey=name
	// +optional
	Reruns []RerunStatus `json:"reruns,omitempty"`
}

// BackfillCampaign fills the book database month by month over a range of years, in phases.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=bfc,categories=backfill
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.currentPhase`
// +kubebuilder:printcolumn:name="Done/Total",type=string,JSONPath=`.status.progress`
// +kubebuilder:printcolumn:name="Rate",type=string,JSONPath=`.status.totals.resolutionRate`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Mode",type=string,JSONPath=`.spec.mode`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 52",message="metadata.name is too long for a campaign: at most 52 characters, so that <campaign>-YYYY-MM-aN Job names fit in 63"
type BackfillCampaign struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired campaign.
	Spec BackfillCampaignSpec `json:"spec"`
	// Status is the observed state of the campaign.
	// +optional
	Status BackfillCampaignStatus `json:"status,omitempty"`
}

// BackfillCampaignList is a list of BackfillCampaigns.
// +kubebuilder:object:root=true
type BackfillCampaignList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the campaigns.
	Items []BackfillCampaign `json:"items"`
}
