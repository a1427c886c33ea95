package api

import (
	"context"
	"math"

	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/store"
)

// queueJSON is a paid order's place in the queue for eSIM Go's budget.
type queueJSON struct {
	// Ahead counts the paid orders waiting for their eSIM that were paid
	// before this one.
	Ahead int `json:"ahead"`
	// WaitSeconds is how long they and this order take at the rate eSIM
	// Go allows, rounded up.
	WaitSeconds int `json:"wait_seconds"`
}

// minQueueWait is the shortest wait worth telling the buyer about: below
// it the Mini App's "Preparing your eSIM…" is the whole truth.
const minQueueWait = 2

// queue says where a paid order stands when a burst of purchases queues
// for eSIM Go's budget (docs/performance.md, "Provider ceilings"), so the
// Mini App can show "N orders ahead of yours, about M s" instead of a
// spinner. Orders are bought in the order they were paid, so the count of
// earlier paid orders still waiting is the buyer's place. Failing to count
// only leaves the place out.
func (s *Server) queue(ctx context.Context, o store.Order) *queueJSON {
	if s.PurchasesPerSecond <= 0 || o.Status != contract.StatusPaid && o.Status != contract.StatusFulfilling {
		return nil
	}
	ahead, err := s.Store.OrdersAhead(ctx, o.UpdatedAt)
	if err != nil {
		s.log().Warn("count the orders ahead in the purchase queue", "order_id", o.ID, "err", err)
		return nil
	}
	wait := int(math.Ceil(float64(ahead+1) / s.PurchasesPerSecond))
	if wait < minQueueWait {
		return nil
	}
	return &queueJSON{Ahead: ahead, WaitSeconds: wait}
}
