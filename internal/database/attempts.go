package database

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Outcome of one attempt as the worker recorded it.
type Outcome string

const (
	OutcomeSucceeded Outcome = "succeeded"
	OutcomeFailed    Outcome = "failed"
)

// AttemptKey identifies one attempt of one incarnation of a month of one campaign.
type AttemptKey struct {
	Namespace string
	Campaign  string
	Year      int
	Month     int
	// MonthUID is the BackfillMonth's UID: a recreated month is another incarnation.
	MonthUID string
	Attempt  int
}

func (k AttemptKey) String() string {
	return fmt.Sprintf("%s/%s %04d-%02d (month %s) attempt %d", k.Namespace, k.Campaign, k.Year, k.Month, k.MonthUID, k.Attempt)
}

// Attempt is the backfill_attempts row: what the worker did in one attempt, with true counts.
// Calls maps a provider name ("gemini", "xai", "isbndb", "googlebooks", …) to the HTTP
// requests really sent to it, retries and failed requests included.
type Attempt struct {
	AttemptKey
	Mode    string // Live or Experiment
	Outcome Outcome
	// Cause classifies a failure (a v1alpha1.FailureCause); empty on success.
	Cause          string
	PromptVariant  string
	BooksRequested int
	BooksGenerated int
	ISBNsResolved  int
	ISBNsQueued    int
	Calls          map[string]int
	Refusals       []string // models that refused or answered nothing
	QuotaExhausted []string // sources that reported their quota exhausted
	// BooksLost counts books begun but cut off in truncated model answers; TruncatedModels
	// names those models ("gemini: MAX_TOKENS"); BooksOverLimit counts books listed beyond
	// the request and not kept.
	BooksLost       int
	TruncatedModels []string
	BooksOverLimit  int
	Error           string
	StartedAt       time.Time
	FinishedAt      time.Time
}

// ErrNoAttempt means no worker has recorded that attempt (yet, or ever).
var ErrNoAttempt = errors.New("attempt not recorded")

// Querier is what both a pool and a transaction offer.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// InsertAttempt records a in tx. It reports false, and changes nothing, when that attempt is
// already recorded: a re-run of the same (month, attempt) must not write twice.
func InsertAttempt(ctx context.Context, tx Querier, a Attempt) (bool, error) {
	calls, err := json.Marshal(nonNil(a.Calls))
	if err != nil {
		return false, err
	}
	var inserted bool
	err = tx.QueryRow(ctx, `
INSERT INTO backfill_attempts (namespace, campaign, year, month, attempt, mode, outcome,
    prompt_variant, books_requested, books_generated, isbns_resolved, isbns_queued, calls,
    refusals, quota_exhausted, error_message, started_at, finished_at, books_lost, truncated_models,
    books_over_limit, month_uid, cause)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, NULLIF($16, ''), $17, $18,
    $19, $20, $21, $22, $23)
ON CONFLICT (namespace, campaign, year, month, month_uid, attempt) DO NOTHING
RETURNING true`,
		a.Namespace, a.Campaign, a.Year, a.Month, a.Attempt, a.Mode, string(a.Outcome),
		a.PromptVariant, a.BooksRequested, a.BooksGenerated, a.ISBNsResolved, a.ISBNsQueued, calls,
		emptyIfNil(a.Refusals), emptyIfNil(a.QuotaExhausted), a.Error, a.StartedAt, a.FinishedAt,
		a.BooksLost, emptyIfNil(a.TruncatedModels), a.BooksOverLimit, a.MonthUID, a.Cause,
	).Scan(&inserted)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("recording %s: %w", a.AttemptKey, err)
	}
	return inserted, nil
}

// GetAttempt reads the recorded attempt k, or ErrNoAttempt.
func GetAttempt(ctx context.Context, db Querier, k AttemptKey) (Attempt, error) {
	a := Attempt{AttemptKey: k}
	var outcome string
	var calls []byte
	var errMsg *string
	err := db.QueryRow(ctx, `
SELECT mode, outcome, prompt_variant, books_requested, books_generated, isbns_resolved,
    isbns_queued, calls, refusals, quota_exhausted, error_message, started_at, finished_at,
    books_lost, truncated_models, books_over_limit, cause
FROM backfill_attempts
WHERE namespace = $1 AND campaign = $2 AND year = $3 AND month = $4 AND month_uid = $5 AND attempt = $6`,
		k.Namespace, k.Campaign, k.Year, k.Month, k.MonthUID, k.Attempt,
	).Scan(&a.Mode, &outcome, &a.PromptVariant, &a.BooksRequested, &a.BooksGenerated,
		&a.ISBNsResolved, &a.ISBNsQueued, &calls, &a.Refusals, &a.QuotaExhausted, &errMsg,
		&a.StartedAt, &a.FinishedAt, &a.BooksLost, &a.TruncatedModels, &a.BooksOverLimit, &a.Cause)
	if errors.Is(err, pgx.ErrNoRows) {
		return Attempt{}, fmt.Errorf("%s: %w", k, ErrNoAttempt)
	}
	if err != nil {
		return Attempt{}, fmt.Errorf("reading %s: %w", k, err)
	}
	a.Outcome = Outcome(outcome)
	if len(a.TruncatedModels) == 0 {
		a.TruncatedModels = nil // rows from before the column read like rows without a cut
	}
	if errMsg != nil {
		a.Error = *errMsg
	}
	if err := json.Unmarshal(calls, &a.Calls); err != nil {
		return Attempt{}, fmt.Errorf("decoding calls of %s: %w", k, err)
	}
	return a, nil
}

func nonNil(m map[string]int) map[string]int {
	if m == nil {
		return map[string]int{}
	}
	return m
}

func emptyIfNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
