package worker

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/openai/openai-go/v3"
	"github.com/spf13/pflag"
	"google.golang.org/genai"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	contract "github.com/ooheynerds/backfill-operator/internal/attempt"
	"github.com/ooheynerds/backfill-operator/internal/llm"
)

func TestArgsRoundTrip(t *testing.T) {
	c := DefaultConfig()
	c.Namespace, c.Campaign, c.Phase = "books", "history-2000s", "validate"
	c.Year, c.Month, c.Attempt, c.Mode = 2020, 2, 3, v1alpha1.ModeExperiment
	c.PromptVariant, c.PromptFile, c.BooksPerMonth = "contemporary-notable", "/etc/prompt/prompt.tmpl", 15
	c.GeminiModel, c.GeminiBaseURL = "gemini-3-flash-preview", "http://fakes:8080/gemini/"
	c.XAIModel, c.XAIBaseURL = "grok-4", "http://fakes:8080/xai/v1/"
	c.GenerateTimeout, c.LLMRetries, c.LLMRetryDelay = 45*time.Second, 2, 250*time.Millisecond
	c.Sources = []string{"googlebooks", "isbndb", "wikidata"}
	c.ISBNdbBaseURL, c.ISBNdbRate, c.ISBNdbBatchSize = "http://fakes:8080/isbndb", 2.5, 100
	c.GoogleBooksBaseURL, c.GoogleBooksRate = "http://g", -1
	c.OpenLibraryBaseURL, c.OpenLibraryRate = "http://o", 0.5
	c.LOCBaseURL, c.LOCRate, c.WikidataBaseURL, c.WikidataRate = "http://l", 1, "http://w", 2
	c.ArchiveBaseURL, c.ArchiveRate, c.TerminationLog = "http://a", 3, "/tmp/term"

	args := c.Args()
	fs := pflag.NewFlagSet("worker", pflag.ContinueOnError)
	var got Config
	got.bindFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parsing %v: %v", args, err)
	}
	if diff := cmp.Diff(c, got); diff != "" {
		t.Errorf("Config -> Args -> flags changed it (-want +got):\n%s\nargs: %v", diff, args)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("valid config rejected: %v", err)
	}
}

func TestCommandHasEveryDocumentedFlag(t *testing.T) {
	cmd := NewCommand()
	for _, name := range []string{"namespace", "campaign", "phase", "year", "month", "attempt", "mode", "prompt-variant",
		"prompt-file", "books-per-month", "gemini-model", "gemini-base-url", "xai-model", "xai-base-url", "generate-timeout",
		"sources", "isbndb-base-url", "isbndb-rate", "isbndb-batch-size", "googlebooks-base-url", "openlibrary-base-url",
		"loc-base-url", "wikidata-base-url", "archive-base-url", "termination-log"} {
		if cmd.Flags().Lookup(name) == nil {
			t.Errorf("flag --%s missing", name)
		}
	}
	if cmd.Name() != "worker" {
		t.Errorf("command name %q", cmd.Name())
	}
}

func TestArgsCarryNoSecret(t *testing.T) {
	t.Setenv("GEMINI_API_KEY", testSecrets.GeminiAPIKey)
	c := DefaultConfig()
	for _, a := range c.Args() {
		assertNoSecret(t, "args", a)
		if strings.Contains(strings.ToLower(a), "key=") {
			t.Errorf("argument %q looks like a key flag; keys come only from the environment", a)
		}
	}
}

func TestSummaryFitsAndRedacts(t *testing.T) {
	long := strings.Repeat("the model overloaded again ", 400) + testSecrets.ISBNdbAPIKey
	s := Summary{
		Outcome: "failed", Retryable: true, Reason: ReasonGenerationFailed, Error: long,
		BooksGenerated: 40, ISBNsResolved: 30, Calls: map[string]int{"gemini": 3, "xai": 3, "isbndb": 12},
		Refusals:       []ModelNote{{Model: "xai", Reason: long}, {Model: "gemini", Reason: long}},
		ModelErrors:    []ModelNote{{Model: "gemini", Reason: "key " + testSecrets.GeminiAPIKey + " " + long}},
		QuotaExhausted: []string{"isbndb", "googlebooks", "wikidata", "openlibrary", "loc", "archive"},
		Skipped:        []string{strings.Repeat("x", 3000)},
	}
	out := s.Encode([]string{testSecrets.GeminiAPIKey, testSecrets.ISBNdbAPIKey})
	if len(out) > contract.MaxSummaryBytes {
		t.Fatalf("summary is %d bytes, limit %d", len(out), contract.MaxSummaryBytes)
	}
	assertNoSecret(t, "summary", string(out))
	var back Summary
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatalf("truncated summary is not JSON: %v", err)
	}
	if back.BooksGenerated != 40 || back.Calls["isbndb"] != 12 || back.Reason != ReasonGenerationFailed || back.Error == "" {
		t.Errorf("numbers or reason lost in truncation: %+v", back)
	}
	if !strings.Contains(back.Error, "the model overloaded") {
		t.Errorf("error message lost entirely: %q", back.Error)
	}

	small := Summary{Outcome: "succeeded", Reason: ReasonSucceeded}.Encode(nil)
	for _, k := range []string{`"error":""`, `"calls":{}`, `"refusals":[]`, `"quotaExhausted":[]`} {
		if !strings.Contains(string(small), k) {
			t.Errorf("summary lacks %s: %s", k, small)
		}
	}
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		s    Summary
		want int
	}{
		{Summary{Outcome: "succeeded"}, ExitSucceeded},
		{Summary{Outcome: "failed", Retryable: true}, ExitRetryable},
		{Summary{Outcome: "failed", Retryable: false}, ExitPermanent},
		{Summary{Outcome: "failed", Retryable: true, Cause: v1alpha1.CauseDatabaseUnreachable}, ExitOutside},
		{Summary{Outcome: "failed", Retryable: true, Cause: v1alpha1.CauseProviderQuota}, ExitOutside},
	}
	for _, tt := range tests {
		if got := tt.s.ExitCode(); got != tt.want {
			t.Errorf("%+v: exit %d, want %d", tt.s, got, tt.want)
		}
	}
	if ExitCode(nil) != ExitSucceeded || ExitCode(&ExitError{Code: ExitRetryable}) != ExitRetryable {
		t.Error("ExitCode does not pass the worker's code through")
	}
}

func TestNoBooksClassification(t *testing.T) {
	results := []llm.Result{{Provider: "gemini"}, {Provider: "xai"}}
	tests := []struct {
		name          string
		errs          []error
		wantReason    string
		wantRetryable bool
	}{
		{"both refused", nil, ReasonAllModelsRefused, true},
		{"outage", []error{genai.APIError{Code: 503}, &openai.Error{StatusCode: 500}}, ReasonGenerationFailed, true},
		{"one bad key one outage", []error{genai.APIError{Code: 400}, &openai.Error{StatusCode: 503}}, ReasonGenerationFailed, true},
		{"both keys rejected", []error{genai.APIError{Code: 400}, &openai.Error{StatusCode: 400}}, ReasonModelRejected, false},
		{"timeout", []error{llm.ErrTimeout}, ReasonGenerationFailed, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := asFailure(noBooks(results, tt.errs))
			if f.reason != tt.wantReason || f.retryable != tt.wantRetryable {
				t.Errorf("got %s retryable=%v, want %s retryable=%v", f.reason, f.retryable, tt.wantReason, tt.wantRetryable)
			}
		})
	}
}
