package integration

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"

	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/i18n"
	"github.com/starsesim/esimstore/telegram"
	"github.com/starsesim/esimstore/telegram/telegramtest"
)

// botTexts returns the bot's text messages in a user's chat, oldest first.
func botTexts(f *telegramtest.Fake, user int64) []telegramtest.ChatItem {
	var out []telegramtest.ChatItem
	for _, m := range f.Chat(user) {
		if m.FromBot && m.Kind == telegramtest.KindText {
			out = append(out, m)
		}
	}
	return out
}

func lastBotText(t *testing.T, f *telegramtest.Fake, user int64) telegramtest.ChatItem {
	t.Helper()
	texts := botTexts(f, user)
	if len(texts) == 0 {
		t.Fatalf("no bot message in the chat of %d", user)
	}
	return texts[len(texts)-1]
}

func chatInvoices(f *telegramtest.Fake, user int64) []telegramtest.ChatItem {
	var out []telegramtest.ChatItem
	for _, m := range f.Chat(user) {
		if m.FromBot && m.Kind == telegramtest.KindInvoice {
			out = append(out, m)
		}
	}
	return out
}

// TestDeepLinkPurchase: /start plan_… → invoice in the chat → payment → QR
// in the chat, through the same order workflow as the Mini App.
func TestDeepLinkPurchase(t *testing.T) {
	s := startStore(t, nil)
	ctx := context.Background()
	if err := s.Telegram.SendText(ctx, alice, "/start plan_"+planGB); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "invoice in chat", func() bool { return len(chatInvoices(s.Telegram, alice.ID)) == 1 })
	item := chatInvoices(s.Telegram, alice.ID)[0]
	if item.Invoice == nil || item.Invoice.Amount != 137 || item.Invoice.Currency != "XTR" {
		t.Fatalf("chat invoice = %+v, want 137 XTR", item.Invoice)
	}
	res, err := s.Telegram.Pay(ctx, item.InvoiceLink, alice)
	if err != nil || !res.Approved || !res.Delivered {
		t.Fatalf("pay the chat invoice: %+v %v", res, err)
	}
	waitFor(t, 30*time.Second, "QR in chat", func() bool { return len(photos(s.Telegram, alice.ID)) == 1 })
	v := s.waitStatus(alice, item.Invoice.Payload, "fulfilled", 10*time.Second)
	if v.ESIM == nil || v.PlanID != planGB {
		t.Fatalf("chat order = %+v", v)
	}

	// Telegram re-delivering the same /start (same message) sends no second invoice.
	if n := len(s.Telegram.Calls("sendInvoice")); n != 1 {
		t.Errorf("sendInvoice calls = %d, want 1", n)
	}
	// The order is listed by /orders with its status.
	if err := s.Telegram.SendText(ctx, alice, "/orders"); err != nil {
		t.Fatal(err)
	}
	if got := lastBotText(t, s.Telegram, alice.ID).Text; !strings.Contains(got, item.Invoice.Payload) ||
		!strings.Contains(got, i18n.T("en", i18n.StatusKey("fulfilled"))) {
		t.Errorf("/orders = %q, want the order and its status", got)
	}
	// An unknown plan is answered, not invoiced.
	if err := s.Telegram.SendText(ctx, alice, "/start plan_nope"); err != nil {
		t.Fatal(err)
	}
	if got := lastBotText(t, s.Telegram, alice.ID).Text; got != i18n.T("en", i18n.PlanNotFound) {
		t.Errorf("/start plan_nope = %q", got)
	}
}

// TestCommandsInBothLanguages: each command answers in the sender's
// language, and start-up registered the menus and the Mini App button.
func TestCommandsInBothLanguages(t *testing.T) {
	s := startStore(t, nil)
	ctx := context.Background()
	tests := []struct {
		text string
		key  i18n.Key
	}{
		{"/start", i18n.Start},
		{"/help", i18n.Help},
		{"/paysupport", i18n.PaySupportRelay},
		{"/terms", i18n.Terms},
		{"/orders", i18n.OrdersEmpty},
		{"/cancel", i18n.CancelNone},
		{"hello", i18n.SupportReceived},
		{"/nonsense", i18n.UnknownInput},
	}
	for _, u := range []telegram.User{alice, boris} {
		lang := i18n.Lang(u.LanguageCode)
		for _, tc := range tests {
			if err := s.Telegram.SendText(ctx, u, tc.text); err != nil {
				t.Fatal(err)
			}
			if got, want := lastBotText(t, s.Telegram, u.ID).Text, i18n.T(lang, tc.key); got != want {
				t.Errorf("%s %s = %q, want %q", lang, tc.text, got, want)
			}
		}
		// /start carries the web_app button to PUBLIC_URL/app/.
		if err := s.Telegram.SendText(ctx, u, "/start"); err != nil {
			t.Fatal(err)
		}
		btns := lastBotText(t, s.Telegram, u.ID).Buttons
		if len(btns) != 1 || btns[0].WebAppURL != s.URL+"/app/" || btns[0].Text != i18n.T(lang, i18n.OpenStore) {
			t.Errorf("%s /start buttons = %+v", lang, btns)
		}
	}
	if en, ru := i18n.T("en", i18n.Help), i18n.T("ru", i18n.Help); en == ru {
		t.Error("help is the same in both languages")
	}
	for _, lang := range []string{"", "en", "ru"} {
		cmds := s.Telegram.Commands(lang)
		names := make([]string, 0, len(cmds))
		for _, c := range cmds {
			names = append(names, c.Command)
		}
		if got := strings.Join(names, ","); got != "start,orders,usage,cancel,paysupport,terms,help" {
			t.Errorf("commands[%q] = %s", lang, got)
		}
	}
	if ru := s.Telegram.Commands("ru"); len(ru) == 0 || ru[0].Description != i18n.T("ru", i18n.CmdStartDesc) {
		t.Errorf("russian menu = %+v", ru)
	}
	var menu struct {
		Type   string `json:"type"`
		WebApp struct {
			URL string `json:"url"`
		} `json:"web_app"`
	}
	if err := json.Unmarshal(s.Telegram.MenuButton(), &menu); err != nil || menu.Type != "web_app" || menu.WebApp.URL != s.URL+"/app/" {
		t.Errorf("menu button = %s (%v)", s.Telegram.MenuButton(), err)
	}
}

type subCreated struct {
	SubscriptionID     string `json:"subscription_id"`
	InvoiceLink        string `json:"invoice_link"`
	PriceStars         int64  `json:"price_stars"`
	SubscriptionPeriod int    `json:"subscription_period"`
}

type subView struct {
	SubscriptionID string `json:"subscription_id"`
	Status         string `json:"status"`
	ICCID          string `json:"iccid"`
	Periods        int    `json:"periods"`
	ExpiresAt      string `json:"expires_at"`
}

func (s *shop) subscribe(u telegram.User, plan string) subCreated {
	s.t.Helper()
	var c subCreated
	if code := s.call("POST", "/api/subscriptions", s.as(u), map[string]string{"plan_id": plan}, &c); code != http.StatusCreated {
		s.t.Fatalf("create subscription: %d %+v", code, c)
	}
	return c
}

func (s *shop) subscription(u telegram.User, id string) subView {
	s.t.Helper()
	var list []subView
	s.call("GET", "/api/subscriptions", s.as(u), nil, &list)
	for _, v := range list {
		if v.SubscriptionID == id {
			return v
		}
	}
	return subView{}
}

func (s *shop) paymentsOf(id string) int {
	s.t.Helper()
	ps, err := s.App.Store.PaymentsForOrder(context.Background(), id)
	if err != nil {
		s.t.Fatal(err)
	}
	return len(ps)
}

// TestSubscriptionRenewals: one eSIM, a bundle per paid period on it, a
// failed top-up refunded, and cancellation from the Mini App stopping the
// next renewal.
func TestSubscriptionRenewals(t *testing.T) {
	s := startStore(t, nil)
	ctx := context.Background()
	c := s.subscribe(alice, planGB)
	inv, ok := s.Telegram.Invoice(c.InvoiceLink)
	if !ok || inv.SubscriptionPeriod != telegram.SubscriptionPeriod30d || inv.Amount != 137 || inv.Payload != c.SubscriptionID {
		t.Fatalf("subscription invoice = %+v (%v)", inv, ok)
	}
	first, err := s.Telegram.Pay(ctx, c.InvoiceLink, alice)
	if err != nil || !first.Approved || !first.Delivered {
		t.Fatalf("first payment: %+v %v", first, err)
	}
	waitFor(t, 30*time.Second, "QR in chat", func() bool { return len(photos(s.Telegram, alice.ID)) == 1 })
	v := s.waitStatus(alice, c.SubscriptionID, "fulfilled", 10*time.Second)
	iccid := v.ESIM.ICCID

	for i := 2; i <= 3; i++ {
		if res, err := s.Telegram.Renew(ctx, first.ChargeID); err != nil || !res.Delivered {
			t.Fatalf("renewal %d: %+v %v", i, res, err)
		}
		waitFor(t, 30*time.Second, "top-up", func() bool { return len(s.ESIM.BundlesOn(iccid)) == i })
	}
	waitFor(t, 10*time.Second, "renewal notice", func() bool {
		return strings.Contains(lastBotText(t, s.Telegram, alice.ID).Text, iccid)
	})
	if got := s.ESIM.BundlesOn(iccid); len(got) != 3 || got[2] != planGB {
		t.Errorf("bundles on %s = %v, want 3 × %s", iccid, got, planGB)
	}
	if n := len(s.ESIM.ESIMs()); n != 1 {
		t.Errorf("eSIMs = %d, want 1", n)
	}
	if n := s.paymentsOf(c.SubscriptionID); n != 3 {
		t.Errorf("payments recorded = %d, want 3", n)
	}
	waitFor(t, 10*time.Second, "periods recorded", func() bool {
		sv := s.subscription(alice, c.SubscriptionID)
		return sv.Periods == 3 && sv.ExpiresAt != "" && sv.Status == "active" && sv.ICCID == iccid
	})

	// A renewal whose bundle no longer fits the eSIM is refunded, never put on a new eSIM.
	s.ESIM.SetCompatible(iccid, planGB, false)
	bad, err := s.Telegram.Renew(ctx, first.ChargeID)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "refund of the failed top-up", func() bool { return s.Telegram.Refunds()[bad.ChargeID] == 1 })
	if n := len(s.ESIM.ESIMs()); n != 1 || len(s.ESIM.BundlesOn(iccid)) != 3 {
		t.Errorf("after a failed top-up: %d eSIMs, bundles %v", n, s.ESIM.BundlesOn(iccid))
	}
	s.ESIM.SetCompatible(iccid, planGB, true)
	// Four charges: the subscription's workflow has continued as new once,
	// carrying its state, so its history stays small over the years.
	var firstRun string
	waitFor(t, 10*time.Second, "continue-as-new", func() bool {
		d, err := s.App.Temporal.DescribeWorkflowExecution(ctx, contract.SubscriptionWorkflowID(c.SubscriptionID), "")
		firstRun = d.GetWorkflowExecutionInfo().GetFirstRunId()
		return err == nil && d.WorkflowExecutionInfo.GetExecution().GetRunId() != firstRun
	})
	s.recordRun(contract.SubscriptionWorkflowID(c.SubscriptionID), firstRun, "subscription_first_run")
	// Operators find it with the same search as orders, across continue-as-new.
	d, err := s.App.Temporal.DescribeWorkflowExecution(ctx, contract.SubscriptionWorkflowID(c.SubscriptionID), "")
	if err != nil {
		t.Fatal(err)
	}
	var status string
	if p := d.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()[contract.AttrStatus.GetName()]; p == nil {
		t.Error("the subscription's run has no OrderStatus search attribute")
	} else if err := converter.GetDefaultDataConverter().FromPayload(p, &status); err != nil || status != "active" {
		t.Errorf("OrderStatus = %q (%v), want active", status, err)
	}

	// Support cannot refund a subscription as if it were an order: a
	// second workflow would own its charges.
	var refused map[string]any
	if code := s.call("POST", "/admin/orders/"+c.SubscriptionID+"/refund", s.admin(), map[string]string{"reason": "x"}, &refused); code != http.StatusConflict || refused["error"] != "is_subscription" {
		t.Errorf("support refund of a subscription: %d %v", code, refused)
	}

	// Cancelling in the Mini App stops the next renewal at Telegram.
	var out map[string]any
	if code := s.call("POST", "/api/subscriptions/"+c.SubscriptionID+"/cancel", s.as(boris), nil, nil); code != http.StatusNotFound {
		t.Errorf("another buyer cancels: %d, want 404", code)
	}
	if code := s.call("POST", "/api/subscriptions/"+c.SubscriptionID+"/cancel", s.as(alice), nil, &out); code != http.StatusOK || out["status"] != "canceled" {
		t.Fatalf("cancel: %d %v", code, out)
	}
	if !s.Telegram.SubscriptionCanceled(first.ChargeID) {
		t.Error("editUserStarSubscription was not called with the first charge")
	}
	if _, err := s.Telegram.Renew(ctx, first.ChargeID); !errors.Is(err, telegramtest.ErrSubscriptionStopped) {
		t.Errorf("renewal after cancellation: %v, want it stopped", err)
	}
	if n := s.paymentsOf(c.SubscriptionID); n != 4 {
		t.Errorf("payments = %d, want 4", n)
	}
	refunds := s.Telegram.Refunds()
	if len(refunds) != 1 {
		t.Errorf("refunds = %v, want only the failed top-up", refunds)
	}
}

// TestSubscriptionCancelledInTelegramAndByCommand: a renewal after the
// buyer cancelled in Telegram (the subscription update) is refunded;
// re-enabling serves renewals again; /cancel stops them, in Russian.
func TestSubscriptionCancelledInTelegramAndByCommand(t *testing.T) {
	s := startStore(t, nil)
	ctx := context.Background()
	c := s.subscribe(boris, planGB)
	first, err := s.Telegram.Pay(ctx, c.InvoiceLink, boris)
	if err != nil || !first.Approved {
		t.Fatalf("first payment: %+v %v", first, err)
	}
	v := s.waitStatus(boris, c.SubscriptionID, "fulfilled", 30*time.Second)
	iccid := v.ESIM.ICCID

	if err := s.Telegram.SendSubscriptionUpdate(ctx, boris, c.SubscriptionID, telegram.SubscriptionCanceled); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "cancelled state", func() bool { return s.subscription(boris, c.SubscriptionID).Status == "canceled" })
	late, err := s.Telegram.Renew(ctx, first.ChargeID)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "refund after cancellation", func() bool { return s.Telegram.Refunds()[late.ChargeID] == 1 })
	if got := s.ESIM.BundlesOn(iccid); len(got) != 1 {
		t.Errorf("bundles after a refused renewal = %v", got)
	}

	if err := s.Telegram.SendSubscriptionUpdate(ctx, boris, c.SubscriptionID, telegram.SubscriptionActive); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "active again", func() bool { return s.subscription(boris, c.SubscriptionID).Status == "active" })
	if _, err := s.Telegram.Renew(ctx, first.ChargeID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "top-up after re-enabling", func() bool { return len(s.ESIM.BundlesOn(iccid)) == 2 })

	if err := s.Telegram.SendText(ctx, boris, "/cancel"); err != nil {
		t.Fatal(err)
	}
	// The renewal's notice may still be on its way: look for the answer
	// among the bot's messages rather than at the last one.
	want := i18n.T("ru", i18n.CancelDone, planGB)
	waitFor(t, 10*time.Second, "the /cancel answer", func() bool {
		for _, it := range botTexts(s.Telegram, boris.ID) {
			if it.Text == want {
				return true
			}
		}
		return false
	})
	if !s.Telegram.SubscriptionCanceled(first.ChargeID) {
		t.Error("/cancel did not cancel at Telegram")
	}
	if _, err := s.Telegram.Renew(ctx, first.ChargeID); !errors.Is(err, telegramtest.ErrSubscriptionStopped) {
		t.Errorf("renewal after /cancel: %v", err)
	}
}
