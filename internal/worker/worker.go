// Package worker runs one attempt of one month: it asks the models for the month's notable books,
// merges their answers, resolves ISBNs (cache first) and writes books, new ISBNs, cache entries
// and the attempt row in one transaction, then reports a JSON summary and an exit code. It also
// defines the worker's command line, which the operator renders into each Job.
package worker

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	contract "github.com/ooheynerds/backfill-operator/internal/attempt"
	"github.com/ooheynerds/backfill-operator/internal/database"
	"github.com/ooheynerds/backfill-operator/internal/llm"
	"github.com/ooheynerds/backfill-operator/internal/merge"
	"github.com/ooheynerds/backfill-operator/internal/prompt"
	"github.com/ooheynerds/backfill-operator/internal/resolve"
)

// Runner runs one attempt.
type Runner struct {
	Config  Config
	Secrets Secrets
	// HTTPClient carries the resolver's requests; nil means a default client.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// BeforeCommit, when set, runs inside the write transaction just before COMMIT; an error
	// aborts the transaction. Tests use it to simulate a crash at the worst moment.
	BeforeCommit func(ctx context.Context) error
}

// failure is an attempt that ends without success; its cause follows from its reason.
type failure struct {
	reason    string
	retryable bool
	err       error
}

func (f *failure) Error() string { return f.reason + ": " + f.err.Error() }

func fail(reason string, retryable bool, err error) *failure {
	return &failure{reason: reason, retryable: retryable, err: err}
}

// attempt accumulates what one run did, for the attempt row and the summary.
type attempt struct {
	summary  Summary
	started  time.Time
	variant  string
	calls    map[string]int
	refused  []string // models that refused or answered nothing
	dbPool   *pgxpool.Pool
	recorded bool // the attempt row exists (written now or earlier)
}

// Run executes the attempt and returns its summary; Summary.ExitCode is the process exit code.
func (r *Runner) Run(ctx context.Context) Summary {
	now := r.Now
	if now == nil {
		now = time.Now
	}
	cfg := r.Config
	a := &attempt{
		started: now(),
		calls:   map[string]int{},
		summary: Summary{
			Namespace: cfg.Namespace, Campaign: cfg.Campaign, Year: cfg.Year, Month: cfg.Month,
			Attempt: cfg.Attempt, MonthUID: cfg.MonthUID, Mode: string(cfg.Mode), BooksRequested: cfg.BooksPerMonth,
		},
	}
	defer func() {
		if a.dbPool != nil {
			a.dbPool.Close()
		}
	}()
	err := r.run(ctx, a, now)
	s := a.summary
	switch {
	case err == nil:
		s.Outcome, s.Reason, s.Retryable = string(database.OutcomeSucceeded), or(s.Reason, ReasonSucceeded), false
	default:
		f := asFailure(err)
		s.Outcome, s.Reason, s.Retryable, s.Error = string(database.OutcomeFailed), f.reason, f.retryable, f.err.Error()
		s.Cause = contract.CauseOf(f.reason)
		if !a.recorded && a.dbPool != nil {
			// A failed attempt is still recorded, with the calls it really made.
			if rerr := r.recordFailure(ctx, a, s, now()); rerr != nil {
				s.Error += "; recording the failed attempt: " + rerr.Error()
			}
		}
	}
	if s.AlreadyRecorded {
		s.Calls = a.summary.Calls
	} else {
		s.Calls = a.calls
	}
	s.DurationSeconds = math.Round(now().Sub(a.started).Seconds()*1000) / 1000
	return s
}

func asFailure(err error) *failure {
	var f *failure
	if errors.As(err, &f) {
		return f
	}
	return fail(ReasonWriteFailed, true, err)
}

func (r *Runner) run(ctx context.Context, a *attempt, now func() time.Time) error {
	cfg := r.Config
	if err := cfg.Validate(); err != nil {
		return fail(ReasonInvalidConfig, false, err)
	}
	builder, err := prompt.NewBuilder(cfg.PromptVariant, cfg.PromptFile)
	if err != nil {
		return fail(ReasonInvalidConfig, false, err)
	}
	p, err := builder.Build(prompt.Request{Year: cfg.Year, Month: cfg.Month, Books: cfg.BooksPerMonth})
	if err != nil {
		return fail(ReasonInvalidConfig, false, err)
	}
	a.variant, a.summary.PromptVariant = p.Variant, p.Variant
	gens, skipped, err := r.generators(ctx)
	a.summary.Skipped = skipped
	if err != nil {
		return err
	}
	resolverCfg, skippedSources := cfg.resolverConfig(r.Secrets)
	a.summary.Skipped = append(a.summary.Skipped, skippedSources...)
	resolverCfg.Now = now
	resolver, err := resolve.New(resolverCfg, r.HTTPClient)
	if err != nil {
		return fail(ReasonInvalidConfig, false, fmt.Errorf("building the resolution chain: %w", err))
	}
	if r.Secrets.DatabaseURL == "" {
		return fail(ReasonInvalidConfig, false, errors.New("DATABASE_URL is not set"))
	}
	a.dbPool, err = database.Connect(ctx, r.Secrets.DatabaseURL)
	if errors.Is(err, database.ErrInvalidURL) {
		a.dbPool = nil
		return fail(ReasonDatabaseURLInvalid, true, err)
	}
	if err != nil {
		a.dbPool = nil
		return fail(ReasonDatabaseUnavailable, true, err)
	}
	// A re-run of a recorded attempt spends nothing and reports what was recorded.
	if rec, err := database.GetAttempt(ctx, a.dbPool, r.key()); err == nil {
		a.recorded = true
		return recorded(a, rec)
	} else if !errors.Is(err, database.ErrNoAttempt) {
		return fail(ReasonDatabaseUnavailable, true, err)
	}

	// 1. Generate.
	results := llm.GenerateAll(ctx, gens, llm.Request{System: p.System, User: p.User, MaxBooks: cfg.BooksPerMonth}, cfg.GenerateTimeout)
	var proposals []merge.Proposal
	var modelErrs []error
	for _, res := range results {
		a.calls[res.Provider] += res.Calls
		a.summary.DroppedItems += res.Dropped
		a.summary.BooksOverLimit += res.OverLimit
		if res.Truncated {
			a.summary.Truncated = append(a.summary.Truncated, TruncationNote{Model: res.Provider, Kept: len(res.Books), Lost: res.Lost, StopReason: res.StopReason})
		}
		switch {
		case res.Err != nil:
			modelErrs = append(modelErrs, res.Err)
			if llm.Classify(res.Err).Class == llm.ClassQuota && !slices.Contains(a.summary.QuotaExhausted, res.Provider) {
				// The provider's quota for the day is spent: the manager pauses admission until the reset.
				a.summary.QuotaExhausted = append(a.summary.QuotaExhausted, res.Provider)
			}
			a.summary.ModelErrors = append(a.summary.ModelErrors, ModelNote{Model: res.Provider, Reason: res.Err.Error()})
		case len(res.Books) == 0:
			a.refused = append(a.refused, res.Provider)
			a.summary.Refusals = append(a.summary.Refusals, ModelNote{Model: res.Provider, Reason: or(res.Refusal, "no books")})
		default:
			proposals = append(proposals, merge.Proposal{Model: res.Provider, Books: res.Books})
		}
	}
	if len(proposals) == 0 {
		return noBooks(results, modelErrs)
	}

	// 2. Merge.
	books := merge.Merge(proposals)
	a.summary.BooksGenerated = len(books)

	// 3. Resolve, cache first.
	queries := make([]resolve.Query, len(books))
	for i, b := range books {
		queries[i] = resolve.Query{Title: b.Title, Author: b.Author, Year: b.PublicationYear, Format: string(b.Format)}
	}
	resolutions, report, err := resolver.Resolve(ctx, queries, resolve.PGCache{DB: a.dbPool})
	for name, n := range report.Calls {
		a.calls[name] += n
	}
	a.summary.QuotaExhausted = append(a.summary.QuotaExhausted, report.QuotaExhausted...)
	for _, sa := range report.SetAside {
		a.summary.SourcesSetAside = append(a.summary.SourcesSetAside, contract.SourceNote{Source: sa.Source, Reason: sa.Reason})
	}
	if err != nil {
		return fail(ReasonResolutionFailed, true, err)
	}
	for _, res := range resolutions {
		if res.ISBN13 != "" {
			a.summary.ISBNsResolved++
		}
		if res.Ambiguous {
			a.summary.ISBNsAmbiguous++
		}
	}
	if len(books) > 0 {
		a.summary.ResolutionRate = math.Round(float64(a.summary.ISBNsResolved)*10000/float64(len(books))) / 100
	}

	// 4. Write, in one transaction.
	return r.write(ctx, a, books, resolutions, now)
}

// generators builds a generator per model that has a key; a model without one is skipped.
func (r *Runner) generators(ctx context.Context) ([]llm.Generator, []string, error) {
	cfg := r.Config
	var gens []llm.Generator
	var skipped []string
	if r.Secrets.GeminiAPIKey == "" {
		skipped = append(skipped, llm.ProviderGemini+": no GEMINI_API_KEY")
	} else {
		g, err := llm.NewGemini(ctx, llm.Options{Model: cfg.GeminiModel, APIKey: r.Secrets.GeminiAPIKey, BaseURL: cfg.GeminiBaseURL,
			MaxRetries: cfg.LLMRetries, RetryDelay: cfg.LLMRetryDelay})
		if err != nil {
			return nil, skipped, fail(ReasonInvalidConfig, false, err)
		}
		gens = append(gens, g)
	}
	if r.Secrets.XAIAPIKey == "" {
		skipped = append(skipped, llm.ProviderXAI+": no XAI_API_KEY")
	} else {
		x, err := llm.NewXAI(llm.Options{Model: cfg.XAIModel, APIKey: r.Secrets.XAIAPIKey, BaseURL: cfg.XAIBaseURL,
			MaxRetries: cfg.LLMRetries, RetryDelay: cfg.LLMRetryDelay})
		if err != nil {
			return nil, skipped, fail(ReasonInvalidConfig, false, err)
		}
		gens = append(gens, x)
	}
	if len(gens) == 0 {
		return nil, skipped, fail(ReasonNoModelConfigured, false, errors.New("no model has an API key (set GEMINI_API_KEY or XAI_API_KEY)"))
	}
	return gens, skipped, nil
}

// noBooks explains why no model contributed a book.
func noBooks(results []llm.Result, modelErrs []error) error {
	if len(modelErrs) == 0 {
		return fail(ReasonAllModelsRefused, true, fmt.Errorf("all %d models refused or answered nothing", len(results)))
	}
	permanent, quota := true, true
	for _, err := range modelErrs {
		permanent = permanent && llm.Permanent(err)
		quota = quota && llm.Classify(err).Class == llm.ClassQuota
	}
	if quota && len(modelErrs) == len(results) {
		// Every model's quota for the day is spent: retryable after the reset, not a bad month.
		return fail(ReasonModelQuotaExhausted, true, errors.Join(modelErrs...))
	}
	if permanent {
		// Every model rejected the request itself (bad key, unknown model): retrying cannot help.
		return fail(ReasonModelRejected, false, errors.Join(modelErrs...))
	}
	return fail(ReasonGenerationFailed, true, errors.Join(modelErrs...))
}

func (r *Runner) key() database.AttemptKey {
	c := r.Config
	return database.AttemptKey{Namespace: c.Namespace, Campaign: c.Campaign, Year: c.Year, Month: c.Month, MonthUID: c.MonthUID, Attempt: c.Attempt}
}

// recorded turns an attempt row written by an earlier run into this run's result.
func recorded(a *attempt, rec database.Attempt) error {
	s := &a.summary
	s.AlreadyRecorded = true
	s.Mode, s.PromptVariant = rec.Mode, rec.PromptVariant
	s.BooksRequested, s.BooksGenerated, s.ISBNsResolved, s.ISBNsQueued = rec.BooksRequested, rec.BooksGenerated, rec.ISBNsResolved, rec.ISBNsQueued
	if rec.BooksGenerated > 0 {
		s.ResolutionRate = math.Round(float64(rec.ISBNsResolved)*10000/float64(rec.BooksGenerated)) / 100
	}
	s.Calls = maps.Clone(rec.Calls)
	s.QuotaExhausted = rec.QuotaExhausted
	for _, m := range rec.Refusals {
		s.Refusals = append(s.Refusals, ModelNote{Model: m, Reason: "recorded by an earlier run"})
	}
	if rec.Outcome == database.OutcomeSucceeded {
		s.Reason = ReasonSucceeded
		return nil
	}
	return fail(or(reasonOf(rec.Error), ReasonGenerationFailed), true, fmt.Errorf("recorded by an earlier run: %s", rec.Error))
}

// reasonOf reads the reason back from a recorded error ("Reason: message").
func reasonOf(msg string) string {
	for _, r := range []string{ReasonModelQuotaExhausted, ReasonAllModelsRefused, ReasonGenerationFailed, ReasonResolutionFailed, ReasonWriteFailed, ReasonModelRejected} {
		if len(msg) >= len(r) && msg[:len(r)] == r {
			return r
		}
	}
	return ""
}

// attemptRow builds the backfill_attempts row from the summary.
func (r *Runner) attemptRow(a *attempt, s Summary, outcome database.Outcome, errMsg string, finished time.Time) database.Attempt {
	if finished.Before(a.started) {
		finished = a.started
	}
	return database.Attempt{
		AttemptKey:      r.key(),
		Mode:            string(r.Config.Mode),
		Outcome:         outcome,
		Cause:           string(cause(outcome, s.Reason)),
		PromptVariant:   or(a.variant, r.Config.PromptVariant),
		BooksRequested:  r.Config.BooksPerMonth,
		BooksGenerated:  s.BooksGenerated,
		ISBNsResolved:   s.ISBNsResolved,
		ISBNsQueued:     s.ISBNsQueued,
		Calls:           maps.Clone(a.calls),
		Refusals:        slices.Clone(a.refused),
		QuotaExhausted:  slices.Clone(s.QuotaExhausted),
		BooksLost:       booksLost(s.Truncated),
		TruncatedModels: truncatedModels(s.Truncated),
		BooksOverLimit:  s.BooksOverLimit,
		Error:           contract.Redact(errMsg, r.Secrets.values()),
		StartedAt:       a.started,
		FinishedAt:      finished,
	}
}

// recordFailure writes the failed attempt row on its own: nothing else of the attempt is kept.
func (r *Runner) recordFailure(ctx context.Context, a *attempt, s Summary, finished time.Time) error {
	// A failed attempt wrote no books, so the counts that describe written rows are zero.
	s.ISBNsQueued = 0
	row := r.attemptRow(a, s, database.OutcomeFailed, s.Reason+": "+s.Error, finished)
	// The attempt may have failed because ctx ended; its row is still worth writing.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	tx, err := a.dbPool.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := database.InsertAttempt(ctx, tx, row); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	a.recorded = true
	return nil
}

// write stores the attempt's results and its attempt row in one transaction. If the attempt row
// already exists (another run of the same attempt got there first) everything is rolled back and
// the recorded result is reported instead.
func (r *Runner) write(ctx context.Context, a *attempt, books []merge.Book, resolutions []resolve.Resolution, now func() time.Time) error {
	tx, err := a.dbPool.Begin(ctx)
	if err != nil {
		return fail(ReasonDatabaseUnavailable, true, fmt.Errorf("beginning the write transaction: %w", err))
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if r.Config.Mode == v1alpha1.ModeLive {
		queued, err := r.writeBooks(ctx, tx, books, resolutions)
		if err != nil {
			return fail(ReasonWriteFailed, true, err)
		}
		a.summary.ISBNsQueued = queued
		if _, err := resolve.StoreCache(ctx, tx, resolutions, now()); err != nil {
			return fail(ReasonWriteFailed, true, err)
		}
	}
	inserted, err := database.InsertAttempt(ctx, tx, r.attemptRow(a, a.summary, database.OutcomeSucceeded, "", now()))
	if err != nil {
		return fail(ReasonWriteFailed, true, err)
	}
	if !inserted {
		_ = tx.Rollback(ctx)
		a.recorded = true
		rec, err := database.GetAttempt(ctx, a.dbPool, r.key())
		if err != nil {
			return fail(ReasonDatabaseUnavailable, true, err)
		}
		a.summary = Summary{Namespace: a.summary.Namespace, Campaign: a.summary.Campaign, Year: a.summary.Year,
			Month: a.summary.Month, Attempt: a.summary.Attempt}
		return recorded(a, rec)
	}
	if r.BeforeCommit != nil {
		if err := r.BeforeCommit(ctx); err != nil {
			return fail(ReasonWriteFailed, true, fmt.Errorf("before commit: %w", err))
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fail(ReasonWriteFailed, true, fmt.Errorf("committing: %w", err))
	}
	a.recorded = true
	return nil
}

const upsertBookSQL = `
INSERT INTO backfill_books (title_key, author_key, title, author, publisher, format, publication_year,
    publication_month, significance, proposed_by, isbn13, resolution_source, namespace, campaign,
    year, month, attempt, month_uid)
VALUES ($1, $2, $3, $4, NULLIF($5, ''), $6, NULLIF($7, 0), NULLIF($8, 0), NULLIF($9, ''), $10,
    NULLIF($11, ''), NULLIF($12, ''), $13, $14, $15, $16, $17, $18)
ON CONFLICT (title_key, author_key) DO UPDATE
SET isbn13 = EXCLUDED.isbn13, resolution_source = EXCLUDED.resolution_source
WHERE backfill_books.isbn13 IS NULL AND EXCLUDED.isbn13 IS NOT NULL`

const enqueueSQL = `
INSERT INTO backfill_isbn_queue (isbn13, source) VALUES ($1, $2)
ON CONFLICT (isbn13) DO NOTHING`

// writeBooks upserts the books (AI metadata kept when unresolved; an existing row only gains a
// missing ISBN) and enqueues the ISBNs not queued before. It returns the rows really enqueued.
func (r *Runner) writeBooks(ctx context.Context, tx pgx.Tx, books []merge.Book, resolutions []resolve.Resolution) (int, error) {
	c := r.Config
	batch := &pgx.Batch{}
	for i, b := range books {
		res := resolutions[i]
		batch.Queue(upsertBookSQL, b.Key.Title, b.Key.Author, b.Title, b.Author, b.Publisher, string(b.Format),
			b.PublicationYear, b.PublicationMonth, b.Significance, b.ProposedBy, res.ISBN13, res.Source,
			c.Namespace, c.Campaign, c.Year, c.Month, c.Attempt, c.MonthUID)
	}
	source := fmt.Sprintf("backfill-%04d-%02d", c.Year, c.Month)
	var isbns []string
	for _, res := range resolutions {
		if res.ISBN13 != "" && !slices.Contains(isbns, res.ISBN13) {
			isbns = append(isbns, res.ISBN13)
			batch.Queue(enqueueSQL, res.ISBN13, source)
		}
	}
	results := tx.SendBatch(ctx, batch)
	for range books {
		if _, err := results.Exec(); err != nil {
			_ = results.Close()
			return 0, fmt.Errorf("writing backfill_books: %w", err)
		}
	}
	queued := 0
	for range isbns {
		tag, err := results.Exec()
		if err != nil {
			_ = results.Close()
			return 0, fmt.Errorf("enqueueing ISBNs: %w", err)
		}
		queued += int(tag.RowsAffected())
	}
	if err := results.Close(); err != nil {
		return 0, fmt.Errorf("writing books: %w", err)
	}
	return queued, nil
}

// cause classifies a recorded attempt: empty for a success.
func cause(outcome database.Outcome, reason string) v1alpha1.FailureCause {
	if outcome == database.OutcomeSucceeded {
		return ""
	}
	return contract.CauseOf(reason)
}

func booksLost(notes []TruncationNote) int {
	n := 0
	for _, t := range notes {
		n += t.Lost
	}
	return n
}

func truncatedModels(notes []TruncationNote) []string {
	var out []string
	for _, t := range notes {
		out = append(out, t.Model+": "+t.StopReason)
	}
	return out
}
