package esimgo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/starsesim/esimstore/budget"
)

// LaneKey is eSIM Go's lane in the shared budget: one per account.
const LaneKey = "esimgo"

// defaultCosts are the tokens an operation is booked for until eSIM Go's
// X-Ratelimit-Cost says otherwise. eSIM Go does not publish its costs; the
// catalogue is the endpoint its guide's example makes expensive, and
// booking it high costs only a few slots once an hour.
var defaultCosts = map[string]int{opCatalogue: 5}

const (
	opCatalogue   = "get catalogue"
	opCreateOrder = "create order"
)

// maxHold bounds how long one answer may close the lane: a Retry-After or
// a window reset beyond it is more likely a clock problem than a limit.
const maxHold = time.Minute

// cost is the tokens op is booked for.
func (c *Client) cost(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n, ok := c.costs[op]; ok {
		return n
	}
	return max(defaultCosts[op], 1)
}

// turn is a slot booked ahead by ReserveOrder for the next request made
// with its context.
type turn struct{ used atomic.Bool }

type turnKey struct{}

// ReserveOrder waits until eSIM Go's budget lets an order leave and returns
// a context whose next CreateOrder leaves without queueing again. A
// purchase books its slot before it notes the attempt in the ledger, so
// the attempt's clock (how long its order may take to appear) starts when
// the request can really leave, not after a wait in the queue. Use the
// context at once: a slot left unused is capacity lost. Errors are as for
// any request that was not sent (KindRateLimited when the queue is longer
// than the context's budget.MaxWait allows).
func (c *Client) ReserveOrder(ctx context.Context) (context.Context, error) {
	if err := c.waitTurn(ctx, call{op: opCreateOrder, charges: true}, c.orderTO); err != nil {
		return ctx, err
	}
	return context.WithValue(ctx, turnKey{}, &turn{}), nil
}

// waitTurn books the request's slot in the budget and sleeps until it.
// callTime is how long the request itself may take once sent: a slot is
// booked only if that still fits before ctx's deadline (an order keeps its
// whole OrderTimeout; a read, at most half of what is left).
func (c *Client) waitTurn(ctx context.Context, cl call, callTime time.Duration) error {
	if t, ok := ctx.Value(turnKey{}).(*turn); ok && t.used.CompareAndSwap(false, true) {
		return nil
	}
	c.mu.Lock()
	paused := time.Until(c.pausedUntil)
	c.mu.Unlock()
	if paused > 0 {
		if err := sleep(ctx, paused); err != nil {
			return &Error{Op: cl.op, Kind: KindNotSent, Err: fmt.Errorf("wait for rate limit: %w", err)}
		}
	}
	r := budget.Request{Lanes: []budget.Lane{c.lane}, Cost: c.cost(cl.op),
		Priority: budget.PriorityOf(ctx), MaxWait: budget.MaxWaitOf(ctx)}
	if dl, ok := ctx.Deadline(); ok {
		left := time.Until(dl)
		if !cl.charges {
			// A read rarely needs its whole timeout: under a short deadline
			// (a buyer's listing) it may queue for half of what is left.
			callTime = min(callTime, left/2)
		}
		if fits := left - callTime; r.MaxWait <= 0 || fits < r.MaxWait {
			r.MaxWait = max(fits, time.Nanosecond)
		}
	}
	err := budget.Wait(ctx, c.budget, r)
	var busy *budget.BusyError
	switch {
	case errors.As(err, &busy):
		// Nothing was sent; the caller retries when the queue has room,
		// as after eSIM Go's own 429.
		return &Error{Op: cl.op, Kind: KindRateLimited, Message: "not sent: " + busy.Error(), RetryAfter: busy.RetryAfter}
	case err != nil:
		return &Error{Op: cl.op, Kind: KindNotSent, Err: fmt.Errorf("wait for rate limit: %w", err)}
	}
	return nil
}

// observeLimit reads eSIM Go's rate-limit headers: the operation's cost for
// the next booking, and — after a 429, or an answer that used the window's
// last token — a hold on the lane until eSIM Go's window resets, so that
// every process waits, not only this one.
func (c *Client) observeLimit(ctx context.Context, op string, status int, h http.Header, retryAfter time.Duration) {
	if n, err := strconv.Atoi(strings.TrimSpace(h.Get("X-Ratelimit-Cost"))); err == nil && n >= 1 {
		c.mu.Lock()
		c.costs[op] = n
		c.mu.Unlock()
	}
	var hold time.Duration
	switch {
	case status == http.StatusTooManyRequests:
		hold = retryAfter
		if hold <= 0 {
			hold = untilReset(h)
		}
		if hold <= 0 {
			hold = time.Second // eSIM Go's window is a second
		}
	case strings.TrimSpace(h.Get("X-Ratelimit-Remaining")) == "0":
		hold = untilReset(h)
	}
	if hold <= 0 {
		return
	}
	hold = min(hold, maxHold)
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := c.budget.Hold(hctx, LaneKey, hold); err != nil {
		// The shared hold is lost; at least this process backs off.
		c.mu.Lock()
		if t := time.Now().Add(hold); t.After(c.pausedUntil) {
			c.pausedUntil = t
		}
		c.mu.Unlock()
	}
}

// untilReset is how long until X-Ratelimit-Reset (ISO 8601). Our clock
// gives the precision (eSIM Go's Date header has whole seconds only); the
// Date header keeps clock skew from stretching or shortening the wait by
// more than that second.
func untilReset(h http.Header) time.Duration {
	reset, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(h.Get("X-Ratelimit-Reset")))
	if err != nil {
		return 0
	}
	d := time.Until(reset)
	if date, err := http.ParseTime(h.Get("Date")); err == nil {
		// eSIM Go's now lies within the second after Date.
		latest := reset.Sub(date)
		d = min(max(d, latest-time.Second), latest)
	}
	return d
}
