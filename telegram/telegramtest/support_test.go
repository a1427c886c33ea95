package telegramtest

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/starsesim/esimstore/telegram"
)

// staffGroup is a supergroup id as Telegram makes them (-100…).
const staffGroup int64 = -1_001_987_654_321

// pngBytes is enough of a PNG for content sniffing.
var pngBytes = append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...)

var staffer = telegram.User{ID: 6_200_000_001, FirstName: "Zoë <Support> & Co", Username: "zoe"}

// messages returns the message updates the webhook received, decoded.
func (w *webhook) messages(t *testing.T, kind string) []json.RawMessage {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []json.RawMessage
	for _, u := range w.updates {
		if raw, ok := u[kind]; ok {
			out = append(out, raw)
		}
	}
	return out
}

func lastMessage(t *testing.T, w *webhook) telegram.Message {
	t.Helper()
	all := w.messages(t, "message")
	if len(all) == 0 {
		t.Fatal("no message update")
	}
	var m telegram.Message
	if err := json.Unmarshal(all[len(all)-1], &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// A buyer's photo is copied into the staff group, a staffer replies to the
// copy, and the reply is copied back: the updates carry what the store
// needs (chat type, photo, caption, reply_to_message) and the copies keep
// the content without naming the original sender.
func TestRelayThroughAGroup(t *testing.T) {
	wh := &webhook{}
	whSrv := httptest.NewServer(wh)
	t.Cleanup(whSrv.Close)
	f, srv := NewServer(t, Options{WebhookURL: whSrv.URL})
	bot := newBotFor(t, f, srv)
	ctx := t.Context()
	f.AddGroup(staffGroup, "eSIM support")

	photoID, err := f.Send(ctx, UserMessage{From: ada, Text: "my <phone> says & no", Photo: pngBytes})
	if err != nil {
		t.Fatal(err)
	}
	in := lastMessage(t, wh)
	if in.Chat.Type != "private" || in.Chat.ID != ada.ID || in.Caption != "my <phone> says & no" || len(in.Photo) == 0 || in.Photo[0].FileID == "" {
		t.Fatalf("buyer photo update = %+v", in)
	}
	header, err := bot.Post(ctx, telegram.Outgoing{ChatID: staffGroup, Text: "<b>From</b> Ada"})
	if err != nil || header == 0 {
		t.Fatalf("header: %d %v", header, err)
	}
	copyID, err := bot.CopyMessage(ctx, staffGroup, ada.ID, photoID, header)
	if err != nil {
		t.Fatal(err)
	}
	group := f.Chat(staffGroup)
	if len(group) != 2 || group[1].MessageID != copyID || group[1].Kind != KindPhoto || group[1].Text != "my <phone> says & no" ||
		group[1].ReplyTo != header || group[1].CopyOf == nil || group[1].CopyOf.MessageID != photoID || !group[1].FromBot {
		t.Fatalf("group after copy = %+v", group)
	}

	replyID, err := f.Send(ctx, UserMessage{From: staffer, ChatID: staffGroup, Text: "Restart it, please", ReplyTo: copyID})
	if err != nil {
		t.Fatal(err)
	}
	reply := lastMessage(t, wh)
	if reply.Chat.Type != "supergroup" || reply.Chat.Title != "eSIM support" || reply.From.ID != staffer.ID ||
		reply.ReplyToMessage == nil || reply.ReplyToMessage.MessageID != copyID || reply.ReplyToMessage.From.ID != f.BotID() {
		t.Fatalf("staff reply update = %+v (reply to %+v)", reply, reply.ReplyToMessage)
	}
	back, err := bot.CopyMessage(ctx, ada.ID, staffGroup, replyID, 0)
	if err != nil {
		t.Fatal(err)
	}
	chat := f.Chat(ada.ID)
	if last := chat[len(chat)-1]; last.MessageID != back || !last.FromBot || last.Text != "Restart it, please" || last.From != nil {
		t.Fatalf("buyer chat after copy back = %+v", last)
	}
}

func TestCopyAndReplyErrors(t *testing.T) {
	f, srv := NewServer(t, Options{})
	bot := newBotFor(t, f, srv)
	ctx := t.Context()
	f.AddGroup(staffGroup, "Support")
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"missing original", func() error { _, err := bot.CopyMessage(ctx, staffGroup, ada.ID, 999, 0); return err },
			"message to copy not found"},
		{"not a member", func() error { _, err := bot.CopyMessage(ctx, -1_009_999_999_999, ada.ID, 1, 0); return err },
			"chat not found"},
		{"reply to nothing (allowed)", func() error {
			_, err := bot.Post(ctx, telegram.Outgoing{ChatID: staffGroup, Text: "x", ReplyTo: 4242})
			return err
		}, ""},
		{"callback data too long", func() error {
			return bot.SendMessage(ctx, staffGroup, "x", telegram.Button{Text: "b", CallbackData: strings.Repeat("d", 65)})
		}, "callback data longer than 64 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	// A payment's service message cannot be copied.
	link, _ := bot.CreateInvoiceLink(ctx, telegram.Invoice{Title: "t", Description: "d", Payload: "p", Stars: 3})
	if _, err := f.Pay(ctx, link, ada, PayOptions{SkipPreCheckout: true}); err != nil {
		t.Fatal(err)
	}
	var payment int64
	for _, it := range f.Chat(ada.ID) {
		if it.Kind == KindPayment {
			payment = it.MessageID
		}
	}
	if _, err := bot.CopyMessage(ctx, staffGroup, ada.ID, payment, 0); err == nil || !strings.Contains(err.Error(), "can't be copied") {
		t.Fatalf("copy of a payment: %v", err)
	}
	// Replying to a message the chat does not have, without the allowance, fails.
	code, a := postJSON(t, srv, f.Token(), "sendMessage",
		`{"chat_id":-1001987654321,"text":"x","reply_parameters":{"message_id":4242}}`)
	if code != 400 || a.Description != "Bad Request: message to be replied not found" {
		t.Fatalf("strict reply: %d %+v", code, a)
	}
}

// A press on a callback button reaches the webhook with the button's data
// and the message; the bot answers once, a second answer is refused.
func TestCallbackButtons(t *testing.T) {
	wh := &webhook{}
	whSrv := httptest.NewServer(wh)
	t.Cleanup(whSrv.Close)
	f, srv := NewServer(t, Options{WebhookURL: whSrv.URL})
	bot := newBotFor(t, f, srv)
	ctx := t.Context()
	f.AddGroup(staffGroup, "Support")
	id, err := bot.Post(ctx, telegram.Outgoing{ChatID: staffGroup, Text: "Refund?",
		Buttons: []telegram.Button{{Text: "Confirm", CallbackData: "refund:42"}, {Text: "Docs", URL: "https://example.com"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.PressButton(ctx, staffGroup, id, staffer, "Docs"); !errors.Is(err, ErrNoSuchButton) {
		t.Fatalf("URL button pressed as callback: %v", err)
	}
	qid, err := f.PressButton(ctx, staffGroup, id, staffer, "Confirm")
	if err != nil {
		t.Fatal(err)
	}
	raw := wh.messages(t, "callback_query")
	if len(raw) != 1 {
		t.Fatalf("callback updates = %d", len(raw))
	}
	var q telegram.CallbackQuery
	if err := json.Unmarshal(raw[0], &q); err != nil {
		t.Fatal(err)
	}
	if q.ID != qid || q.Data != "refund:42" || q.From.ID != staffer.ID || q.Message == nil || q.Message.MessageID != id ||
		q.Message.Chat.ID != staffGroup || q.ChatInstance == "" {
		t.Fatalf("callback_query = %+v", q)
	}
	if _, ok := f.CallbackAnswered(qid); ok {
		t.Fatal("answered before the bot answered")
	}
	if err := bot.AnswerCallbackQuery(ctx, qid, strings.Repeat("é", 250), false); err != nil {
		t.Fatalf("answer (clipped to 200): %v", err)
	}
	if a, ok := f.CallbackAnswered(qid); !ok || len([]rune(a.Text)) != 200 {
		t.Fatalf("answer = %+v %v", a, ok)
	}
	if err := bot.AnswerCallbackQuery(ctx, qid, "again", false); err == nil || !strings.Contains(err.Error(), "query is too old") {
		t.Fatalf("second answer: %v", err)
	}
}

func TestUsernameIsAskedOnce(t *testing.T) {
	f, srv := NewServer(t, Options{BotUsername: "esim_help_bot"})
	bot := newBotFor(t, f, srv)
	for range 3 {
		name, err := bot.Username(t.Context())
		if err != nil || name != "esim_help_bot" {
			t.Fatalf("username = %q %v", name, err)
		}
	}
	if n := len(f.Calls("getMe")); n != 1 {
		t.Fatalf("getMe calls = %d, want 1", n)
	}
}
