package worker

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	contract "github.com/ooheynerds/backfill-operator/internal/attempt"

	"github.com/ooheynerds/backfill-operator/internal/prompt"
	"github.com/ooheynerds/backfill-operator/internal/resolve"
)

// Config is every setting of one worker run except secrets, which come only from the environment
// (see Secrets). The operator renders it into a Job's arguments with Args; NewCommand parses them
// back, so the flags are defined once, in bindFlags.
type Config struct {
	Namespace string // namespace of the campaign
	Campaign  string // campaign name
	Phase     string // phase the month belongs to
	Year      int
	Month     int
	Attempt   int           // 1-based attempt number of this month
	MonthUID  string        // the BackfillMonth's UID: which incarnation of the month this attempt belongs to
	Mode      v1alpha1.Mode // Live (write books, queue and cache) or Experiment (write only the attempt row)

	PromptVariant string // auto, baseline or contemporary-notable
	PromptFile    string // optional template file replacing the embedded prompt text
	BooksPerMonth int    // books asked of each model

	GeminiModel     string
	GeminiBaseURL   string // empty: Google's public endpoint
	XAIModel        string
	XAIBaseURL      string
	GenerateTimeout time.Duration // per model, retries included
	LLMRetries      int           // retries per model request on 408, 429 and 5xx
	LLMRetryDelay   time.Duration // Gemini's first backoff

	Sources            []string // resolution chain, in order of preference
	ISBNdbBaseURL      string
	ISBNdbRate         float64 // requests per second (the plan's limit)
	ISBNdbBatchSize    int     // ISBNs per batch lookup
	GoogleBooksBaseURL string
	GoogleBooksRate    float64 // 0: the provider's default; negative: unlimited (fakes)
	GoogleBooksCountry string  // ISO 3166-1 country sent to Google Books; empty: resolve.DefaultGoogleBooksCountry
	OpenLibraryBaseURL string
	OpenLibraryRate    float64
	LOCBaseURL         string
	LOCRate            float64
	WikidataBaseURL    string
	WikidataRate       float64
	ArchiveBaseURL     string
	ArchiveRate        float64

	TerminationLog string // where the summary goes when TERMINATION_MESSAGE_PATH is unset
}

// DefaultConfig holds the defaults of every flag.
func DefaultConfig() Config {
	var sources []string
	for _, s := range resolve.DefaultConfig().Sources {
		sources = append(sources, s.Name)
	}
	isbndb, _ := resolve.DefaultSourceConfig(resolve.SourceISBNdb)
	return Config{
		Attempt:         1,
		Mode:            v1alpha1.ModeLive,
		PromptVariant:   prompt.Auto,
		BooksPerMonth:   20,
		GeminiModel:     "gemini-2.5-flash",
		XAIModel:        "grok-4-1-fast-non-reasoning",
		GenerateTimeout: 90 * time.Second,
		LLMRetries:      3,
		LLMRetryDelay:   time.Second,
		Sources:         sources,
		ISBNdbRate:      isbndb.RatePerSecond,
		ISBNdbBatchSize: isbndb.BatchSize,
		TerminationLog:  "/dev/termination-log",
	}
}

// bindFlags is the one definition of the worker's flags.
func (c *Config) bindFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.Namespace, contract.FlagNamespace, c.Namespace, "namespace of the campaign")
	fs.StringVar(&c.Campaign, contract.FlagCampaign, c.Campaign, "campaign name")
	fs.StringVar(&c.Phase, contract.FlagPhase, c.Phase, "phase the month belongs to")
	fs.IntVar(&c.Year, contract.FlagYear, c.Year, "year of the month to backfill")
	fs.IntVar(&c.Month, contract.FlagMonth, c.Month, "month to backfill (1-12)")
	fs.StringVar(&c.MonthUID, contract.FlagMonthUID, c.MonthUID, "UID of the BackfillMonth (its incarnation); attempt rows and books carry it")
	fs.IntVar(&c.Attempt, contract.FlagAttempt, c.Attempt, "attempt number of this month (1-based)")
	fs.StringVar((*string)(&c.Mode), contract.FlagMode, string(c.Mode), "Live (write books) or Experiment (write only the attempt row)")
	fs.StringVar(&c.PromptVariant, contract.FlagPromptVariant, c.PromptVariant, "prompt variant: auto, baseline or contemporary-notable")
	fs.StringVar(&c.PromptFile, "prompt-file", c.PromptFile, "template file replacing the embedded prompt text")
	fs.IntVar(&c.BooksPerMonth, contract.FlagBooksPerMonth, c.BooksPerMonth, "books asked of each model")
	fs.StringVar(&c.GeminiModel, contract.FlagGeminiModel, c.GeminiModel, "Gemini model id")
	fs.StringVar(&c.GeminiBaseURL, contract.FlagGeminiBaseURL, c.GeminiBaseURL, "Gemini API base URL (empty: Google's)")
	fs.StringVar(&c.XAIModel, contract.FlagXAIModel, c.XAIModel, "xAI Grok model id")
	fs.StringVar(&c.XAIBaseURL, contract.FlagXAIBaseURL, c.XAIBaseURL, "xAI API base URL (empty: https://api.x.ai/v1)")
	fs.DurationVar(&c.GenerateTimeout, contract.FlagGenerateTimeout, c.GenerateTimeout, "time each model has to answer, retries included")
	fs.IntVar(&c.LLMRetries, "llm-retries", c.LLMRetries, "retries of a model request on 408, 429 and 5xx")
	fs.DurationVar(&c.LLMRetryDelay, "llm-retry-delay", c.LLMRetryDelay, "first backoff between Gemini retries")
	fs.Var((*listValue)(&c.Sources), contract.FlagSources, "resolution chain in order of preference (isbndb,googlebooks,openlibrary,loc,wikidata,archive)")
	fs.StringVar(&c.ISBNdbBaseURL, contract.FlagSourceBaseURL(v1alpha1.SourceISBNdb), c.ISBNdbBaseURL, "ISBNdb API base URL")
	fs.Float64Var(&c.ISBNdbRate, contract.FlagSourceRate(v1alpha1.SourceISBNdb), c.ISBNdbRate, "ISBNdb requests per second")
	fs.IntVar(&c.ISBNdbBatchSize, "isbndb-batch-size", c.ISBNdbBatchSize, "ISBNs per ISBNdb batch lookup")
	fs.StringVar(&c.GoogleBooksBaseURL, contract.FlagSourceBaseURL(v1alpha1.SourceGoogleBooks), c.GoogleBooksBaseURL, "Google Books API base URL")
	fs.StringVar(&c.GoogleBooksCountry, "googlebooks-country", c.GoogleBooksCountry, "ISO 3166-1 country sent to Google Books (empty: "+resolve.DefaultGoogleBooksCountry+")")
	fs.Float64Var(&c.GoogleBooksRate, contract.FlagSourceRate(v1alpha1.SourceGoogleBooks), c.GoogleBooksRate, "Google Books requests per second (0: default, <0: unlimited)")
	fs.StringVar(&c.OpenLibraryBaseURL, contract.FlagSourceBaseURL(v1alpha1.SourceOpenLibrary), c.OpenLibraryBaseURL, "Open Library base URL")
	fs.Float64Var(&c.OpenLibraryRate, contract.FlagSourceRate(v1alpha1.SourceOpenLibrary), c.OpenLibraryRate, "Open Library requests per second (0: default, <0: unlimited)")
	fs.StringVar(&c.LOCBaseURL, contract.FlagSourceBaseURL(v1alpha1.SourceLOC), c.LOCBaseURL, "Library of Congress SRU base URL")
	fs.Float64Var(&c.LOCRate, contract.FlagSourceRate(v1alpha1.SourceLOC), c.LOCRate, "Library of Congress requests per second (0: default, <0: unlimited)")
	fs.StringVar(&c.WikidataBaseURL, contract.FlagSourceBaseURL(v1alpha1.SourceWikidata), c.WikidataBaseURL, "Wikidata SPARQL endpoint")
	fs.Float64Var(&c.WikidataRate, contract.FlagSourceRate(v1alpha1.SourceWikidata), c.WikidataRate, "Wikidata requests per second (0: default, <0: unlimited)")
	fs.StringVar(&c.ArchiveBaseURL, contract.FlagSourceBaseURL(v1alpha1.SourceArchive), c.ArchiveBaseURL, "Archive.org base URL")
	fs.Float64Var(&c.ArchiveRate, contract.FlagSourceRate(v1alpha1.SourceArchive), c.ArchiveRate, "Archive.org requests per second (0: default, <0: unlimited)")
	fs.StringVar(&c.TerminationLog, "termination-log", c.TerminationLog, "file for the JSON summary when TERMINATION_MESSAGE_PATH is unset")
}

// Args renders c as the worker's command-line arguments (after the "worker" command name). Every
// flag is rendered, so a Job's arguments say exactly how it ran.
func (c Config) Args() []string {
	fs := pflag.NewFlagSet("worker", pflag.ContinueOnError)
	c.bindFlags(fs)
	var args []string
	fs.VisitAll(func(f *pflag.Flag) {
		args = append(args, "--"+f.Name+"="+f.Value.String())
	})
	return args
}

// listValue is a comma-separated list flag whose String() parses back to the same list.
type listValue []string

func (l *listValue) String() string { return strings.Join(*l, ",") }
func (l *listValue) Type() string   { return "list" }
func (l *listValue) Set(s string) error {
	*l = nil
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			*l = append(*l, item)
		}
	}
	return nil
}

// Validate reports every setting that cannot work; such a run is a permanent failure.
func (c Config) Validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(c.Namespace != "", "--namespace is required")
	check(c.Campaign != "", "--campaign is required")
	check(c.Year >= 1900 && c.Year <= 2100, "--year %d outside 1900-2100", c.Year)
	check(c.Month >= 1 && c.Month <= 12, "--month %d outside 1-12", c.Month)
	check(c.Attempt >= 1, "--attempt %d must be at least 1", c.Attempt)
	check(c.Mode == v1alpha1.ModeLive || c.Mode == v1alpha1.ModeExperiment, "--mode %q must be %s or %s", c.Mode, v1alpha1.ModeLive, v1alpha1.ModeExperiment)
	if _, err := prompt.Choose(c.PromptVariant, c.Year); err != nil {
		errs = append(errs, fmt.Errorf("--prompt-variant: %w", err))
	}
	check(c.BooksPerMonth >= 1 && c.BooksPerMonth <= prompt.MaxBooks, "--books-per-month %d outside 1-%d", c.BooksPerMonth, prompt.MaxBooks)
	check(c.GenerateTimeout > 0, "--generate-timeout must be positive")
	check(c.LLMRetries >= 0 && c.LLMRetries <= 10, "--llm-retries %d outside 0-10", c.LLMRetries)
	check(c.LLMRetryDelay >= 0, "--llm-retry-delay must not be negative")
	check(len(c.Sources) > 0, "--sources must name at least one source")
	for i, s := range c.Sources {
		if _, err := resolve.DefaultSourceConfig(s); err != nil {
			errs = append(errs, fmt.Errorf("--sources: %w", err))
		}
		check(!slices.Contains(c.Sources[:i], s), "--sources lists %q twice", s)
	}
	check(c.ISBNdbRate > 0, "--isbndb-rate must be positive")
	check(c.ISBNdbBatchSize >= 1 && c.ISBNdbBatchSize <= 1000, "--isbndb-batch-size %d outside 1-1000", c.ISBNdbBatchSize)
	return errors.Join(errs...)
}

// Secrets are read only from the environment, where Kubernetes puts Secret values.
type Secrets struct {
	DatabaseURL       string
	GeminiAPIKey      string
	XAIAPIKey         string
	ISBNdbAPIKey      string
	GoogleBooksAPIKey string
}

// SecretsFromEnv reads the secrets from their environment variables (named by the contract in
// package attempt). Surrounding whitespace is trimmed: a key stored with a trailing newline (as
// `kubectl create secret --from-file` stores a file) would otherwise make every request fail.
func SecretsFromEnv() Secrets {
	get := func(name string) string { return strings.TrimSpace(os.Getenv(name)) }
	return Secrets{
		DatabaseURL:       get(contract.EnvDatabaseURL),
		GeminiAPIKey:      get(contract.EnvGeminiKey),
		XAIAPIKey:         get(contract.EnvXAIKey),
		ISBNdbAPIKey:      get(contract.EnvISBNdbKey),
		GoogleBooksAPIKey: get(contract.EnvGoogleKey),
	}
}

// values lists the secret values that are set, for redaction.
func (s Secrets) values() []string {
	var out []string
	if u, err := url.Parse(s.DatabaseURL); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && len(pw) >= 4 {
			out = append(out, pw)
		}
	}
	for _, v := range []string{s.DatabaseURL, s.GeminiAPIKey, s.XAIAPIKey, s.ISBNdbAPIKey, s.GoogleBooksAPIKey} {
		if len(v) >= 4 {
			out = append(out, v)
		}
	}
	return out
}

// resolverConfig builds the resolution chain from c. A source that needs a key it does not have
// (ISBNdb) is left out and reported, rather than failing the month: the free sources still work.
func (c Config) resolverConfig(s Secrets) (resolve.Config, []string) {
	cfg := resolve.DefaultConfig()
	cfg.Sources = nil
	var skipped []string
	for _, name := range c.Sources {
		sc, _ := resolve.DefaultSourceConfig(name)
		switch name {
		case resolve.SourceISBNdb:
			if s.ISBNdbAPIKey == "" {
				skipped = append(skipped, name+": no ISBNDB_API_KEY")
				continue
			}
			sc.APIKey, sc.RatePerSecond, sc.BatchSize = s.ISBNdbAPIKey, c.ISBNdbRate, c.ISBNdbBatchSize
			sc.BaseURL = or(c.ISBNdbBaseURL, sc.BaseURL)
		case resolve.SourceGoogleBooks:
			sc.APIKey, sc.Country = s.GoogleBooksAPIKey, or(c.GoogleBooksCountry, sc.Country)
			sc.BaseURL, sc.RatePerSecond = or(c.GoogleBooksBaseURL, sc.BaseURL), rateOr(c.GoogleBooksRate, sc.RatePerSecond)
		case resolve.SourceOpenLibrary:
			sc.BaseURL, sc.RatePerSecond = or(c.OpenLibraryBaseURL, sc.BaseURL), rateOr(c.OpenLibraryRate, sc.RatePerSecond)
		case resolve.SourceLOC:
			sc.BaseURL, sc.RatePerSecond = or(c.LOCBaseURL, sc.BaseURL), rateOr(c.LOCRate, sc.RatePerSecond)
		case resolve.SourceWikidata:
			sc.BaseURL, sc.RatePerSecond = or(c.WikidataBaseURL, sc.BaseURL), rateOr(c.WikidataRate, sc.RatePerSecond)
		case resolve.SourceArchive:
			sc.BaseURL, sc.RatePerSecond = or(c.ArchiveBaseURL, sc.BaseURL), rateOr(c.ArchiveRate, sc.RatePerSecond)
		}
		cfg.Sources = append(cfg.Sources, sc)
	}
	return cfg, skipped
}

func or(v, def string) string {
	if v != "" {
		return v
	}
	return def
}

func rateOr(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}
