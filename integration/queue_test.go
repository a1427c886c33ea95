package integration

import (
	"context"
	"testing"
	"time"

	"github.com/starsesim/esimstore/esimgo"
)

// TestPaidOrderShowsItsPlaceInTheQueue: while eSIM Go's budget is booked
// (a burst of purchases), a paid order's GET /api/orders/{id} says how many
// paid orders wait before it and roughly how long; once bought, it says
// nothing of a queue.
func TestPaidOrderShowsItsPlaceInTheQueue(t *testing.T) {
	s := startStore(t, func(c *configT) { c.ESIMGoRateLimit = 1 })
	ctx := context.Background()
	// Three orders paid earlier still wait for their eSIM (a backlog only
	// the ledger knows of: nothing of theirs is in the budget).
	for i, id := range []string{"queued-1", "queued-2", "queued-3"} {
		if _, err := s.App.Store.Pool.Exec(ctx, `INSERT INTO orders (id, user_id, chat_id, plan_id, status, price_usd,
			price_stars, quote_expires_at, updated_at) VALUES ($1, $2, $2, $3, 'fulfilling', 1.77, 137, now() + interval '1 hour',
			now() - $4 * interval '1 second')`, id, 6_000_000_001+int64(i), planGB, 10-i); err != nil {
			t.Fatal(err)
		}
	}
	// And the lane is booked for the next 15 seconds.
	if err := s.App.Store.Budget().Hold(ctx, esimgo.LaneKey, 15*time.Second); err != nil {
		t.Fatal(err)
	}
	c := s.buy(alice, planGB)
	s.mustPay(c, alice)

	var v struct {
		orderView
		Queue *struct {
			Ahead       int `json:"ahead"`
			WaitSeconds int `json:"wait_seconds"`
		} `json:"queue"`
	}
	deadline := time.Now().Add(10 * time.Second)
	for v.Queue == nil && time.Now().Before(deadline) {
		s.call("GET", "/api/orders/"+c.OrderID, s.as(alice), nil, &v)
		time.Sleep(100 * time.Millisecond)
	}
	// 4 orders at 0.925 a second (1 per second with headroom): 5 seconds.
	if v.Queue == nil || v.Status != "fulfilling" || v.Queue.Ahead != 3 || v.Queue.WaitSeconds != 5 {
		t.Fatalf("a paid order behind a booked budget: %+v queue %+v; want fulfilling, 3 ahead, 5 s", v.orderView, v.Queue)
	}
	// Another buyer cannot see it, queue or not.
	if code := s.call("GET", "/api/orders/"+c.OrderID, s.as(boris), nil, nil); code != 404 {
		t.Errorf("another buyer's view: %d", code)
	}

	s.waitStatus(alice, c.OrderID, "fulfilled", time.Minute)
	v.Queue = nil
	s.call("GET", "/api/orders/"+c.OrderID, s.as(alice), nil, &v)
	if v.Queue != nil || v.ESIM == nil {
		t.Errorf("a fulfilled order: queue %+v, eSIM %+v", v.Queue, v.ESIM)
	}
}
