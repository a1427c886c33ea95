package integration

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/starsesim/esimstore/esimgo/esimgotest"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/telegram"
	"github.com/starsesim/esimstore/telegram/telegramtest"
)

// buyKeyed creates an order with an idempotency key, so one buyer can hold
// several orders of the same plan at once.
func (s *shop) buyKeyed(u telegram.User, plan, key string) created {
	s.t.Helper()
	h := s.as(u)
	h["Idempotency-Key"] = key
	var c created
	if code := s.call("POST", "/api/orders", h, map[string]string{"plan_id": plan}, &c); code != http.StatusCreated {
		s.t.Fatalf("create order: %d %+v", code, c)
	}
	return c
}

type findingsReport struct {
	OpenCount int             `json:"open_count"`
	Findings  []store.Finding `json:"findings"`
}

func (s *shop) findings() findingsReport {
	s.t.Helper()
	var r findingsReport
	if code := s.call("GET", "/admin/reconciliation", s.admin(), nil, &r); code != http.StatusOK {
		s.t.Fatalf("GET /admin/reconciliation: %d", code)
	}
	return r
}

func (s *shop) reconcile() (res struct{ PaymentsRecovered, RefundsRecorded, Unresolved, NewAlerts, Resolved int64 }) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := s.App.ReconcileNow(ctx)
	if err != nil {
		s.t.Fatalf("reconcile: %v", err)
	}
	res.PaymentsRecovered, res.RefundsRecorded = int64(r.PaymentsRecovered), int64(r.RefundsRecorded)
	res.Unresolved, res.NewAlerts, res.Resolved = int64(r.Unresolved), int64(r.NewAlerts), r.Resolved
	return res
}

// The webhook is down while buyers pay: Telegram holds the updates, the
// store knows nothing. Reconciliation finds every charge in the Star
// ledger, records it and hands it to its order: live orders are fulfilled,
// a payment naming no order is refunded. When the webhook comes back, the
// late updates change nothing.
func TestReconcileResolvesPaymentsTheWebhookMissed(t *testing.T) {
	s := startStore(t, nil)
	ctx := context.Background()
	buyers := []telegram.User{alice, boris, alice, boris, alice}
	var orders []created
	for i, u := range buyers {
		orders = append(orders, s.buyKeyed(u, planGB, fmt.Sprintf("rec-%d", i)))
	}
	s.Telegram.PauseWebhook()
	charges := map[string]string{}
	for i, c := range orders {
		res, err := s.Telegram.Pay(ctx, c.InvoiceLink, buyers[i], telegramtest.PayOptions{SkipPreCheckout: true})
		if err != nil || res.Delivered || res.ChargeID == "" {
			t.Fatalf("pay %d with the webhook down: %+v %v", i, res, err)
		}
		charges[c.OrderID] = res.ChargeID
	}
	// A payment carrying an order id the store never issued.
	stray, err := s.Telegram.Pay(ctx, orders[0].InvoiceLink, alice,
		telegramtest.PayOptions{SkipPreCheckout: true, PayloadOverride: uuid.NewString()})
	if err != nil || stray.ChargeID == "" {
		t.Fatalf("stray pay: %+v %v", stray, err)
	}
	if n := s.count(`SELECT count(*) FROM payments`); n != 0 {
		t.Fatalf("payments recorded with the webhook down: %d", n)
	}

	if r := s.reconcile(); r.PaymentsRecovered != int64(len(orders)+1) {
		t.Fatalf("recovered %d payments, want %d", r.PaymentsRecovered, len(orders)+1)
	}
	for i, c := range orders {
		s.waitStatus(buyers[i], c.OrderID, "fulfilled", 60*time.Second)
	}
	waitFor(t, 60*time.Second, "the stray payment's refund", func() bool { return s.Telegram.Refunds()[stray.ChargeID] == 1 })

	if n := s.count(`SELECT count(*) FROM payments WHERE source = 'reconciliation'`); n != len(orders)+1 {
		t.Errorf("payments from reconciliation = %d, want %d", n, len(orders)+1)
	}
	if n := len(s.ESIM.Orders()); n != len(orders) {
		t.Errorf("eSIM Go orders = %d, want %d", n, len(orders))
	}
	rep := s.findings()
	if rep.OpenCount != 0 || len(rep.Findings) != len(orders)+1 {
		t.Errorf("findings: open %d, total %d, want 0 and %d: %+v", rep.OpenCount, len(rep.Findings), len(orders)+1, rep.Findings)
	}
	for _, f := range rep.Findings {
		if f.Kind != store.FindingPaymentNotRecorded || f.ResolvedAt == nil {
			t.Errorf("finding %+v: want a resolved %s", f, store.FindingPaymentNotRecorded)
		}
	}

	// The held updates arrive at last; they must be harmless, and a second
	// pass starts from the checkpoint and finds nothing new.
	s.Telegram.ResumeWebhook()
	if n := s.Telegram.Pending(); n != 0 {
		t.Fatalf("%d updates still pending after the webhook came back", n)
	}
	if r := s.reconcile(); r.PaymentsRecovered != 0 || r.RefundsRecorded != 0 {
		t.Errorf("second pass: %+v, want nothing new", r)
	}
	if n := len(s.ESIM.Orders()); n != len(orders) {
		t.Errorf("eSIM Go orders after the late updates = %d, want %d", n, len(orders))
	}
	for id, n := range s.Telegram.Refunds() {
		if id != stray.ChargeID || n != 1 {
			t.Errorf("charge %s refunded %d times (only the stray charge, once, expected)", id, n)
		}
	}
}

// Someone refunds a charge outside the store (e.g. with the bot token from
// a script) while the webhook is down: reconciliation records it as an
// external refund.
func TestReconcileRecordsARefundMadeOutsideTheStore(t *testing.T) {
	s := startStore(t, nil)
	ctx := context.Background()
	c := s.buy(alice, planGB)
	res, err := s.Telegram.Pay(ctx, c.InvoiceLink, alice)
	if err != nil || !res.Delivered {
		t.Fatalf("pay: %+v %v", res, err)
	}
	s.waitStatus(alice, c.OrderID, "fulfilled", 30*time.Second)
	s.Telegram.PauseWebhook()
	if err := s.App.Bot.RefundStarPayment(ctx, alice.ID, res.ChargeID); err != nil {
		t.Fatal(err)
	}
	if n := s.count(`SELECT count(*) FROM refunds`); n != 0 {
		t.Fatalf("refund recorded before reconciliation: %d rows", n)
	}
	if r := s.reconcile(); r.RefundsRecorded != 1 || r.PaymentsRecovered != 0 {
		t.Fatalf("reconcile: %+v, want one refund recorded", r)
	}
	if n := s.count(`SELECT count(*) FROM refunds WHERE external AND status = 'done' AND telegram_payment_charge_id = $1`, res.ChargeID); n != 1 {
		t.Errorf("external refund rows = %d, want 1", n)
	}
	if r := s.reconcile(); r.RefundsRecorded != 0 {
		t.Errorf("second pass recorded %d refunds again", r.RefundsRecorded)
	}
	if n := s.Telegram.Refunds()[res.ChargeID]; n != 1 {
		t.Errorf("charge refunded %d times, want 1", n)
	}
}

// A charge stuck for over an hour (eSIM Go has no balance) is an alert:
// a metric, a log line and an open finding at /admin/reconciliation. Once
// the order is fulfilled the finding closes.
func TestReconcileAlertsOnAPaymentUnresolvedTooLong(t *testing.T) {
	s := startStore(t, nil)
	ctx := context.Background()
	s.ESIM.SetFault(esimgotest.EndpointCreateOrder, esimgotest.Fault{InsufficientBalance: true})
	c := s.buy(alice, planGB)
	res, err := s.Telegram.Pay(ctx, c.InvoiceLink, alice)
	if err != nil || !res.Delivered {
		t.Fatalf("pay: %+v %v", res, err)
	}
	s.waitStatus(alice, c.OrderID, "fulfilling", 30*time.Second)
	if r := s.reconcile(); r.Unresolved != 0 {
		t.Fatalf("a fresh payment counted as unresolved: %+v", r)
	}
	// Age the charge instead of waiting an hour.
	if _, err := s.db().Pool.Exec(ctx, `UPDATE payments SET received_at = now() - interval '2 hours'`); err != nil {
		t.Fatal(err)
	}
	if r := s.reconcile(); r.Unresolved != 1 || r.NewAlerts != 1 {
		t.Fatalf("reconcile: %+v, want one new alert", r)
	}
	rep := s.findings()
	if rep.OpenCount != 1 || rep.Findings[0].Kind != store.FindingPaymentUnresolved || rep.Findings[0].ChargeID != res.ChargeID {
		t.Fatalf("findings: %+v", rep)
	}
	if v := s.metric(`esimstore_reconciliation_findings_total{kind="payment_unresolved"}`); v != 1 {
		t.Errorf("findings metric = %v, want 1", v)
	}
	if r := s.reconcile(); r.NewAlerts != 0 {
		t.Errorf("the same finding alerted again: %+v", r)
	}

	s.ESIM.ClearFaults()
	s.waitStatus(alice, c.OrderID, "fulfilled", 90*time.Second)
	if r := s.reconcile(); r.Resolved != 1 {
		t.Errorf("reconcile after fulfilment: %+v, want the finding resolved", r)
	}
	if rep := s.findings(); rep.OpenCount != 0 {
		t.Errorf("open findings after fulfilment: %+v", rep)
	}
	if n := len(s.ESIM.Orders()); n != 1 {
		t.Errorf("eSIM Go orders = %d, want 1", n)
	}
}

func TestReconciliationNeedsAnAdminToken(t *testing.T) {
	s := startStore(t, nil)
	for _, h := range []map[string]string{nil, {"Authorization": "Bearer nope"}} {
		var e struct{ Error, Message string }
		if code := s.call("GET", "/admin/reconciliation", h, nil, &e); code != http.StatusUnauthorized || e.Error == "" {
			t.Errorf("headers %v: %d %+v, want 401 with a JSON error", h, code, e)
		}
	}
}
