// Package attempt owns one attempt of one month from both sides: the contract between the
// manager and the worker (the worker's flags and environment, rendered from the campaign's spec
// alone; exit codes; the summary the worker leaves as its termination message; the outcome the
// manager reads back) and the month's state machine (Next), a pure function the month
// controller applies. The operator side imports this package, never the worker or an LLM SDK.
package attempt

import (
	"strconv"
	"strings"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

// Exit codes of the worker process.
const (
	ExitSucceeded = 0
	// ExitRetryable: the attempt failed for a cause of the month's own (a provider error, a bad
	// answer); another attempt may succeed, and this one counts against maxAttempts.
	ExitRetryable = 2
	// ExitPermanent: bad configuration; the Job's pod failure policy fails the Job at once.
	ExitPermanent = 3
	// ExitOutside: the attempt failed for a cause outside the month (database unreachable, an
	// unusable database URL, every model's quota spent); it does not count against maxAttempts.
	ExitOutside = 4
)

// Environment variables the worker reads its secrets from; the Job fills them from Secret keys.
const (
	EnvDatabaseURL = "DATABASE_URL"
	EnvGeminiKey   = "GEMINI_API_KEY"
	EnvXAIKey      = "XAI_API_KEY"
	EnvISBNdbKey   = "ISBNDB_API_KEY"
	EnvGoogleKey   = "GOOGLE_BOOKS_API_KEY"
)

// Flags of the worker that the manager renders. The worker defines every flag (with its
// default) under these names; the manager renders only what the campaign and the month say.
const (
	FlagNamespace       = "namespace"
	FlagCampaign        = "campaign"
	FlagPhase           = "phase"
	FlagYear            = "year"
	FlagMonth           = "month"
	FlagAttempt         = "attempt"
	FlagMonthUID        = "month-uid"
	FlagMode            = "mode"
	FlagPromptVariant   = "prompt-variant"
	FlagBooksPerMonth   = "books-per-month"
	FlagGeminiModel     = "gemini-model"
	FlagGeminiBaseURL   = "gemini-base-url"
	FlagXAIModel        = "xai-model"
	FlagXAIBaseURL      = "xai-base-url"
	FlagGenerateTimeout = "generate-timeout"
	FlagSources         = "sources"
)

// FlagSourceBaseURL and FlagSourceRate name a resolution source's flags.
func FlagSourceBaseURL(s v1alpha1.Source) string { return string(s) + "-base-url" }

// FlagSourceRate names a source's requests-per-second flag.
func FlagSourceRate(s v1alpha1.Source) string { return string(s) + "-rate" }

// Command is the worker's subcommand of the operator binary.
const Command = "worker"

// Args renders the worker's command line for attempt n of month m: the month's identity and
// whatever the campaign's spec sets. A field the spec leaves unset is not rendered, so the
// worker (whatever version the campaign's image holds) applies its own default.
func Args(c *v1alpha1.BackfillCampaign, m *v1alpha1.BackfillMonth, n int) []string {
	args := []string{Command}
	set := func(flag, value string) {
		if value != "" {
			args = append(args, "--"+flag+"="+value)
		}
	}
	set(FlagNamespace, m.Namespace)
	set(FlagCampaign, m.Spec.Campaign)
	set(FlagPhase, m.Spec.Phase)
	set(FlagYear, strconv.Itoa(int(m.Spec.Year)))
	set(FlagMonth, strconv.Itoa(int(m.Spec.Month)))
	set(FlagAttempt, strconv.Itoa(n))
	set(FlagMonthUID, string(m.UID))
	set(FlagMode, string(c.Spec.Mode))
	set(FlagPromptVariant, string(m.Spec.PromptVariant))
	if m.Spec.BooksPerMonth > 0 {
		set(FlagBooksPerMonth, strconv.Itoa(int(m.Spec.BooksPerMonth)))
	}
	g := c.Spec.Generators
	if g.Gemini != nil {
		set(FlagGeminiModel, g.Gemini.Model)
		set(FlagGeminiBaseURL, g.Gemini.BaseURL)
	}
	if g.XAI != nil {
		set(FlagXAIModel, g.XAI.Model)
		set(FlagXAIBaseURL, g.XAI.BaseURL)
	}
	if g.Timeout != nil {
		set(FlagGenerateTimeout, g.Timeout.Duration.String())
	}
	r := c.Spec.Resolver
	if len(r.Sources) > 0 {
		names := make([]string, len(r.Sources))
		for i, s := range r.Sources {
			names[i] = string(s)
		}
		set(FlagSources, strings.Join(names, ","))
	}
	for _, s := range []struct {
		source v1alpha1.Source
		spec   *v1alpha1.SourceSpec
	}{
		{v1alpha1.SourceISBNdb, r.ISBNdb}, {v1alpha1.SourceGoogleBooks, r.GoogleBooks},
		{v1alpha1.SourceOpenLibrary, r.OpenLibrary}, {v1alpha1.SourceLOC, r.LOC},
		{v1alpha1.SourceWikidata, r.Wikidata}, {v1alpha1.SourceArchive, r.Archive},
	} {
		if s.spec == nil {
			continue
		}
		set(FlagSourceBaseURL(s.source), s.spec.BaseURL)
		if s.spec.RequestsPerSecond != nil {
			set(FlagSourceRate(s.source), strconv.Itoa(int(*s.spec.RequestsPerSecond)))
		}
	}
	return args
}
