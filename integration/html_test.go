package integration

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/starsesim/esimstore/esimgo/esimgotest"
	"github.com/starsesim/esimstore/i18n"
	"github.com/starsesim/esimstore/telegram"
	"github.com/starsesim/esimstore/telegram/telegramtest"
)

// planLite is the catalogue's bundle whose area is "Europe & UK <Lite>".
const planLite = "esim_1GB_7D_RUKL_V2"

// TestMessagesAreSafeHTML: text from support staff and eSIM Go reaches the
// buyer through Telegram's HTML parse mode verbatim, and a message Telegram
// refuses anyway is on the order's timeline. The fake Telegram refuses
// unescaped text the way the Bot API documentation describes.
func TestMessagesAreSafeHTML(t *testing.T) {
	s := startStore(t, nil)

	t.Run("support refund reason", func(t *testing.T) {
		const reason = `speed <1 Mbps & no <b>signal`
		for _, u := range []telegram.User{
			{ID: 5_079_065_101, FirstName: "Zoë <3 & co", LanguageCode: "en"},
			{ID: 5_079_065_102, FirstName: "Юля & <Ко>", LanguageCode: "ru"},
		} {
			c, charge := s.fulfilled(t, u, planGB)
			s.supportRefund(t, c.OrderID, reason)
			s.waitStatus(u, c.OrderID, "refunded", 30*time.Second)
			lang := i18n.Lang(u.LanguageCode)
			want := i18n.T(lang, i18n.RefundNotice, c.PriceStars, c.OrderID, i18n.T(lang, i18n.RefundReasonSupport, reason))
			arrived := func() bool {
				for _, m := range botTexts(s.Telegram, u.ID) {
					if m.Plain == want {
						return true
					}
				}
				return false
			}
			var failed []json.RawMessage
			waitFor(t, 15*time.Second, "refund notice in "+lang, func() bool {
				failed = s.timelineEvents(t, c.OrderID, "message_failed")
				return arrived() || len(failed) > 0
			})
			if len(failed) > 0 || !arrived() {
				t.Errorf("%s: the buyer never read %q; timeline: message_failed %s", charge, want, failed)
			}
		}
	})

	t.Run("plan name from eSIM Go in the QR caption and /orders", func(t *testing.T) {
		u := telegram.User{ID: 5_079_065_103, FirstName: "Ann", LanguageCode: "en"}
		planName := esimgotest.LiteArea + " · 1 GB · 7 days"
		s.fulfilled(t, u, planLite)
		waitFor(t, 15*time.Second, "QR in chat", func() bool { return len(photos(s.Telegram, u.ID)) == 1 })
		if caption := photos(s.Telegram, u.ID)[0].Plain; !strings.HasPrefix(caption, "Your eSIM is ready: "+planName+"\n") {
			t.Errorf("the buyer reads the caption %q, want it to name %q", caption, planName)
		}
		if err := s.Telegram.SendText(context.Background(), u, "/orders"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 15*time.Second, "/orders answer", func() bool {
			texts := botTexts(s.Telegram, u.ID)
			return len(texts) > 0 && strings.Contains(texts[len(texts)-1].Plain, "• "+planName+" — delivered")
		})
	})

	t.Run("a refused message is on the timeline", func(t *testing.T) {
		u := telegram.User{ID: 5_079_065_104, FirstName: "Ben", LanguageCode: "en"}
		c, charge := s.fulfilled(t, u, planGB)
		const refusal = `Bad Request: can't parse entities: Unsupported start tag "1" at byte offset 60`
		s.Telegram.SetFault("sendMessage", telegramtest.Fault{Code: http.StatusBadRequest, Description: refusal})
		defer s.Telegram.ClearFaults()
		s.supportRefund(t, c.OrderID, "travel cancelled")
		s.waitStatus(u, c.OrderID, "refunded", 30*time.Second)
		var failed []json.RawMessage
		waitFor(t, 15*time.Second, "message_failed on the timeline", func() bool {
			failed = s.timelineEvents(t, c.OrderID, "message_failed")
			return len(failed) > 0
		})
		var detail struct{ Message, Error string }
		if err := json.Unmarshal(failed[0], &detail); err != nil {
			t.Fatal(err)
		}
		if detail.Message != "refund_notice:"+charge || !strings.Contains(detail.Error, refusal) {
			t.Errorf("message_failed detail = %+v, want the refund notice of %s and Telegram's %q", detail, charge, refusal)
		}
		if n := len(s.Telegram.Refunds()); n == 0 {
			t.Error("the refund itself did not happen")
		}
	})
}

// fulfilled buys plan for u and waits until the eSIM is delivered.
func (s *shop) fulfilled(t *testing.T, u telegram.User, plan string) (created, string) {
	t.Helper()
	c := s.buy(u, plan)
	charge := s.mustPay(c, u)
	s.waitStatus(u, c.OrderID, "fulfilled", 30*time.Second)
	return c, charge
}

func (s *shop) supportRefund(t *testing.T, orderID, reason string) {
	t.Helper()
	if code := s.call("POST", "/admin/orders/"+orderID+"/refund", s.admin(), map[string]string{"reason": reason}, nil); code != http.StatusAccepted {
		t.Fatalf("support refund of %s: %d", orderID, code)
	}
}

// timelineEvents returns the details of the order's timeline events of one
// kind, as support sees them (GET /admin/orders/{id}).
func (s *shop) timelineEvents(t *testing.T, orderID, kind string) []json.RawMessage {
	t.Helper()
	var view struct {
		Timeline []struct {
			Kind   string          `json:"kind"`
			Detail json.RawMessage `json:"detail"`
		} `json:"timeline"`
	}
	if code := s.call("GET", "/admin/orders/"+orderID, s.admin(), nil, &view); code != http.StatusOK {
		t.Fatalf("admin view of %s: %d", orderID, code)
	}
	var out []json.RawMessage
	for _, e := range view.Timeline {
		if e.Kind == kind {
			out = append(out, e.Detail)
		}
	}
	return out
}
