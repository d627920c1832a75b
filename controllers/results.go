package controllers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/database"
	"github.com/ooheynerds/backfill-operator/internal/gate"
	"github.com/ooheynerds/backfill-operator/internal/worker"
)

// AttemptResult is an attempt's outcome as its worker reported it.
type AttemptResult struct {
	Succeeded bool
	// Permanent failures (bad configuration) are not retried.
	Permanent      bool
	Metrics        v1alpha1.MonthMetrics
	Calls          map[string]int32
	QuotaExhausted []string
	Message        string
}

// ResultReader finds what the worker of an attempt reported.
type ResultReader interface {
	// Result reports found=false when no report exists (yet); err says the database could not
	// be asked, so absence is not certain.
	Result(ctx context.Context, month *v1alpha1.BackfillMonth, attempt int) (res AttemptResult, found bool, err error)
}

// Results reads the worker's backfill_attempts row, which is written in the same transaction
// as its books, and falls back to the termination message of the attempt's pod when the
// database cannot be reached, so CR status keeps progressing through a database outage.
type Results struct {
	DB     *pgxpool.Pool // nil when the manager runs without a database
	Client client.Reader
}

// Result implements ResultReader.
func (r Results) Result(ctx context.Context, month *v1alpha1.BackfillMonth, attempt int) (AttemptResult, bool, error) {
	var dbErr error
	if r.DB != nil {
		a, err := database.GetAttempt(ctx, r.DB, database.AttemptKey{
			Namespace: month.Namespace, Campaign: month.Spec.Campaign,
			Year: int(month.Spec.Year), Month: int(month.Spec.Month), Attempt: attempt,
		})
		switch {
		case err == nil:
			return fromAttempt(a), true, nil
		case !errors.Is(err, database.ErrNoAttempt):
			dbErr = err
		}
	}
	res, found, err := r.fromPods(ctx, month, attempt)
	if err != nil && dbErr == nil {
		dbErr = err
	}
	return res, found, dbErr
}

func fromAttempt(a database.Attempt) AttemptResult {
	res := AttemptResult{
		Succeeded: a.Outcome == database.OutcomeSucceeded,
		Metrics: v1alpha1.MonthMetrics{
			BooksGenerated: int32(a.BooksGenerated), ISBNsResolved: int32(a.ISBNsResolved),
			ISBNsQueued: int32(a.ISBNsQueued), ResolutionRate: gate.Percent(int64(a.ISBNsResolved), int64(a.BooksGenerated)),
		},
		Calls:          map[string]int32{},
		QuotaExhausted: a.QuotaExhausted,
		Message:        a.Error,
	}
	for k, v := range a.Calls {
		res.Calls[k] = int32(v)
	}
	return res
}

func (r Results) fromPods(ctx context.Context, month *v1alpha1.BackfillMonth, attempt int) (AttemptResult, bool, error) {
	var pods corev1.PodList
	if err := r.Client.List(ctx, &pods, client.InNamespace(month.Namespace),
		client.MatchingLabels{v1alpha1.LabelMonth: month.Name, v1alpha1.LabelAttempt: fmt.Sprint(attempt)}); err != nil {
		return AttemptResult{}, false, fmt.Errorf("listing pods of %s attempt %d: %w", month.Name, attempt, err)
	}
	for _, p := range pods.Items {
		for _, cs := range p.Status.ContainerStatuses {
			t := cs.State.Terminated
			if t == nil || !strings.HasPrefix(strings.TrimSpace(t.Message), "{") {
				continue
			}
			var s worker.Summary
			if json.Unmarshal([]byte(t.Message), &s) != nil || s.Outcome == "" {
				continue
			}
			msg := s.Error
			if msg == "" && s.Outcome != string(database.OutcomeSucceeded) {
				msg = s.Reason
			}
			calls := make(map[string]int32, len(s.Calls))
			for k, v := range s.Calls {
				calls[k] = int32(v)
			}
			return AttemptResult{
				Succeeded: s.Outcome == string(database.OutcomeSucceeded),
				Permanent: !s.Retryable && s.Outcome != string(database.OutcomeSucceeded),
				Metrics: v1alpha1.MonthMetrics{
					BooksGenerated: int32(s.BooksGenerated), ISBNsResolved: int32(s.ISBNsResolved), ISBNsQueued: int32(s.ISBNsQueued),
					ResolutionRate: gate.Percent(int64(s.ISBNsResolved), int64(s.BooksGenerated)),
				},
				Calls: calls, QuotaExhausted: s.QuotaExhausted, Message: msg,
			}, true, nil
		}
	}
	return AttemptResult{}, false, nil
}
