package api_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"
	"go.temporal.io/sdk/temporal"

	"github.com/starsesim/esimstore/api"
	"github.com/starsesim/esimstore/checkout"
	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/i18n"
	"github.com/starsesim/esimstore/internal/dev/testenv"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/telegram"
	"github.com/starsesim/esimstore/telegram/telegramtest"
	"github.com/starsesim/esimstore/workflows"
)

// The webhook's own logic: the API server with a real ledger, the fake Bot
// API and a mocked Temporal client (the SDK's mocks), so what it stores,
// signals and answers can be checked without a Temporal server.

const secret = "t3st_Webhook-Secret"

// buyer has an id above 2^32 and a name that needs escaping, as real ones may.
var buyer = telegram.User{ID: 5_079_065_042, FirstName: "Zoë <& Co>", LanguageCode: "ru"}

type webhookEnv struct {
	e   *echo.Echo
	tc  *mocks.Client
	st  *store.Store
	tg  *telegramtest.Fake
	bot *telegram.Bot
}

func newWebhookEnv(t *testing.T, st *store.Store) webhookEnv {
	t.Helper()
	tg, tgSrv := telegramtest.NewServer(t, telegramtest.Options{})
	bot, err := telegram.NewBot(telegram.Config{Token: tg.Token(), APIURL: tgSrv.URL})
	if err != nil {
		t.Fatal(err)
	}
	tc := mocks.NewClient(t) // fails the test on a missing expected call or an unexpected one
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := &checkout.Service{BotID: tg.BotID(), Temporal: tc, Store: st, TaskQueue: "esim-orders",
		InvoiceTTL: 30 * time.Minute, FulfilmentDeadline: 30 * time.Minute, SupportWindow: 72 * time.Hour, Logger: logger}
	s := &api.Server{Store: st, Orders: svc, Bot: bot, WebhookSecret: secret, Logger: logger}
	return webhookEnv{e: s.Routes(), tc: tc, st: st, tg: tg, bot: bot}
}

func (w webhookEnv) post(secret, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/telegram/webhook", strings.NewReader(body))
	req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	if secret != "" {
		req.Header.Set(telegram.SecretHeader, secret)
	}
	rec := httptest.NewRecorder()
	w.e.ServeHTTP(rec, req)
	return rec
}

func (w webhookEnv) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := w.st.Pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// inbox is the update's state in the inbox: "absent", "unhandled" or "handled".
func (w webhookEnv) inbox(t *testing.T, updateID int64) string {
	t.Helper()
	var handled bool
	err := w.st.Pool.QueryRow(context.Background(),
		`SELECT processed_at IS NOT NULL FROM telegram_updates WHERE update_id = $1`, updateID).Scan(&handled)
	switch {
	case err != nil && strings.Contains(err.Error(), "no rows"):
		return "absent"
	case err != nil:
		t.Fatal(err)
	case handled:
		return "handled"
	}
	return "unhandled"
}

func paymentUpdate(updateID int64, payload, charge string, amount int64) string {
	return fmt.Sprintf(`{"update_id":%d,"message":{"message_id":9,"date":1767225600,
		"chat":{"id":%d,"type":"private","first_name":"Zoë <& Co>"},
		"from":{"id":%d,"is_bot":false,"first_name":"Zoë <& Co>","language_code":"ru"},
		"successful_payment":{"currency":"XTR","total_amount":%d,"invoice_payload":%q,
		"telegram_payment_charge_id":%q,"provider_payment_charge_id":""}},"unknown_field":{"x":1}}`,
		updateID, buyer.ID, buyer.ID, amount, payload, charge)
}

// expectSignal expects one signal-with-start of the payment with this
// charge id into the order's workflow, answered with err; *ledgerFirst
// reports whether the ledger had the charge when the signal went out.
func expectSignal(w webhookEnv, orderID, charge string, err error, ledgerFirst *bool) {
	w.tc.On("SignalWithStartWorkflow", mock.Anything, contract.WorkflowID(orderID), contract.SignalPayment,
		mock.MatchedBy(func(p contract.Payment) bool {
			return p.ChargeID == charge && p.UserID == buyer.ID && p.InvoicePayload == orderID && p.TotalAmount == 137
		}),
		mock.MatchedBy(func(o client.StartWorkflowOptions) bool { return o.ID == contract.WorkflowID(orderID) }),
		mock.MatchedBy(func(wf any) bool {
			return reflect.ValueOf(wf).Pointer() == reflect.ValueOf(workflows.OrderWorkflow).Pointer()
		}),
		mock.MatchedBy(func(in contract.Input) bool { return in.OrderID == orderID && in.Resume })).
		Run(func(mock.Arguments) {
			_, gerr := w.st.GetPayment(context.Background(), charge)
			*ledgerFirst = gerr == nil
		}).
		Return(nil, err).Once()
}

func TestWebhook(t *testing.T) {
	st, _ := testenv.Store(t)
	unavailable := serviceerror.NewUnavailable("connection refused")
	type delivery struct {
		secret string
		body   string
		status int
		// signal, when set, is the answer of the signal-with-start this
		// delivery must cause (nil: none).
		signal *error
		inbox  string // the update's inbox state afterwards ("" = not checked)
	}
	ok := error(nil)
	tests := []struct {
		name       string
		updateID   int64
		deliveries func(orderID, charge string) []delivery
		payments   int // ledger rows at the end
	}{
		{name: "wrong or missing secret: 401 and nothing stored or called", updateID: 101,
			deliveries: func(o, c string) []delivery {
				return []delivery{
					{secret: "", body: paymentUpdate(101, o, c, 137), status: 401, inbox: "absent"},
					{secret: "wrong-secret", body: paymentUpdate(101, o, c, 137), status: 401, inbox: "absent"},
					{secret: strings.ToUpper(secret), body: paymentUpdate(101, o, c, 137), status: 401, inbox: "absent"},
				}
			}},
		{name: "malformed bodies: 400 and nothing stored", updateID: 102,
			deliveries: func(o, c string) []delivery {
				return []delivery{
					{secret: secret, body: `{"update_id":102,`, status: 400, inbox: "absent"},
					{secret: secret, body: `[]`, status: 400, inbox: "absent"},
					{secret: secret, body: `{"message":{"message_id":1}}`, status: 400},
					{secret: secret, body: `{"update_id":-102}`, status: 400},
					// A payment without its charge id cannot be recorded.
					{secret: secret, body: paymentUpdate(102, o, "", 137), status: 400, inbox: "absent"},
				}
			}},
		{name: "successful_payment: ledger row, signal, handled", updateID: 103, payments: 1,
			deliveries: func(o, c string) []delivery {
				return []delivery{{secret: secret, body: paymentUpdate(103, o, c, 137), status: 200, signal: &ok, inbox: "handled"}}
			}},
		{name: "a duplicate update_id is acknowledged without a second effect", updateID: 104, payments: 1,
			deliveries: func(o, c string) []delivery {
				return []delivery{
					{secret: secret, body: paymentUpdate(104, o, c, 137), status: 200, signal: &ok, inbox: "handled"},
					{secret: secret, body: paymentUpdate(104, o, c, 137), status: 200, inbox: "handled"},
				}
			}},
		{name: "the signal fails: 503, the payment kept, the update left unhandled until a re-delivery works",
			updateID: 105, payments: 1,
			deliveries: func(o, c string) []delivery {
				return []delivery{
					{secret: secret, body: paymentUpdate(105, o, c, 137), status: 503, signal: &unavailable, inbox: "unhandled"},
					{secret: secret, body: paymentUpdate(105, o, c, 137), status: 200, signal: &ok, inbox: "handled"},
				}
			}},
		{name: "refunded_payment of a charge never recorded: acknowledged for reconciliation", updateID: 106,
			deliveries: func(o, c string) []delivery {
				return []delivery{{secret: secret, status: 200, inbox: "handled", body: fmt.Sprintf(`{"update_id":106,
					"message":{"message_id":10,"date":1767225600,"chat":{"id":%d,"type":"private"},"from":{"id":%d,"first_name":"Z"},
					"refunded_payment":{"currency":"XTR","total_amount":137,"invoice_payload":%q,
					"telegram_payment_charge_id":%q}}}`, buyer.ID, buyer.ID, o, c)}}
			}},
		{name: "an update the store does not act on is acknowledged", updateID: 107,
			deliveries: func(string, string) []delivery {
				return []delivery{{secret: secret, status: 200, inbox: "handled",
					body: `{"update_id":107,"edited_message":{"message_id":3,"date":1,"chat":{"id":1,"type":"private"},"text":"hi"}}`}}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWebhookEnv(t, st)
			orderID, charge := uuid.NewString(), "stxQ1w2E3r4T5y6U7i8O9p0-"+uuid.NewString()
			for i, d := range tt.deliveries(orderID, charge) {
				var ledgerFirst bool
				if d.signal != nil {
					expectSignal(w, orderID, charge, *d.signal, &ledgerFirst)
				}
				rec := w.post(d.secret, d.body)
				if rec.Code != d.status {
					t.Fatalf("delivery %d: %d %s, want %d", i, rec.Code, rec.Body, d.status)
				}
				if d.signal != nil && !ledgerFirst {
					t.Errorf("delivery %d: the workflow was signalled before the payment was in the ledger", i)
				}
				if d.inbox != "" {
					if got := w.inbox(t, tt.updateID); got != d.inbox {
						t.Errorf("delivery %d: update %d is %s in the inbox, want %s", i, tt.updateID, got, d.inbox)
					}
				}
			}
			if n := w.count(t, `SELECT count(*) FROM payments WHERE order_id = $1`, orderID); n != tt.payments {
				t.Errorf("%d payments recorded, want %d", n, tt.payments)
			}
			if n := len(w.tg.Calls("")); n != 0 {
				t.Errorf("the webhook called Telegram %d times", n)
			}
		})
	}
}

// The pre_checkout_query path, driven by the fake Bot API playing the buyer
// over HTTP: it delivers the query to the webhook, waits for the bot's
// answerPreCheckoutQuery and, when approved, charges and delivers the
// successful_payment.
func TestWebhookPreCheckout(t *testing.T) {
	ctx := context.Background()
	busy := func(lang string) string { return i18n.T(lang, i18n.CheckoutBusy) }
	tests := []struct {
		name   string
		lang   string
		fault  *telegramtest.Fault // on answerPreCheckoutQuery
		seed   func(t *testing.T, st *store.Store, orderID string)
		updErr error // UpdateWorkflow's error
		getErr error // the update handle's error
		want   string
	}{
		{name: "approved: charged, recorded and signalled", lang: "ru"},
		{name: "approved after Telegram failed the first answer", lang: "en",
			fault: &telegramtest.Fault{Code: http.StatusInternalServerError, Times: 1}},
		{name: "refused by the workflow, in the buyer's language", lang: "ru",
			getErr: temporal.NewApplicationError(string(contract.RefuseWrongAmount), contract.ErrTypeCheckoutRefused),
			want:   i18n.T("ru", i18n.CheckoutWrongAmount)},
		{name: "the order's workflow has closed and the order expired", lang: "en",
			updErr: serviceerror.NewNotFound("workflow not found"), want: i18n.T("en", i18n.CheckoutExpired),
			seed: func(t *testing.T, st *store.Store, id string) {
				if err := st.ReplacePlans(ctx, []store.Plan{{ID: "esim_1GB_7D_GB_V2", Name: "United Kingdom 1 GB",
					Countries: []string{"GB"}, DataMB: 1024, DurationDays: 7, WholesaleUSD: decimal.RequireFromString("1.36"),
					PriceUSD: decimal.RequireFromString("1.77"), PriceStars: 137}}); err != nil {
					t.Fatal(err)
				}
				if err := st.CreateOrder(ctx, store.Order{ID: id, UserID: buyer.ID, ChatID: buyer.ID, PlanID: "esim_1GB_7D_GB_V2",
					Status: contract.StatusExpired, PriceUSD: decimal.RequireFromString("1.77"), PriceStars: 137,
					QuoteExpiresAt: time.Now(), Source: contract.SourceMiniApp}); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "Temporal unreachable: refused as busy", lang: "ru",
			updErr: serviceerror.NewUnavailable("connection refused"), want: busy("ru")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A database each: every fake numbers its updates from the same start.
			st, _ := testenv.Store(t)
			w := newWebhookEnv(t, st)
			srv := httptest.NewServer(w.e)
			t.Cleanup(srv.Close)
			if err := w.bot.SetWebhook(ctx, srv.URL+"/telegram/webhook", secret); err != nil {
				t.Fatal(err)
			}
			orderID := uuid.NewString()
			if tt.seed != nil {
				tt.seed(t, st, orderID)
			}
			link, err := w.bot.CreateInvoiceLink(ctx, telegram.Invoice{Title: "United Kingdom 1 GB",
				Description: "1 GB for 7 days <in the UK> & roaming", Payload: orderID, Stars: 137})
			if err != nil {
				t.Fatal(err)
			}
			var got client.UpdateWorkflowOptions
			var handle client.WorkflowUpdateHandle
			if tt.updErr == nil {
				h := mocks.NewWorkflowUpdateHandle(t)
				h.On("Get", mock.Anything, nil).Return(tt.getErr).Once()
				handle = h
			}
			w.tc.On("UpdateWorkflow", mock.Anything, mock.Anything).
				Run(func(a mock.Arguments) { got = a.Get(1).(client.UpdateWorkflowOptions) }).
				Return(handle, tt.updErr).Once()
			approved := tt.want == ""
			var ledgerFirst bool
			if approved {
				// The charge id is Telegram's; match the payment by its order.
				w.tc.On("SignalWithStartWorkflow", mock.Anything, contract.WorkflowID(orderID), contract.SignalPayment,
					mock.MatchedBy(func(p contract.Payment) bool {
						_, gerr := st.GetPayment(ctx, p.ChargeID)
						ledgerFirst = gerr == nil
						return p.InvoicePayload == orderID && p.UserID == buyer.ID && p.TotalAmount == 137
					}), mock.Anything, mock.Anything, mock.Anything).
					Return(nil, nil).Once()
			}
			if tt.fault != nil {
				w.tg.SetFault("answerPreCheckoutQuery", *tt.fault)
			}

			u := buyer
			u.LanguageCode = tt.lang
			res, err := w.tg.Pay(ctx, link, u)
			if err != nil {
				t.Fatal(err)
			}
			// Pay returns on the answer; the webhook keeps the query after
			// answering, so wait for its delivery to finish.
			w.tg.Wait()
			if res.Approved != approved || res.ErrorMessage != tt.want {
				t.Fatalf("buyer saw approved=%v %q, want approved=%v %q", res.Approved, res.ErrorMessage, approved, tt.want)
			}
			pc, ok := got.Args[0].(contract.PreCheckout)
			if got.WorkflowID != contract.WorkflowID(orderID) || got.UpdateName != contract.UpdatePreCheckout || !ok ||
				got.UpdateID != "pc-"+pc.QueryID || pc.Payload != orderID || pc.UserID != buyer.ID || pc.TotalAmount != 137 ||
				pc.Currency != "XTR" {
				t.Errorf("asked the workflow %+v", got)
			}
			if w.inbox(t, w.lastUpdateOfKind(t, "pre_checkout_query")) != "handled" {
				t.Error("the answered query is not kept in the inbox as handled")
			}
			if !approved {
				return
			}
			if !res.Delivered || !ledgerFirst {
				t.Errorf("successful_payment delivered %v, recorded before the signal %v", res.Delivered, ledgerFirst)
			}
			if p, err := st.GetPayment(ctx, res.ChargeID); err != nil || p.OrderID != orderID {
				t.Errorf("ledger row %+v, %v", p, err)
			}
		})
	}
}

func (w webhookEnv) lastUpdateOfKind(t *testing.T, kind string) int64 {
	t.Helper()
	var id int64
	if err := w.st.Pool.QueryRow(context.Background(),
		`SELECT update_id FROM telegram_updates WHERE kind = $1 ORDER BY received_at DESC, update_id DESC LIMIT 1`,
		kind).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}
