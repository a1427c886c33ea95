package budget

import (
	"context"
	"sync"
	"time"
)

// Local keeps lanes in this process only: for tests, and for a client used
// on its own. A deployment of several processes shares store.Store.Budget
// instead, or each process would spend the whole limit.
type Local struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu   sync.Mutex
	free map[string]time.Time   // each lane's next free moment
	sent map[string][]time.Time // each lane's latest departures, oldest first
}

// NewLocal returns an empty Local.
func NewLocal() *Local { return &Local{} }

func (l *Local) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// Book implements Limiter with the same rules as the PostgreSQL lanes.
func (l *Local) Book(_ context.Context, r Request) (Slot, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.free == nil {
		l.free = map[string]time.Time{}
	}
	now := l.now()
	slot := now
	for _, ln := range r.Lanes {
		if t := l.free[ln.Key]; t.After(slot) {
			slot = t
		}
	}
	wait := slot.Sub(now)
	if r.Priority == Background && wait > 0 || r.MaxWait > 0 && wait > r.MaxWait {
		return Slot{Wait: wait}, nil
	}
	cost := time.Duration(max(r.Cost, 1))
	for _, ln := range r.Lanes {
		l.free[ln.Key] = slot.Add(cost * ln.Gap)
	}
	return Slot{Booked: true, Wait: wait}, nil
}

// Pass implements Limiter.
func (l *Local) Pass(_ context.Context, r Request) (Slot, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sent == nil {
		l.sent = map[string][]time.Time{}
	}
	now := l.now()
	var wait time.Duration
	for _, ln := range r.Lanes {
		if ln.Max <= 0 {
			continue
		}
		sent := l.sent[ln.Key]
		if need := len(sent) + min(max(r.Cost, 1), ln.Max) - ln.Max; need >= 1 {
			wait = max(wait, sent[need-1].Add(ln.window()).Sub(now))
		}
	}
	if wait > 0 {
		return Slot{Wait: wait}, nil
	}
	for _, ln := range r.Lanes {
		if ln.Max <= 0 {
			continue
		}
		sent := l.sent[ln.Key]
		for range min(max(r.Cost, 1), ln.Max) {
			sent = append(sent, now)
		}
		l.sent[ln.Key] = sent[max(len(sent)-ln.Max, 0):]
	}
	return Slot{Booked: true}, nil
}

// Hold implements Limiter.
func (l *Local) Hold(_ context.Context, key string, d time.Duration) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.free == nil {
		l.free = map[string]time.Time{}
	}
	if t := l.now().Add(d); t.After(l.free[key]) {
		l.free[key] = t
	}
	return nil
}
