package esimgo_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/starsesim/esimstore/esimgo"
)

// Placing an order without ever buying twice: on KindOutcomeUnknown, look the
// order up before deciding anything.
func ExampleClient_FindOrderSince() {
	c, err := esimgo.New(esimgo.Config{APIKey: "from-ESIMGO_API_KEY"})
	if err != nil {
		return
	}
	ctx := context.Background()
	bundle := "esim_1GB_7D_GB_V2"
	started := time.Now()
	o, err := c.CreateOrder(ctx, esimgo.OrderRequest{Type: esimgo.OrderTransaction, Assign: true,
		Order: []esimgo.OrderItem{{Item: bundle, Quantity: 1}}})
	switch {
	case err == nil:
		fmt.Println("ordered", o.Reference)
	case esimgo.KindOf(err) == esimgo.KindOutcomeUnknown:
		found, lookErr := c.FindOrderSince(ctx, started.Add(-2*time.Minute), bundle)
		if lookErr != nil {
			return // try the lookup again later; still do not re-order
		}
		// Claim the newest order not yet linked to another sale (check your ledger).
		_ = found
	case esimgo.IsRetryable(err):
		// Certainly not charged (not sent, rate limited, server error, balance): retry later.
	default:
		var e *esimgo.Error
		if errors.As(err, &e) {
			fmt.Println("refund the buyer:", e.Kind)
		}
	}
}
