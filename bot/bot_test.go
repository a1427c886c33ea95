package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/starsesim/esimstore/checkout"
	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/i18n"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/support"
	"github.com/starsesim/esimstore/telegram"
	"github.com/starsesim/esimstore/telegram/telegramtest"
)

// stubOrders records what the bot asked of the order service.
type stubOrders struct {
	created   []checkout.CreateRequest
	createErr error
	cancelErr error
	cancelled []string
	states    []contract.SubscriptionStateChange
}

func (s *stubOrders) Create(_ context.Context, req checkout.CreateRequest) (contract.Invoice, error) {
	s.created = append(s.created, req)
	return contract.Invoice{OrderID: "o-1"}, s.createErr
}

func (s *stubOrders) CancelSubscription(_ context.Context, id string, _ int64, _ string) (contract.SubscriptionView, error) {
	if s.cancelErr != nil {
		return contract.SubscriptionView{}, s.cancelErr
	}
	s.cancelled = append(s.cancelled, id)
	return contract.SubscriptionView{SubscriptionID: id}, nil
}

func (s *stubOrders) SubscriptionStateChanged(_ context.Context, _ string, ch contract.SubscriptionStateChange) error {
	s.states = append(s.states, ch)
	return nil
}

type stubLedger struct {
	orders []store.Order
	subs   []store.Subscription
}

// The stub answers only for the buyer its rows belong to, so a sender id
// that is narrowed or mixed up on the way finds nothing.
func (l stubLedger) ListOrders(_ context.Context, f store.OrderFilter) ([]store.Order, error) {
	var out []store.Order
	for _, o := range l.orders {
		if o.UserID == f.UserID {
			out = append(out, o)
		}
	}
	return out, nil
}

func (l stubLedger) ListSubscriptions(_ context.Context, userID int64) ([]store.Subscription, error) {
	var out []store.Subscription
	for _, s := range l.subs {
		if s.UserID == userID {
			out = append(out, s)
		}
	}
	return out, nil
}

type rig struct {
	h      *Handler
	fake   *telegramtest.Fake
	orders *stubOrders
}

func newRig(t *testing.T, ledger stubLedger) rig {
	f, srv := telegramtest.NewServer(t, telegramtest.Options{})
	b, err := telegram.NewBot(telegram.Config{Token: f.Token(), APIURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	o := &stubOrders{}
	return rig{h: &Handler{Orders: o, Ledger: ledger, Bot: b, MiniAppURL: "https://store.example/app/"}, fake: f, orders: o}
}

// Telegram user ids use up to 52 bits: a recent account and one at the limit.
var (
	en = telegram.User{ID: 5_079_065_042, FirstName: "Ann", LanguageCode: "en-GB"}
	ru = telegram.User{ID: 1<<52 - 1, FirstName: "Иван", LanguageCode: "ru"}
)

func msg(u telegram.User, id int64, text string) *telegram.Message {
	return &telegram.Message{MessageID: id, From: &u, Chat: telegram.Chat{ID: u.ID, Type: "private"}, Text: text}
}

// lastReply is the newest bot message in the user's chat.
func (r rig) lastReply(t *testing.T, user int64) telegramtest.ChatItem {
	t.Helper()
	chat := r.fake.Chat(user)
	for i := len(chat) - 1; i >= 0; i-- {
		if chat[i].FromBot {
			return chat[i]
		}
	}
	t.Fatalf("no reply to %d", user)
	return telegramtest.ChatItem{}
}

func TestCommandsAnswerInTheBuyersLanguage(t *testing.T) {
	ledger := stubLedger{
		orders: []store.Order{
			{ID: "o-9", UserID: en.ID, PlanName: "UK <1 GB>", Status: contract.StatusFulfilled, PriceStars: 137},
			{ID: "o-9", UserID: ru.ID, PlanName: "UK <1 GB>", Status: contract.StatusFulfilled, PriceStars: 137},
		},
	}
	tests := []struct {
		text string
		want func(lang string) string
	}{
		{"/start", func(l string) string { return i18n.T(l, i18n.Start) }},
		{"/help", func(l string) string { return i18n.T(l, i18n.Help) }},
		{"/HELP@esim_store_test_bot", func(l string) string { return i18n.T(l, i18n.Help) }},
		{"/paysupport", func(l string) string { return i18n.T(l, i18n.PaySupport) }},
		{"/terms", func(l string) string { return i18n.T(l, i18n.Terms) }},
		{"/cancel", func(l string) string { return i18n.T(l, i18n.CancelNone) }},
		{"/frobnicate", func(l string) string { return i18n.T(l, i18n.UnknownInput) }},
		{"my eSIM does not work", func(l string) string { return i18n.T(l, i18n.NotRelayed) }},
		{"/start help_o-9", func(l string) string { return i18n.T(l, i18n.PaySupport) }},
		{"/orders", func(l string) string {
			return i18n.T(l, i18n.OrdersHeader) + "\n" +
				i18n.T(l, i18n.OrdersLine, "UK &lt;1 GB&gt;", i18n.T(l, i18n.StatusKey(contract.StatusFulfilled)), 137, "o-9")
		}},
	}
	for _, u := range []telegram.User{en, ru} {
		lang := i18n.Lang(u.LanguageCode)
		r := newRig(t, ledger)
		for i, tt := range tests {
			t.Run(lang+" "+tt.text, func(t *testing.T) {
				if err := r.h.HandleMessage(context.Background(), msg(u, int64(i+1), tt.text)); err != nil {
					t.Fatal(err)
				}
				if got, want := r.lastReply(t, u.ID).Text, tt.want(lang); got != want {
					t.Errorf("reply = %q, want %q", got, want)
				}
			})
		}
	}
	if i18n.T("en", i18n.Start) == i18n.T("ru", i18n.Start) {
		t.Error("the two catalogues agree on /start")
	}
}

// Without a support chat the bot says where to write, naming the contact
// (escaped: it is configuration, shown as HTML).
func TestWithoutASupportChatTheBotSaysWhereToWrite(t *testing.T) {
	r := newRig(t, stubLedger{})
	r.h.Support = &support.Desk{Contact: "help <desk> & co"}
	for i, tc := range []struct{ text, want string }{
		{"hello?", i18n.HTML("ru", i18n.NotRelayedContact, "help <desk> & co")},
		{"/paysupport", i18n.HTML("ru", i18n.PaySupportContact, "help <desk> & co")},
	} {
		if err := r.h.HandleMessage(context.Background(), msg(ru, int64(i+1), tc.text)); err != nil {
			t.Fatal(err)
		}
		if got := r.lastReply(t, ru.ID).Text; got != tc.want || !strings.Contains(got, "help &lt;desk&gt; &amp; co") {
			t.Errorf("%s = %q", tc.text, got)
		}
	}
}

func TestStartButtonOpensTheMiniApp(t *testing.T) {
	r := newRig(t, stubLedger{})
	if err := r.h.HandleMessage(context.Background(), msg(ru, 1, "/start")); err != nil {
		t.Fatal(err)
	}
	btns := r.lastReply(t, ru.ID).Buttons
	if len(btns) != 1 || btns[0].WebAppURL != "https://store.example/app/" || btns[0].Text != i18n.T("ru", i18n.OpenStore) {
		t.Errorf("buttons = %+v", btns)
	}
}

func TestDeepLinkCreatesAChatOrder(t *testing.T) {
	tests := []struct {
		name      string
		createErr error
		wantErr   bool
		reply     i18n.Key // "" = no reply: the workflow sends the invoice
	}{
		{"invoice", nil, false, ""},
		{"unknown plan", checkout.ErrPlanNotFound, false, i18n.PlanNotFound},
		{"invoice failed", checkout.ErrInvoiceFailed, false, i18n.CheckoutBusy},
		{"too many open orders", fmt.Errorf("start: %w", &checkout.OpenOrdersError{Max: 10}), false, i18n.TooManyOpenOrders},
		{"rate limited", &checkout.RateLimitedError{RetryAfter: 3 * time.Second}, false, i18n.RateLimited},
		{"temporal down", errors.New("unavailable"), true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, stubLedger{})
			r.orders.createErr = tt.createErr
			err := r.h.HandleMessage(context.Background(), msg(en, 42, "/start plan_esim_1GB_7D_GB_V2"))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error: %v", err, tt.wantErr)
			}
			if len(r.orders.created) != 1 {
				t.Fatalf("Create calls = %d", len(r.orders.created))
			}
			req := r.orders.created[0]
			if req.PlanID != "esim_1GB_7D_GB_V2" || req.Source != contract.SourceChat || req.ChatID != en.ID ||
				req.UserID != en.ID || req.IdempotencyKey != "chat:5079065042:42" {
				t.Errorf("request = %+v", req)
			}
			var texts []string
			for _, m := range r.fake.Chat(en.ID) {
				texts = append(texts, m.Text)
			}
			if tt.reply == "" && len(texts) != 0 {
				t.Errorf("unexpected replies %q", texts)
			}
			if tt.reply != "" && (len(texts) != 1 || texts[0] != i18n.T("en", tt.reply)) {
				t.Errorf("replies = %q, want %q", texts, i18n.T("en", tt.reply))
			}
		})
	}
}

func TestCancelCommand(t *testing.T) {
	one := []store.Subscription{{ID: "sub-a", UserID: ru.ID, PlanID: "esim_1GB", Status: contract.SubActive},
		{ID: "sub-old", UserID: ru.ID, PlanID: "esim_1GB", Status: contract.SubCanceled}}
	two := append([]store.Subscription{{ID: "sub-b", UserID: ru.ID, PlanID: "esim_3GB", Status: contract.SubActive}}, one...)
	tests := []struct {
		name      string
		subs      []store.Subscription
		cancelErr error
		text      string
		cancelled []string
		reply     string
	}{
		{"the only active one", one, nil, "/cancel", []string{"sub-a"}, i18n.T("ru", i18n.CancelDone, "esim_1GB")},
		{"several: asks which", two, nil, "/cancel", nil, i18n.T("ru", i18n.CancelChoose)},
		{"several: the named one", two, nil, "/cancel sub-b", []string{"sub-b"}, i18n.T("ru", i18n.CancelDone, "esim_3GB")},
		{"a cancelled one is not active", one, nil, "/cancel sub-old", nil, i18n.T("ru", i18n.CancelNone)},
		{"rate limited", one, &checkout.RateLimitedError{RetryAfter: time.Second}, "/cancel", nil, i18n.T("ru", i18n.RateLimited)},
		{"cancel failed", one, errors.New("unavailable"), "/cancel", nil, i18n.T("ru", i18n.CancelFailed)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, stubLedger{subs: tt.subs})
			r.orders.cancelErr = tt.cancelErr
			if err := r.h.HandleMessage(context.Background(), msg(ru, 1, tt.text)); err != nil {
				t.Fatal(err)
			}
			if strings.Join(r.orders.cancelled, ",") != strings.Join(tt.cancelled, ",") {
				t.Errorf("cancelled %v, want %v", r.orders.cancelled, tt.cancelled)
			}
			if got := r.lastReply(t, ru.ID).Text; !strings.HasPrefix(got, tt.reply) {
				t.Errorf("reply = %q, want prefix %q", got, tt.reply)
			}
		})
	}
}

func TestSetupRegistersMenus(t *testing.T) {
	r := newRig(t, stubLedger{})
	if err := r.h.Setup(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"", "en", "ru"} {
		got := r.fake.Commands(lang)
		if len(got) != 7 || got[0].Command != "start" || got[0].Description != i18n.T(lang, i18n.CmdStartDesc) {
			t.Errorf("commands[%q] = %+v", lang, got)
		}
	}
	if mb := string(r.fake.MenuButton()); !strings.Contains(mb, "https://store.example/app/") {
		t.Errorf("menu button = %s", mb)
	}
}

func TestGroupsAndSubscriptionUpdates(t *testing.T) {
	r := newRig(t, stubLedger{})
	group := msg(en, 1, "/help")
	group.Chat = telegram.Chat{ID: -1_002_233_445_566, Type: "supergroup"}
	if err := r.h.HandleMessage(context.Background(), group); err != nil || len(r.fake.Chat(group.Chat.ID)) != 0 {
		t.Errorf("group message answered: %v %v", err, r.fake.Chat(group.Chat.ID))
	}
	err := r.h.HandleSubscription(context.Background(), &telegram.SubscriptionUpdate{User: en, InvoicePayload: "sub-a", State: "canceled"})
	if err != nil || len(r.orders.states) != 1 || r.orders.states[0] != (contract.SubscriptionStateChange{UserID: en.ID, State: "canceled"}) {
		t.Errorf("state update: %v %+v", err, r.orders.states)
	}
}
