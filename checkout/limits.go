package checkout

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"golang.org/x/time/rate"
)

// Per-buyer limits. One valid initData (or one chat) could otherwise start
// thousands of orders, each a workflow with a 30-minute timer and an
// invoice link made against the bot's Telegram rate limit. The limits are
// set far above what a real buyer does, and a repeated request (the same
// Idempotency-Key, a double tap, Telegram re-delivering a /start) names an
// order that already exists, so it is answered before the limits are
// consulted and never counts against them.

// Errors of the limits; callers answer 429 (or a chat message).
var (
	ErrTooManyOpenOrders = errors.New("too many unpaid orders open")
	ErrRateLimited       = errors.New("too many requests")
)

// OpenOrdersError says the buyer already has Max unpaid orders open.
type OpenOrdersError struct{ Max int }

func (e *OpenOrdersError) Error() string {
	return fmt.Sprintf("%s (at most %d)", ErrTooManyOpenOrders, e.Max)
}

func (e *OpenOrdersError) Unwrap() error { return ErrTooManyOpenOrders }

// RateLimitedError says the buyer is going faster than the rate; RetryAfter
// is when the next request will be allowed.
type RateLimitedError struct{ RetryAfter time.Duration }

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("%s: retry after %s", ErrRateLimited, e.RetryAfter)
}

func (e *RateLimitedError) Unwrap() error { return ErrRateLimited }

// RetryAfterSeconds is RetryAfter for a Retry-After header: whole seconds,
// rounded up, at least 1.
func (e *RateLimitedError) RetryAfterSeconds() int {
	s := int((e.RetryAfter + time.Second - 1) / time.Second)
	return max(s, 1)
}

// DefaultRateBuyers bounds how many buyers' rate limiters one process
// keeps. A buyer's limiter matters only while its bucket is not full again
// (burst ÷ rate: 30 s at the defaults), so forgetting the least recently
// seen buyer beyond this many costs nothing real; it keeps memory at about
// 2 MB however many buyers come by.
const DefaultRateBuyers = 10_000

// BuyerRate is a token bucket per buyer (golang.org/x/time/rate): Burst
// requests at once, then PerMinute a minute. It lives in one process, so
// with N API processes a buyer could reach up to N times the rate; a
// buyer's requests usually reach one process, and the open-order limit,
// which is counted in the ledger, holds across all of them.
type BuyerRate struct {
	limit rate.Limit
	burst int

	mu     sync.Mutex
	buyers *simplelru.LRU[int64, *rate.Limiter]
}

// NewBuyerRate allows burst requests at once and perMinute a minute
// afterwards, per buyer, remembering at most buyers buyers (the least
// recently seen are forgotten first).
func NewBuyerRate(perMinute float64, burst, buyers int) (*BuyerRate, error) {
	if perMinute <= 0 || burst < 1 || buyers < 1 {
		return nil, fmt.Errorf("buyer rate: need a positive rate, burst and size (got %v/min, burst %d, %d buyers)",
			perMinute, burst, buyers)
	}
	lru, err := simplelru.NewLRU[int64, *rate.Limiter](buyers, nil)
	if err != nil {
		return nil, fmt.Errorf("buyer rate: %w", err)
	}
	return &BuyerRate{limit: rate.Limit(perMinute / 60), burst: burst, buyers: lru}, nil
}

// Allow takes one request of the buyer at now. A refused request takes
// nothing, so hammering does not push the buyer's next chance further out;
// wait says when that chance comes.
func (r *BuyerRate) Allow(userID int64, now time.Time) (ok bool, wait time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	lim, found := r.buyers.Get(userID)
	if !found {
		lim = rate.NewLimiter(r.limit, r.burst)
		r.buyers.Add(userID, lim)
	}
	res := lim.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

// buyerLocks serialises one buyer's order starts within this process, so
// counting the open orders and starting the next one are one step: two
// concurrent requests at 9 open orders make 10, not 11. Across API
// processes the count can still overshoot by up to one order per extra
// process that a buyer reaches at the same instant; that is accepted.
type buyerLocks struct {
	mu   sync.Mutex
	held map[int64]*buyerLock
}

type buyerLock struct {
	sync.Mutex
	users int // holders and waiters; the entry goes when it drops to 0
}

func (l *buyerLocks) lock(userID int64) (unlock func()) {
	l.mu.Lock()
	if l.held == nil {
		l.held = map[int64]*buyerLock{}
	}
	b := l.held[userID]
	if b == nil {
		b = &buyerLock{}
		l.held[userID] = b
	}
	b.users++
	l.mu.Unlock()

	b.Lock()
	return func() {
		b.Unlock()
		l.mu.Lock()
		if b.users--; b.users == 0 {
			delete(l.held, userID)
		}
		l.mu.Unlock()
	}
}

// limited reports whether any per-buyer limit is configured.
func (s *Service) limited() bool { return s.MaxOpenOrders > 0 || s.Rate != nil }

// lockBuyer holds the buyer's start lock while limits are configured.
func (s *Service) lockBuyer(userID int64) (unlock func()) {
	if !s.limited() {
		return func() {}
	}
	return s.locks.lock(userID)
}

// admitNew decides whether the buyer may start a new order or
// subscription: open orders first (a buyer at the limit spends no rate),
// then the rate. Call it with the buyer's lock held, only for an id that
// names no existing order.
func (s *Service) admitNew(ctx context.Context, userID int64) error {
	if s.MaxOpenOrders > 0 {
		n, err := s.Store.CountOpenOrders(ctx, userID, s.now(), s.MaxOpenOrders)
		if err != nil {
			return err
		}
		if n >= s.MaxOpenOrders {
			s.log().Info("order refused: too many open orders", "user_id", userID, "open", n)
			return &OpenOrdersError{Max: s.MaxOpenOrders}
		}
	}
	return s.allow(userID)
}

// allow takes one request from the buyer's rate.
func (s *Service) allow(userID int64) error {
	if s.Rate == nil {
		return nil
	}
	if ok, wait := s.Rate.Allow(userID, s.now()); !ok {
		s.log().Info("request refused: buyer rate", "user_id", userID, "retry_after", wait)
		return &RateLimitedError{RetryAfter: wait}
	}
	return nil
}
