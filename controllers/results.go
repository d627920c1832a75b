package controllers

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5/pgxpool"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/attempt"
	"github.com/ooheynerds/backfill-operator/internal/database"
)

// ResultReader finds what the worker of an attempt reported.
type ResultReader interface {
	// Report reads attempt n of this incarnation of month.
	Report(ctx context.Context, month *v1alpha1.BackfillMonth, n int) attempt.Report
}

// Results reads the worker's backfill_attempts row, which is written in the same transaction
// as its books, and falls back to the termination message of the attempt's pod when the
// database cannot be reached, so CR status keeps progressing through a database outage.
type Results struct {
	DB     *pgxpool.Pool // nil when the manager runs without a database
	Client client.Reader // reads the attempt's pods (label-selected cache)
}

// Report implements ResultReader.
func (r Results) Report(ctx context.Context, month *v1alpha1.BackfillMonth, n int) attempt.Report {
	dbDown := false
	if r.DB != nil {
		a, err := database.GetAttempt(ctx, r.DB, database.AttemptKey{
			Namespace: month.Namespace, Campaign: month.Spec.Campaign,
			Year: int(month.Spec.Year), Month: int(month.Spec.Month), MonthUID: string(month.UID), Attempt: n,
		})
		switch {
		case err == nil:
			return attempt.Report{Result: attempt.FromRow(a), Found: true}
		case !errors.Is(err, database.ErrNoAttempt):
			dbDown = true
		}
	}
	pods, err := attemptPods(ctx, r.Client, month, n)
	if err != nil {
		return attempt.Report{Unknown: true}
	}
	for _, p := range pods {
		for _, cs := range p.Status.ContainerStatuses {
			if t := cs.State.Terminated; t != nil {
				if s, ok := attempt.DecodeSummary(t.Message); ok {
					return attempt.Report{Result: attempt.FromSummary(s), Found: true}
				}
			}
		}
	}
	return attempt.Report{Unknown: dbDown}
}

// attemptPods lists the pods of attempt n of this incarnation of month: a pod labelled with
// another incarnation's UID is not this month's, whatever its name says.
func attemptPods(ctx context.Context, c client.Reader, month *v1alpha1.BackfillMonth, n int) ([]corev1.Pod, error) {
	var pods corev1.PodList
	if err := c.List(ctx, &pods, client.InNamespace(month.Namespace),
		client.MatchingLabels{v1alpha1.LabelMonth: month.Name, v1alpha1.LabelAttempt: strconv.Itoa(n)}); err != nil {
		return nil, fmt.Errorf("listing pods of %s attempt %d: %w", month.Name, n, err)
	}
	out := pods.Items[:0]
	for _, p := range pods.Items {
		if uid, ok := p.Labels[v1alpha1.LabelMonthUID]; !ok || uid == string(month.UID) {
			out = append(out, p)
		}
	}
	return out, nil
}
