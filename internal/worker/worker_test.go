package worker

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	contract "github.com/ooheynerds/backfill-operator/internal/attempt"
	"github.com/ooheynerds/backfill-operator/internal/database"
	"github.com/ooheynerds/backfill-operator/internal/dev/fakes"
	"github.com/ooheynerds/backfill-operator/internal/dev/localpg"
	"github.com/ooheynerds/backfill-operator/internal/dev/testdb"
	"github.com/ooheynerds/backfill-operator/internal/llm"
	"github.com/ooheynerds/backfill-operator/internal/merge"
	"github.com/ooheynerds/backfill-operator/internal/resolve"
	"github.com/ooheynerds/backfill-operator/internal/textmatch"
)

func TestMain(m *testing.M) { localpg.RunTests(m) }

// Test keys: distinctive so a leak into a summary or row is easy to spot.
var testSecrets = Secrets{
	GeminiAPIKey:      "gemini-secret-AAAA1111",
	XAIAPIKey:         "xai-secret-BBBB2222",
	ISBNdbAPIKey:      "isbndb-secret-CCCC3333",
	GoogleBooksAPIKey: "google-secret-DDDD4444",
}

// env is one test's world: the fakes and a fresh database.
type env struct {
	t     testing.TB
	srv   *fakes.Server
	pool  *pgxpool.Pool
	dbURL string
}

func newEnv(t testing.TB, opts fakes.Options) *env {
	t.Helper()
	for _, v := range []string{"GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_API_KEY", "GOOGLE_GEMINI_BASE_URL", "OPENAI_BASE_URL", "OPENAI_API_KEY"} {
		t.Setenv(v, "")
	}
	ctx := context.Background()
	if opts.ISBNdbRate == 0 {
		opts.ISBNdbRate = 1000
	}
	srv, err := fakes.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	url, pool := testdb.New(t)
	return &env{t: t, srv: srv, pool: pool, dbURL: url}
}

// config points a month at the fakes; the free sources are not throttled (the fakes do not
// limit them) and retries back off briefly.
func (e *env) config(year, month, attempt int) Config {
	c := DefaultConfig()
	c.Namespace, c.Campaign, c.Phase = "books", "history", "validate"
	c.Year, c.Month, c.Attempt = year, month, attempt
	c.GeminiBaseURL, c.XAIBaseURL = e.srv.GeminiBaseURL(), e.srv.XAIBaseURL()
	c.ISBNdbBaseURL, c.GoogleBooksBaseURL, c.OpenLibraryBaseURL = e.srv.ISBNdbBaseURL(), e.srv.GoogleBooksBaseURL(), e.srv.OpenLibraryBaseURL()
	c.LOCBaseURL, c.WikidataBaseURL, c.ArchiveBaseURL = e.srv.LOCBaseURL(), e.srv.WikidataBaseURL(), e.srv.ArchiveBaseURL()
	c.ISBNdbRate = 1000
	c.GoogleBooksRate, c.OpenLibraryRate, c.LOCRate, c.WikidataRate, c.ArchiveRate = -1, -1, -1, -1, -1
	c.LLMRetryDelay = 10 * time.Millisecond
	c.GenerateTimeout = 60 * time.Second
	c.TerminationLog = ""
	return c
}

func (e *env) runner(c Config) *Runner {
	s := testSecrets
	s.DatabaseURL = e.dbURL
	return &Runner{Config: c, Secrets: s}
}

// succeed runs the month's attempt and fails the test unless it succeeded.
func (e *env) succeed(c Config, what string) Summary {
	e.t.Helper()
	s := e.runner(c).Run(context.Background())
	if s.ExitCode() != ExitSucceeded {
		e.t.Fatalf("%s: %+v", what, s)
	}
	return s
}

func (e *env) attempt(c Config) database.Attempt {
	e.t.Helper()
	a, err := database.GetAttempt(context.Background(), e.pool, database.AttemptKey{Namespace: c.Namespace, Campaign: c.Campaign, Year: c.Year, Month: c.Month, Attempt: c.Attempt})
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

func (e *env) count(sql string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// tables counts the rows of every table the worker writes.
func (e *env) tables() [4]int {
	return [4]int{
		e.count(`SELECT count(*) FROM backfill_books`),
		e.count(`SELECT count(*) FROM backfill_isbn_queue`),
		e.count(`SELECT count(*) FROM backfill_resolution_cache`),
		e.count(`SELECT count(*) FROM backfill_attempts`),
	}
}

// assertCallsMatch checks that the calls recorded per provider are the requests the fakes saw.
func assertCallsMatch(t *testing.T, recorded map[string]int, seen map[string]int) {
	t.Helper()
	for _, p := range fakes.Providers() {
		if recorded[p] != seen[p] {
			t.Errorf("%s: recorded %d calls, the fake saw %d", p, recorded[p], seen[p])
		}
	}
}

func assertNoSecret(t *testing.T, what string, text string) {
	t.Helper()
	for _, v := range []string{testSecrets.GeminiAPIKey, testSecrets.XAIAPIKey, testSecrets.ISBNdbAPIKey, testSecrets.GoogleBooksAPIKey} {
		if strings.Contains(text, v) {
			t.Errorf("%s contains a key: %s", what, text)
		}
	}
}

func TestFullMonthSucceeds(t *testing.T) {
	e := newEnv(t, fakes.Options{Seed: 1})
	c := e.config(2015, 3, 1)
	s := e.succeed(c, "summary")
	a := e.attempt(c)
	books := e.count(`SELECT count(*) FROM backfill_books WHERE year = 2015 AND month = 3 AND attempt = 1`)
	resolved := e.count(`SELECT count(*) FROM backfill_books WHERE isbn13 IS NOT NULL`)
	queued := e.count(`SELECT count(*) FROM backfill_isbn_queue WHERE source = 'backfill-2015-03'`)
	cached := e.count(`SELECT count(*) FROM backfill_resolution_cache`)
	both := e.count(`SELECT count(*) FROM backfill_books WHERE proposed_by @> ARRAY['gemini','xai']`)
	t.Logf("books %d resolved %d queued %d cached %d proposed by both %d calls %v", books, resolved, queued, cached, both, a.Calls)

	if a.Outcome != database.OutcomeSucceeded || a.Mode != string(v1alpha1.ModeLive) || a.PromptVariant != "baseline" {
		t.Errorf("attempt row %+v", a)
	}
	if books == 0 || a.BooksGenerated != books || s.BooksGenerated != books {
		t.Errorf("books: table %d, row %d, summary %d", books, a.BooksGenerated, s.BooksGenerated)
	}
	if resolved == 0 || a.ISBNsResolved != resolved || s.ISBNsResolved != resolved || resolved == books {
		// The catalog's fictional titles cannot resolve, so resolved < books proves the count is
		// not the seed's "books generated".
		t.Errorf("resolved: table %d, row %d, summary %d, books %d", resolved, a.ISBNsResolved, s.ISBNsResolved, books)
	}
	if queued == 0 || a.ISBNsQueued != queued || s.ISBNsQueued != queued {
		t.Errorf("queued: table %d, row %d, summary %d", queued, a.ISBNsQueued, s.ISBNsQueued)
	}
	if cached < books {
		t.Errorf("cache holds %d keys, want at least the %d complete answers", cached, books)
	}
	if both == 0 {
		t.Errorf("no book is recorded as proposed by both models; the merge lost the overlap")
	}
	if a.Calls["gemini"] < 1 || a.Calls["xai"] < 1 {
		t.Errorf("model calls not recorded: %v", a.Calls)
	}
	assertCallsMatch(t, a.Calls, e.srv.Calls())
	if unresolvedKept := e.count(`SELECT count(*) FROM backfill_books WHERE isbn13 IS NULL AND significance IS NOT NULL`); unresolvedKept != books-resolved {
		t.Errorf("unresolved books with AI metadata: %d, want %d", unresolvedKept, books-resolved)
	}

	// A second month that shares books is served by the cache: no new calls for known keys.
	before := e.srv.Calls()
	again := e.config(2015, 3, 2)
	s2 := e.succeed(again, "second attempt")
	after := e.srv.Calls()
	for _, src := range []string{fakes.SourceISBNdb, fakes.SourceGoogleBooks, fakes.SourceOpenLibrary} {
		if after[src] != before[src] {
			t.Errorf("%s called %d more times for books already in the cache", src, after[src]-before[src])
		}
	}
	if s2.ISBNsQueued != 0 {
		t.Errorf("second attempt queued %d ISBNs that were already queued", s2.ISBNsQueued)
	}
	if n := e.count(`SELECT count(*) FROM backfill_books`); n != books {
		t.Errorf("books after the same month again: %d, want %d", n, books)
	}
}

func TestOneModelRefusingStillSucceeds(t *testing.T) {
	e := newEnv(t, fakes.Options{Seed: 2, Faults: map[string]fakes.Faults{fakes.ProviderXAI: {RefuseAll: true}}})
	c := e.config(2012, 6, 1)
	s := e.runner(c).Run(context.Background())
	if s.ExitCode() != ExitSucceeded || s.BooksGenerated == 0 {
		t.Fatalf("summary %+v", s)
	}
	if len(s.Refusals) != 1 || s.Refusals[0].Model != "xai" || s.Refusals[0].Reason == "" {
		t.Errorf("refusals %+v, want xai with its reason", s.Refusals)
	}
	a := e.attempt(c)
	if !slices.Equal(a.Refusals, []string{"xai"}) || a.Outcome != database.OutcomeSucceeded {
		t.Errorf("attempt row refusals %v outcome %s", a.Refusals, a.Outcome)
	}
	if n := e.count(`SELECT count(*) FROM backfill_books WHERE 'xai' = ANY(proposed_by)`); n != 0 {
		t.Errorf("%d books credited to the model that refused", n)
	}
}

func TestBothModelsRefusingFails(t *testing.T) {
	e := newEnv(t, fakes.Options{Seed: 3, Faults: map[string]fakes.Faults{
		fakes.ProviderXAI:    {RefuseAll: true},
		fakes.ProviderGemini: {EmptyAnswer: true},
	}})
	c := e.config(2020, 9, 1)
	s := e.runner(c).Run(context.Background())
	if s.ExitCode() != ExitRetryable || s.Reason != ReasonAllModelsRefused || s.Outcome != "failed" {
		t.Fatalf("summary %+v, want a retryable AllModelsRefused failure", s)
	}
	if len(s.Refusals) != 2 {
		t.Errorf("refusals %+v, want both models", s.Refusals)
	}
	a := e.attempt(c)
	if a.Outcome != database.OutcomeFailed || !strings.Contains(a.Error, ReasonAllModelsRefused) || len(a.Refusals) != 2 {
		t.Errorf("attempt row %+v", a)
	}
	assertCallsMatch(t, a.Calls, e.srv.Calls())
	if got := e.tables(); got != [4]int{0, 0, 0, 1} {
		t.Errorf("rows (books, queue, cache, attempts) = %v, want only the attempt row", got)
	}
}

func TestProviderOutageFailsWithRealCalls(t *testing.T) {
	e := newEnv(t, fakes.Options{Seed: 4, Faults: map[string]fakes.Faults{
		fakes.ProviderXAI:    {Outage: true},
		fakes.ProviderGemini: {Outage: true},
	}})
	c := e.config(2010, 2, 1)
	c.LLMRetries = 2
	s := e.runner(c).Run(context.Background())
	if s.ExitCode() != ExitRetryable || s.Reason != ReasonGenerationFailed {
		t.Fatalf("summary %+v, want a retryable GenerationFailed", s)
	}
	a := e.attempt(c)
	if a.Calls["gemini"] != 3 || a.Calls["xai"] != 3 {
		t.Errorf("calls %v, want 3 per model (1 + 2 retries)", a.Calls)
	}
	assertCallsMatch(t, a.Calls, e.srv.Calls())
}

func TestInjectedFaultsStillComplete(t *testing.T) {
	flaky := fakes.Faults{ErrorRate: 0.15, RateLimitRate: 0.15, RetryAfterSeconds: 1}
	faults := map[string]fakes.Faults{}
	for _, p := range []string{fakes.ProviderGemini, fakes.ProviderXAI, fakes.SourceISBNdb, fakes.SourceGoogleBooks, fakes.SourceOpenLibrary} {
		faults[p] = flaky
	}
	// Seed 10 makes the first request to each model fail (a 500 and a 429), so the models' retries
	// are exercised along with the sources'.
	e := newEnv(t, fakes.Options{Seed: 10, Faults: faults})
	c := e.config(2005, 10, 1)
	c.LLMRetries = 5
	e.succeed(c, "summary")
	a := e.attempt(c)
	seen := e.srv.Calls()
	t.Logf("calls %v, resolved %d/%d", a.Calls, a.ISBNsResolved, a.BooksGenerated)
	assertCallsMatch(t, a.Calls, seen)
	if a.Calls["gemini"] < 2 || a.Calls["xai"] < 2 {
		t.Errorf("model calls %v: the injected model faults were not retried", a.Calls)
	}
	if a.ISBNsResolved == 0 {
		t.Error("nothing resolved under 30% faults")
	}
}

func TestISBNdbQuotaExhaustionReported(t *testing.T) {
	e := newEnv(t, fakes.Options{Seed: 6, Faults: map[string]fakes.Faults{fakes.SourceISBNdb: {QuotaExhaustedAfter: fakes.Ptr(0)}}})
	c := e.config(2008, 11, 1)
	s := e.succeed(c, "summary")
	if !slices.Contains(s.QuotaExhausted, "isbndb") {
		t.Errorf("summary quotaExhausted %v, want isbndb", s.QuotaExhausted)
	}
	a := e.attempt(c)
	if !slices.Contains(a.QuotaExhausted, "isbndb") {
		t.Errorf("attempt row quota_exhausted %v, want isbndb", a.QuotaExhausted)
	}
	assertCallsMatch(t, a.Calls, e.srv.Calls())
	if a.ISBNsResolved == 0 {
		t.Error("the free sources resolved nothing without ISBNdb")
	}
	// An incomplete miss is not a negative answer: it must not be cached.
	misses := e.count(`SELECT count(*) FROM backfill_resolution_cache WHERE isbn13 IS NULL`)
	unresolved := a.BooksGenerated - a.ISBNsResolved
	if misses > unresolved {
		t.Errorf("%d cached misses for %d unresolved books", misses, unresolved)
	}
}

func TestCrashBeforeCommitWritesNothing(t *testing.T) {
	e := newEnv(t, fakes.Options{Seed: 7})
	c := e.config(2001, 4, 1)
	r := e.runner(c)
	var sawRows int
	r.BeforeCommit = func(ctx context.Context) error {
		// Inside the transaction the rows exist; outside they must not.
		sawRows = e.count(`SELECT count(*) FROM backfill_books`)
		return errors.New("simulated crash")
	}
	s := r.Run(context.Background())
	if s.ExitCode() != ExitRetryable || s.Reason != ReasonWriteFailed {
		t.Fatalf("summary %+v, want a retryable WriteFailed", s)
	}
	if sawRows != 0 {
		t.Errorf("another connection saw %d uncommitted books", sawRows)
	}
	if n := e.count(`SELECT count(*) FROM backfill_books`) + e.count(`SELECT count(*) FROM backfill_isbn_queue`) +
		e.count(`SELECT count(*) FROM backfill_resolution_cache`); n != 0 {
		t.Errorf("%d rows survived the aborted transaction", n)
	}
	// The failure itself is still recorded, so the manager learns why.
	if a := e.attempt(c); a.Outcome != database.OutcomeFailed || a.BooksGenerated == 0 || a.ISBNsQueued != 0 {
		t.Errorf("attempt row %+v", a)
	}
}

func TestRerunOfSameAttemptWritesNothingTwice(t *testing.T) {
	e := newEnv(t, fakes.Options{Seed: 8})
	c := e.config(2016, 7, 1)
	first := e.succeed(c, "first run")
	rows := e.tables()
	callsBefore := e.srv.Calls()
	second := e.runner(c).Run(context.Background())
	if second.ExitCode() != ExitSucceeded || !second.AlreadyRecorded {
		t.Fatalf("second run %+v, want the recorded success", second)
	}
	if second.BooksGenerated != first.BooksGenerated || second.ISBNsQueued != first.ISBNsQueued {
		t.Errorf("second run reports %d books %d queued, first %d %d", second.BooksGenerated, second.ISBNsQueued, first.BooksGenerated, first.ISBNsQueued)
	}
	if got := e.tables(); got != rows {
		t.Errorf("rows changed from %v to %v", rows, got)
	}
	if calls := e.srv.Calls(); !equalCalls(calls, callsBefore) {
		t.Errorf("the re-run made calls: before %v after %v", callsBefore, calls)
	}
}

// TestWriteOfRecordedAttemptRollsBack covers the race the up-front check cannot: another run of
// the same attempt commits between this run's check and its write. The write must roll back and
// report what the other run recorded.
func TestWriteOfRecordedAttemptRollsBack(t *testing.T) {
	e := newEnv(t, fakes.Options{Seed: 9})
	c := e.config(2016, 8, 1)
	other := e.succeed(c, "other run")
	rows := e.tables()
	late := e.runner(c)
	a := &attempt{started: time.Now(), calls: map[string]int{"gemini": 1}, dbPool: e.pool}
	a.summary = Summary{Namespace: c.Namespace, Campaign: c.Campaign, Year: c.Year, Month: c.Month, Attempt: c.Attempt}
	books := []merge.Book{{Book: llm.Book{Title: "A Book Only The Late Run Found", Author: "Late Author"},
		Key: textmatch.KeyOf("A Book Only The Late Run Found", "Late Author"), ProposedBy: []string{"gemini"}}}
	res := []resolve.Resolution{{Key: books[0].Key, ISBN13: "9780000000002", Source: "isbndb"}}
	a.summary.BooksGenerated, a.summary.ISBNsResolved = 1, 1
	if err := late.write(context.Background(), a, books, res, time.Now); err != nil {
		t.Fatalf("write of an already recorded attempt: %v", err)
	}
	if !a.summary.AlreadyRecorded || a.summary.BooksGenerated != other.BooksGenerated {
		t.Errorf("summary %+v, want the recorded attempt", a.summary)
	}
	if got := e.tables(); got != rows {
		t.Errorf("rows changed from %v to %v", rows, got)
	}
}

func equalCalls(a, b map[string]int) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}

func TestExperimentWritesOnlyTheAttemptRow(t *testing.T) {
	e := newEnv(t, fakes.Options{Seed: 10})
	c := e.config(2018, 2, 1)
	c.Mode = v1alpha1.ModeExperiment
	s := e.runner(c).Run(context.Background())
	if s.ExitCode() != ExitSucceeded || s.BooksGenerated == 0 || s.ISBNsResolved == 0 {
		t.Fatalf("summary %+v", s)
	}
	if got := e.tables(); got != [4]int{0, 0, 0, 1} {
		t.Errorf("rows (books, queue, cache, attempts) = %v, want only the attempt row", got)
	}
	if a := e.attempt(c); a.Mode != string(v1alpha1.ModeExperiment) || a.ISBNsQueued != 0 || a.BooksGenerated != s.BooksGenerated {
		t.Errorf("attempt row %+v", a)
	}
}

func TestModelWithoutKeyIsSkipped(t *testing.T) {
	e := newEnv(t, fakes.Options{Seed: 11})
	c := e.config(2011, 1, 1)
	r := e.runner(c)
	r.Secrets.XAIAPIKey = ""
	s := r.Run(context.Background())
	if s.ExitCode() != ExitSucceeded {
		t.Fatalf("summary %+v", s)
	}
	if !slices.ContainsFunc(s.Skipped, func(x string) bool { return strings.HasPrefix(x, "xai") }) {
		t.Errorf("skipped %v, want xai", s.Skipped)
	}
	if e.srv.Calls()[fakes.ProviderXAI] != 0 {
		t.Error("the model without a key was called")
	}

	r.Secrets.GeminiAPIKey = ""
	r.Config.Attempt = 2
	s = r.Run(context.Background())
	if s.ExitCode() != ExitPermanent || s.Reason != ReasonNoModelConfigured {
		t.Errorf("no model at all: %+v, want a permanent NoModelConfigured", s)
	}
}

func TestInvalidConfigIsPermanent(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Config)
	}{
		{"unknown prompt variant", func(c *Config) { c.PromptVariant = "diversity-emphasis" }},
		{"month out of range", func(c *Config) { c.Month = 13 }},
		{"unknown mode", func(c *Config) { c.Mode = "Plan" }},
		{"unknown source", func(c *Config) { c.Sources = []string{"isbndb", "amazon"} }},
		{"no campaign", func(c *Config) { c.Campaign = "" }},
		{"missing prompt file", func(c *Config) { c.PromptFile = "/nonexistent/prompt.tmpl" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			c.Namespace, c.Campaign, c.Year, c.Month = "ns", "camp", 2000, 1
			tt.modify(&c)
			s := (&Runner{Config: c, Secrets: testSecrets}).Run(context.Background())
			if s.ExitCode() != ExitPermanent || s.Reason != ReasonInvalidConfig || s.Error == "" {
				t.Errorf("summary %+v, want a permanent InvalidConfig with the error", s)
			}
		})
	}
}

func TestCommandWritesSummaryAndExitCode(t *testing.T) {
	e := newEnv(t, fakes.Options{Seed: 12, Faults: map[string]fakes.Faults{
		fakes.ProviderXAI: {RefuseAll: true}, fakes.ProviderGemini: {RefuseAll: true}}})
	c := e.config(2019, 5, 1)
	dir := t.TempDir()
	c.TerminationLog = filepath.Join(dir, "flag-path")
	envPath := filepath.Join(dir, "env-path")
	t.Setenv("TERMINATION_MESSAGE_PATH", envPath)
	t.Setenv("DATABASE_URL", e.dbURL)
	t.Setenv("GEMINI_API_KEY", testSecrets.GeminiAPIKey)
	t.Setenv("XAI_API_KEY", testSecrets.XAIAPIKey)
	t.Setenv("ISBNDB_API_KEY", testSecrets.ISBNdbAPIKey)
	t.Setenv("GOOGLE_BOOKS_API_KEY", testSecrets.GoogleBooksAPIKey)

	cmd := NewCommand()
	var stdout strings.Builder
	cmd.SetOut(&stdout)
	cmd.SetArgs(c.Args())
	err := cmd.ExecuteContext(context.Background())
	if ExitCode(err) != ExitRetryable {
		t.Fatalf("exit code %d (%v), want %d", ExitCode(err), err, ExitRetryable)
	}
	msg, rerr := os.ReadFile(envPath)
	if rerr != nil {
		t.Fatalf("TERMINATION_MESSAGE_PATH not written: %v", rerr)
	}
	if _, err := os.Stat(c.TerminationLog); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("--termination-log written although TERMINATION_MESSAGE_PATH is set")
	}
	if strings.TrimSpace(stdout.String()) != string(msg) {
		t.Errorf("stdout %q differs from the termination message %q", stdout.String(), msg)
	}
	var got map[string]any
	if err := json.Unmarshal(msg, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"outcome", "retryable", "reason", "error", "booksGenerated", "isbnsResolved", "isbnsQueued",
		"resolutionRate", "calls", "refusals", "quotaExhausted", "durationSeconds"} {
		if _, ok := got[k]; !ok {
			t.Errorf("summary lacks %q: %s", k, msg)
		}
	}
	if got["outcome"] != "failed" || got["reason"] != ReasonAllModelsRefused || got["retryable"] != true {
		t.Errorf("summary %s", msg)
	}
	assertNoSecret(t, "termination message", string(msg))

	// Invalid flags: permanent, and still a summary.
	cmd = NewCommand()
	stdout.Reset()
	cmd.SetOut(&stdout)
	cmd.SetArgs([]string{"--year=twenty"})
	if code := ExitCode(cmd.ExecuteContext(context.Background())); code != ExitPermanent {
		t.Errorf("invalid flag: exit code %d, want %d", code, ExitPermanent)
	}
	if !strings.Contains(stdout.String(), ReasonInvalidConfig) {
		t.Errorf("invalid flag summary: %s", stdout.String())
	}
}

// TestLaterAttemptFillsMissingISBN: books first written without an ISBN (the only source's quota
// was spent, so the misses are not cached either) keep their rows; a later attempt that resolves
// them fills the ISBN in and queues it, without duplicating a book.
func TestLaterAttemptFillsMissingISBN(t *testing.T) {
	e := newEnv(t, fakes.Options{Seed: 13, Faults: map[string]fakes.Faults{fakes.SourceISBNdb: {QuotaExhaustedAfter: fakes.Ptr(0)}}})
	c := e.config(2009, 5, 1)
	c.Sources = []string{"isbndb"}
	s := e.runner(c).Run(context.Background())
	if s.ExitCode() != ExitSucceeded || s.ISBNsResolved != 0 || s.BooksGenerated == 0 {
		t.Fatalf("first attempt %+v, want books and no ISBN", s)
	}
	if n := e.count(`SELECT count(*) FROM backfill_books WHERE isbn13 IS NULL`); n != s.BooksGenerated {
		t.Fatalf("%d unresolved books kept, want %d", n, s.BooksGenerated)
	}
	var firstID int64
	if err := e.pool.QueryRow(context.Background(), `SELECT min(id) FROM backfill_books`).Scan(&firstID); err != nil {
		t.Fatal(err)
	}

	if err := e.srv.SetFaults(fakes.SourceISBNdb, fakes.Faults{}); err != nil {
		t.Fatal(err)
	}
	c2 := e.config(2009, 5, 2)
	s2 := e.runner(c2).Run(context.Background())
	if s2.ExitCode() != ExitSucceeded || s2.ISBNsResolved == 0 {
		t.Fatalf("second attempt %+v", s2)
	}
	if n := e.count(`SELECT count(*) FROM backfill_books`); n != s.BooksGenerated {
		t.Errorf("%d book rows after the second attempt, want %d (no duplicates)", n, s.BooksGenerated)
	}
	filled := e.count(`SELECT count(*) FROM backfill_books WHERE isbn13 IS NOT NULL AND attempt = 1 AND id >= $1`, firstID)
	if filled != s2.ISBNsResolved {
		t.Errorf("%d first-attempt rows gained an ISBN, want %d", filled, s2.ISBNsResolved)
	}
	if q := e.count(`SELECT count(*) FROM backfill_isbn_queue`); q != s2.ISBNsQueued || q == 0 {
		t.Errorf("queue holds %d, summary says %d queued", q, s2.ISBNsQueued)
	}
}

func TestISBNdbWithoutKeyIsLeftOut(t *testing.T) {
	e := newEnv(t, fakes.Options{Seed: 14})
	c := e.config(2011, 3, 1)
	r := e.runner(c)
	r.Secrets.ISBNdbAPIKey = ""
	s := r.Run(context.Background())
	if s.ExitCode() != ExitSucceeded || s.ISBNsResolved == 0 {
		t.Fatalf("summary %+v", s)
	}
	if !slices.ContainsFunc(s.Skipped, func(x string) bool { return strings.HasPrefix(x, "isbndb") }) {
		t.Errorf("skipped %v, want isbndb", s.Skipped)
	}
	if n := e.srv.Calls()[fakes.SourceISBNdb]; n != 0 {
		t.Errorf("ISBNdb called %d times without a key", n)
	}
}

// An unreachable database is an outside cause: retried without using up one of the month's attempts.
// A database URL that cannot be parsed is reported as such, as an outside cause, never echoed.
func TestUnusableDatabaseURL(t *testing.T) {
	e := newEnv(t, fakes.Options{Seed: 16})
	r := e.runner(e.config(2011, 5, 1))
	r.Secrets.DatabaseURL = "postgres://worker:pw-secret-FFFF6666@host:notaport/books"
	s := r.Run(context.Background())
	if s.ExitCode() != ExitOutside || s.Cause != v1alpha1.CauseDatabaseURLInvalid {
		t.Fatalf("summary %+v, want DatabaseURLInvalid caused outside the month", s)
	}
	if out := string(s.Encode(r.Secrets.values())); strings.Contains(out, "pw-secret-FFFF6666") {
		t.Errorf("summary leaks the database password: %s", out)
	}
}

// Secret values are trimmed: a key stored with a trailing newline works.
func TestSecretsAreTrimmed(t *testing.T) {
	t.Setenv(contract.EnvGeminiKey, "key-with-newline\n")
	t.Setenv(contract.EnvDatabaseURL, "  postgres://x@h/db\r\n")
	s := SecretsFromEnv()
	if s.GeminiAPIKey != "key-with-newline" || s.DatabaseURL != "postgres://x@h/db" {
		t.Fatalf("secrets not trimmed: %q %q", s.GeminiAPIKey, s.DatabaseURL)
	}
}

// The manager renders the worker's flags from the contract: every flag it can render parses
// back through the worker's own command line.
func TestContractFlagsParse(t *testing.T) {
	cmd := NewCommand()
	for _, name := range []string{contract.FlagNamespace, contract.FlagCampaign, contract.FlagPhase, contract.FlagYear, contract.FlagMonth,
		contract.FlagAttempt, contract.FlagMonthUID, contract.FlagMode, contract.FlagPromptVariant, contract.FlagBooksPerMonth,
		contract.FlagGeminiModel, contract.FlagGeminiBaseURL, contract.FlagXAIModel, contract.FlagXAIBaseURL, contract.FlagGenerateTimeout, contract.FlagSources} {
		if cmd.Flags().Lookup(name) == nil {
			t.Errorf("the worker has no --%s", name)
		}
	}
	for _, src := range []v1alpha1.Source{v1alpha1.SourceISBNdb, v1alpha1.SourceGoogleBooks, v1alpha1.SourceOpenLibrary, v1alpha1.SourceLOC, v1alpha1.SourceWikidata, v1alpha1.SourceArchive} {
		if cmd.Flags().Lookup(contract.FlagSourceBaseURL(src)) == nil || cmd.Flags().Lookup(contract.FlagSourceRate(src)) == nil {
			t.Errorf("the worker has no flags for source %s", src)
		}
	}
}

func TestDatabaseUnreachableIsRetryable(t *testing.T) {
	e := newEnv(t, fakes.Options{Seed: 15})
	c := e.config(2011, 4, 1)
	r := e.runner(c)
	r.Secrets.DatabaseURL = "postgres://worker:pw-secret-EEEE5555@127.0.0.1:1/books?connect_timeout=2"
	s := r.Run(context.Background())
	if s.ExitCode() != ExitOutside || s.Reason != ReasonDatabaseUnavailable || s.Cause != v1alpha1.CauseDatabaseUnreachable || !s.Retryable {
		t.Fatalf("summary %+v, want a retryable DatabaseUnavailable caused outside the month", s)
	}
	if out := string(s.Encode(r.Secrets.values())); strings.Contains(out, "pw-secret-EEEE5555") {
		t.Errorf("summary leaks the database password: %s", out)
	}
	if calls := e.srv.Calls(); calls[fakes.ProviderGemini]+calls[fakes.ProviderXAI] != 0 {
		t.Errorf("models were asked although nothing could be recorded: %v", calls)
	}
}

// A source that answers with a portal page for every request is set aside for the rest of the
// attempt, and the summary (the termination message the manager reads) says which and why.
func TestSourceSetAsideIsReported(t *testing.T) {
	e := newEnv(t, fakes.Options{Seed: 14, Faults: map[string]fakes.Faults{fakes.SourceGoogleBooks: {PortalRate: 1}}})
	c := e.config(2011, 5, 1)
	s := e.succeed(c, "summary")
	var notes []string
	for _, n := range s.SourcesSetAside {
		notes = append(notes, n.Source+": "+n.Reason)
	}
	if len(s.SourcesSetAside) != 1 || s.SourcesSetAside[0].Source != fakes.SourceGoogleBooks || !strings.Contains(s.SourcesSetAside[0].Reason, "HTML") {
		t.Fatalf("sources set aside %q, want googlebooks for its HTML pages", notes)
	}
	decoded, ok := contract.DecodeSummary(string(s.Encode(nil)))
	if !ok || len(decoded.SourcesSetAside) != 1 || decoded.SourcesSetAside[0].Source != fakes.SourceGoogleBooks {
		t.Errorf("the termination message loses the set-aside source: %+v", decoded.SourcesSetAside)
	}
	if calls := e.srv.Calls()[fakes.SourceGoogleBooks]; calls >= s.BooksGenerated {
		t.Errorf("googlebooks got %d requests for %d books; a set-aside source is not asked again", calls, s.BooksGenerated)
	}
}
