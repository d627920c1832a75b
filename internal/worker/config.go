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

	"github.com/ooheynerds/backfill-operator/internal/prompt"
	"github.com/ooheynerds/backfill-operator/internal/resolve"
)

// Modes of an attempt.
const (
	ModeLive       = "Live"       // write books, queue and cache
	ModeExperiment = "Experiment" // run the pipeline, write only the attempt row
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
	Attempt   int    // 1-based attempt number of this month
	Mode      string // Live or Experiment

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
		Mode:            ModeLive,
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
	fs.StringVar(&c.Namespace, "namespace", c.Namespace, "namespace of the campaign")
	fs.StringVar(&c.Campaign, "campaign", c.Campaign, "campaign name")
	fs.StringVar(&c.Phase, "phase", c.Phase, "phase the month belongs to")
	fs.IntVar(&c.Year, "year", c.Year, "year of the month to backfill")
	fs.IntVar(&c.Month, "month", c.Month, "month to backfill (1-12)")
	fs.IntVar(&c.Attempt, "attempt", c.Attempt, "attempt number of this month (1-based)")
	fs.StringVar(&c.Mode, "mode", c.Mode, "Live (write books) or Experiment (write only the attempt row)")
	fs.StringVar(&c.PromptVariant, "prompt-variant", c.PromptVariant, "prompt variant: auto, baseline or contemporary-notable")
	fs.StringVar(&c.PromptFile, "prompt-file", c.PromptFile, "template file replacing the embedded prompt text")
	fs.IntVar(&c.BooksPerMonth, "books-per-month", c.BooksPerMonth, "books asked of each model")
	fs.StringVar(&c.GeminiModel, "gemini-model", c.GeminiModel, "Gemini model id")
	fs.StringVar(&c.GeminiBaseURL, "gemini-base-url", c.GeminiBaseURL, "Gemini API base URL (empty: Google's)")
	fs.StringVar(&c.XAIModel, "xai-model", c.XAIModel, "xAI Grok model id")
	fs.StringVar(&c.XAIBaseURL, "xai-base-url", c.XAIBaseURL, "xAI API base URL (empty: https://api.x.ai/v1)")
	fs.DurationVar(&c.GenerateTimeout, "generate-timeout", c.GenerateTimeout, "time each model has to answer, retries included")
	fs.IntVar(&c.LLMRetries, "llm-retries", c.LLMRetries, "retries of a model request on 408, 429 and 5xx")
	fs.DurationVar(&c.LLMRetryDelay, "llm-retry-delay", c.LLMRetryDelay, "first backoff between Gemini retries")
	fs.Var((*listValue)(&c.Sources), "sources", "resolution chain in order of preference (isbndb,googlebooks,openlibrary,loc,wikidata,archive)")
	fs.StringVar(&c.ISBNdbBaseURL, "isbndb-base-url", c.ISBNdbBaseURL, "ISBNdb API base URL")
	fs.Float64Var(&c.ISBNdbRate, "isbndb-rate", c.ISBNdbRate, "ISBNdb requests per second")
	fs.IntVar(&c.ISBNdbBatchSize, "isbndb-batch-size", c.ISBNdbBatchSize, "ISBNs per ISBNdb batch lookup")
	fs.StringVar(&c.GoogleBooksBaseURL, "googlebooks-base-url", c.GoogleBooksBaseURL, "Google Books API base URL")
	fs.StringVar(&c.GoogleBooksCountry, "googlebooks-country", c.GoogleBooksCountry, "ISO 3166-1 country sent to Google Books (empty: "+resolve.DefaultGoogleBooksCountry+")")
	fs.Float64Var(&c.GoogleBooksRate, "googlebooks-rate", c.GoogleBooksRate, "Google Books requests per second (0: default, <0: unlimited)")
	fs.StringVar(&c.OpenLibraryBaseURL, "openlibrary-base-url", c.OpenLibraryBaseURL, "Open Library base URL")
	fs.Float64Var(&c.OpenLibraryRate, "openlibrary-rate", c.OpenLibraryRate, "Open Library requests per second (0: default, <0: unlimited)")
	fs.StringVar(&c.LOCBaseURL, "loc-base-url", c.LOCBaseURL, "Library of Congress SRU base URL")
	fs.Float64Var(&c.LOCRate, "loc-rate", c.LOCRate, "Library of Congress requests per second (0: default, <0: unlimited)")
	fs.StringVar(&c.WikidataBaseURL, "wikidata-base-url", c.WikidataBaseURL, "Wikidata SPARQL endpoint")
	fs.Float64Var(&c.WikidataRate, "wikidata-rate", c.WikidataRate, "Wikidata requests per second (0: default, <0: unlimited)")
	fs.StringVar(&c.ArchiveBaseURL, "archive-base-url", c.ArchiveBaseURL, "Archive.org base URL")
	fs.Float64Var(&c.ArchiveRate, "archive-rate", c.ArchiveRate, "Archive.org requests per second (0: default, <0: unlimited)")
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
	check(c.Mode == ModeLive || c.Mode == ModeExperiment, "--mode %q must be %s or %s", c.Mode, ModeLive, ModeExperiment)
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

// Environment variables the secrets come from; the operator's Job builder fills them from
// Secret key references.
const (
	EnvDatabaseURL = "DATABASE_URL"
	EnvGeminiKey   = "GEMINI_API_KEY"
	EnvXAIKey      = "XAI_API_KEY"
	EnvISBNdbKey   = "ISBNDB_API_KEY"
	EnvGoogleKey   = "GOOGLE_BOOKS_API_KEY"
)

// SecretsFromEnv reads the secrets from their environment variables.
func SecretsFromEnv() Secrets {
	return Secrets{
		DatabaseURL:       os.Getenv(EnvDatabaseURL),
		GeminiAPIKey:      os.Getenv(EnvGeminiKey),
		XAIAPIKey:         os.Getenv(EnvXAIKey),
		ISBNdbAPIKey:      os.Getenv(EnvISBNdbKey),
		GoogleBooksAPIKey: os.Getenv(EnvGoogleKey),
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
