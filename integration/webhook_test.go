package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/telegram"
)

func (s *shop) webhook(secret string, body string) int {
	s.t.Helper()
	h := map[string]string{}
	if secret != "" {
		h[telegram.SecretHeader] = secret
	}
	return s.call("POST", "/telegram/webhook", h, body, nil)
}

func (s *shop) db() *store.Store { return s.App.Store }

func (s *shop) count(query string, args ...any) int {
	s.t.Helper()
	var n int
	if err := s.db().Pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		s.t.Fatal(err)
	}
	return n
}

func paymentUpdate(updateID int64, orderID, charge string, amount int64, user int64) string {
	return fmt.Sprintf(`{"update_id":%d,"message":{"message_id":9,"date":1,"chat":{"id":%d,"type":"private"},
		"from":{"id":%d,"first_name":"A"},"successful_payment":{"currency":"XTR","total_amount":%d,
		"invoice_payload":%q,"telegram_payment_charge_id":%q,"provider_payment_charge_id":""},"unknown_field":{"x":1}}}`,
		updateID, user, user, amount, orderID, charge)
}

func TestWebhookSecret(t *testing.T) {
	s := startStore(t, nil)
	body := paymentUpdate(1, "o", "ch-forged", 137, alice.ID)
	for _, secret := range []string{"", "wrong-secret"} {
		if code := s.webhook(secret, body); code != 401 {
			t.Errorf("secret %q: %d, want 401", secret, code)
		}
	}
	if n := s.count(`SELECT count(*) FROM telegram_updates`) + s.count(`SELECT count(*) FROM payments`); n != 0 {
		t.Fatalf("a forged webhook call stored %d rows", n)
	}
	if code := s.webhook(s.Cfg.TelegramWebhookSecret, `{"update_id":5}`); code != 200 {
		t.Errorf("right secret: %d", code)
	}
}

func TestWebhookDuplicateUpdateHasOneEffect(t *testing.T) {
	s := startStore(t, nil)
	c := s.buy(alice, planGB)
	// Approve through the real pre-checkout, then deliver the payment ourselves, three times.
	s.checkoutApproved(c)
	body := paymentUpdate(77, c.OrderID, "ch-dup", c.PriceStars, alice.ID)
	for i := 0; i < 3; i++ {
		if code := s.webhook(s.Cfg.TelegramWebhookSecret, body); code != 200 {
			t.Fatalf("delivery %d: %d", i, code)
		}
	}
	s.waitStatus(alice, c.OrderID, "fulfilled", 30*time.Second)
	if n := s.count(`SELECT count(*) FROM payments`); n != 1 {
		t.Errorf("payments = %d", n)
	}
	if n := len(s.ESIM.Orders()); n != 1 {
		t.Errorf("eSIM orders = %d", n)
	}
	waitFor(t, 10*time.Second, "the QR photo", func() bool { return len(photos(s.Telegram, alice.ID)) >= 1 })
	if n := len(photos(s.Telegram, alice.ID)); n != 1 {
		t.Errorf("photos = %d", n)
	}
}

// checkoutApproved runs a real pre-checkout for the order so its workflow
// has approved it (the fake's Pay with SkipPreCheckout would not).
func (s *shop) checkoutApproved(c created) {
	s.t.Helper()
	body := fmt.Sprintf(`{"update_id":%d,"pre_checkout_query":{"id":"pcq-%s","from":{"id":%d,"first_name":"A"},
		"currency":"XTR","total_amount":%d,"invoice_payload":%q}}`, time.Now().UnixNano()%1e9, c.OrderID, alice.ID, c.PriceStars, c.OrderID)
	if code := s.webhook(s.Cfg.TelegramWebhookSecret, body); code != 200 {
		s.t.Fatalf("pre-checkout: %d", code)
	}
	calls := s.Telegram.Calls("answerPreCheckoutQuery")
	if len(calls) == 0 || calls[len(calls)-1].Param("ok") != "true" {
		s.t.Fatalf("pre-checkout not approved: %+v", calls)
	}
}

// A database failure while recording the payment answers 5xx; Telegram's
// re-delivery then succeeds and the order completes once.
func TestWebhookDatabaseFailureIsRedelivered(t *testing.T) {
	s := startStore(t, nil)
	ctx := context.Background()
	_, err := s.db().Pool.Exec(ctx, `
		CREATE SEQUENCE fail_payments_once;
		CREATE FUNCTION fail_payments_once() RETURNS trigger AS $$
		BEGIN
			IF nextval('fail_payments_once') = 1 THEN RAISE EXCEPTION 'injected failure'; END IF;
			RETURN NEW;
		END $$ LANGUAGE plpgsql;
		CREATE TRIGGER fail_payments_once BEFORE INSERT ON payments FOR EACH ROW EXECUTE FUNCTION fail_payments_once();`)
	if err != nil {
		t.Fatal(err)
	}
	c := s.buy(alice, planGB)
	res, err := s.Telegram.Pay(ctx, c.InvoiceLink, alice)
	if err != nil || !res.Approved || !res.Delivered {
		t.Fatalf("pay: %+v %v", res, err)
	}
	s.waitStatus(alice, c.OrderID, "fulfilled", 30*time.Second)
	if n := s.count(`SELECT last_value::int FROM fail_payments_once`); n < 2 {
		t.Fatalf("the injected failure did not happen (sequence at %d)", n)
	}
	if n := s.count(`SELECT count(*) FROM payments`); n != 1 {
		t.Errorf("payments = %d", n)
	}
	if n := len(s.ESIM.Orders()); n != 1 {
		t.Errorf("eSIM orders = %d", n)
	}
}

func TestRefundedPaymentUpdateIsRecorded(t *testing.T) {
	s := startStore(t, nil)
	c := s.buy(alice, planGB)
	res, _ := s.Telegram.Pay(context.Background(), c.InvoiceLink, alice)
	s.waitStatus(alice, c.OrderID, "fulfilled", 30*time.Second)
	body := fmt.Sprintf(`{"update_id":991,"message":{"message_id":10,"date":1,"chat":{"id":%d,"type":"private"},
		"refunded_payment":{"currency":"XTR","total_amount":%d,"invoice_payload":%q,"telegram_payment_charge_id":%q}}}`,
		alice.ID, c.PriceStars, c.OrderID, res.ChargeID)
	if code := s.webhook(s.Cfg.TelegramWebhookSecret, body); code != 200 {
		t.Fatalf("refunded_payment: %d", code)
	}
	if n := s.count(`SELECT count(*) FROM refunds WHERE external AND telegram_payment_charge_id = $1`, res.ChargeID); n != 1 {
		t.Errorf("external refund rows = %d", n)
	}
	if !strings.Contains(fmt.Sprint(s.count(`SELECT count(*) FROM order_events WHERE kind = 'refund_confirmed'`)), "1") {
		t.Error("no refund_confirmed event")
	}
}

// A pre-checkout query is answered and kept in the inbox, marked handled;
// with the inbox failing it is still answered (it moves no money, and
// Telegram's 10-second clock does not wait for our database).
func TestPreCheckoutIsAnsweredAndKept(t *testing.T) {
	s := startStore(t, nil)
	ctx := context.Background()
	c := s.buy(alice, planGB)
	s.checkoutApproved(c)
	if n := s.count(`SELECT count(*) FROM telegram_updates WHERE kind = 'pre_checkout_query' AND processed_at IS NOT NULL`); n != 1 {
		t.Fatalf("handled pre-checkout rows in the inbox = %d, want 1", n)
	}
	if _, err := s.db().Pool.Exec(ctx, `
		CREATE FUNCTION refuse_updates() RETURNS trigger AS $$
		BEGIN RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql;
		CREATE TRIGGER refuse_updates BEFORE INSERT ON telegram_updates FOR EACH ROW EXECUTE FUNCTION refuse_updates();`); err != nil {
		t.Fatal(err)
	}
	s.checkoutApproved(c)
	if n := len(s.Telegram.Calls("answerPreCheckoutQuery")); n != 2 {
		t.Fatalf("answers = %d, want 2", n)
	}
}
