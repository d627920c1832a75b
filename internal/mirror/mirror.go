// Package mirror keeps the seed's backfill_log table equal to the BackfillMonth statuses, so
// the original operations SQL keeps working. The manager is its only writer; the resources
// are the source of truth and the table is repaired from them after an outage.
package mirror

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

// Execer is what a pool (or a connection) offers.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Row is one backfill_log row.
type Row struct {
	Namespace, Campaign, Phase         string
	Year, Month                        int32
	Status                             string
	BooksGenerated, ISBNsResolved      int32
	ResolutionRate                     *string
	ISBNsQueued                        int32
	GeminiCalls, XAICalls, ISBNdbCalls int32
	StartedAt, CompletedAt             *time.Time
	ErrorMessage                       *string
	RetryCount                         int32
	LastRetryAt                        *time.Time
	PromptVariant                      string
	BatchSize                          int32
}

// RowFor derives the row from a month: the seed's lower-case status, the latest attempt's
// results, calls summed over every attempt (the month's real spending), and retry_count as
// the number of failed attempts.
func RowFor(m *v1alpha1.BackfillMonth) Row {
	r := Row{
		Namespace: m.Namespace, Campaign: m.Spec.Campaign, Phase: m.Spec.Phase,
		Year: m.Spec.Year, Month: m.Spec.Month,
		Status:         strings.ToLower(string(m.EffectiveState())),
		BooksGenerated: m.Status.Metrics.BooksGenerated,
		ISBNsResolved:  m.Status.Metrics.ISBNsResolved,
		ISBNsQueued:    m.Status.Metrics.ISBNsQueued,
		PromptVariant:  string(m.Spec.PromptVariant),
		BatchSize:      m.Spec.BooksPerMonth,
		StartedAt:      timeOf(m.Status.StartedAt),
		CompletedAt:    timeOf(m.Status.CompletedAt),
		LastRetryAt:    timeOf(m.Status.LastRetryAt),
	}
	if rate := m.Status.Metrics.ResolutionRate; rate != "" {
		r.ResolutionRate = &rate
	}
	if e := m.Status.LastError; e != "" {
		r.ErrorMessage = &e
	}
	for _, a := range m.Status.History {
		r.GeminiCalls += a.Calls[v1alpha1.ProviderGemini]
		r.XAICalls += a.Calls[v1alpha1.ProviderXAI]
		r.ISBNdbCalls += a.Calls[string(v1alpha1.SourceISBNdb)]
		// retry_count is the current run's failed attempts (the seed's meaning: how often the
		// month was retried), at most 5 (the seed's CHECK); a rerun starts counting again.
		if a.Outcome == v1alpha1.AttemptFailed && a.Run == m.Status.Run && r.RetryCount < 5 {
			r.RetryCount++
		}
	}
	return r
}

func timeOf(t *metav1.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC()
	return &v
}

// columns are backfill_log's columns the mirror writes, updated_at last (set to NOW()).
const columns = `namespace, campaign, phase, year, month, status, books_generated,
    isbns_resolved, resolution_rate, isbns_queued, gemini_calls, xai_calls, isbndb_calls,
    started_at, completed_at, error_message, retry_count, last_retry_at, prompt_variant,
    batch_size, updated_at`

// replaceRow makes an insert replace the month's previous row.
const replaceRow = `
ON CONFLICT (namespace, campaign, year, month) DO UPDATE SET
    phase = EXCLUDED.phase, status = EXCLUDED.status,
    books_generated = EXCLUDED.books_generated, isbns_resolved = EXCLUDED.isbns_resolved,
    resolution_rate = EXCLUDED.resolution_rate, isbns_queued = EXCLUDED.isbns_queued,
    gemini_calls = EXCLUDED.gemini_calls, xai_calls = EXCLUDED.xai_calls,
    isbndb_calls = EXCLUDED.isbndb_calls, started_at = EXCLUDED.started_at,
    completed_at = EXCLUDED.completed_at, error_message = EXCLUDED.error_message,
    retry_count = EXCLUDED.retry_count, last_retry_at = EXCLUDED.last_retry_at,
    prompt_variant = EXCLUDED.prompt_variant, batch_size = EXCLUDED.batch_size,
    updated_at = NOW()`

// upsertSQL writes one row, replacing the month's previous row.
const upsertSQL = `INSERT INTO backfill_log (` + columns + `)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::numeric, $10, $11, $12, $13, $14, $15, $16, $17,
    $18, $19, $20, NOW())` + replaceRow

func (r Row) args() []any {
	return []any{r.Namespace, r.Campaign, r.Phase, r.Year, r.Month, r.Status, r.BooksGenerated,
		r.ISBNsResolved, r.ResolutionRate, r.ISBNsQueued, r.GeminiCalls, r.XAICalls, r.ISBNdbCalls,
		r.StartedAt, r.CompletedAt, r.ErrorMessage, r.RetryCount, r.LastRetryAt, r.PromptVariant,
		r.BatchSize}
}

// failed names the row's month in err (nil stays nil).
func (r Row) failed(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("mirroring %s/%s %04d-%02d into backfill_log: %w", r.Namespace, r.Campaign, r.Year, r.Month, err)
}

// Upsert writes the row, replacing the month's previous row.
func Upsert(ctx context.Context, db Execer, r Row) error {
	if _, err := db.Exec(ctx, upsertSQL, r.args()...); err != nil {
		return r.failed(err)
	}
	return nil
}
