package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/starsesim/esimstore/telegram"
	"github.com/starsesim/esimstore/telegram/telegramtest"
)

// ledgerCounts is the state no hostile request may change.
func (s *shop) ledgerCounts(tables ...string) map[string]int {
	s.t.Helper()
	out := map[string]int{}
	for _, tb := range tables {
		out[tb] = s.count(`SELECT count(*) FROM ` + tb)
	}
	return out
}

var stateTables = []string{"orders", "payments", "refunds", "esim_orders", "telegram_updates"}

// sqlish strings try to break out of a quoted or numeric SQL context.
var sqlish = []string{
	`' OR '1'='1`,
	`'; DROP TABLE orders; --`,
	`1; DELETE FROM payments`,
	`" OR ""="`,
	`x' UNION SELECT telegram_payment_charge_id FROM payments --`,
}

// Every hostile request is answered with a clear JSON error and leaves
// orders, payments, refunds, eSIM orders and the webhook inbox as they were.
func TestHostileRequestsChangeNothing(t *testing.T) {
	s := startStore(t, nil)
	// An existing order of Boris, so "another buyer's order" is real.
	borisOrder := s.buy(boris, planGB)

	now := time.Now()
	tma := func(data string) map[string]string { return map[string]string{"Authorization": "tma " + data} }
	valid := telegram.SignInitData(s.Cfg.TelegramBotToken, alice, now, nil)
	otherBot := telegram.SignInitData("7000000099:AAOtherBotTokenForReplay_0123456789a", alice, now, nil)
	stale := telegram.SignInitData(s.Cfg.TelegramBotToken, alice, now.Add(-25*time.Hour), nil)
	future := telegram.SignInitData(s.Cfg.TelegramBotToken, alice, now.Add(2*time.Hour), nil)
	// Alice's genuine initData with the user swapped to Boris after signing.
	tampered := strings.Replace(valid, url.QueryEscape(fmt.Sprintf(`"id":%d`, alice.ID)), url.QueryEscape(fmt.Sprintf(`"id":%d`, boris.ID)), 1)
	if tampered == valid {
		t.Fatal("test setup: could not tamper with the user field")
	}
	big := `{"plan_id":"` + strings.Repeat("x", 70*1024) + `"}`
	secret := map[string]string{telegram.SecretHeader: s.Cfg.TelegramWebhookSecret}
	admin := s.admin()

	type tc struct {
		name    string
		method  string
		path    string
		headers map[string]string
		body    any
		want    []int
	}
	cases := []tc{
		{"no initData", "GET", "/api/orders", nil, nil, []int{401}},
		{"initData of another scheme", "GET", "/api/orders", map[string]string{"Authorization": "Bearer " + valid}, nil, []int{401}},
		{"garbage initData", "GET", "/api/orders", tma("hash=00&user=%7B%7D"), nil, []int{401}},
		{"forged: user swapped after signing", "GET", "/api/orders", tma(tampered), nil, []int{401}},
		{"forged: hash dropped", "GET", "/api/orders", tma(strings.Split(valid, "&hash=")[0]), nil, []int{401}},
		{"replayed from another bot", "POST", "/api/orders", tma(otherBot), map[string]string{"plan_id": planGB}, []int{401}},
		{"stale initData", "POST", "/api/orders", tma(stale), map[string]string{"plan_id": planGB}, []int{401}},
		{"initData from the future", "POST", "/api/orders", tma(future), map[string]string{"plan_id": planGB}, []int{401}},
		{"another buyer's order", "GET", "/api/orders/" + borisOrder.OrderID, tma(valid), nil, []int{404}},
		{"another buyer's QR", "GET", "/api/orders/" + borisOrder.OrderID + "/qr.png", tma(valid), nil, []int{404}},
		{"webhook without secret", "POST", "/telegram/webhook", nil, paymentUpdate(50, borisOrder.OrderID, "ch-forged-1", 1, boris.ID), []int{401}},
		{"webhook with wrong secret", "POST", "/telegram/webhook", map[string]string{telegram.SecretHeader: "nope"}, paymentUpdate(51, borisOrder.OrderID, "ch-forged-2", 1, boris.ID), []int{401}},
		{"webhook malformed JSON", "POST", "/telegram/webhook", secret, `{"update_id":`, []int{400}},
		{"webhook not an update", "POST", "/telegram/webhook", secret, `[1,2,3]`, []int{400}},
		{"webhook payment without charge id", "POST", "/telegram/webhook", secret, paymentUpdate(52, borisOrder.OrderID, "", 1, boris.ID), []int{400}},
		{"webhook oversized", "POST", "/telegram/webhook", secret, `{"update_id":53,"message":{"text":"` + strings.Repeat("a", 70*1024) + `"}}`, []int{413}},
		{"order body oversized", "POST", "/api/orders", tma(valid), big, []int{413}},
		{"order body malformed", "POST", "/api/orders", tma(valid), `{"plan_id":`, []int{400, 422}},
		{"order body wrong type", "POST", "/api/orders", tma(valid), `{"plan_id":5}`, []int{400, 422}},
		{"order body array", "POST", "/api/orders", tma(valid), `[]`, []int{400, 422}},
		{"order body empty", "POST", "/api/orders", tma(valid), ``, []int{400, 422}},
		{"refund body malformed", "POST", "/admin/orders/" + borisOrder.OrderID + "/refund", admin, `{"reason":`, []int{400, 422}},
		{"refund body oversized", "POST", "/admin/orders/" + borisOrder.OrderID + "/refund", admin, `{"reason":"` + strings.Repeat("r", 70*1024) + `"}`, []int{413}},
		{"refund of an unpaid order", "POST", "/admin/orders/" + borisOrder.OrderID + "/refund", admin, map[string]string{"reason": "test"}, []int{409}},
	}
	for _, tok := range []map[string]string{nil, {"Authorization": "Bearer wrong"}, {"Authorization": "tma " + valid}, {"Authorization": "Bearer "}} {
		for _, r := range []struct{ method, path string }{
			{"GET", "/admin/orders"}, {"GET", "/admin/orders/" + borisOrder.OrderID},
			{"POST", "/admin/orders/" + borisOrder.OrderID + "/refund"}, {"GET", "/admin/reconciliation"},
		} {
			cases = append(cases, tc{fmt.Sprintf("admin %s %s with %v", r.method, r.path, tok), r.method, r.path, tok,
				map[string]string{"reason": "not allowed"}, []int{401}})
		}
	}
	for i, q := range sqlish {
		esc := url.PathEscape(q)
		cases = append(cases,
			tc{"sql in plan_id " + q, "POST", "/api/orders", tma(valid), map[string]string{"plan_id": q}, []int{404, 422}},
			tc{"sql in idempotency key " + q, "POST", "/api/orders", map[string]string{"Authorization": "tma " + valid, "Idempotency-Key": q},
				map[string]string{"plan_id": q}, []int{404, 422}},
			tc{"sql in order id " + q, "GET", "/api/orders/" + esc, tma(valid), nil, []int{404}},
			tc{"sql in country " + q, "GET", "/api/plans?country=" + url.QueryEscape(q), nil, nil, []int{200, 400, 422}},
			tc{"sql in admin status " + q, "GET", "/admin/orders?status=" + url.QueryEscape(q), admin, nil, []int{422}},
			tc{"sql in admin user_id " + q, "GET", "/admin/orders?user_id=" + url.QueryEscape(q), admin, nil, []int{422}},
			tc{"sql in admin plan_id " + q, "GET", "/admin/orders?plan_id=" + url.QueryEscape(q), admin, nil, []int{200}},
			tc{"sql in admin order id " + q, "GET", "/admin/orders/" + esc, admin, nil, []int{404}},
			tc{"sql in refund reason " + q, "POST", "/admin/orders/" + esc + "/refund", admin, map[string]string{"reason": q}, []int{404}},
			tc{"sql in webhook secret " + q, "POST", "/telegram/webhook", map[string]string{telegram.SecretHeader: q},
				paymentUpdate(int64(60+i), q, q, 1, alice.ID), []int{401}},
		)
	}

	before := s.ledgerCounts(stateTables...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var raw []byte
			code := s.call(c.method, c.path, c.headers, c.body, &raw)
			if !contains(intsToStrings(c.want), fmt.Sprint(code)) {
				t.Errorf("status %d, want one of %v (body %.200s)", code, c.want, raw)
			}
			if code >= 400 {
				var e struct {
					Error   string `json:"error"`
					Message string `json:"message"`
				}
				if err := json.Unmarshal(raw, &e); err != nil || e.Error == "" || e.Message == "" {
					t.Errorf("error body %.200q is not {\"error\",\"message\"}", raw)
				}
			}
		})
	}
	if after := s.ledgerCounts(stateTables...); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("hostile requests changed the ledger: before %v, after %v", before, after)
	}
	// The tables survived every SQL-looking string.
	if v := s.waitStatus(boris, borisOrder.OrderID, "awaiting_payment", 5*time.Second); v.OrderID != borisOrder.OrderID {
		t.Errorf("boris's order changed: %+v", v)
	}
}

// Tampered payments through Telegram itself: a payload naming another
// buyer's order and an amount other than the quote are refused at
// pre-checkout, so no Star moves and no order, payment or refund appears.
// (The inbox keeps the refused pre_checkout_query, as it keeps every
// genuine update, so telegram_updates is not among the counted tables.)
func TestTamperedCheckoutsMoveNoMoney(t *testing.T) {
	s := startStore(t, nil)
	ctx := context.Background()
	mine := s.buy(alice, planGB)
	theirs := s.buy(boris, planGB)
	tables := []string{"orders", "payments", "refunds", "esim_orders"}
	before := s.ledgerCounts(tables...)
	cases := []struct {
		name string
		opts telegramtest.PayOptions
	}{
		{"payload of another buyer's order", telegramtest.PayOptions{PayloadOverride: theirs.OrderID}},
		{"payload naming no order", telegramtest.PayOptions{PayloadOverride: "00000000-0000-0000-0000-000000000000"}},
		{"payload with SQL", telegramtest.PayOptions{PayloadOverride: sqlish[1]}},
		{"amount below the quote", telegramtest.PayOptions{AmountOverride: 1}},
		{"amount above the quote", telegramtest.PayOptions{AmountOverride: mine.PriceStars + 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bal := s.Telegram.Balance(alice.ID)
			res, err := s.Telegram.Pay(ctx, mine.InvoiceLink, alice, c.opts)
			if err != nil || res.Approved || res.ChargeID != "" || res.ErrorMessage == "" {
				t.Errorf("pay: %+v %v, want a refusal with a message", res, err)
			}
			if got := s.Telegram.Balance(alice.ID); got != bal {
				t.Errorf("buyer balance moved from %d to %d", bal, got)
			}
		})
	}
	if after := s.ledgerCounts(tables...); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("tampered checkouts changed the ledger: before %v, after %v", before, after)
	}
	if n := len(s.Telegram.Transactions()); n != 0 {
		t.Errorf("Star ledger has %d entries, want 0", n)
	}
}

func intsToStrings(xs []int) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = fmt.Sprint(x)
	}
	return out
}
