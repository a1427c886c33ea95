package integration

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Every route and error code of docs/architecture.md#http-contract through the real router.
func TestAPIContract(t *testing.T) {
	s := startStore(t, nil)
	c := s.buy(alice, planGB)
	stale := map[string]string{"Authorization": "tma " + signInitData(s, alice, time.Now().Add(-25*time.Hour))}
	forged := map[string]string{"Authorization": "tma " + strings.Replace(s.initData(alice), "Alice", "Mallory", 1)}
	big := `{"plan_id":"` + strings.Repeat("x", 70*1024) + `"}`

	tests := []struct {
		name, method, path string
		headers            map[string]string
		body               any
		want               int
		wantError          string
	}{
		{"plans", "GET", "/api/plans", nil, nil, 200, ""},
		{"plans by country", "GET", "/api/plans?country=gb", nil, nil, 200, ""},
		{"plans bad country", "GET", "/api/plans?country=GBR", nil, nil, 422, "invalid_country"},
		{"create without auth", "POST", "/api/orders", nil, map[string]string{"plan_id": planGB}, 401, "unauthorized"},
		{"create with stale initData", "POST", "/api/orders", stale, map[string]string{"plan_id": planGB}, 401, "invalid_init_data"},
		{"create with forged initData", "POST", "/api/orders", forged, map[string]string{"plan_id": planGB}, 401, "invalid_init_data"},
		{"create unknown plan", "POST", "/api/orders", s.as(alice), map[string]string{"plan_id": "nope"}, 404, "plan_not_found"},
		{"create malformed body", "POST", "/api/orders", s.as(alice), `{"plan_id":`, 422, "invalid_body"},
		{"create empty plan", "POST", "/api/orders", s.as(alice), `{}`, 422, "invalid_body"},
		{"create oversized body", "POST", "/api/orders", s.as(alice), big, 413, "body_too_large"},
		{"my orders", "GET", "/api/orders", s.as(alice), nil, 200, ""},
		{"my orders without auth", "GET", "/api/orders", nil, nil, 401, "unauthorized"},
		{"my order", "GET", "/api/orders/" + c.OrderID, s.as(alice), nil, 200, ""},
		{"my order unknown", "GET", "/api/orders/nope", s.as(alice), nil, 404, "order_not_found"},
		{"someone else's order", "GET", "/api/orders/" + c.OrderID, s.as(boris), nil, 404, "order_not_found"},
		{"qr not yet", "GET", "/api/orders/" + c.OrderID + "/qr.png", s.as(alice), nil, 409, "not_ready"},
		{"webhook no secret", "POST", "/telegram/webhook", nil, `{"update_id":1}`, 401, "unauthorized"},
		{"webhook malformed", "POST", "/telegram/webhook", map[string]string{"X-Telegram-Bot-Api-Secret-Token": s.Cfg.TelegramWebhookSecret}, `{"update_id":`, 400, "invalid_update"},
		{"admin refund without token", "POST", "/admin/orders/" + c.OrderID + "/refund", nil, map[string]string{"reason": "x"}, 401, "unauthorized"},
		{"admin refund unpaid", "POST", "/admin/orders/" + c.OrderID + "/refund", s.admin(), map[string]string{"reason": "x"}, 409, "not_paid"},
		{"admin refund unknown", "POST", "/admin/orders/nope/refund", s.admin(), map[string]string{"reason": "x"}, 404, "order_not_found"},
		{"admin list", "GET", "/admin/orders?status=awaiting_payment&user_id=" + fmt.Sprint(alice.ID), s.admin(), nil, 200, ""},
		{"admin list bad status", "GET", "/admin/orders?status=lost", s.admin(), nil, 422, "invalid_status"},
		{"admin list without token", "GET", "/admin/orders", nil, nil, 401, "unauthorized"},
		{"admin order", "GET", "/admin/orders/" + c.OrderID, s.admin(), nil, 200, ""},
		{"healthz", "GET", "/healthz", nil, nil, 200, ""},
		{"readyz", "GET", "/readyz", nil, nil, 200, ""},
		{"metrics", "GET", "/metrics", nil, nil, 200, ""},
		{"unknown route", "GET", "/api/nothing", nil, nil, 404, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out map[string]any
			var raw []byte
			var target any = &out
			if tt.wantError == "" {
				target = &raw
			}
			code := s.call(tt.method, tt.path, tt.headers, tt.body, target)
			if code != tt.want {
				t.Fatalf("%s %s = %d, want %d (%v)", tt.method, tt.path, code, tt.want, out)
			}
			if tt.wantError != "" && (out["error"] != tt.wantError || out["message"] == "" || out["message"] == nil) {
				t.Errorf("error body = %v, want error %q and a message", out, tt.wantError)
			}
		})
	}

	// Shapes the Mini App relies on.
	var plans []map[string]any
	s.call("GET", "/api/plans?country=GB", nil, nil, &plans)
	if len(plans) == 0 {
		t.Fatal("no plans for GB")
	}
	for _, key := range []string{"id", "name", "description", "countries", "data_mb", "duration_days", "unlimited", "price_usd", "price_stars"} {
		if _, ok := plans[0][key]; !ok {
			t.Errorf("plan lacks %q: %v", key, plans[0])
		}
	}
	if _, ok := plans[0]["price_usd"].(string); !ok {
		t.Errorf("price_usd must be a decimal string: %v", plans[0]["price_usd"])
	}
	var o map[string]any
	s.call("GET", "/api/orders/"+c.OrderID, s.as(alice), nil, &o)
	for _, key := range []string{"order_id", "status", "plan_id", "price_stars", "created_at"} {
		if _, ok := o[key]; !ok {
			t.Errorf("order lacks %q: %v", key, o)
		}
	}
	if o["status"] != "awaiting_payment" {
		t.Errorf("status = %v", o["status"])
	}
	// No secrets in responses' headers, and security headers present.
	resp, err := http.Get(s.URL + "/api/plans")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("X-Request-Id") == "" {
		t.Errorf("missing security/request-id headers: %v", resp.Header)
	}
}
