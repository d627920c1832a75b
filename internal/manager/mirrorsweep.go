package manager

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/mirror"
)

// deletionSweeper keeps backfill_log truthful when months go away: it removes the unfinished
// rows of months that no longer exist (mirror.SweepDeleted) at start — repairing what a
// manager that crashed during a deletion left behind — shortly after every month deletion
// the cache sees, and periodically, which also covers deletions during a database outage.
type deletionSweeper struct {
	pool  *pgxpool.Pool
	cache cache.Cache
	// namespaces are the watched namespaces (nil: all).
	namespaces []string
	// settle lets the month controller finish writes already in flight for a deleted month.
	settle   time.Duration
	interval time.Duration
}

func (s *deletionSweeper) Start(ctx context.Context) error {
	logger := log.FromContext(ctx).WithName("mirror-sweep")
	informer, err := s.cache.GetInformer(ctx, &v1alpha1.BackfillMonth{})
	if err != nil {
		return err
	}
	deleted := make(chan struct{}, 1)
	if _, err := informer.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		DeleteFunc: func(any) {
			select {
			case deleted <- struct{}{}:
			default:
			}
		},
	}); err != nil {
		return err
	}
	if !s.cache.WaitForCacheSync(ctx) {
		return nil
	}
	next := time.NewTimer(0)
	defer next.Stop()
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-deleted:
			next.Reset(s.settle)
			continue
		case <-next.C:
		}
		removed, err := mirror.SweepDeleted(ctx, s.pool, s.namespaces, s.existing(ctx))
		for _, k := range removed {
			logger.Info("Removed the unfinished backfill_log row of a deleted month", "month", k.String())
		}
		wait := s.interval
		if err != nil {
			failures++
			wait = min(time.Second<<min(failures, 5), s.interval)
			logger.Info("Sweeping backfill_log for deleted months failed; will retry", "error", err.Error(), "after", wait)
		} else {
			failures = 0
		}
		next.Reset(wait)
	}
}

// existing answers from one listing of the cache, taken after the sweep read its rows.
func (s *deletionSweeper) existing(ctx context.Context) func(mirror.Key) bool {
	var months v1alpha1.BackfillMonthList
	listed := false
	keys := map[mirror.Key]bool{}
	return func(k mirror.Key) bool {
		if !listed {
			listed = true
			if err := s.cache.List(ctx, &months); err != nil {
				keys = nil
				return true
			}
			for _, m := range months.Items {
				keys[mirror.Key{Namespace: m.Namespace, Campaign: m.Spec.Campaign, Year: m.Spec.Year, Month: m.Spec.Month}] = true
			}
		}
		// Without a listing nothing is known to be gone.
		return keys == nil || keys[k]
	}
}
