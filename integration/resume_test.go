package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/esimgo/esimgotest"
)

// A run terminated mid-purchase, after eSIM Go committed the order but
// before the answer came back, is resumed minutes later by a re-delivered
// payment. The resumed run must find that order from the payment's time in
// the ledger — looking back only from its own start, it would miss an
// order three minutes old and buy a second eSIM for the same payment.
func TestResumedOrderFindsAnOrderBoughtMinutesEarlier(t *testing.T) {
	s := startStore(t, nil)
	ctx := context.Background()
	// eSIM Go commits at once and holds the answer past every timeout.
	s.ESIM.SetFault(esimgotest.EndpointCreateOrder, esimgotest.Fault{CommitThenDelay: time.Minute, Times: 1})
	c := s.buy(alice, planGB)
	charge := s.mustPay(c, alice)
	waitFor(t, 30*time.Second, "eSIM Go to commit the order", func() bool { return len(s.ESIM.Orders()) == 1 })
	if err := s.App.Temporal.TerminateWorkflow(ctx, contract.WorkflowID(c.OrderID), "", "operator test"); err != nil {
		t.Fatal(err)
	}
	// Three minutes pass: for eSIM Go's listing and for the ledger.
	s.ESIM.Age(3 * time.Minute)
	for _, q := range []string{
		`UPDATE payments SET received_at = received_at - interval '3 minutes'`,
		`UPDATE esim_attempts SET first_at = first_at - interval '3 minutes', last_at = last_at - interval '3 minutes'`,
	} {
		if _, err := s.db().Pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	p, err := s.db().GetPayment(ctx, charge)
	if err != nil {
		t.Fatal(err)
	}
	// Telegram re-delivers the payment.
	if err := s.App.Orders.Payment(ctx, contract.Payment{ChargeID: p.ChargeID, UserID: p.UserID, Currency: p.Currency,
		TotalAmount: p.TotalAmount, InvoicePayload: p.InvoicePayload}); err != nil {
		t.Fatal(err)
	}
	v := s.waitStatus(alice, c.OrderID, "fulfilled", time.Minute)
	orders := s.ESIM.Orders()
	if len(orders) != 1 || v.ESIM == nil || v.ESIM.ICCID != orders[0].Items[0].ICCIDs[0] {
		t.Fatalf("eSIM Go holds %d orders for one payment; the buyer got %+v", len(orders), v.ESIM)
	}
}

// A support refund of a delivered order whose bundle eSIM Go will not take
// back (it has started) refunds the Stars and says so on the timeline and
// in the metric, with eSIM Go's answer.
func TestRefundWhoseBundleCannotBeRevokedIsRecorded(t *testing.T) {
	s := startStore(t, nil)
	c := s.buy(alice, planGB)
	s.mustPay(c, alice)
	s.waitStatus(alice, c.OrderID, "fulfilled", 30*time.Second)
	s.ESIM.SetFault(esimgotest.EndpointRevoke, esimgotest.Fault{Status: 400, Message: "Bundle has already started"})
	before := s.metric("esimstore_bundle_revoke_failures_total")
	if code := s.call("POST", "/admin/orders/"+c.OrderID+"/refund", s.admin(), map[string]string{"reason": "no signal"}, nil); code != 202 {
		t.Fatalf("refund: %d", code)
	}
	s.waitStatus(alice, c.OrderID, "refunded", 30*time.Second)
	var detail struct {
		Timeline []struct {
			Kind   string         `json:"kind"`
			Detail map[string]any `json:"detail"`
		} `json:"timeline"`
	}
	waitFor(t, 30*time.Second, "bundle_revoke_failed on the timeline", func() bool {
		s.call("GET", "/admin/orders/"+c.OrderID, s.admin(), nil, &detail)
		for _, e := range detail.Timeline {
			if e.Kind == "bundle_revoke_failed" {
				return strings.Contains(e.Detail["error"].(string), "Bundle has already started")
			}
		}
		return false
	})
	if got := s.metric("esimstore_bundle_revoke_failures_total"); got != before+1 {
		t.Errorf("bundle revoke failures metric %v → %v, want one more", before, got)
	}
}
