package telegramtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/starsesim/esimstore/telegram"
)

// ada has an id above 2^32, like every account made in recent years.
var ada = telegram.User{ID: 5_079_065_042, FirstName: "Ada"}

type answer struct {
	Ok          bool            `json:"ok"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Result      json.RawMessage `json:"result"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

func do(t *testing.T, req *http.Request) (int, answer) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a answer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatalf("answer is not JSON: %v", err)
	}
	return resp.StatusCode, a
}

func postJSON(t *testing.T, srv *httptest.Server, token, method, body string) (int, answer) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/bot"+token+"/"+method, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return do(t, req)
}

func TestRoutingAndAuth(t *testing.T) {
	f, srv := NewServer(t, Options{})
	code, a := postJSON(t, srv, "7000000001:AAwrongxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "getMe", `{}`)
	if code != 401 || a.Ok || a.ErrorCode != 401 || a.Description != "Unauthorized" {
		t.Fatalf("wrong token: %d %+v", code, a)
	}
	code, a = postJSON(t, srv, f.Token(), "noSuchMethod", `{}`)
	if code != 404 || a.ErrorCode != 404 || a.Description != "Not Found" {
		t.Fatalf("unknown method: %d %+v", code, a)
	}
	code, a = postJSON(t, srv, f.Token(), "GETME", ``)
	if code != 200 || !a.Ok {
		t.Fatalf("case-insensitive method: %d %+v", code, a)
	}
	// Query parameters on GET and form bodies are accepted like on Telegram.
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/bot"+f.Token()+"/sendMessage?chat_id=5079065042&text=hello", nil)
	if code, a := do(t, req); code != 200 || !a.Ok {
		t.Fatalf("GET: %d %+v", code, a)
	}
	form := url.Values{"chat_id": {"5079065042"}, "text": {"<b>hi</b>"}, "parse_mode": {"HTML"}}
	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/bot"+f.Token()+"/sendMessage", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if code, a := do(t, req); code != 200 || !a.Ok {
		t.Fatalf("form: %d %+v", code, a)
	}
	if chat := f.Chat(ada.ID); len(chat) != 2 || chat[1].Text != "<b>hi</b>" || chat[1].ParseMode != "HTML" {
		t.Fatalf("chat = %+v", chat)
	}
}

func TestInvoiceValidation(t *testing.T) {
	f, srv := NewServer(t, Options{})
	base := `"title":"Plan","description":"Data","payload":"ord_1"`
	for name, tc := range map[string]struct{ body, want string }{
		"provider token": {`{` + base + `,"currency":"XTR","provider_token":"123:TEST","prices":[{"label":"x","amount":5}]}`, "Bad Request: STARS_INVOICE_INVALID"},
		"two prices":     {`{` + base + `,"currency":"XTR","prices":[{"label":"x","amount":5},{"label":"y","amount":1}]}`, "Bad Request: STARS_INVOICE_INVALID"},
		"tips":           {`{` + base + `,"currency":"XTR","max_tip_amount":10,"prices":[{"label":"x","amount":5}]}`, "Bad Request: STARS_INVOICE_INVALID"},
		"fiat":           {`{` + base + `,"currency":"USD","prices":[{"label":"x","amount":500}]}`, "Bad Request: PAYMENT_PROVIDER_INVALID"},
		"zero amount":    {`{` + base + `,"currency":"XTR","prices":[{"label":"x","amount":0}]}`, "Bad Request: CURRENCY_TOTAL_AMOUNT_INVALID"},
		"no title":       {`{"description":"d","payload":"p","currency":"XTR","prices":[{"label":"x","amount":5}]}`, `Bad Request: parameter "title" is required`},
		"long payload":   {`{"title":"t","description":"d","payload":"` + strings.Repeat("p", 129) + `","currency":"XTR","prices":[{"label":"x","amount":5}]}`, "Bad Request: INVOICE_PAYLOAD_INVALID"},
		"bad period":     {`{` + base + `,"currency":"XTR","subscription_period":86400,"prices":[{"label":"x","amount":5}]}`, "Bad Request: SUBSCRIPTION_PERIOD_INVALID"},
		"expensive sub":  {`{` + base + `,"currency":"XTR","subscription_period":2592000,"prices":[{"label":"x","amount":10001}]}`, "Bad Request: STARS_INVOICE_INVALID"},
	} {
		t.Run(name, func(t *testing.T) {
			code, a := postJSON(t, srv, f.Token(), "createInvoiceLink", tc.body)
			if code != 400 || a.Description != tc.want {
				t.Fatalf("%d %q, want %q", code, a.Description, tc.want)
			}
		})
	}
	if len(f.Invoices()) != 0 {
		t.Fatal("rejected invoices were stored")
	}
}

// webhook records deliveries and answers with the status fail() picks.
type webhook struct {
	mu      sync.Mutex
	updates []map[string]json.RawMessage
	secrets []string
	fail    func(n int) int
	onPCQ   func(id string)
}

func (w *webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var u map[string]json.RawMessage
	_ = json.Unmarshal(body, &u)
	w.mu.Lock()
	w.updates = append(w.updates, u)
	w.secrets = append(w.secrets, r.Header.Get(telegram.SecretHeader))
	n := len(w.updates)
	w.mu.Unlock()
	if w.fail != nil {
		if code := w.fail(n); code != 0 {
			rw.WriteHeader(code)
			return
		}
	}
	if raw, ok := u["pre_checkout_query"]; ok && w.onPCQ != nil {
		var q telegram.PreCheckoutQuery
		_ = json.Unmarshal(raw, &q)
		w.onPCQ(q.ID)
	}
}

func (w *webhook) ids(kind string) []int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []int64
	for _, u := range w.updates {
		if _, ok := u[kind]; ok {
			var id int64
			_ = json.Unmarshal(u["update_id"], &id)
			out = append(out, id)
		}
	}
	return out
}

// paymentMessage decodes the delivered successful_payment (or
// refunded_payment) message of a charge.
func (w *webhook) paymentMessage(t *testing.T, chargeID string, refunded bool) telegram.Message {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, u := range w.updates {
		var m telegram.Message
		if json.Unmarshal(u["message"], &m) != nil || m.From == nil {
			continue
		}
		if !refunded && m.SuccessfulPayment != nil && m.SuccessfulPayment.TelegramPaymentChargeID == chargeID ||
			refunded && m.RefundedPayment != nil && m.RefundedPayment.TelegramPaymentChargeID == chargeID {
			return m
		}
	}
	t.Fatalf("no payment message for %s (refunded %v)", chargeID, refunded)
	return telegram.Message{}
}

func newBotFor(t *testing.T, f *Fake, srv *httptest.Server) *telegram.Bot {
	bot, err := telegram.NewBot(telegram.Config{Token: f.Token(), APIURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return bot
}

func approveAll(t *testing.T, bot *telegram.Bot) func(string) {
	return func(id string) {
		if err := bot.AnswerPreCheckoutQuery(context.Background(), id, true, ""); err != nil {
			t.Errorf("answer: %v", err)
		}
	}
}

func TestRedeliveryDuplicatesAndSecret(t *testing.T) {
	wh := &webhook{}
	whSrv := httptest.NewServer(wh)
	t.Cleanup(whSrv.Close)
	f, srv := NewServer(t, Options{WebhookURL: whSrv.URL, WebhookSecret: "sek", DeliveryBackoff: time.Millisecond})
	bot := newBotFor(t, f, srv)
	wh.onPCQ = approveAll(t, bot)
	// The first successful_payment delivery attempts fail twice.
	var failures atomic.Int32
	wh.fail = func(n int) int {
		if n >= 2 && failures.Load() < 2 {
			failures.Add(1)
			return http.StatusInternalServerError
		}
		return 0
	}
	link, err := bot.CreateInvoiceLink(t.Context(), telegram.Invoice{Title: "t", Description: "d", Payload: "p", Stars: 10})
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.Pay(t.Context(), link, ada, PayOptions{Duplicates: 2})
	if err != nil || !res.Delivered {
		t.Fatalf("Pay = %+v, %v", res, err)
	}
	ids := wh.ids("message")
	if len(ids) != 5 { // 2 failed + 1 accepted + 2 duplicates
		t.Fatalf("message deliveries = %v", ids)
	}
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("re-deliveries must keep update_id: %v", ids)
		}
	}
	if pcq := wh.ids("pre_checkout_query"); len(pcq) != 1 || pcq[0] >= ids[0] {
		t.Fatalf("update ids not increasing: pcq %v msg %v", pcq, ids)
	}
	for _, s := range wh.secrets {
		if s != "sek" {
			t.Fatalf("secret header = %q", s)
		}
	}
	// Same invoice paid twice: two charges, fresh charge id.
	res2, err := f.Pay(t.Context(), link, ada)
	if err != nil || res2.ChargeID == res.ChargeID || len(f.Transactions()) != 2 {
		t.Fatalf("second payment = %+v, %v", res2, err)
	}
}

func TestPreCheckoutTimeoutAndLateAnswer(t *testing.T) {
	var lateID atomic.Value
	wh := &webhook{onPCQ: func(id string) { lateID.Store(id) }} // never answers
	whSrv := httptest.NewServer(wh)
	t.Cleanup(whSrv.Close)
	f, srv := NewServer(t, Options{WebhookURL: whSrv.URL, AnswerTimeout: 100 * time.Millisecond})
	bot := newBotFor(t, f, srv)
	link, _ := bot.CreateInvoiceLink(t.Context(), telegram.Invoice{Title: "t", Description: "d", Payload: "p", Stars: 10})
	res, err := f.Pay(t.Context(), link, ada)
	if !errors.Is(err, ErrPreCheckoutTimeout) || res.Approved || len(f.Transactions()) != 0 {
		t.Fatalf("Pay = %+v, %v", res, err)
	}
	f.Wait()
	id, _ := lateID.Load().(string)
	err = bot.AnswerPreCheckoutQuery(t.Context(), id, true, "")
	if err == nil || !strings.Contains(err.Error(), "query is too old") {
		t.Fatalf("late answer: %v", err)
	}
}

func TestAllowedUpdatesFilter(t *testing.T) {
	wh := &webhook{}
	whSrv := httptest.NewServer(wh)
	t.Cleanup(whSrv.Close)
	f, srv := NewServer(t, Options{AnswerTimeout: 50 * time.Millisecond})
	code, a := postJSON(t, srv, f.Token(), "setWebhook", `{"url":"`+whSrv.URL+`","allowed_updates":["message"]}`)
	if code != 200 || !a.Ok {
		t.Fatalf("setWebhook: %+v", a)
	}
	bot := newBotFor(t, f, srv)
	link, _ := bot.CreateInvoiceLink(t.Context(), telegram.Invoice{Title: "t", Description: "d", Payload: "p", Stars: 10})
	// Forgetting pre_checkout_query in allowed_updates makes every payment time out.
	if _, err := f.Pay(t.Context(), link, ada); !errors.Is(err, ErrPreCheckoutTimeout) {
		t.Fatalf("Pay: %v", err)
	}
	if len(wh.ids("pre_checkout_query")) != 0 {
		t.Fatal("filtered update delivered")
	}
}

func TestPausedWebhookQueues(t *testing.T) {
	wh := &webhook{}
	whSrv := httptest.NewServer(wh)
	t.Cleanup(whSrv.Close)
	f, srv := NewServer(t, Options{WebhookURL: whSrv.URL, AnswerTimeout: 3 * time.Second})
	bot := newBotFor(t, f, srv)
	wh.onPCQ = approveAll(t, bot)
	link, _ := bot.CreateInvoiceLink(t.Context(), telegram.Invoice{Title: "t", Description: "d", Payload: "p", Stars: 10})

	f.PauseWebhook()
	res, err := f.Pay(t.Context(), link, ada, PayOptions{SkipPreCheckout: true})
	if err != nil || res.Delivered || f.Pending() != 1 || len(wh.ids("message")) != 0 {
		t.Fatalf("paused Pay = %+v, %v, pending %d", res, err, f.Pending())
	}
	if err := f.SendText(t.Context(), ada, "/start plan_x"); err != nil {
		t.Fatal(err)
	}
	// A buyer waiting on pre-checkout gets through once the webhook is back.
	go func() {
		time.Sleep(50 * time.Millisecond)
		f.ResumeWebhook()
	}()
	res, err = f.Pay(t.Context(), link, ada)
	if err != nil || !res.Approved {
		t.Fatalf("Pay across resume = %+v, %v", res, err)
	}
	f.Wait()
	if f.Pending() != 0 || len(wh.ids("message")) != 3 {
		t.Fatalf("pending %d, messages %v", f.Pending(), wh.ids("message"))
	}
	wh.mu.Lock()
	var msg telegram.Message
	for _, u := range wh.updates {
		if raw, ok := u["message"]; ok && strings.Contains(string(raw), "/start") {
			_ = json.Unmarshal(raw, &msg)
		}
	}
	wh.mu.Unlock()
	if name, args, ok := msg.Command(); !ok || name != "start" || args != "plan_x" || len(msg.Entities) != 1 || msg.Entities[0].Type != "bot_command" {
		t.Fatalf("command message = %+v", msg)
	}
}

func TestLedgerPaging(t *testing.T) {
	f, srv := NewServer(t, Options{})
	bot := newBotFor(t, f, srv)
	link, _ := bot.CreateInvoiceLink(t.Context(), telegram.Invoice{Title: "t", Description: "d", Payload: "p", Stars: 3})
	for range 130 {
		if _, err := f.Pay(t.Context(), link, ada, PayOptions{SkipPreCheckout: true}); err != nil {
			t.Fatal(err)
		}
	}
	page1, err := bot.StarTransactions(t.Context(), 0, 0)
	if err != nil || len(page1) != 100 {
		t.Fatalf("page 1: %d, %v", len(page1), err)
	}
	page2, err := bot.StarTransactions(t.Context(), 100, 100)
	if err != nil || len(page2) != 30 || page2[29].ID != f.Transactions()[129].ID {
		t.Fatalf("page 2: %d, %v", len(page2), err)
	}
	if empty, err := bot.StarTransactions(t.Context(), 500, 10); err != nil || len(empty) != 0 {
		t.Fatalf("past the end: %v, %v", empty, err)
	}
	if f.BotBalance() != 390 {
		t.Fatalf("bot balance %d", f.BotBalance())
	}
	f.SetBalance(ada.ID, 1)
	if _, err := f.Pay(t.Context(), link, ada); !errors.Is(err, ErrInsufficientStars) {
		t.Fatalf("poor buyer: %v", err)
	}
}

func TestRefundValidation(t *testing.T) {
	f, srv := NewServer(t, Options{})
	for _, tc := range []struct{ body, want string }{
		{`{"telegram_payment_charge_id":"x"}`, `Bad Request: parameter "user_id" is required`},
		{`{"user_id":5079065042}`, "Bad Request: CHARGE_ID_EMPTY"},
		{`{"user_id":5079065042,"telegram_payment_charge_id":"nope"}`, "Bad Request: CHARGE_NOT_FOUND"},
	} {
		if code, a := postJSON(t, srv, f.Token(), "refundStarPayment", tc.body); code != 400 || a.Description != tc.want {
			t.Errorf("%s: %d %q", tc.body, code, a.Description)
		}
	}
	// A refund for another user's charge is refused.
	bot := newBotFor(t, f, srv)
	link, _ := bot.CreateInvoiceLink(t.Context(), telegram.Invoice{Title: "t", Description: "d", Payload: "p", Stars: 3})
	res, _ := f.Pay(t.Context(), link, ada, PayOptions{SkipPreCheckout: true})
	if err := bot.RefundStarPayment(t.Context(), ada.ID+1, res.ChargeID); err == nil {
		t.Fatal("refund for wrong user accepted")
	}
	if len(f.Refunds()) != 0 {
		t.Fatal("refund recorded")
	}
}

// Telegram ids use up to 52 bits (user ids above 2^32 are normal, a
// supergroup's chat id is -100 followed by ten digits): every one must reach
// the webhook, the chat, the ledger and a refund unchanged, through the real
// client.
func TestIDsUpTo52Bits(t *testing.T) {
	wh := &webhook{}
	whSrv := httptest.NewServer(wh)
	t.Cleanup(whSrv.Close)
	f, srv := NewServer(t, Options{WebhookURL: whSrv.URL})
	bot := newBotFor(t, f, srv)
	wh.onPCQ = approveAll(t, bot)
	link, err := bot.CreateInvoiceLink(t.Context(), telegram.Invoice{Title: "t", Description: "d", Payload: "p", Stars: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := bot.SendMessage(t.Context(), -1_002_233_445_566, "to a supergroup"); err == nil || !strings.Contains(err.Error(), "chat not found") {
		t.Fatalf("a group the bot is not in: %v, want chat not found", err)
	}
	f.AddGroup(-1_002_233_445_566, "Support")
	if err := bot.SendMessage(t.Context(), -1_002_233_445_566, "to a supergroup"); err != nil {
		t.Fatalf("supergroup chat: %v", err)
	}
	if chat := f.Chat(-1_002_233_445_566); len(chat) != 1 {
		t.Fatalf("supergroup chat = %+v", chat)
	}
	for _, id := range []int64{1, 1<<31 - 1, 1 << 31, 5_079_065_042, 1<<52 - 1} {
		t.Run(fmt.Sprint(id), func(t *testing.T) {
			u := telegram.User{ID: id, FirstName: "b"}
			if err := bot.SendMessage(t.Context(), id, "hi"); err != nil {
				t.Fatal(err)
			}
			res, err := f.Pay(t.Context(), link, u)
			if err != nil || !res.Delivered {
				t.Fatalf("Pay: %+v %v", res, err)
			}
			if m := wh.paymentMessage(t, res.ChargeID, false); m.From.ID != id || m.Chat.ID != id {
				t.Errorf("successful_payment from %d in chat %d", m.From.ID, m.Chat.ID)
			}
			txs, err := bot.StarTransactions(t.Context(), 0, 100)
			if err != nil || txs[len(txs)-1].Source.User.ID != id {
				t.Fatalf("ledger = %+v, %v", txs, err)
			}
			if err := bot.RefundStarPayment(t.Context(), id, res.ChargeID); err != nil {
				t.Fatalf("refund: %v", err)
			}
			f.Wait()
			if m := wh.paymentMessage(t, res.ChargeID, true); m.From.ID != id || m.Chat.ID != id {
				t.Errorf("refunded_payment from %d in chat %d", m.From.ID, m.Chat.ID)
			}
			if chat := f.Chat(id); len(chat) < 2 || !chat[0].FromBot || chat[0].Text != "hi" || chat[1].ChargeID != res.ChargeID {
				t.Fatalf("chat = %+v", chat)
			}
		})
	}
}

func TestFaultsAndOnCall(t *testing.T) {
	var seen atomic.Int32
	f, srv := NewServer(t, Options{OnCall: func(c Call) {
		if c.Method == "getMe" {
			seen.Add(1)
		}
	}})
	bot := newBotFor(t, f, srv)
	f.SetFault("*", Fault{Latency: 30 * time.Millisecond, Code: 500, Times: 2})
	start := time.Now()
	for range 2 {
		if _, err := bot.GetMe(t.Context()); !telegram.IsRetryable(err) {
			t.Fatalf("fault: %v", err)
		}
	}
	if time.Since(start) < 60*time.Millisecond {
		t.Fatal("latency not applied")
	}
	if _, err := bot.GetMe(t.Context()); err != nil {
		t.Fatalf("after Times the call must succeed: %v", err)
	}
	calls := f.Calls("getMe")
	if len(calls) != 3 || calls[0].Status != 500 || !calls[2].OK() || seen.Load() != 3 {
		t.Fatalf("calls = %+v, seen %d", calls, seen.Load())
	}
	f.SetFault("sendMessage", TooManyRequests(2))
	code, a := postJSON(t, srv, f.Token(), "sendMessage", `{"chat_id":1,"text":"x"}`)
	if code != 429 || a.Parameters.RetryAfter != 2 || a.Description != "Too Many Requests: retry after 2" {
		t.Fatalf("429: %d %+v", code, a)
	}
}

func TestConcurrentPayments(t *testing.T) {
	wh := &webhook{}
	whSrv := httptest.NewServer(wh)
	t.Cleanup(whSrv.Close)
	f, srv := NewServer(t, Options{WebhookURL: whSrv.URL})
	bot := newBotFor(t, f, srv)
	wh.onPCQ = approveAll(t, bot)
	link, _ := bot.CreateInvoiceLink(t.Context(), telegram.Invoice{Title: "t", Description: "d", Payload: "p", Stars: 5})
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			u := telegram.User{ID: 1<<31 - 10 + int64(i), FirstName: "b"} // across the int32 border
			if res, err := f.Pay(t.Context(), link, u); err != nil || !res.Delivered {
				t.Errorf("Pay: %+v %v", res, err)
			}
		})
	}
	wg.Wait()
	if len(f.Transactions()) != 20 || f.BotBalance() != 100 || len(f.Calls("answerPreCheckoutQuery")) != 20 {
		t.Fatalf("ledger %d, balance %d", len(f.Transactions()), f.BotBalance())
	}
}

func TestSendUpdateAndSubscription(t *testing.T) {
	wh := &webhook{}
	whSrv := httptest.NewServer(wh)
	t.Cleanup(whSrv.Close)
	f, _ := NewServer(t, Options{WebhookURL: whSrv.URL})
	if err := f.SendUpdate(t.Context(), json.RawMessage(`{"callback_query":{"id":"1","data":"x"}}`)); err != nil {
		t.Fatal(err)
	}
	if err := f.SendUpdate(t.Context(), json.RawMessage(`{"update_id":5,"message":{"message_id":1,"chat":{"id":1,"type":"private"},"date":1}}`)); err != nil {
		t.Fatal(err)
	}
	if err := f.SendSubscriptionUpdate(t.Context(), ada, "sub_1", telegram.SubscriptionFailed); err != nil {
		t.Fatal(err)
	}
	if len(wh.ids("callback_query")) != 1 || wh.ids("message")[0] != 5 || len(wh.ids("subscription")) != 1 {
		t.Fatalf("updates = %+v", wh.updates)
	}
	if err := f.SendUpdate(t.Context(), json.RawMessage(`[1]`)); err == nil {
		t.Fatal("non-object accepted")
	}
}

// Flood control: past the bot's messages per second, or a chat's, Telegram
// answers 429 with retry_after and sends nothing; other calls are not
// messages and pass.
func TestFloodControl(t *testing.T) {
	f, srv := NewServer(t, Options{MessagesPerSecond: 3, ChatMessagesPerSecond: 1})
	bot := newBotFor(t, f, srv)
	ctx := context.Background()
	const alice, boris, chloe, dmitri = 5_079_065_042, 6_120_448_391, 7_001_002_003, 8_004_005_006
	for i, tc := range []struct {
		chat    int64
		limited bool
	}{
		{alice, false},
		{alice, true}, // the chat's one a second
		{boris, false},
		{chloe, false},
		{dmitri, true}, // the bot's three a second
	} {
		err := bot.SendMessage(ctx, tc.chat, "hello &amp; welcome")
		if !tc.limited {
			if err != nil {
				t.Errorf("message %d: %v", i, err)
			}
			continue
		}
		var apiErr *telegram.APIError
		if !errors.As(err, &apiErr) || apiErr.Code != http.StatusTooManyRequests ||
			apiErr.Description != "Too Many Requests: retry after 1" || telegram.RetryAfter(err) != time.Second {
			t.Errorf("message %d: got %v, want 429 Too Many Requests: retry after 1", i, err)
		}
	}
	if _, err := bot.GetMe(ctx); err != nil {
		t.Errorf("getMe is not a message: %v", err)
	}
	if got := len(f.Chat(dmitri)); got != 0 {
		t.Errorf("a refused message reached the chat: %d items", got)
	}
}
