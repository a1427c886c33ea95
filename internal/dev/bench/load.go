package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/starsesim/esimstore/telegram"
)

// loader plays buyers: each order is its own buyer (a fresh user id), so
// the API's double-tap protection never merges two orders.
type loader struct {
	s      *stack
	client *http.Client
	nextID atomic.Int64
	wg     sync.WaitGroup

	mu   sync.Mutex
	recs []*orderRec
}

// firstBuyer gives bench buyers ids above 2^32, like recent Telegram
// accounts, clear of the simulator's named test users.
const firstBuyer = 6_000_000_000

func newLoader(s *stack) *loader {
	l := &loader{s: s, client: &http.Client{Timeout: 30 * time.Second, Transport: newTransport()}}
	l.nextID.Store(firstBuyer)
	return l
}

// run generates load until stopAt; orders started before warmEnd are
// marked as warm-up. It returns once every order has been paid (or has
// failed); deliveries are awaited separately.
func (l *loader) run(ctx context.Context, o Options, warmEnd, stopAt time.Time) {
	if o.Rate > 0 {
		l.openLoop(ctx, o.Rate, warmEnd, stopAt)
	} else {
		l.closedLoop(ctx, o.Concurrency, warmEnd, stopAt)
	}
	l.wg.Wait()
}

// openLoop starts orders on a fixed schedule regardless of how the store
// keeps up, so slow answers show in the latencies instead of silently
// lowering the load (no coordinated omission).
func (l *loader) openLoop(ctx context.Context, rate float64, warmEnd, stopAt time.Time) {
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	for i := 0; ; i++ {
		next := start.Add(time.Duration(i) * interval)
		if !next.Before(stopAt) {
			return
		}
		if d := time.Until(next); d > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(d):
			}
		}
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			l.order(ctx, next.Before(warmEnd))
		}()
	}
}

// closedLoop keeps n buyers busy; each waits for its QR (or a failure)
// before buying again, as a person would.
func (l *loader) closedLoop(ctx context.Context, n int, warmEnd, stopAt time.Time) {
	for range n {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for ctx.Err() == nil && time.Now().Before(stopAt) {
				r := l.order(ctx, time.Now().Before(warmEnd))
				if r.paid {
					select {
					case <-r.done:
					case <-ctx.Done():
					case <-time.After(30 * time.Second):
					}
				}
			}
		}()
	}
}

// order is one buyer's whole visit: create the order, then pay it in
// (fake) Telegram. The delivery is observed by the tracker.
func (l *loader) order(ctx context.Context, warm bool) *orderRec {
	user := telegram.User{ID: l.nextID.Add(1), FirstName: "Bench", LanguageCode: "en"}
	r := &orderRec{userID: user.ID, warm: warm, done: make(chan struct{}), start: time.Now()}
	plan := l.s.opts.Plan
	if n := l.s.opts.RefundEvery; n > 0 && (user.ID-firstBuyer)%int64(n) == 0 {
		r.refund, plan = true, RefusedPlan
	}
	l.s.tracker.add(r)
	l.mu.Lock()
	l.recs = append(l.recs, r)
	l.mu.Unlock()

	link, err := l.create(ctx, user, plan, r)
	if err != nil {
		r.createErr = err.Error()
		return r
	}
	res, err := l.s.tg.Pay(ctx, link, user)
	// The progress line reads these while other orders run.
	l.s.tracker.mu.Lock()
	defer l.s.tracker.mu.Unlock()
	switch {
	case err != nil:
		r.failure = "pay: " + err.Error()
	case !res.Approved:
		r.failure = "pre-checkout declined: " + res.ErrorMessage
	case !res.Delivered:
		r.failure = fmt.Sprintf("successful_payment not accepted: %v", res.DeliveryError)
	default:
		r.paid = true
	}
	return r
}

func (l *loader) create(ctx context.Context, user telegram.User, plan string, r *orderRec) (string, error) {
	body, _ := json.Marshal(map[string]string{"plan_id": plan})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.s.appURL+"/api/orders", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "tma "+telegram.SignInitData(l.s.token, user, time.Now(), nil))
	resp, err := l.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("create: %w", err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	r.created = time.Now()
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("create: status %d", resp.StatusCode)
	}
	var c struct {
		OrderID     string `json:"order_id"`
		InvoiceLink string `json:"invoice_link"`
	}
	if err := json.Unmarshal(raw, &c); err != nil || c.OrderID == "" || c.InvoiceLink == "" {
		return "", fmt.Errorf("create: unexpected answer %.200q", raw)
	}
	l.s.tracker.setOrder(r, c.OrderID)
	return c.InvoiceLink, nil
}

// awaitDeliveries waits until every paid order has its QR (or, buying
// RefusedPlan, its refund) or the drain time is over.
func (l *loader) awaitDeliveries(ctx context.Context, drain time.Duration) {
	deadline := time.After(drain)
	for _, r := range l.snapshot() {
		if !r.paid {
			continue
		}
		select {
		case <-r.done:
		case <-deadline:
			return
		case <-ctx.Done():
			return
		}
	}
}

func (l *loader) snapshot() []*orderRec {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*orderRec(nil), l.recs...)
}

// progress counts orders so far, for the once-a-second line.
func (l *loader) progress() (started, paid, delivered int) {
	recs := l.snapshot()
	l.s.tracker.mu.Lock()
	defer l.s.tracker.mu.Unlock()
	for _, r := range recs {
		started++
		if r.paid {
			paid++
		}
		if !r.delivered.IsZero() || !r.refunded.IsZero() {
			delivered++
		}
	}
	return
}
