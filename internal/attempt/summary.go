package attempt

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/textcut"
)

// Outcomes of an attempt, as the summary and the backfill_attempts row spell them.
const (
	OutcomeSucceeded = "succeeded"
	OutcomeFailed    = "failed"
)

// Reasons the worker reports, PascalCase so they can double as condition reasons.
const (
	ReasonSucceeded           = "Succeeded"
	ReasonAllModelsRefused    = "AllModelsRefused"
	ReasonGenerationFailed    = "GenerationFailed"
	ReasonResolutionFailed    = "ResolutionFailed"
	ReasonDatabaseUnavailable = "DatabaseUnavailable"
	ReasonDatabaseURLInvalid  = "DatabaseURLInvalid"
	ReasonWriteFailed         = "WriteFailed"
	ReasonInvalidConfig       = "InvalidConfig"
	ReasonNoModelConfigured   = "NoModelConfigured"
	ReasonModelRejected       = "ModelRejectedRequest"
	ReasonModelQuotaExhausted = "ModelQuotaExhausted"
)

// CauseOf classifies a worker's failure reason.
func CauseOf(reason string) v1alpha1.FailureCause {
	switch reason {
	case ReasonDatabaseUnavailable:
		return v1alpha1.CauseDatabaseUnreachable
	case ReasonDatabaseURLInvalid:
		return v1alpha1.CauseDatabaseURLInvalid
	case ReasonModelQuotaExhausted:
		return v1alpha1.CauseProviderQuota
	case ReasonGenerationFailed, ReasonResolutionFailed:
		return v1alpha1.CauseProviderError
	case ReasonAllModelsRefused:
		return v1alpha1.CauseBadAnswer
	case ReasonInvalidConfig, ReasonNoModelConfigured, ReasonModelRejected:
		return v1alpha1.CauseInvalidConfig
	default:
		return v1alpha1.CauseWorkerError
	}
}

// MaxSummaryBytes is the kubelet's limit for a termination message.
const MaxSummaryBytes = 4096

// ModelNote says why a model contributed nothing.
type ModelNote struct {
	Model  string `json:"model"`
	Reason string `json:"reason"`
}

// TruncationNote says that a model's answer was cut off: Kept complete books were used, Lost
// books were begun but cut, StopReason is the provider's ("MAX_TOKENS", "length") or the parser's.
type TruncationNote struct {
	Model      string `json:"model"`
	Kept       int    `json:"kept"`
	Lost       int    `json:"lost"`
	StopReason string `json:"stopReason"`
}

// SourceNote says why the attempt stopped calling a bibliographic source (it kept answering
// with something that is not its API's answer, or kept failing).
type SourceNote struct {
	Source string `json:"source"`
	Reason string `json:"reason"`
}

// Summary is the worker's report: the container's termination message and its stdout.
type Summary struct {
	Outcome   string `json:"outcome"` // succeeded or failed
	Retryable bool   `json:"retryable"`
	Reason    string `json:"reason"`
	// Cause classifies a failure (see v1alpha1.FailureCause); empty on success.
	Cause          v1alpha1.FailureCause `json:"cause,omitempty"`
	Error          string                `json:"error"`
	Namespace      string                `json:"namespace,omitempty"`
	Campaign       string                `json:"campaign,omitempty"`
	Year           int                   `json:"year,omitempty"`
	Month          int                   `json:"month,omitempty"`
	Attempt        int                   `json:"attempt,omitempty"`
	MonthUID       string                `json:"monthUID,omitempty"`
	Mode           string                `json:"mode,omitempty"`
	PromptVariant  string                `json:"promptVariant,omitempty"`
	BooksRequested int                   `json:"booksRequested"`
	BooksGenerated int                   `json:"booksGenerated"`
	ISBNsResolved  int                   `json:"isbnsResolved"`
	ISBNsQueued    int                   `json:"isbnsQueued"`
	ResolutionRate float64               `json:"resolutionRate"`
	Calls          map[string]int        `json:"calls"`
	Refusals       []ModelNote           `json:"refusals"`
	ModelErrors    []ModelNote           `json:"modelErrors,omitempty"`
	Skipped        []string              `json:"skipped,omitempty"` // models and sources without a key
	QuotaExhausted []string              `json:"quotaExhausted"`
	DroppedItems   int                   `json:"droppedItems,omitempty"` // model items that were not books
	// Truncated lists the models whose answers were cut off, with how many begun books were
	// lost and why; their complete books were kept.
	Truncated []TruncationNote `json:"truncated,omitempty"`
	// ISBNsAmbiguous counts books left without an ISBN because candidates could not be told apart.
	ISBNsAmbiguous int `json:"isbnsAmbiguous,omitempty"`
	// SourcesSetAside lists the sources set aside for the rest of the attempt, with why.
	SourcesSetAside []SourceNote `json:"sourcesSetAside,omitempty"`
	// BooksOverLimit counts books beyond booksPerMonth that a model listed and were not kept.
	BooksOverLimit  int     `json:"booksOverLimit,omitempty"`
	AlreadyRecorded bool    `json:"alreadyRecorded,omitempty"`
	DurationSeconds float64 `json:"durationSeconds"`
}

// ExitCode maps the summary to the process exit code.
func (s Summary) ExitCode() int {
	switch {
	case s.Outcome == OutcomeSucceeded:
		return ExitSucceeded
	case s.Cause.Outside():
		return ExitOutside
	case s.Retryable:
		return ExitRetryable
	default:
		return ExitPermanent
	}
}

// Encode renders s as JSON of at most MaxSummaryBytes, cutting messages and lists until it fits,
// and with every secret value replaced.
func (s Summary) Encode(secrets []string) []byte {
	s.Error = Redact(s.Error, secrets)
	s.Refusals = redactNotes(s.Refusals, secrets)
	s.ModelErrors = redactNotes(s.ModelErrors, secrets)
	s.SourcesSetAside = redactSourceNotes(s.SourcesSetAside, secrets)
	for _, limit := range []int{1000, 300, 120, 40} {
		out := encode(s, limit)
		if len(out) <= MaxSummaryBytes {
			return out
		}
	}
	// Last resort: keep the numbers, drop the prose.
	s.Refusals, s.ModelErrors, s.Skipped, s.SourcesSetAside = nil, nil, nil, nil
	s.Error = textcut.Cut(s.Error, 200)
	return encode(s, 0)
}

func encode(s Summary, limit int) []byte {
	if limit > 0 {
		s.Error = textcut.Cut(s.Error, limit*2)
		s.Refusals = cutNotes(s.Refusals, limit)
		s.ModelErrors = cutNotes(s.ModelErrors, limit)
		for i := range s.SourcesSetAside {
			s.SourcesSetAside[i].Reason = textcut.Cut(s.SourcesSetAside[i].Reason, limit)
		}
		s.Skipped = cutList(s.Skipped, limit/10+1)
		s.QuotaExhausted = cutList(s.QuotaExhausted, limit/10+1)
	}
	if s.Calls == nil {
		s.Calls = map[string]int{}
	}
	if s.Refusals == nil {
		s.Refusals = []ModelNote{}
	}
	if s.QuotaExhausted == nil {
		s.QuotaExhausted = []string{}
	}
	out, _ := json.Marshal(s)
	return out
}

// DecodeSummary reads a termination message; ok is false when it is not a worker's summary
// (a crash leaves the log tail there instead).
func DecodeSummary(msg string) (Summary, bool) {
	if !strings.HasPrefix(strings.TrimSpace(msg), "{") {
		return Summary{}, false
	}
	var s Summary
	if json.Unmarshal([]byte(msg), &s) != nil || s.Outcome == "" {
		return Summary{}, false
	}
	return s, true
}

func cutNotes(notes []ModelNote, limit int) []ModelNote {
	out := make([]ModelNote, 0, len(notes))
	for _, n := range notes {
		out = append(out, ModelNote{Model: n.Model, Reason: textcut.Cut(n.Reason, limit)})
	}
	return out
}

func cutList(l []string, n int) []string {
	if len(l) <= n {
		return l
	}
	return append(l[:n:n], fmt.Sprintf("(%d more)", len(l)-n))
}

// Redact replaces every secret value in s.
func Redact(s string, secrets []string) string {
	for _, v := range secrets {
		s = strings.ReplaceAll(s, v, "[redacted]")
	}
	return s
}

func redactSourceNotes(notes []SourceNote, secrets []string) []SourceNote {
	out := make([]SourceNote, len(notes))
	for i, n := range notes {
		out[i] = SourceNote{Source: n.Source, Reason: Redact(n.Reason, secrets)}
	}
	return out
}

func redactNotes(notes []ModelNote, secrets []string) []ModelNote {
	out := make([]ModelNote, len(notes))
	for i, n := range notes {
		out[i] = ModelNote{Model: n.Model, Reason: Redact(n.Reason, secrets)}
	}
	return out
}
