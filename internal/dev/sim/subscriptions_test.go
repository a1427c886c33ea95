package sim_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/starsesim/esimstore/telegram"
)

type simSubs struct {
	Subscriptions []struct {
		SubscriptionID string `json:"subscription_id"`
		FirstChargeID  string `json:"first_charge_id"`
		Amount         int64  `json:"amount"`
		Charges        int    `json:"charges"`
		Canceled       bool   `json:"canceled"`
	} `json:"subscriptions"`
}

func (v *env) subscriptionLink(t *testing.T, subID string, stars int) string {
	t.Helper()
	var link string
	raw := v.bot(t, "createInvoiceLink", map[string]any{
		"title": "eSIM UK monthly", "description": "1 GB, renewed every 30 days", "payload": subID,
		"currency": "XTR", "prices": []map[string]any{{"label": "eSIM", "amount": stars}},
		"subscription_period": telegram.SubscriptionPeriod30d,
	})
	_ = json.Unmarshal(raw, &link)
	return link
}

func TestRenewChargesTheNextPeriodUntilTheBotCancels(t *testing.T) {
	v := newEnv(t)
	// A one-off payment is no subscription and must not be listed.
	v.do(t, http.MethodPost, "/sim/api/pay", map[string]any{"invoice_link": v.invoice(t, "ord-1", 50), "user_id": 5079065042}, nil)
	link := v.subscriptionLink(t, "sub-abc", 137)

	if rec := v.do(t, http.MethodPost, "/sim/api/renew", map[string]any{"subscription_id": "sub-abc"}, nil); rec.Code != http.StatusNotFound {
		t.Fatalf("renew before the first payment = %d %s, want 404", rec.Code, rec.Body)
	}
	var paid struct {
		Approved bool   `json:"approved"`
		ChargeID string `json:"charge_id"`
	}
	v.do(t, http.MethodPost, "/sim/api/pay", map[string]any{"invoice_link": link, "user_id": 5079065042}, &paid)
	if !paid.Approved || paid.ChargeID == "" {
		t.Fatalf("first payment = %+v", paid)
	}

	var subs simSubs
	v.do(t, http.MethodGet, "/sim/api/subscriptions?user_id=5079065042", nil, &subs)
	if len(subs.Subscriptions) != 1 {
		t.Fatalf("subscriptions = %+v, want only sub-abc", subs)
	}
	if s := subs.Subscriptions[0]; s.SubscriptionID != "sub-abc" || s.FirstChargeID != paid.ChargeID || s.Amount != 137 || s.Charges != 1 || s.Canceled {
		t.Fatalf("subscription = %+v", s)
	}
	v.do(t, http.MethodGet, "/sim/api/subscriptions?user_id=1002", nil, &subs)
	if len(subs.Subscriptions) != 0 {
		t.Fatalf("Boris sees %+v", subs)
	}

	balance := v.tg.Balance(5079065042)
	var renewed struct {
		SubscriptionID string `json:"subscription_id"`
		FirstChargeID  string `json:"first_charge_id"`
		ChargeID       string `json:"charge_id"`
	}
	rec := v.do(t, http.MethodPost, "/sim/api/renew", map[string]any{"subscription_id": "sub-abc"}, &renewed)
	if rec.Code != http.StatusOK || renewed.SubscriptionID != "sub-abc" || renewed.FirstChargeID != paid.ChargeID ||
		renewed.ChargeID == "" || renewed.ChargeID == paid.ChargeID {
		t.Fatalf("renew = %d %s", rec.Code, rec.Body)
	}
	if got := v.tg.Balance(5079065042); got != balance-137 {
		t.Errorf("balance after renewal = %d, want %d", got, balance-137)
	}
	// The first charge id names the subscription too.
	v.do(t, http.MethodPost, "/sim/api/renew", map[string]any{"charge_id": paid.ChargeID}, &renewed)
	v.do(t, http.MethodGet, "/sim/api/subscriptions?user_id=5079065042", nil, &subs)
	if subs.Subscriptions[0].Charges != 3 {
		t.Fatalf("charges = %d, want 3", subs.Subscriptions[0].Charges)
	}

	// The chat shows each renewal as a payment of the subscription.
	var chat struct {
		Items []struct {
			Kind    string `json:"kind"`
			OrderID string `json:"order_id"`
		} `json:"items"`
	}
	v.do(t, http.MethodGet, "/sim/api/chat?user_id=5079065042", nil, &chat)
	n := 0
	for _, it := range chat.Items {
		if it.Kind == "payment" && it.OrderID == "sub-abc" {
			n++
		}
	}
	if n != 3 {
		t.Errorf("subscription payments in the chat = %d, want 3: %+v", n, chat.Items)
	}

	// Once the bot cancels, Telegram renews no more.
	v.bot(t, "editUserStarSubscription", map[string]any{"user_id": 5079065042, "telegram_payment_charge_id": paid.ChargeID, "is_canceled": true})
	v.do(t, http.MethodGet, "/sim/api/subscriptions?user_id=5079065042", nil, &subs)
	if !subs.Subscriptions[0].Canceled {
		t.Error("canceled not reported")
	}
	if rec := v.do(t, http.MethodPost, "/sim/api/renew", map[string]any{"subscription_id": "sub-abc"}, nil); rec.Code != http.StatusConflict {
		t.Errorf("renew after cancel = %d %s, want 409", rec.Code, rec.Body)
	}

	if rec := v.do(t, http.MethodPost, "/sim/api/renew", map[string]any{}, nil); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("empty renew = %d, want 422", rec.Code)
	}
	if rec := v.do(t, http.MethodGet, "/sim/api/subscriptions?user_id=x", nil, nil); rec.Code != http.StatusBadRequest {
		t.Errorf("bad user_id = %d, want 400", rec.Code)
	}
}
