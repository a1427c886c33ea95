package integration

import (
	"bytes"
	"context"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/starsesim/esimstore/config"
	"github.com/starsesim/esimstore/esimgo/esimgotest"
	"github.com/starsesim/esimstore/telegram/telegramtest"
)

func TestHappyPathDeliversOneESIM(t *testing.T) {
	s := startStore(t, nil)
	c := s.buy(alice, planGB)
	if c.PriceStars != 137 || c.PriceUSD != "1.77" || !strings.HasPrefix(c.InvoiceLink, "https://t.me/$") {
		t.Fatalf("created %+v, want 137 Stars / 1.77 USD and an invoice link", c)
	}
	res, err := s.Telegram.Pay(context.Background(), c.InvoiceLink, alice)
	if err != nil || !res.Approved || !res.Delivered {
		t.Fatalf("pay: %+v %v", res, err)
	}
	v := s.waitStatus(alice, c.OrderID, "fulfilled", 30*time.Second)
	if v.ESIM == nil || !strings.HasPrefix(v.ESIM.LPA, "LPA:1$") || v.ESIM.MatchingID == "" {
		t.Fatalf("fulfilled order has no install details: %+v", v)
	}

	var img []byte
	if code := s.call("GET", "/api/orders/"+c.OrderID+"/qr.png", s.as(alice), nil, &img); code != 200 {
		t.Fatalf("qr.png: %d", code)
	}
	if _, err := png.Decode(bytes.NewReader(img)); err != nil {
		t.Fatalf("qr.png is not a PNG: %v", err)
	}
	// The QR photo reaches the chat with the manual codes and the iOS link.
	waitFor(t, 10*time.Second, "photo in chat", func() bool { return len(photos(s.Telegram, alice.ID)) == 1 })
	caption := photos(s.Telegram, alice.ID)[0].Text
	for _, want := range []string{v.ESIM.SMDPAddress, v.ESIM.MatchingID, "esimsetup.apple.com/esim_qrcode_provisioning?carddata="} {
		if !strings.Contains(caption, want) {
			t.Errorf("caption lacks %q:\n%s", want, caption)
		}
	}
	if n := len(s.ESIM.Orders()); n != 1 {
		t.Errorf("eSIM Go orders = %d, want 1", n)
	}
	if n := len(s.Telegram.Calls("refundStarPayment")); n != 0 {
		t.Errorf("refund calls = %d, want 0", n)
	}
	// Another buyer cannot see it.
	if code := s.call("GET", "/api/orders/"+c.OrderID, s.as(boris), nil, nil); code != 404 {
		t.Errorf("other buyer's order: %d, want 404", code)
	}
	if code := s.call("GET", "/api/orders/"+c.OrderID+"/qr.png", s.as(boris), nil, nil); code != 404 {
		t.Errorf("other buyer's QR: %d, want 404", code)
	}
	var mine []orderView
	if s.call("GET", "/api/orders", s.as(alice), nil, &mine); len(mine) != 1 || mine[0].OrderID != c.OrderID {
		t.Errorf("my orders = %+v", mine)
	}
}

func TestESIMRefusalRefundsTheBuyer(t *testing.T) {
	s := startStore(t, nil)
	s.ESIM.SetFault(esimgotest.EndpointCreateOrder, esimgotest.Fault{Status: 400, Message: "Bundle is not valid"})
	c := s.buy(boris, planGB)
	if res, err := s.Telegram.Pay(context.Background(), c.InvoiceLink, boris); err != nil || !res.Approved {
		t.Fatalf("pay: %+v %v", res, err)
	}
	v := s.waitStatus(boris, c.OrderID, "refunded", 30*time.Second)
	if v.Refund == nil || v.Refund.Reason == "" || v.Refund.Code != "refund_reason_esim" || v.ESIM != nil {
		t.Fatalf("refunded order view: %+v", v)
	}
	if code := s.call("GET", "/api/orders/"+c.OrderID+"/qr.png", s.as(boris), nil, nil); code != 409 {
		t.Errorf("QR of a refunded order: %d, want 409", code)
	}
	if refunds := s.Telegram.Refunds(); len(refunds) != 1 {
		t.Fatalf("telegram refunds = %v, want exactly one", refunds)
	}
	if n := len(s.ESIM.Orders()); n != 0 {
		t.Errorf("eSIM Go orders = %d, want 0", n)
	}
	// The buyer is told, in Russian.
	waitFor(t, 10*time.Second, "refund notice", func() bool {
		for _, m := range s.Telegram.Chat(boris.ID) {
			if m.FromBot && strings.Contains(m.Text, "Мы вернули") {
				return true
			}
		}
		return false
	})
}

func TestSupportRefundAfterDelivery(t *testing.T) {
	s := startStore(t, nil)
	c := s.buy(alice, planGB)
	if _, err := s.Telegram.Pay(context.Background(), c.InvoiceLink, alice); err != nil {
		t.Fatal(err)
	}
	s.waitStatus(alice, c.OrderID, "fulfilled", 30*time.Second)

	if code := s.call("POST", "/admin/orders/"+c.OrderID+"/refund", nil, map[string]string{"reason": "x"}, nil); code != 401 {
		t.Errorf("refund without token: %d", code)
	}
	if code := s.call("POST", "/admin/orders/"+c.OrderID+"/refund", map[string]string{"Authorization": "Bearer wrong-token"}, map[string]string{"reason": "x"}, nil); code != 401 {
		t.Errorf("refund with wrong token: %d", code)
	}
	if code := s.call("POST", "/admin/orders/nope/refund", s.admin(), map[string]string{"reason": "x"}, nil); code != 404 {
		t.Errorf("refund of unknown order: %d", code)
	}
	if code := s.call("POST", "/admin/orders/"+c.OrderID+"/refund", s.admin(), map[string]string{"reason": ""}, nil); code != 422 {
		t.Errorf("refund without reason: %d", code)
	}
	if code := s.call("POST", "/admin/orders/"+c.OrderID+"/refund", s.admin(), map[string]string{"reason": "travel cancelled"}, nil); code != 202 {
		t.Fatalf("support refund: %d", code)
	}
	s.waitStatus(alice, c.OrderID, "refunded", 30*time.Second)
	if code := s.call("POST", "/admin/orders/"+c.OrderID+"/refund", s.admin(), map[string]string{"reason": "again"}, nil); code != 409 {
		t.Errorf("second refund: %d, want 409", code)
	}
	if n := s.Telegram.Refunds(); len(n) != 1 {
		t.Errorf("telegram refunds = %v", n)
	}
	var detail struct {
		Timeline []struct {
			Kind  string `json:"kind"`
			Actor string `json:"actor"`
		} `json:"timeline"`
	}
	s.call("GET", "/admin/orders/"+c.OrderID, s.admin(), nil, &detail)
	var kinds []string
	requestedBy := ""
	for _, e := range detail.Timeline {
		kinds = append(kinds, e.Kind)
		if e.Kind == "refund_requested" {
			requestedBy = e.Actor
		}
	}
	for _, want := range []string{"created", "invoiced", "checkout_approved", "paid", "esim_ordered", "fulfilled", "delivered", "refund_requested", "refunded"} {
		if !contains(kinds, want) {
			t.Errorf("timeline lacks %q: %v", want, kinds)
		}
	}
	if requestedBy != "support" {
		t.Errorf("refund requested by %q, want the token's name", requestedBy)
	}
	// The bundle went back to eSIM Go.
	if len(s.ESIM.RequestsTo(esimgotest.EndpointRevoke)) != 1 {
		t.Error("bundle not revoked after the support refund")
	}
}

func TestDuplicateDeliveriesAndSecondPayment(t *testing.T) {
	s := startStore(t, nil)
	c := s.buy(alice, planGB)
	ctx := context.Background()
	first, err := s.Telegram.Pay(ctx, c.InvoiceLink, alice, telegramtest.PayOptions{Duplicates: 2})
	if err != nil || !first.Approved {
		t.Fatalf("pay: %+v %v", first, err)
	}
	s.waitStatus(alice, c.OrderID, "fulfilled", 30*time.Second)
	// The same invoice paid again (without a pre-checkout, as a race would).
	second, err := s.Telegram.Pay(ctx, c.InvoiceLink, alice, telegramtest.PayOptions{SkipPreCheckout: true})
	if err != nil || second.ChargeID == "" {
		t.Fatalf("second pay: %+v %v", second, err)
	}
	waitFor(t, 30*time.Second, "second charge refunded", func() bool { return s.Telegram.Refunds()[second.ChargeID] == 1 })
	if s.Telegram.Refunds()[first.ChargeID] != 0 {
		t.Error("the first charge was refunded")
	}
	if n := len(s.ESIM.Orders()); n != 1 {
		t.Errorf("eSIM Go orders = %d, want 1", n)
	}
	waitFor(t, 10*time.Second, "the QR photo", func() bool { return len(photos(s.Telegram, alice.ID)) >= 1 })
	if n := len(photos(s.Telegram, alice.ID)); n != 1 {
		t.Errorf("QR photos sent = %d, want 1", n)
	}
}

func TestPreCheckoutRefusals(t *testing.T) {
	s := startStore(t, func(c *config.Config) {})
	c := s.buy(alice, planGB)
	ctx := context.Background()
	// Someone else pays Alice's invoice link.
	if res, _ := s.Telegram.Pay(ctx, c.InvoiceLink, boris); res.Approved || res.ErrorMessage == "" {
		t.Errorf("other user's pre-checkout: %+v", res)
	}
	// A tampered amount.
	if res, _ := s.Telegram.Pay(ctx, c.InvoiceLink, alice, telegramtest.PayOptions{AmountOverride: 1}); res.Approved {
		t.Errorf("wrong amount approved: %+v", res)
	}
	// An invoice payload naming no order.
	if res, _ := s.Telegram.Pay(ctx, c.InvoiceLink, alice, telegramtest.PayOptions{PayloadOverride: "f7d1bd8a-6a2b-4e8f-9c61-000000000000"}); res.Approved {
		t.Errorf("unknown order approved: %+v", res)
	}
	if res, err := s.Telegram.Pay(ctx, c.InvoiceLink, alice); err != nil || !res.Approved {
		t.Fatalf("valid pay: %+v %v", res, err)
	}
	s.waitStatus(alice, c.OrderID, "fulfilled", 30*time.Second)
	// Already paid.
	if res, _ := s.Telegram.Pay(ctx, c.InvoiceLink, alice); res.Approved {
		t.Errorf("paid order approved again: %+v", res)
	}
	if n := len(s.ESIM.Orders()); n != 1 {
		t.Errorf("eSIM Go orders = %d, want 1", n)
	}
}

func TestExpiredOrderRefusesAndRefundsLatePayment(t *testing.T) {
	s := startStore(t, func(c *config.Config) { c.InvoiceTTL = 2 * time.Second })
	c := s.buy(alice, planGB)
	s.waitStatus(alice, c.OrderID, "expired", 20*time.Second)
	ctx := context.Background()
	if res, _ := s.Telegram.Pay(ctx, c.InvoiceLink, alice); res.Approved {
		t.Fatalf("expired order approved: %+v", res)
	}
	late, err := s.Telegram.Pay(ctx, c.InvoiceLink, alice, telegramtest.PayOptions{SkipPreCheckout: true})
	if err != nil || late.ChargeID == "" || !late.Delivered {
		t.Fatalf("late pay: %+v %v", late, err)
	}
	s.waitStatus(alice, c.OrderID, "refunded", 30*time.Second)
	if s.Telegram.Refunds()[late.ChargeID] != 1 || len(s.ESIM.Orders()) != 0 {
		t.Errorf("late charge refunds=%v esim orders=%d", s.Telegram.Refunds(), len(s.ESIM.Orders()))
	}
}

func TestDoubleTapGivesOneOrder(t *testing.T) {
	s := startStore(t, nil)
	h := s.as(alice)
	h["Idempotency-Key"] = "tap-1"
	var a, b created
	if code := s.call("POST", "/api/orders", h, map[string]string{"plan_id": planGB}, &a); code != 201 {
		t.Fatal(code)
	}
	if code := s.call("POST", "/api/orders", h, map[string]string{"plan_id": planGB}, &b); code != 201 {
		t.Fatal(code)
	}
	if a.OrderID != b.OrderID || a.InvoiceLink != b.InvoiceLink {
		t.Fatalf("double tap made two orders: %s, %s", a.OrderID, b.OrderID)
	}
	// Without a key, two quick taps on the same plan are one order too.
	x, y := s.buy(boris, planGB), s.buy(boris, planGB)
	if x.OrderID != y.OrderID {
		t.Fatalf("quick taps made two orders: %s, %s", x.OrderID, y.OrderID)
	}
	if n := len(s.Telegram.Calls("createInvoiceLink")); n != 2 {
		t.Errorf("createInvoiceLink calls = %d, want 2", n)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func photos(f *telegramtest.Fake, user int64) []telegramtest.ChatItem {
	var out []telegramtest.ChatItem
	for _, m := range f.Chat(user) {
		if m.FromBot && len(m.Photo) > 0 {
			out = append(out, m)
		}
	}
	return out
}

func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}
