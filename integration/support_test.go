package integration

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/starsesim/esimstore/esimgo/esimgotest"
	"github.com/starsesim/esimstore/i18n"
	"github.com/starsesim/esimstore/telegram"
	"github.com/starsesim/esimstore/telegram/telegramtest"
)

// The sandbox's support group has one staff member (SUPPORT_STAFF_IDS =
// 6200000001) and a member who is not staff.
var (
	zoe     = telegram.User{ID: 6_200_000_001, FirstName: "Zoë", LastName: "<Support> & Co", Username: "zoe"}
	visitor = telegram.User{ID: 6_200_000_002, FirstName: "Max", Username: "max_visitor"}
	// carla writes with a name that must be escaped in the header.
	carla = telegram.User{ID: 7_301_245_889, FirstName: "Carla <b>&", LastName: "Ruiz", Username: "carla_r", LanguageCode: "es"}
)

var pngPhoto = append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...)

// group returns the support chat's messages.
func (s *shop) group() []telegramtest.ChatItem { return s.Telegram.Chat(s.Cfg.SupportChatID) }

// copiesOf returns the bot's copies in a chat of messages from another chat, in chat order.
func copiesOf(items []telegramtest.ChatItem, from int64) []telegramtest.ChatItem {
	var out []telegramtest.ChatItem
	for _, it := range items {
		if it.FromBot && it.CopyOf != nil && it.CopyOf.ChatID == from {
			out = append(out, it)
		}
	}
	return out
}

func texts(items []telegramtest.ChatItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Text
	}
	return out
}

func (s *shop) send(m telegramtest.UserMessage) int64 {
	s.t.Helper()
	id, err := s.Telegram.Send(context.Background(), m)
	if err != nil {
		s.t.Fatalf("send %+v: %v", m, err)
	}
	return id
}

// TestSupportRelayKeepsOrder: a buyer's messages (text and a photo) reach the
// support chat in the order written, each under a header naming the buyer
// and their orders; staff replies reach the buyer in order, from the bot —
// while copyMessage fails for a while and while no worker runs.
func TestSupportRelayKeepsOrder(t *testing.T) {
	s := startStore(t, func(c *configT) { c.TemporalUIURL = "http://ui.example:8233" })
	ctx := context.Background()
	c := s.buy(carla, planGB)
	s.mustPay(c, carla)
	s.waitStatus(carla, c.OrderID, "fulfilled", 30*time.Second)

	// Telegram refuses the first copies; the relay retries them in order.
	s.Telegram.SetFault("copyMessage", telegramtest.Fault{Code: http.StatusBadGateway, Times: 2})
	buyerTexts := []string{"Hola, my eSIM shows <No service> & no data", "I am in London", "Restarted twice"}
	for _, text := range buyerTexts {
		s.send(telegramtest.UserMessage{From: carla, Text: text})
	}
	s.send(telegramtest.UserMessage{From: carla, Text: "screenshot", Photo: pngPhoto})
	waitFor(t, 45*time.Second, "four copies in the support chat", func() bool { return len(copiesOf(s.group(), carla.ID)) == 4 })
	copies := copiesOf(s.group(), carla.ID)
	if got := texts(copies); fmt.Sprint(got) != fmt.Sprint(append(buyerTexts, "screenshot")) || copies[3].Kind != telegramtest.KindPhoto {
		t.Fatalf("copies in the support chat = %q (last kind %s)", got, copies[3].Kind)
	}
	// Each copy answers its header, which names the buyer (escaped), the
	// language and the order with its Temporal UI link.
	var header telegramtest.ChatItem
	for _, it := range s.group() {
		if it.MessageID == copies[0].ReplyTo {
			header = it
		}
	}
	for _, want := range []string{"Carla &lt;b&gt;&amp; Ruiz (@carla_r)", "<code>7301245889</code>", "· es", "<code>" + c.OrderID + "</code>",
		"fulfilled", "http://ui.example:8233/namespaces/default/workflows/order-" + c.OrderID} {
		if !strings.Contains(header.Text, want) {
			t.Errorf("header lacks %q:\n%s", want, header.Text)
		}
	}
	// The buyer heard once that the team has the message.
	var acks int
	for _, it := range botTexts(s.Telegram, carla.ID) {
		if it.Text == i18n.T("en", i18n.SupportReceived) {
			acks++
		}
	}
	if acks != 1 {
		t.Errorf("acknowledgements = %d, want 1", acks)
	}

	// Staff answer while no worker runs: the webhook still takes the
	// replies; they go out, in order, once a worker is back.
	s.StopWorker()
	replies := []string{"Hi Carla! Please enable data roaming.", "Then toggle airplane mode <on/off>."}
	s.send(telegramtest.UserMessage{From: zoe, ChatID: s.Cfg.SupportChatID, Text: replies[0], ReplyTo: copies[0].MessageID})
	s.send(telegramtest.UserMessage{From: zoe, ChatID: s.Cfg.SupportChatID, Text: replies[1], ReplyTo: copies[3].ReplyTo})
	s.send(telegramtest.UserMessage{From: zoe, ChatID: s.Cfg.SupportChatID, Text: "how to", Photo: pngPhoto, ReplyTo: copies[2].MessageID})
	// A staff message that answers nobody stays in the group.
	s.send(telegramtest.UserMessage{From: zoe, ChatID: s.Cfg.SupportChatID, Text: "Taking this one"})
	if err := s.StartWorker(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "three replies in the buyer's chat", func() bool {
		return len(copiesOf(s.Telegram.Chat(carla.ID), s.Cfg.SupportChatID)) == 3
	})
	back := copiesOf(s.Telegram.Chat(carla.ID), s.Cfg.SupportChatID)
	if got := texts(back); fmt.Sprint(got) != fmt.Sprint(append(replies, "how to")) || back[2].Kind != telegramtest.KindPhoto || back[0].From != nil {
		t.Fatalf("replies in the buyer's chat = %q", got)
	}
	for _, it := range s.Telegram.Chat(carla.ID) {
		if strings.Contains(it.Text, "Taking this one") {
			t.Error("a staff message that replied to no buyer reached the buyer")
		}
	}
	// Telegram re-delivering an update relays nothing twice.
	var rows int
	if err := s.App.Store.Pool.QueryRow(ctx, `SELECT count(*) FROM support_messages WHERE buyer_id = $1`, carla.ID).Scan(&rows); err != nil || rows != 7 {
		t.Fatalf("relay rows = %d %v, want 7", rows, err)
	}
}

// TestSupportIgnoresNonStaff: a member of the support chat who is not in
// SUPPORT_STAFF_IDS can neither write to buyers nor use the commands nor
// press the refund button.
func TestSupportIgnoresNonStaff(t *testing.T) {
	s := startStore(t, nil)
	ctx := context.Background()
	c := s.buy(alice, planGB)
	s.mustPay(c, alice)
	s.waitStatus(alice, c.OrderID, "fulfilled", 30*time.Second)
	s.send(telegramtest.UserMessage{From: alice, Text: "help please"})
	waitFor(t, 20*time.Second, "the copy in the support chat", func() bool { return len(copiesOf(s.group(), alice.ID)) == 1 })
	copyID := copiesOf(s.group(), alice.ID)[0].MessageID

	before := len(s.group())
	s.send(telegramtest.UserMessage{From: visitor, ChatID: s.Cfg.SupportChatID, Text: "I am not staff", ReplyTo: copyID})
	s.send(telegramtest.UserMessage{From: visitor, ChatID: s.Cfg.SupportChatID, Text: "/order " + c.OrderID})
	s.send(telegramtest.UserMessage{From: visitor, ChatID: s.Cfg.SupportChatID, Text: "/refund " + c.OrderID + " because"})
	// Staff ask for a refund; the visitor presses the button.
	s.send(telegramtest.UserMessage{From: zoe, ChatID: s.Cfg.SupportChatID, Text: "/refund " + c.OrderID + " no signal"})
	confirm := lastGroupMessage(t, s)
	if len(confirm.Buttons) != 1 || confirm.Buttons[0].CallbackData == "" {
		t.Fatalf("confirm message = %+v", confirm)
	}
	qid, err := s.Telegram.PressButton(ctx, s.Cfg.SupportChatID, confirm.MessageID, visitor, confirm.Buttons[0].Text)
	if err != nil {
		t.Fatal(err)
	}
	// Anything the bot did would follow from the same webhook deliveries,
	// which have all been answered; a second is ample for the relay.
	time.Sleep(time.Second)
	for _, it := range s.group()[before:] {
		if it.FromBot && it.MessageID != confirm.MessageID {
			t.Errorf("the bot answered a non-staff member: %q", it.Text)
		}
	}
	if _, answered := s.Telegram.CallbackAnswered(qid); answered {
		t.Error("the bot answered a non-staff button press")
	}
	if len(copiesOf(s.Telegram.Chat(alice.ID), s.Cfg.SupportChatID)) != 0 {
		t.Error("a non-staff reply reached the buyer")
	}
	if n := len(s.Telegram.Refunds()); n != 0 {
		t.Errorf("refunds = %d after a non-staff press", n)
	}
	s.waitStatus(alice, c.OrderID, "fulfilled", time.Second)
}

func lastGroupMessage(t *testing.T, s *shop) telegramtest.ChatItem {
	t.Helper()
	var last telegramtest.ChatItem
	waitFor(t, 10*time.Second, "the bot's answer in the support chat", func() bool {
		g := s.group()
		if len(g) == 0 || !g[len(g)-1].FromBot {
			return false
		}
		last = g[len(g)-1]
		return true
	})
	return last
}

// TestSupportRefundFromChat: /refund with a confirm button refunds through
// the workflow's refund update, records the staff member, and answers in
// the chat when Telegram has confirmed; a second press or a second /refund
// says why not.
func TestSupportRefundFromChat(t *testing.T) {
	s := startStore(t, nil)
	ctx := context.Background()
	c := s.buy(alice, planGB)
	s.mustPay(c, alice)
	s.waitStatus(alice, c.OrderID, "fulfilled", 30*time.Second)

	s.send(telegramtest.UserMessage{From: zoe, ChatID: s.Cfg.SupportChatID, Text: "/refund " + c.OrderID[:8] + " phone <not> compatible & sorry"})
	confirm := lastGroupMessage(t, s)
	if !strings.Contains(confirm.Text, "Refund 137 ⭐") || !strings.Contains(confirm.Text, "phone &lt;not&gt; compatible &amp; sorry") ||
		len(confirm.Buttons) != 1 {
		t.Fatalf("confirm message = %+v", confirm)
	}
	qid, err := s.Telegram.PressButton(ctx, s.Cfg.SupportChatID, confirm.MessageID, zoe, confirm.Buttons[0].Text)
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := s.Telegram.CallbackAnswered(qid); !ok || a.Text != "Refund requested." {
		t.Fatalf("callback answer = %+v %v", a, ok)
	}
	s.waitStatus(alice, c.OrderID, "refunded", 30*time.Second)
	by := "Zoë <Support> & Co (@zoe) tg:6200000001"
	var done telegramtest.ChatItem
	waitFor(t, 20*time.Second, "Telegram's confirmation in the support chat", func() bool {
		for _, it := range s.group() {
			if strings.Contains(it.Text, "Refund confirmed by Telegram") {
				done = it
				return true
			}
		}
		return false
	})
	if done.ReplyTo != confirm.MessageID || !strings.Contains(done.Text, "Zoë &lt;Support&gt; &amp; Co (@zoe) tg:6200000001") {
		t.Errorf("confirmation = %+v (want a reply to %d)", done, confirm.MessageID)
	}
	var requestedBy string
	if err := s.App.Store.Pool.QueryRow(ctx, `SELECT requested_by FROM refunds WHERE order_id = $1`, c.OrderID).Scan(&requestedBy); err != nil || requestedBy != by {
		t.Fatalf("refund requested_by = %q %v, want %q", requestedBy, err, by)
	}
	if n := s.Telegram.Refunds(); len(n) != 1 {
		t.Fatalf("telegram refunds = %v", n)
	}

	// A second press, and a second /refund, are refused with the reason.
	qid, err = s.Telegram.PressButton(ctx, s.Cfg.SupportChatID, confirm.MessageID, zoe, confirm.Buttons[0].Text)
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := s.Telegram.CallbackAnswered(qid); !ok || !strings.HasPrefix(a.Text, "Already confirmed by "+by) {
		t.Fatalf("second press answer = %+v %v", a, ok)
	}
	s.send(telegramtest.UserMessage{From: zoe, ChatID: s.Cfg.SupportChatID, Text: "/refund " + c.OrderID + " again"})
	if got := lastGroupMessage(t, s).Text; !strings.Contains(got, "already refunded") {
		t.Fatalf("second /refund = %q", got)
	}
	if n := s.Telegram.Refunds(); len(n) != 1 {
		t.Fatalf("telegram refunds after the repeats = %v", n)
	}
	// /order shows the refund and who asked.
	s.send(telegramtest.UserMessage{From: zoe, ChatID: s.Cfg.SupportChatID, Text: "/order " + c.OrderID})
	if got := lastGroupMessage(t, s).Text; !strings.Contains(got, "<b>refunded</b>") || !strings.Contains(got, "tg:6200000001") {
		t.Fatalf("/order = %q", got)
	}
}

// TestSupportFindAndRefuseUnpaid: /find by @username, and /refund of an unpaid order says why not.
func TestSupportFindAndRefuseUnpaid(t *testing.T) {
	s := startStore(t, nil)
	c := s.buy(carla, planGB) // never paid
	s.send(telegramtest.UserMessage{From: zoe, ChatID: s.Cfg.SupportChatID, Text: "/find @Carla_R"})
	if got := lastGroupMessage(t, s).Text; !strings.Contains(got, c.OrderID) || !strings.Contains(got, "awaiting_payment") {
		t.Fatalf("/find @username = %q", got)
	}
	s.send(telegramtest.UserMessage{From: zoe, ChatID: s.Cfg.SupportChatID, Text: "/refund " + c.OrderID + " test"})
	if got := lastGroupMessage(t, s).Text; !strings.Contains(got, "was not paid") {
		t.Fatalf("/refund of an unpaid order = %q", got)
	}
}

// TestAlertsAreDeduplicated: every refused eSIM Go attempt raises the
// balance alert, but the support chat sees it once; the refund that
// follows is one more alert, once.
func TestAlertsAreDeduplicated(t *testing.T) {
	s := startStore(t, func(c *configT) { c.FulfilmentDeadline = 6 * time.Second })
	ctx := context.Background()
	s.ESIM.SetFault(esimgotest.EndpointCreateOrder, esimgotest.Fault{InsufficientBalance: true})
	c := s.buy(alice, planGB)
	s.mustPay(c, alice)
	s.waitStatus(alice, c.OrderID, "refunded", 60*time.Second)
	// The balance alert is keyed per hour: a run that crosses the hour has
	// two keys, and may post once per key.
	var repeats, keys int
	if err := s.App.Store.Pool.QueryRow(ctx, `SELECT sum(repeats), count(*) FROM alerts WHERE kind = 'esimgo_balance'`).
		Scan(&repeats, &keys); err != nil {
		t.Fatal(err)
	}
	if repeats < 1 {
		t.Fatalf("the balance alert was raised once only (repeats %d): nothing to deduplicate", repeats)
	}
	waitFor(t, 10*time.Second, "the refund alert", func() bool {
		for _, it := range s.group() {
			if strings.Contains(it.Text, "Refunded: the eSIM could not be issued") {
				return true
			}
		}
		return false
	})
	counts := map[string]int{}
	for _, it := range s.group() {
		switch {
		case strings.Contains(it.Text, "eSIM Go balance too low"):
			counts["balance"]++
		case strings.Contains(it.Text, "Refunded: the eSIM could not be issued"):
			counts["refunded"]++
		}
		if !strings.Contains(it.Text, c.OrderID) {
			t.Errorf("an alert does not name the order: %q", it.Text)
		}
	}
	if counts["balance"] != keys || counts["refunded"] != 1 {
		t.Fatalf("alerts posted = %v (balance raised %d times under %d keys)", counts, repeats+keys, keys)
	}
}

// TestHelpWithThisOrder: the delivered QR and the Mini App's order carry a
// deep link; /start help_<order> attaches the order to the buyer's next
// message to support. Without a support chat the bot says where to write.
func TestHelpWithThisOrder(t *testing.T) {
	s := startStore(t, nil)
	c := s.buy(alice, planGB)
	s.mustPay(c, alice)
	s.waitStatus(alice, c.OrderID, "fulfilled", 30*time.Second)
	link := "https://t.me/esim_store_test_bot?start=help_" + c.OrderID
	// The QR follows the fulfilled status.
	waitFor(t, 20*time.Second, "the QR photo", func() bool { return len(photos(s.Telegram, alice.ID)) == 1 })
	qr := photos(s.Telegram, alice.ID)
	if len(qr) != 1 || len(qr[0].Buttons) != 1 || qr[0].Buttons[0].URL != link {
		t.Fatalf("QR message buttons = %+v", qr)
	}
	var view struct {
		HelpLink string `json:"help_link"`
	}
	s.call("GET", "/api/orders/"+c.OrderID, s.as(alice), nil, &view)
	if view.HelpLink != link {
		t.Fatalf("help_link = %q", view.HelpLink)
	}
	s.send(telegramtest.UserMessage{From: alice, Text: "/start help_" + c.OrderID})
	if got := lastBotText(t, s.Telegram, alice.ID).Text; got != i18n.HTML("en", i18n.HelpStarted, c.OrderID) {
		t.Fatalf("/start help_ = %q", got)
	}
	s.send(telegramtest.UserMessage{From: alice, Text: "It does not connect"})
	waitFor(t, 20*time.Second, "the copy", func() bool { return len(copiesOf(s.group(), alice.ID)) == 1 })
	for _, it := range s.group() {
		if it.MessageID == copiesOf(s.group(), alice.ID)[0].ReplyTo && !strings.Contains(it.Text, "Asks about Order <code>"+c.OrderID) {
			t.Fatalf("header does not name the order:\n%s", it.Text)
		}
	}
	// Someone else's order is not attached.
	s.send(telegramtest.UserMessage{From: boris, Text: "/start help_" + c.OrderID})
	if got := lastBotText(t, s.Telegram, boris.ID).Text; got != i18n.T("ru", i18n.HelpOrderUnknown) {
		t.Fatalf("/start help_ of another's order = %q", got)
	}

	// Without a support chat: no button, no link, and the bot says where to write.
	n := startStore(t, func(c *configT) { c.SupportChatID, c.SupportStaffIDs, c.SupportContact = 0, nil, "@esim_help" })
	c2 := n.buy(alice, planGB)
	n.mustPay(c2, alice)
	n.waitStatus(alice, c2.OrderID, "fulfilled", 30*time.Second)
	waitFor(t, 20*time.Second, "the QR photo", func() bool { return len(photos(n.Telegram, alice.ID)) == 1 })
	if qr := photos(n.Telegram, alice.ID); len(qr) != 1 || len(qr[0].Buttons) != 0 {
		t.Fatalf("QR without a support chat = %+v", qr)
	}
	n.send(telegramtest.UserMessage{From: alice, Text: "hello?"})
	if got := lastBotText(t, n.Telegram, alice.ID).Text; got != i18n.HTML("en", i18n.NotRelayedContact, "@esim_help") {
		t.Fatalf("plain message without a support chat = %q", got)
	}
	n.send(telegramtest.UserMessage{From: boris, Text: "/paysupport"})
	if got := lastBotText(t, n.Telegram, boris.ID).Text; got != i18n.HTML("ru", i18n.PaySupportContact, "@esim_help") {
		t.Fatalf("/paysupport without a support chat = %q", got)
	}
}

// TestStaffFinanceCommand: /finance in the support chat answers with the
// same report as GET /admin/finance; a bad date is explained.
func TestStaffFinanceCommand(t *testing.T) {
	s := startStore(t, nil)
	c := s.buy(carla, planGB)
	s.mustPay(c, carla)
	s.waitStatus(carla, c.OrderID, "fulfilled", 30*time.Second)
	s.send(telegramtest.UserMessage{From: zoe, ChatID: s.Cfg.SupportChatID, Text: "/finance"})
	got := lastGroupMessage(t, s).Plain
	want := fmt.Sprintf("Stars received  %d (1 payment)", c.PriceStars)
	if !strings.Contains(got, want) || !strings.Contains(got, "Star balance") {
		t.Fatalf("/finance = %q, want it to say %q", got, want)
	}
	s.send(telegramtest.UserMessage{From: zoe, ChatID: s.Cfg.SupportChatID, Text: "/finance yesterday"})
	if got := lastGroupMessage(t, s).Plain; !strings.Contains(got, "must be a date like") {
		t.Fatalf("/finance with a bad date = %q", got)
	}
	// Not for anyone else in the group.
	n := len(s.group())
	s.send(telegramtest.UserMessage{From: carla, ChatID: s.Cfg.SupportChatID, Text: "/finance"})
	time.Sleep(time.Second)
	if len(s.group()) != n+1 {
		t.Fatalf("a non-staff /finance got an answer: %d messages after %d", len(s.group()), n)
	}
}
