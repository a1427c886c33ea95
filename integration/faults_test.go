package integration

import (
	"context"
	"testing"
	"time"

	"github.com/starsesim/esimstore/esimgo/esimgotest"
)

// The worker dies while the eSIM Go order is in flight (after eSIM Go
// committed it); a new worker finishes the order with that same eSIM.
func TestWorkerKilledDuringFulfilment(t *testing.T) {
	s := startStore(t, nil)
	s.ESIM.SetFault(esimgotest.EndpointCreateOrder, esimgotest.Fault{CommitThenDelay: 5 * time.Second, Times: 1})
	c := s.buy(alice, planGB)
	if res, err := s.Telegram.Pay(context.Background(), c.InvoiceLink, alice); err != nil || !res.Approved {
		t.Fatalf("pay: %+v %v", res, err)
	}
	waitFor(t, 20*time.Second, "eSIM Go to commit the order", func() bool { return len(s.ESIM.Orders()) == 1 })
	s.StopWorker()
	if err := s.StartWorker(); err != nil {
		t.Fatal(err)
	}
	v := s.waitStatus(alice, c.OrderID, "fulfilled", 60*time.Second)
	if n := len(s.ESIM.Orders()); n != 1 {
		t.Fatalf("eSIM Go orders = %d after the crash, want 1", n)
	}
	if v.ESIM == nil || v.ESIM.ICCID != s.ESIM.Orders()[0].Items[0].ICCIDs[0] {
		t.Errorf("delivered eSIM %+v is not the one eSIM Go committed %+v", v.ESIM, s.ESIM.Orders()[0].Items)
	}
	if n := len(s.Telegram.Refunds()); n != 0 {
		t.Errorf("refunds = %d, want 0", n)
	}
}

// eSIM Go commits the order but the answer is lost: the activity reports
// "outcome unknown", looks the order up and claims it instead of buying again.
func TestOutcomeUnknownClaimsTheCommittedOrder(t *testing.T) {
	s := startStore(t, nil)
	s.ESIM.SetFault(esimgotest.EndpointCreateOrder, esimgotest.Fault{CommitThenDrop: true, Times: 1})
	c := s.buy(alice, planGB)
	if res, err := s.Telegram.Pay(context.Background(), c.InvoiceLink, alice); err != nil || !res.Approved {
		t.Fatalf("pay: %+v %v", res, err)
	}
	s.waitStatus(alice, c.OrderID, "fulfilled", 60*time.Second)
	if n := len(s.ESIM.Orders()); n != 1 {
		t.Fatalf("eSIM Go orders = %d, want 1 (claimed, not re-bought)", n)
	}
	if n := len(s.ESIM.RequestsTo(esimgotest.EndpointCreateOrder)); n != 1 {
		t.Errorf("POST /orders sent %d times, want 1", n)
	}
}

// eSIM Go is down for a while: the order waits and is fulfilled when it
// comes back, without a refund.
func TestTransientESIMOutageIsRidden(t *testing.T) {
	s := startStore(t, nil)
	s.ESIM.SetFault(esimgotest.EndpointCreateOrder, esimgotest.Fault{Status: 503, Times: 3})
	c := s.buy(alice, planGB)
	if _, err := s.Telegram.Pay(context.Background(), c.InvoiceLink, alice); err != nil {
		t.Fatal(err)
	}
	s.waitStatus(alice, c.OrderID, "fulfilled", 60*time.Second)
	if len(s.ESIM.Orders()) != 1 || len(s.Telegram.Refunds()) != 0 {
		t.Fatalf("orders=%d refunds=%v", len(s.ESIM.Orders()), s.Telegram.Refunds())
	}
}

// With no worker polling, nothing is charged and buyers get clear answers:
// the Buy button says "busy", a pre-checkout is refused in time.
func TestNoWorkerMeansClearRefusalsNotCharges(t *testing.T) {
	s := startStore(t, nil)
	c := s.buy(alice, planGB)
	s.StopWorker()
	var out map[string]any
	start := time.Now()
	if code := s.call("POST", "/api/orders", s.as(boris), map[string]string{"plan_id": planGB}, &out); code != 503 || out["error"] != "busy" {
		t.Fatalf("create with no worker: %d %v", code, out)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("the buyer waited %s", took)
	}
	res, err := s.Telegram.Pay(context.Background(), c.InvoiceLink, alice)
	if err != nil || res.Approved || res.ErrorMessage == "" {
		t.Fatalf("pre-checkout with no worker: %+v %v", res, err)
	}
	if len(s.Telegram.Transactions()) != 0 {
		t.Fatal("a charge happened while no worker could take it")
	}
}

// An operator terminates a paid order's workflow while eSIM Go is down
// (termination skips all compensation). Support's refund then resumes the
// order from the ledger, which knows the accepted charge, and refunds it.
func TestTerminatedOrderIsSettledByAResumedRun(t *testing.T) {
	s := startStore(t, nil)
	s.ESIM.SetFault(esimgotest.EndpointCreateOrder, esimgotest.Fault{Status: 503})
	c := s.buy(alice, planGB)
	charge := s.mustPay(c, alice)
	s.waitStatus(alice, c.OrderID, "fulfilling", 30*time.Second)
	ctx := context.Background()
	if err := s.App.Temporal.TerminateWorkflow(ctx, "order-"+c.OrderID, "", "operator test"); err != nil {
		t.Fatal(err)
	}
	s.ESIM.ClearFaults()
	if code := s.call("POST", "/admin/orders/"+c.OrderID+"/refund", s.admin(), map[string]string{"reason": "stuck order"}, nil); code != 202 {
		t.Fatalf("refund after termination: %d", code)
	}
	s.waitStatus(alice, c.OrderID, "refunded", 30*time.Second)
	if s.Telegram.Refunds()[charge] != 1 || len(s.ESIM.Orders()) != 0 {
		t.Fatalf("refunds %v, eSIM orders %d", s.Telegram.Refunds(), len(s.ESIM.Orders()))
	}
}
