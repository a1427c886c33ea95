package activities_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/starsesim/esimstore/activities"
	"github.com/starsesim/esimstore/alerts"
	"github.com/starsesim/esimstore/config"
	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/esimgo/esimgotest"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/telegram"
	"github.com/starsesim/esimstore/telegram/telegramtest"
)

const supportChat int64 = -1_001_987_654_321

// withAlerts switches every alert kind on, posting to a support group.
func (r *rig) withAlerts(t *testing.T) {
	t.Helper()
	r.tg.AddGroup(supportChat, "Support")
	all, err := config.FromEnv(func(string) string { return "" }, true)
	if err != nil {
		t.Fatal(err)
	}
	r.acts.Alerts = &alerts.Alerter{Store: r.st, Bot: r.acts.Bot, ChatID: supportChat, Enabled: all.Alerts, PerHour: 10}
}

func (r *rig) alertTexts() []string {
	var out []string
	for _, it := range r.tg.Chat(supportChat) {
		out = append(out, it.Text)
	}
	return out
}

func TestRefundAlerts(t *testing.T) {
	r := newRig(t)
	r.withAlerts(t)
	ctx := context.Background()

	p := r.paidOrder(t, "o-esim-failed")
	in := activities.RefundInput{OrderID: "o-esim-failed", ChargeID: p.ChargeID, UserID: buyerChat, Stars: 137,
		Reason: "the eSIM could not be issued", ReasonCode: string(contract.RefundESIMFailed), By: "system"}
	for range 2 { // the second run meets CHARGE_ALREADY_REFUNDED: no second alert
		if _, err := r.env.ExecuteActivity(r.acts.RefundPayment, in); err != nil {
			t.Fatal(err)
		}
	}
	// A duplicate payment's refund is routine: no alert.
	dup := r.paidOrder(t, "o-dup")
	if _, err := r.env.ExecuteActivity(r.acts.RefundPayment, activities.RefundInput{OrderID: "o-dup", ChargeID: dup.ChargeID,
		UserID: buyerChat, Stars: 137, Reason: "dup", ReasonCode: string(contract.RefundDuplicate), By: "system"}); err != nil {
		t.Fatal(err)
	}
	texts := r.alertTexts()
	if len(texts) != 1 || !strings.Contains(texts[0], "Refunded: the eSIM could not be issued") || !strings.Contains(texts[0], "o-esim-failed") {
		t.Fatalf("alerts = %q", texts)
	}

	// A support refund asked for in the chat is confirmed under the staff
	// member's confirm message.
	sp := r.paidOrder(t, "o-support")
	confirm, err := r.acts.Bot.Post(ctx, telegramOutgoing(supportChat, "Refund o-support?"))
	if err != nil {
		t.Fatal(err)
	}
	id, err := r.st.ProposeSupportRefund(ctx, store.SupportRefundRequest{OrderID: "o-support", Reason: "no signal",
		RequestedBy: "Zoë (6200000001)", RequestedByID: 6_200_000_001, ChatID: supportChat})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.st.SetSupportRefundMessage(ctx, id, confirm); err != nil {
		t.Fatal(err)
	}
	if err := r.st.DecideSupportRefund(ctx, id, store.RefundAccepted, "accepted"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.env.ExecuteActivity(r.acts.RefundPayment, activities.RefundInput{OrderID: "o-support", ChargeID: sp.ChargeID,
		UserID: buyerChat, Stars: 137, Reason: "no signal", ReasonCode: string(contract.RefundSupport), By: "Zoë (6200000001)"}); err != nil {
		t.Fatal(err)
	}
	chat := r.tg.Chat(supportChat)
	last := chat[len(chat)-1]
	if !strings.Contains(last.Text, "Refund confirmed by Telegram") || !strings.Contains(last.Text, "Zoë (6200000001)") ||
		last.ReplyTo != confirm {
		t.Fatalf("support refund alert = %+v (want a reply to %d)", last, confirm)
	}
}

func TestRefundFailingAlertsAfterNAttempts(t *testing.T) {
	r := newRig(t)
	r.withAlerts(t)
	p := r.paidOrder(t, "o-stuck")
	r.tg.SetFault("refundStarPayment", telegramtest.Fault{Code: 500})
	in := activities.RefundInput{OrderID: "o-stuck", ChargeID: p.ChargeID, UserID: buyerChat, Stars: 137, Reason: "x",
		ReasonCode: string(contract.RefundESIMFailed), By: "system"}
	// The test environment runs attempt 1.
	r.acts.AlertRefundAttempts = 2
	if _, err := r.env.ExecuteActivity(r.acts.RefundPayment, in); err == nil {
		t.Fatal("refund succeeded under a 500")
	}
	if texts := r.alertTexts(); len(texts) != 0 {
		t.Fatalf("alert before the limit: %q", texts)
	}
	r.acts.AlertRefundAttempts = 1
	if _, err := r.env.ExecuteActivity(r.acts.RefundPayment, in); err == nil {
		t.Fatal("refund succeeded under a 500")
	}
	texts := r.alertTexts()
	if len(texts) != 1 || !strings.Contains(texts[0], "A refund keeps failing") || !strings.Contains(texts[0], "500") {
		t.Fatalf("alerts = %q", texts)
	}
}

func TestESIMGoBalanceAlerts(t *testing.T) {
	r := newRig(t)
	r.withAlerts(t)
	ctx := context.Background()
	r.acts.BalanceLowUSD = decimal.NewFromInt(50)
	p := r.paidOrder(t, "o-broke")

	r.esim.SetFault(esimgotest.EndpointCreateOrder, esimgotest.Fault{InsufficientBalance: true, Times: 2})
	for range 2 { // two refused attempts in the same hour: one alert
		if _, err := r.env.ExecuteActivity(r.acts.PlaceESIMOrder, activities.PlaceInput{OrderID: "o-broke", ChargeID: p.ChargeID,
			Bundle: "esim_1GB_7D_GB_V2", Since: time.Now().Add(-time.Minute)}); err == nil {
			t.Fatal("order placed without balance")
		}
	}
	texts := r.alertTexts()
	if len(texts) != 1 || !strings.Contains(texts[0], "eSIM Go balance too low") || !strings.Contains(texts[0], "o-broke") {
		t.Fatalf("alerts after refusals = %q", texts)
	}

	// The balance after an order falls below the alert level.
	r.esim.SetBalance(decimal.RequireFromString("51.00"))
	if _, err := r.env.ExecuteActivity(r.acts.PlaceESIMOrder, activities.PlaceInput{OrderID: "o-broke", ChargeID: p.ChargeID,
		Bundle: "esim_1GB_7D_GB_V2", Since: time.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	texts = r.alertTexts()
	if len(texts) != 2 || !strings.Contains(texts[1], "eSIM Go balance is low") || !strings.Contains(texts[1], "below the alert level of 50.00") {
		t.Fatalf("alerts after the order = %q", texts)
	}
	// The catalogue sync's balance check finds it again the same day: no new post.
	if _, err := r.acts.SyncPlans(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(r.alertTexts()); n != 2 {
		t.Fatalf("%d alerts after the balance check", n)
	}

	// Without any order, the catalogue sync alone notices a low balance.
	quiet := newRig(t)
	quiet.withAlerts(t)
	quiet.acts.BalanceLowUSD = decimal.NewFromInt(50)
	quiet.esim.SetBalance(decimal.RequireFromString("12.34"))
	if _, err := quiet.acts.SyncPlans(ctx); err != nil {
		t.Fatal(err)
	}
	if texts := quiet.alertTexts(); len(texts) != 1 || !strings.Contains(texts[0], "Balance 12.34") {
		t.Fatalf("alerts after the sync = %q", texts)
	}
}

func TestDeliveryHasAHelpButton(t *testing.T) {
	r := newRig(t)
	r.acts.HelpLink = func(_ context.Context, order string) string {
		return "https://t.me/esim_store_test_bot?start=help_" + order
	}
	if _, err := r.env.ExecuteActivity(r.acts.DeliverESIM, activities.DeliverInput{OrderID: "o-help", ChatID: buyerChat, Lang: "ru",
		PlanName: "UK", ESIM: contract.ESIM{ICCID: "89", SMDPAddress: "rsp.example.com", MatchingID: "M-1"}}); err != nil {
		t.Fatal(err)
	}
	chat := r.tg.Chat(buyerChat)
	photo := chat[len(chat)-1]
	if photo.Kind != telegramtest.KindPhoto || len(photo.Buttons) != 1 || photo.Buttons[0].Text != "Помощь с этим заказом" ||
		photo.Buttons[0].URL != "https://t.me/esim_store_test_bot?start=help_o-help" {
		t.Fatalf("delivered photo = %+v", photo)
	}
}

func telegramOutgoing(chat int64, text string) telegram.Outgoing {
	return telegram.Outgoing{ChatID: chat, Text: text}
}
