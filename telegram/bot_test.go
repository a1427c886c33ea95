package telegram_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/starsesim/esimstore/telegram"
	"github.com/starsesim/esimstore/telegram/telegramtest"
)

const webhookSecret = "wh_secret-1"

// buyer has an id above 2^32, as every recent Telegram account does.
var buyer = telegram.User{ID: 5_079_065_042, FirstName: "Ada", Username: "ada", LanguageCode: "en"}

// pngBytes is enough of a PNG for content sniffing.
var pngBytes = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 64)...)

func newBot(t *testing.T, opts telegramtest.Options) (*telegram.Bot, *telegramtest.Fake, *httptest.Server) {
	t.Helper()
	fake, srv := telegramtest.NewServer(t, opts)
	bot, err := telegram.NewBot(telegram.Config{Token: fake.Token(), APIURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return bot, fake, srv
}

// storeWebhook is a minimal version of the store's webhook: secret check,
// parse, answer pre-checkout by comparing the amount with the quote.
type storeWebhook struct {
	bot      *telegram.Bot
	quote    int64
	payments chan telegram.SuccessfulPayment
	refunds  chan telegram.RefundedPayment
}

func (h *storeWebhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !telegram.CheckSecret(r.Header.Get(telegram.SecretHeader), webhookSecret) {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	body, _ := io.ReadAll(r.Body)
	u, err := telegram.ParseUpdate(body)
	if err != nil {
		return
	}
	switch {
	case u.PreCheckoutQuery != nil:
		q := u.PreCheckoutQuery
		ok := q.Currency == "XTR" && q.TotalAmount == h.quote
		if err := h.bot.AnswerPreCheckoutQuery(r.Context(), q.ID, ok, "Price changed, please reopen the order"); err != nil {
			w.WriteHeader(http.StatusInternalServerError)
		}
	case u.Message != nil && u.Message.SuccessfulPayment != nil:
		h.payments <- *u.Message.SuccessfulPayment
	case u.Message != nil && u.Message.RefundedPayment != nil:
		h.refunds <- *u.Message.RefundedPayment
	}
}

func receive[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("timed out waiting for webhook update")
		panic("unreachable")
	}
}

func TestPaymentRefundFlow(t *testing.T) {
	ctx := t.Context()
	bot, fake, _ := newBot(t, telegramtest.Options{AnswerTimeout: 3 * time.Second})
	hook := &storeWebhook{bot: bot, quote: 137, payments: make(chan telegram.SuccessfulPayment, 4), refunds: make(chan telegram.RefundedPayment, 4)}
	wh := httptest.NewServer(hook)
	t.Cleanup(wh.Close)
	if err := bot.SetWebhook(ctx, wh.URL, webhookSecret); err != nil {
		t.Fatal(err)
	}

	link, err := bot.CreateInvoiceLink(ctx, telegram.Invoice{Title: "Germany 5 GB / 30 days", Description: "eSIM data plan", Payload: "ord_1", Stars: 137})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, "https://t.me/$") {
		t.Fatalf("link = %q", link)
	}
	inv, ok := fake.Invoice(link)
	if !ok || inv.Amount != 137 || inv.Currency != "XTR" || inv.Payload != "ord_1" || inv.Title != "Germany 5 GB / 30 days" {
		t.Fatalf("invoice = %+v", inv)
	}

	res, err := fake.Pay(ctx, link, buyer)
	if err != nil || !res.Approved || !res.Delivered || res.ChargeID == "" {
		t.Fatalf("Pay = %+v, %v", res, err)
	}
	sp := receive(t, hook.payments)
	if sp.TelegramPaymentChargeID != res.ChargeID || sp.TotalAmount != 137 || sp.InvoicePayload != "ord_1" || sp.Currency != "XTR" || sp.ProviderPaymentChargeID == "" {
		t.Fatalf("successful_payment = %+v", sp)
	}
	if got := fake.Calls("answerPreCheckoutQuery"); len(got) != 1 || !got[0].Bool("ok") {
		t.Fatalf("answerPreCheckoutQuery calls = %+v", got)
	}
	if fake.BotBalance() != 137 || fake.Balance(buyer.ID) != 1_000_000-137 {
		t.Fatalf("balances bot=%d buyer=%d", fake.BotBalance(), fake.Balance(buyer.ID))
	}

	if err := bot.RefundStarPayment(ctx, buyer.ID, sp.TelegramPaymentChargeID); err != nil {
		t.Fatal(err)
	}
	if rp := receive(t, hook.refunds); rp.TelegramPaymentChargeID != res.ChargeID || rp.TotalAmount != 137 {
		t.Fatalf("refunded_payment = %+v", rp)
	}
	err = bot.RefundStarPayment(ctx, buyer.ID, sp.TelegramPaymentChargeID)
	if !telegram.IsAlreadyRefunded(err) || telegram.IsRetryable(err) {
		t.Fatalf("second refund: %v", err)
	}
	if got := fake.Refunds(); got[res.ChargeID] != 1 || len(got) != 1 {
		t.Fatalf("refunds = %v", got)
	}

	txs, err := bot.StarTransactions(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(txs) != 2 {
		t.Fatalf("transactions = %+v", txs)
	}
	pay, refund := txs[0], txs[1]
	if pay.ID != res.ChargeID || pay.Amount != 137 || pay.Source == nil || pay.Source.User == nil || pay.Source.User.ID != buyer.ID ||
		pay.Source.InvoicePayload != "ord_1" || pay.Receiver != nil {
		t.Fatalf("payment tx = %+v", pay)
	}
	if refund.ID != res.ChargeID || refund.Amount != 137 || refund.Receiver == nil || refund.Receiver.User.ID != buyer.ID || refund.Source != nil {
		t.Fatalf("refund tx = %+v", refund)
	}
	if fake.BotBalance() != 0 || fake.Balance(buyer.ID) != 1_000_000 {
		t.Fatalf("balances after refund bot=%d buyer=%d", fake.BotBalance(), fake.Balance(buyer.ID))
	}
}

func TestPreCheckoutDeclinedOnTamperedAmount(t *testing.T) {
	ctx := t.Context()
	bot, fake, _ := newBot(t, telegramtest.Options{AnswerTimeout: 3 * time.Second})
	hook := &storeWebhook{bot: bot, quote: 137, payments: make(chan telegram.SuccessfulPayment, 1)}
	wh := httptest.NewServer(hook)
	t.Cleanup(wh.Close)
	if err := bot.SetWebhook(ctx, wh.URL, webhookSecret); err != nil {
		t.Fatal(err)
	}
	link, err := bot.CreateInvoiceLink(ctx, telegram.Invoice{Title: "t", Description: "d", Payload: "ord_2", Stars: 137})
	if err != nil {
		t.Fatal(err)
	}
	res, err := fake.Pay(ctx, link, buyer, telegramtest.PayOptions{AmountOverride: 1})
	if err != nil || res.Approved || res.ErrorMessage == "" {
		t.Fatalf("Pay = %+v, %v", res, err)
	}
	if len(fake.Transactions()) != 0 {
		t.Fatal("declined payment reached the ledger")
	}
}

func TestInvoiceRulesCheckedBeforeCall(t *testing.T) {
	bot, fake, _ := newBot(t, telegramtest.Options{})
	ok := telegram.Invoice{Title: "Plan", Description: "Data", Payload: "ord_1", Stars: 100}
	with := func(mut func(*telegram.Invoice)) telegram.Invoice { inv := ok; mut(&inv); return inv }
	cases := map[string]telegram.Invoice{
		"empty title":             with(func(i *telegram.Invoice) { i.Title = "" }),
		"title 33 chars":          with(func(i *telegram.Invoice) { i.Title = strings.Repeat("ä", 33) }),
		"empty description":       with(func(i *telegram.Invoice) { i.Description = "" }),
		"description 256":         with(func(i *telegram.Invoice) { i.Description = strings.Repeat("x", 256) }),
		"empty payload":           with(func(i *telegram.Invoice) { i.Payload = "" }),
		"payload 129 bytes":       with(func(i *telegram.Invoice) { i.Payload = strings.Repeat("x", 129) }),
		"payload bytes not runes": with(func(i *telegram.Invoice) { i.Payload = strings.Repeat("ä", 65) }),
		"zero stars":              with(func(i *telegram.Invoice) { i.Stars = 0 }),
		"negative stars":          with(func(i *telegram.Invoice) { i.Stars = -5 }),
		"period not 30 days":      with(func(i *telegram.Invoice) { i.SubscriptionPeriod = 86400 }),
		"subscription > 10000":    with(func(i *telegram.Invoice) { i.SubscriptionPeriod = telegram.SubscriptionPeriod30d; i.Stars = 10001 }),
		"relative photo url":      with(func(i *telegram.Invoice) { i.PhotoURL = "/img.png" }),
	}
	for name, inv := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := bot.CreateInvoiceLink(t.Context(), inv)
			var ie *telegram.InvoiceError
			if !errors.Is(err, telegram.ErrInvalidInvoice) || !errors.As(err, &ie) || telegram.IsRetryable(err) {
				t.Fatalf("CreateInvoiceLink err = %v", err)
			}
			if err := bot.SendInvoice(t.Context(), buyer.ID, inv); !errors.Is(err, telegram.ErrInvalidInvoice) {
				t.Fatalf("SendInvoice err = %v", err)
			}
		})
	}
	sub := with(func(i *telegram.Invoice) { i.SubscriptionPeriod = telegram.SubscriptionPeriod30d })
	if err := bot.SendInvoice(t.Context(), buyer.ID, sub); !errors.Is(err, telegram.ErrInvalidInvoice) {
		t.Fatalf("SendInvoice with subscription: %v", err)
	}
	if calls := fake.Calls(""); len(calls) != 0 {
		t.Fatalf("fake recorded %d calls, want 0", len(calls))
	}
	// The boundaries themselves are valid.
	edge := telegram.Invoice{Title: strings.Repeat("ä", 32), Description: strings.Repeat("x", 255), Payload: strings.Repeat("x", 128), Stars: 10000, SubscriptionPeriod: telegram.SubscriptionPeriod30d}
	if _, err := bot.CreateInvoiceLink(t.Context(), edge); err != nil {
		t.Fatal(err)
	}
	c := fake.Calls("createInvoiceLink")[0]
	var prices []struct {
		Amount int64 `json:"amount"`
	}
	if err := c.JSON("prices", &prices); err != nil || len(prices) != 1 || prices[0].Amount != 10000 ||
		c.Param("currency") != "XTR" || c.Has("provider_token") || c.Param("subscription_period") != "2592000" {
		t.Fatalf("wire params = %v", c.Params)
	}
}

func TestErrorClasses(t *testing.T) {
	ctx := t.Context()
	bot, fake, _ := newBot(t, telegramtest.Options{})

	fake.SetFault("sendMessage", telegramtest.TooManyRequests(7))
	err := bot.SendMessage(ctx, buyer.ID, "hi")
	var apiErr *telegram.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != 429 || telegram.RetryAfter(err) != 7*time.Second || !telegram.IsRetryable(err) || apiErr.Method != "sendMessage" {
		t.Fatalf("429: %v", err)
	}

	fake.SetFault("sendMessage", telegramtest.BotBlocked())
	err = bot.SendMessage(ctx, buyer.ID, "hi")
	if !telegram.IsBlocked(err) || telegram.IsRetryable(err) {
		t.Fatalf("403: %v", err)
	}

	fake.SetFault("sendPhoto", telegramtest.Fault{Code: 502, Times: 1})
	err = bot.SendPhoto(ctx, buyer.ID, pngBytes, "qr.png", "x")
	if !telegram.IsRetryable(err) || !errors.As(err, &apiErr) || apiErr.Code != 502 {
		t.Fatalf("502: %v", err)
	}
	if err := bot.SendPhoto(ctx, buyer.ID, pngBytes, "qr.png", "x"); err != nil {
		t.Fatalf("after 1 fault the call must succeed: %v", err)
	}

	fake.SetFault("getMe", telegramtest.Fault{Disconnect: true, Times: 1})
	_, err = bot.GetMe(ctx)
	if _, ok := errors.AsType[*telegram.TransportError](err); !ok || !telegram.IsRetryable(err) {
		t.Fatalf("disconnect: %T %v", err, err)
	}
	fake.ClearFaults()

	err = bot.RefundStarPayment(ctx, buyer.ID, "no-such-charge")
	if !errors.As(err, &apiErr) || apiErr.Code != 400 || telegram.IsRetryable(err) || telegram.IsAlreadyRefunded(err) {
		t.Fatalf("400: %v", err)
	}

	fake.BlockUser(buyer.ID, true)
	if err := bot.SendMessage(ctx, buyer.ID, "hi"); !telegram.IsBlocked(err) {
		t.Fatalf("blocked user: %v", err)
	}
}

func TestWrongTokenAndNetworkErrorsHideToken(t *testing.T) {
	_, srv := telegramtest.NewServer(t, telegramtest.Options{})
	const other = "7000000002:AAAnotherTokenxxxxxxxxxxxxxxxxxxxxx"
	bot, err := telegram.NewBot(telegram.Config{Token: other, APIURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = bot.GetMe(t.Context())
	var apiErr *telegram.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != 401 || apiErr.Description != "Unauthorized" || telegram.IsRetryable(err) {
		t.Fatalf("wrong token: %v", err)
	}

	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	bot, _ = telegram.NewBot(telegram.Config{Token: other, APIURL: dead.URL})
	_, err = bot.GetMe(t.Context())
	if !telegram.IsRetryable(err) || strings.Contains(err.Error(), "AAAnotherToken") {
		t.Fatalf("network error: %v", err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err = bot.GetMe(ctx); telegram.IsRetryable(err) {
		t.Fatalf("cancelled context must not be retryable: %v", err)
	}
	if _, err := telegram.NewBot(telegram.Config{Token: "not-a-token"}); err == nil {
		t.Fatal("malformed token accepted")
	}
}

func TestWireFormats(t *testing.T) {
	ctx := t.Context()
	bot, fake, _ := newBot(t, telegramtest.Options{})

	if err := bot.SendPhoto(ctx, buyer.ID, pngBytes, "esim-qr.png", "SM-DP+: <code>smdp.io</code>"); err != nil {
		t.Fatal(err)
	}
	c := fake.Calls("sendPhoto")[0]
	f, ok := c.File("photo")
	if !ok || !bytes.Equal(f.Data, pngBytes) || f.Name != "esim-qr.png" || c.Param("parse_mode") != "HTML" || c.Param("chat_id") != "5079065042" {
		t.Fatalf("sendPhoto call = %+v", c)
	}

	if err := bot.SendMessage(ctx, buyer.ID, "<b>Welcome</b>", telegram.Button{Text: "Open store", WebAppURL: "https://shop.example/app"}, telegram.Button{Text: "Terms", URL: "https://shop.example/terms"}); err != nil {
		t.Fatal(err)
	}
	if err := bot.SendMessage(ctx, buyer.ID, "x", telegram.Button{Text: "none"}); err == nil {
		t.Fatal("button without target accepted")
	}
	if err := bot.SendMessage(ctx, buyer.ID, "1 < 2"); err == nil {
		t.Fatal("unescaped < accepted in HTML mode")
	}

	if err := bot.SendInvoice(ctx, buyer.ID, telegram.Invoice{Title: "Plan", Description: "d", Payload: "ord_9", Stars: 50}); err != nil {
		t.Fatal(err)
	}
	chat := fake.Chat(buyer.ID)
	if len(chat) != 3 || chat[0].Kind != telegramtest.KindPhoto || !bytes.Equal(chat[0].Photo, pngBytes) ||
		chat[1].Buttons[0].WebAppURL != "https://shop.example/app" || chat[1].Buttons[1].URL != "https://shop.example/terms" ||
		chat[2].Kind != telegramtest.KindInvoice || chat[2].Invoice.Amount != 50 {
		t.Fatalf("chat = %+v", chat)
	}

	if err := bot.SetWebhook(ctx, "https://shop.example/telegram/webhook", webhookSecret); err != nil {
		t.Fatal(err)
	}
	if err := bot.SetWebhook(ctx, "https://shop.example/telegram/webhook", "bad secret!"); err == nil {
		t.Fatal("invalid secret accepted")
	}
	_, secret, allowed := fake.Webhook()
	if secret != webhookSecret || !containsAll(allowed, "message", "pre_checkout_query", "subscription") {
		t.Fatalf("webhook secret=%q allowed=%v", secret, allowed)
	}

	cmds := []telegram.Command{{Command: "start", Description: "Open the store"}, {Command: "paysupport", Description: "Payment help"}}
	if err := bot.SetMyCommands(ctx, "en", cmds); err != nil {
		t.Fatal(err)
	}
	if got := fake.Commands("en"); len(got) != 2 || got[1].Command != "paysupport" {
		t.Fatalf("commands = %+v", got)
	}
	if err := bot.SetMyCommands(ctx, "", []telegram.Command{{Command: "Bad-Name", Description: "x"}}); err == nil {
		t.Fatal("invalid command accepted by fake")
	}
	if err := bot.SetChatMenuButton(ctx, "Shop", "https://shop.example/app"); err != nil {
		t.Fatal(err)
	}
	var mb struct {
		Type   string `json:"type"`
		WebApp struct {
			URL string `json:"url"`
		} `json:"web_app"`
	}
	if err := json.Unmarshal(fake.MenuButton(), &mb); err != nil || mb.Type != "web_app" || mb.WebApp.URL != "https://shop.example/app" {
		t.Fatalf("menu button = %s", fake.MenuButton())
	}
	me, err := bot.GetMe(ctx)
	if err != nil || me.ID != fake.BotID() || me.ID != bot.ID() || !me.IsBot {
		t.Fatalf("getMe = %+v, %v", me, err)
	}
}

func TestSubscriptionCancel(t *testing.T) {
	ctx := t.Context()
	bot, fake, _ := newBot(t, telegramtest.Options{})
	link, err := bot.CreateInvoiceLink(ctx, telegram.Invoice{Title: "Monthly", Description: "d", Payload: "sub_1", Stars: 500, SubscriptionPeriod: telegram.SubscriptionPeriod30d})
	if err != nil {
		t.Fatal(err)
	}
	// No webhook is set: the payment is taken and the update waits in the queue.
	res, err := fake.Pay(ctx, link, buyer, telegramtest.PayOptions{SkipPreCheckout: true})
	if err != nil || res.Delivered || fake.Pending() != 1 {
		t.Fatalf("Pay = %+v, %v, pending %d", res, err, fake.Pending())
	}
	if err := bot.EditUserStarSubscription(ctx, buyer.ID, res.ChargeID, true); err != nil {
		t.Fatal(err)
	}
	if !fake.SubscriptionCanceled(res.ChargeID) {
		t.Fatal("subscription not canceled")
	}
	if _, err := fake.Renew(ctx, res.ChargeID); !errors.Is(err, telegramtest.ErrSubscriptionStopped) {
		t.Fatalf("renew after cancel: %v", err)
	}
	if err := bot.EditUserStarSubscription(ctx, buyer.ID, "unknown", false); err == nil {
		t.Fatal("unknown charge accepted")
	}
}

func containsAll(list []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, l := range list {
			found = found || l == w
		}
		if !found {
			return false
		}
	}
	return true
}

// getMyStarBalance follows the bot's Star ledger: payments in, refunds and
// withdrawals out.
func TestMyStarBalance(t *testing.T) {
	ctx := t.Context()
	bot, fake, _ := newBot(t, telegramtest.Options{AnswerTimeout: 3 * time.Second, NoRefundUpdates: true})
	hook := &storeWebhook{bot: bot, quote: 250, payments: make(chan telegram.SuccessfulPayment, 4)}
	wh := httptest.NewServer(hook)
	t.Cleanup(wh.Close)
	if err := bot.SetWebhook(ctx, wh.URL, webhookSecret); err != nil {
		t.Fatal(err)
	}
	balance := func(want int64) {
		t.Helper()
		got, err := bot.MyStarBalance(ctx)
		if err != nil || got != (telegram.StarAmount{Amount: want}) {
			t.Fatalf("MyStarBalance = %+v, %v; want %d Stars", got, err, want)
		}
	}
	balance(0)
	var charges []string
	for _, payload := range []string{"ord_1", "ord_2"} {
		link, err := bot.CreateInvoiceLink(ctx, telegram.Invoice{Title: "eSIM", Description: "plan", Payload: payload, Stars: 250})
		if err != nil {
			t.Fatal(err)
		}
		res, err := fake.Pay(ctx, link, buyer)
		if err != nil || !res.Delivered {
			t.Fatalf("pay: %+v %v", res, err)
		}
		charges = append(charges, res.ChargeID)
	}
	balance(500)
	if err := bot.RefundStarPayment(ctx, buyer.ID, charges[0]); err != nil {
		t.Fatal(err)
	}
	balance(250)
	if err := fake.Withdraw(200); err != nil {
		t.Fatal(err)
	}
	balance(50)
	if err := fake.Withdraw(51); err == nil {
		t.Fatal("withdrew more than the balance")
	}
	// A refund the balance cannot cover fails the way Telegram does.
	err := bot.RefundStarPayment(ctx, buyer.ID, charges[1])
	if err == nil || !strings.Contains(err.Error(), "BALANCE_TOO_LOW") {
		t.Fatalf("refund beyond the balance: %v", err)
	}
	balance(50)

	fake.SetFault("getMyStarBalance", telegramtest.Fault{Code: 500})
	if _, err := bot.MyStarBalance(ctx); err == nil || !telegram.IsRetryable(err) {
		t.Fatalf("5xx: %v", err)
	}
}
