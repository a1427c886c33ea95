package bot

import (
	"bytes"
	"context"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/telegram"
	"github.com/starsesim/esimstore/telegram/telegramtest"
)

// Plan names come from eSIM Go's catalogue and reach the chat verbatim,
// whatever they hold.
func TestRepliesShowNamesVerbatim(t *testing.T) {
	const odd = `Europe & UK <Lite> "5GB"`
	buyer := telegram.User{ID: 5_079_065_042, FirstName: "Ann <3 & co", LanguageCode: "en"}
	tests := []struct {
		name   string
		ledger stubLedger
		text   string
		want   []string // in what the buyer reads
	}{
		{"orders", stubLedger{orders: []store.Order{{ID: "o-<9>&", UserID: buyer.ID, PlanName: odd, Status: contract.StatusFulfilled, PriceStars: 137}}},
			"/orders", []string{"• " + odd + " — delivered, 137 ⭐ (o-<9>&)"}},
		{"cancel: which one", stubLedger{subs: []store.Subscription{
			{ID: "sub-a", UserID: buyer.ID, PlanID: "esim_<1GB>&", Status: contract.SubActive},
			{ID: "sub-b", UserID: buyer.ID, PlanID: odd, Status: contract.SubActive}}},
			"/cancel", []string{"/cancel sub-a — esim_<1GB>&", "/cancel sub-b — " + odd}},
		{"cancel: done", stubLedger{subs: []store.Subscription{{ID: "sub-a", UserID: buyer.ID, PlanID: odd, Status: contract.SubActive}}},
			"/cancel", []string{"Your subscription " + odd + " is cancelled."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, tt.ledger)
			if err := r.h.HandleMessage(context.Background(), msg(buyer, 1, tt.text)); err != nil {
				t.Fatal(err)
			}
			chat := r.fake.Chat(buyer.ID)
			if len(chat) != 1 {
				t.Fatalf("chat = %+v, want one reply (Telegram refused it?)", chat)
			}
			for _, w := range tt.want {
				if !strings.Contains(chat[0].Plain, w) {
					t.Errorf("the buyer reads %q, which lacks %q", chat[0].Plain, w)
				}
			}
		})
	}
}

// A reply Telegram refuses is logged with the chat and Telegram's answer:
// it belongs to no order, so there is no timeline to put it on.
func TestRefusedReplyIsLoggedWithTelegramsAnswer(t *testing.T) {
	r := newRig(t, stubLedger{})
	var logs bytes.Buffer
	r.h.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	const refusal = `Bad Request: can't parse entities: Unsupported start tag "1" at byte offset 14`
	r.fake.SetFault("sendMessage", telegramtest.Fault{Code: 400, Description: refusal, Times: 1})
	if err := r.h.HandleMessage(context.Background(), msg(en, 1, "/help")); err != nil {
		t.Fatalf("a refused reply failed the update: %v", err)
	}
	line := logs.String()
	for _, want := range []string{"level=WARN", `msg="chat reply not sent"`, "chat_id=" + strconv.FormatInt(en.ID, 10), `telegram_description="` + strings.ReplaceAll(refusal, `"`, `\"`) + `"`} {
		if !strings.Contains(line, want) {
			t.Errorf("log %q lacks %q", line, want)
		}
	}
}
