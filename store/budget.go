package store

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/starsesim/esimstore/budget"
)

// Budget is the deployment-wide budget.Limiter: its lanes live in the
// budget_lanes table, so every API and worker process books on the same
// queue and the providers see one caller. A booking is one statement.
func (s *Store) Budget() budget.Limiter { return &lanes{s: s} }

type lanes struct {
	s       *Store
	booking atomic.Int64
}

// pruneEvery bookings, lanes nobody has used for pruneAfter are deleted:
// there is one per chat a message went to.
const (
	pruneEvery = 1000
	pruneAfter = 10 * time.Minute
)

func (l *lanes) Book(ctx context.Context, r budget.Request) (budget.Slot, error) {
	keys := make([]string, len(r.Lanes))
	gaps := make([]int64, len(r.Lanes))
	for i, ln := range r.Lanes {
		keys[i] = ln.Key
		gaps[i] = (time.Duration(max(r.Cost, 1)) * ln.Gap).Microseconds()
	}
	var s budget.Slot
	var waitUS int64
	err := l.s.Pool.QueryRow(ctx, `SELECT booked, wait_us FROM book_budget($1, $2, $3, $4)`,
		keys, gaps, max(r.MaxWait, 0).Microseconds(), r.Priority == budget.Background).Scan(&s.Booked, &waitUS)
	if err != nil {
		return budget.Slot{}, fmt.Errorf("book %v budget: %w", keys, err)
	}
	s.Wait = time.Duration(waitUS) * time.Microsecond
	if l.booking.Add(1)%pruneEvery == 0 {
		if _, err := l.s.Pool.Exec(ctx, `DELETE FROM budget_lanes WHERE free_at < now() - $1 * interval '1 microsecond'`,
			pruneAfter.Microseconds()); err != nil {
			return s, fmt.Errorf("prune budget lanes: %w", err)
		}
	}
	return s, nil
}

func (l *lanes) Pass(ctx context.Context, r budget.Request) (budget.Slot, error) {
	var keys []string
	var maxes []int32
	var windows []int64
	for _, ln := range r.Lanes {
		if ln.Max > 0 {
			keys = append(keys, ln.Key)
			maxes = append(maxes, int32(ln.Max))
			windows = append(windows, (time.Duration(ln.Max) * ln.Gap).Microseconds())
		}
	}
	if len(keys) == 0 {
		return budget.Slot{Booked: true}, nil
	}
	var s budget.Slot
	var waitUS int64
	err := l.s.Pool.QueryRow(ctx, `SELECT passed, wait_us FROM pass_budget($1, $2, $3, $4)`,
		keys, maxes, windows, int32(max(r.Cost, 1))).Scan(&s.Booked, &waitUS)
	if err != nil {
		return budget.Slot{}, fmt.Errorf("pass %v budget: %w", keys, err)
	}
	s.Wait = time.Duration(waitUS) * time.Microsecond
	return s, nil
}

func (l *lanes) Hold(ctx context.Context, key string, d time.Duration) error {
	_, err := l.s.Pool.Exec(ctx, `INSERT INTO budget_lanes (key, free_at)
		VALUES ($1, clock_timestamp() + $2 * interval '1 microsecond')
		ON CONFLICT (key) DO UPDATE SET free_at = greatest(budget_lanes.free_at, excluded.free_at)`, key, d.Microseconds())
	if err != nil {
		return fmt.Errorf("hold %s budget for %s: %w", key, d, err)
	}
	return nil
}
