package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/starsesim/esimstore/i18n"
	"github.com/starsesim/esimstore/telegram"
)

// Buyers of the limit tests: recent accounts have ids above 2^32, and
// names with HTML's special characters.
var (
	dana = telegram.User{ID: 5_079_065_042, FirstName: "Dana <&>", LanguageCode: "en"}
	egor = telegram.User{ID: 6_102_334_871, FirstName: "Егор & Co", LanguageCode: "ru"}
)

// answer is one HTTP answer of the API with the headers a test looks at.
type answer struct {
	Status      int    `json:"-"`
	RetryAfter  string `json:"-"`
	Error       string `json:"error"`
	Message     string `json:"message"`
	OrderID     string `json:"order_id"`
	SubID       string `json:"subscription_id"`
	InvoiceLink string `json:"invoice_link"`
}

// post sends a buyer's POST with an optional Idempotency-Key.
func (s *shop) post(u telegram.User, path, key string, body any) answer {
	s.t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		s.t.Fatal(err)
	}
	req, err := http.NewRequest("POST", s.URL+path, bytes.NewReader(raw))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "tma "+s.initData(u))
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	a := answer{Status: resp.StatusCode, RetryAfter: resp.Header.Get("Retry-After")}
	if err := json.Unmarshal(out, &a); err != nil {
		s.t.Fatalf("POST %s: decode %q: %v", path, out, err)
	}
	return a
}

func (s *shop) ordersOf(u telegram.User) int {
	return s.count(`SELECT count(*) FROM orders WHERE user_id = $1`, u.ID)
}

func wantRefusal(t *testing.T, what string, a answer, status int, code string) {
	t.Helper()
	if a.Status != status || a.Error != code || a.Message == "" {
		t.Fatalf("%s = %d %q %q, want %d %s with a message", what, a.Status, a.Error, a.Message, status, code)
	}
}

// TestOpenOrderLimit: ten unpaid orders are fine, the eleventh is refused
// (API and bot alike) until one is paid; repeating an existing order's key
// at the limit still returns that order and counts for nothing.
func TestOpenOrderLimit(t *testing.T) {
	s := startStore(t, func(c *configT) {
		c.MaxOpenOrdersPerBuyer = 10
		c.BuyerRatePerMinute, c.BuyerRateBurst = 600, 100 // this test is about the open-order count
	})
	ctx := context.Background()
	var orders []answer
	for i := 1; i <= 10; i++ {
		a := s.post(dana, "/api/orders", fmt.Sprintf("key-%d", i), map[string]string{"plan_id": planGB})
		if a.Status != http.StatusCreated || a.OrderID == "" {
			t.Fatalf("order %d: %+v", i, a)
		}
		orders = append(orders, a)
	}
	wantRefusal(t, "11th order", s.post(dana, "/api/orders", "key-11", map[string]string{"plan_id": planGB}),
		http.StatusTooManyRequests, "too_many_open_orders")
	wantRefusal(t, "subscription at the limit", s.post(dana, "/api/subscriptions", "sub-1", map[string]string{"plan_id": planGB}),
		http.StatusTooManyRequests, "too_many_open_orders")

	// A repeated request names an order that exists: same order, no refusal.
	for _, key := range []string{"key-10", "key-1", "key-10"} {
		a := s.post(dana, "/api/orders", key, map[string]string{"plan_id": planGB})
		want := orders[0].OrderID
		if key == "key-10" {
			want = orders[9].OrderID
		}
		if a.Status != http.StatusCreated || a.OrderID != want {
			t.Fatalf("repeat of %s = %+v, want 201 with order %s", key, a, want)
		}
	}
	if n := s.ordersOf(dana); n != 10 {
		t.Fatalf("orders of the buyer = %d, want 10", n)
	}

	// The bot refuses the same way, in the buyer's language, with no invoice.
	invoices := len(s.Telegram.Calls("sendInvoice"))
	ru := dana
	ru.LanguageCode = "ru"
	if err := s.Telegram.SendText(ctx, ru, "/start plan_"+planGB); err != nil {
		t.Fatal(err)
	}
	if got := lastBotText(t, s.Telegram, dana.ID).Text; got != i18n.T("ru", i18n.TooManyOpenOrders) {
		t.Errorf("/start plan_ at the limit = %q, want %q", got, i18n.T("ru", i18n.TooManyOpenOrders))
	}
	if n := len(s.Telegram.Calls("sendInvoice")); n != invoices {
		t.Errorf("sendInvoice calls went from %d to %d at the limit", invoices, n)
	}
	if n := s.ordersOf(dana); n != 10 {
		t.Fatalf("orders of the buyer after /start at the limit = %d, want 10", n)
	}

	// Another buyer is not affected.
	if a := s.post(egor, "/api/orders", "", map[string]string{"plan_id": planGB}); a.Status != http.StatusCreated {
		t.Fatalf("another buyer's order: %+v", a)
	}

	// Paying one makes room for exactly one more.
	s.mustPay(created{OrderID: orders[3].OrderID, InvoiceLink: orders[3].InvoiceLink}, dana)
	s.waitStatus(dana, orders[3].OrderID, "fulfilled", 30*time.Second)
	if a := s.post(dana, "/api/orders", "key-12", map[string]string{"plan_id": planGB}); a.Status != http.StatusCreated {
		t.Fatalf("order after paying one: %+v", a)
	}
	wantRefusal(t, "next order", s.post(dana, "/api/orders", "key-13", map[string]string{"plan_id": planGB}),
		http.StatusTooManyRequests, "too_many_open_orders")
}

// TestOpenOrderLimitFreesOnExpiry: an order whose quote has expired no
// longer counts.
func TestOpenOrderLimitFreesOnExpiry(t *testing.T) {
	s := startStore(t, func(c *configT) {
		c.MaxOpenOrdersPerBuyer = 2
		c.InvoiceTTL = 3 * time.Second
	})
	first := s.post(egor, "/api/orders", "a", map[string]string{"plan_id": planGB})
	if first.Status != http.StatusCreated {
		t.Fatalf("first order: %+v", first)
	}
	if a := s.post(egor, "/api/orders", "b", map[string]string{"plan_id": planGB}); a.Status != http.StatusCreated {
		t.Fatalf("second order: %+v", a)
	}
	wantRefusal(t, "third order", s.post(egor, "/api/orders", "c", map[string]string{"plan_id": planGB}),
		http.StatusTooManyRequests, "too_many_open_orders")
	s.waitStatus(egor, first.OrderID, "expired", 30*time.Second)
	if a := s.post(egor, "/api/orders", "c", map[string]string{"plan_id": planGB}); a.Status != http.StatusCreated {
		t.Fatalf("order after the others expired: %+v", a)
	}
}

// TestBuyerRateLimit: past the burst, creates, subscribes, cancels and the
// bot's /start plan_ are refused with 429 rate_limited and Retry-After;
// a repeated request still gets its order; other buyers are unaffected.
func TestBuyerRateLimit(t *testing.T) {
	s := startStore(t, func(c *configT) {
		c.BuyerRatePerMinute, c.BuyerRateBurst = 1, 2
	})
	ctx := context.Background()
	sub := s.post(dana, "/api/subscriptions", "sub-1", map[string]string{"plan_id": planGB})
	if sub.Status != http.StatusCreated || sub.SubID == "" {
		t.Fatalf("subscription: %+v", sub)
	}
	first := s.post(dana, "/api/orders", "key-1", map[string]string{"plan_id": planGB})
	if first.Status != http.StatusCreated {
		t.Fatalf("order: %+v", first)
	}
	// The burst of two is spent.
	refusals := []struct{ what, path, key string }{
		{"order", "/api/orders", "key-2"},
		{"subscription", "/api/subscriptions", "sub-2"},
		{"cancel", "/api/subscriptions/" + sub.SubID + "/cancel", ""},
	}
	for _, r := range refusals {
		a := s.post(dana, r.path, r.key, map[string]string{"plan_id": planGB})
		wantRefusal(t, r.what, a, http.StatusTooManyRequests, "rate_limited")
		if secs, err := strconv.Atoi(a.RetryAfter); err != nil || secs < 1 || secs > 60 {
			t.Errorf("%s: Retry-After %q, want 1-60 seconds", r.what, a.RetryAfter)
		}
	}
	// Repeats are answered from the ledger, whatever the rate.
	if a := s.post(dana, "/api/orders", "key-1", map[string]string{"plan_id": planGB}); a.Status != http.StatusCreated || a.OrderID != first.OrderID {
		t.Fatalf("repeat at the rate limit = %+v, want order %s", a, first.OrderID)
	}
	if a := s.post(dana, "/api/subscriptions", "sub-1", map[string]string{"plan_id": planGB}); a.Status != http.StatusCreated || a.SubID != sub.SubID {
		t.Fatalf("repeated subscription at the rate limit = %+v, want %s", a, sub.SubID)
	}
	if n := s.ordersOf(dana); n != 2 {
		t.Fatalf("orders of the buyer = %d, want 2", n)
	}
	// The bot: a message in the buyer's language instead of an invoice.
	invoices := len(s.Telegram.Calls("sendInvoice"))
	if err := s.Telegram.SendText(ctx, dana, "/start plan_"+planGB); err != nil {
		t.Fatal(err)
	}
	if got := lastBotText(t, s.Telegram, dana.ID).Text; got != i18n.T("en", i18n.RateLimited) {
		t.Errorf("/start plan_ past the rate = %q, want %q", got, i18n.T("en", i18n.RateLimited))
	}
	if n := len(s.Telegram.Calls("sendInvoice")); n != invoices || s.ordersOf(dana) != 2 {
		t.Errorf("past the rate: sendInvoice %d → %d, orders %d", invoices, n, s.ordersOf(dana))
	}
	// Another buyer has a bucket of their own.
	if a := s.post(egor, "/api/orders", "", map[string]string{"plan_id": planGB}); a.Status != http.StatusCreated {
		t.Fatalf("another buyer's order: %+v", a)
	}
}
