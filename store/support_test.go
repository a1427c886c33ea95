package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/starsesim/esimstore/internal/dev/testenv"
	"github.com/starsesim/esimstore/store"
)

const supportChat int64 = -1_001_987_654_321

func TestTelegramUsers(t *testing.T) {
	s, _ := testenv.Store(t)
	ctx := context.Background()
	u := store.TelegramUser{ID: 5_079_065_042, FirstName: "Alice <&>", Username: "@Alice_S", LanguageCode: "en"}
	if err := s.SaveTelegramUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := s.SetHelpOrder(ctx, u.ID, "o-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	u.LastName = "Smith" // names change; the attached order stays
	if err := s.SaveTelegramUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindTelegramUsername(ctx, "@alice_s")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != u.ID || got.Username != "Alice_S" || got.LastName != "Smith" || got.HelpOrderID != "o-1" || got.HelpOrderAt.IsZero() {
		t.Fatalf("user = %+v", got)
	}
	if _, err := s.FindTelegramUsername(ctx, "bob"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown username: %v", err)
	}
	// A help order for someone never seen creates the row.
	if err := s.SetHelpOrder(ctx, 1002, "o-2", time.Now()); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetTelegramUser(ctx, 1002); err != nil || got.HelpOrderID != "o-2" {
		t.Fatalf("user 1002 = %+v %v", got, err)
	}
}

func TestFindOrdersByPrefixEscapesLike(t *testing.T) {
	s, _ := testenv.Store(t)
	ctx := context.Background()
	if _, err := s.Pool.Exec(ctx, `INSERT INTO plans (id, name, data_mb, duration_days, wholesale_usd, price_usd, price_stars)
		VALUES ('p1', 'Plan', 1024, 7, 1.36, 1.77, 137)`); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"ab12-x", "ab12-y", "abz"} {
		if err := s.CreateOrder(ctx, store.Order{ID: id, UserID: 1, ChatID: 1, PlanID: "p1", Status: "awaiting_payment",
			PriceUSD: decimal.RequireFromString("1.77"), PriceStars: 137, QuoteExpiresAt: time.Now(), Source: "miniapp"}); err != nil {
			t.Fatal(err)
		}
	}
	for prefix, want := range map[string]int{"AB12": 2, "ab": 3, "a_": 0, "%": 0, "": 3} {
		got, err := s.FindOrdersByPrefix(ctx, prefix, 10)
		if err != nil || len(got) != want {
			t.Errorf("prefix %q: %d orders (%v), want %d", prefix, len(got), err, want)
		}
	}
}

// The relay inbox keys on the source message, hands out each direction in
// message order, and maps both the header and the copy to the buyer.
func TestSupportRelayLedger(t *testing.T) {
	s, _ := testenv.Store(t)
	ctx := context.Background()
	const buyer = 5_079_065_042
	for _, id := range []int64{12, 10, 11, 10} { // arrived out of order, 10 twice
		_, err := s.QueueSupportMessage(ctx, store.SupportMessage{Direction: store.ToSupport, BuyerID: buyer, FromChatID: buyer,
			FromMessageID: id, FromUserID: buyer, FromName: "Alice"})
		if err != nil {
			t.Fatal(err)
		}
	}
	fresh, err := s.QueueSupportMessage(ctx, store.SupportMessage{Direction: store.ToBuyer, BuyerID: buyer, FromChatID: supportChat,
		FromMessageID: 99, FromUserID: 42, FromName: "Zoë", OrderID: "o-1"})
	if err != nil || !fresh {
		t.Fatalf("queue staff reply: %v %v", fresh, err)
	}
	pending, err := s.PendingSupportMessages(ctx, buyer, 10)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, m := range pending {
		order = append(order, fmt.Sprintf("%s:%d", m.Direction, m.FromMessageID))
	}
	if fmt.Sprint(order) != "[to_buyer:99 to_support:10 to_support:11 to_support:12]" {
		t.Fatalf("pending = %v", order)
	}
	first := pending[1]
	if err := s.SetSupportHeader(ctx, first, supportChat, 500); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSupportMessageSent(ctx, first, supportChat, 501); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSupportMessageFailed(ctx, pending[2].ID, "blocked"); err != nil {
		t.Fatal(err)
	}
	for _, msg := range []int64{500, 501} {
		if b, _, err := s.SupportThread(ctx, supportChat, msg); err != nil || b != buyer {
			t.Errorf("thread of %d = %d %v", msg, b, err)
		}
	}
	if _, _, err := s.SupportThread(ctx, supportChat, 502); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown thread: %v", err)
	}
	pending, _ = s.PendingSupportMessages(ctx, buyer, 10)
	if len(pending) != 2 {
		t.Fatalf("pending after send = %+v", pending)
	}
	all, _ := s.SupportMessages(ctx, buyer)
	if len(all) != 4 {
		t.Fatalf("messages = %d", len(all))
	}
}

// Only one press of a confirm button wins, however many arrive at once.
func TestSupportRefundClaimedOnce(t *testing.T) {
	s, _ := testenv.Store(t)
	ctx := context.Background()
	id, err := s.ProposeSupportRefund(ctx, store.SupportRefundRequest{OrderID: "o-1", Reason: "no signal",
		RequestedBy: "Zoë (5079065042)", RequestedByID: 5_079_065_042, ChatID: supportChat})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := range 8 {
		wg.Go(func() {
			_, claimed, err := s.ClaimSupportRefund(ctx, id, fmt.Sprint("staff", i))
			if err != nil {
				t.Error(err)
			}
			if claimed {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d presses won", wins)
	}
	if err := s.ReleaseSupportRefund(ctx, id); err != nil {
		t.Fatal(err)
	}
	if r, claimed, err := s.ClaimSupportRefund(ctx, id, "staff9"); err != nil || !claimed || r.ConfirmedBy != "staff9" {
		t.Fatalf("claim after release: %+v %v %v", r, claimed, err)
	}
	if _, err := s.AcceptedSupportRefund(ctx, "o-1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("accepted before the decision: %v", err)
	}
	if err := s.DecideSupportRefund(ctx, id, store.RefundAccepted, "accepted"); err != nil {
		t.Fatal(err)
	}
	if r, err := s.AcceptedSupportRefund(ctx, "o-1"); err != nil || r.ID != id {
		t.Fatalf("accepted = %+v %v", r, err)
	}
	if r, claimed, err := s.ClaimSupportRefund(ctx, id, "late"); err != nil || claimed || r.Status != store.RefundAccepted {
		t.Fatalf("press after the decision: %+v %v %v", r, claimed, err)
	}
}

func TestAlertsDeduplicateAndRateLimit(t *testing.T) {
	s, _ := testenv.Store(t)
	ctx := context.Background()
	raise := func(key, kind string) store.AlertDecision {
		t.Helper()
		d, err := s.RaiseAlert(ctx, store.AlertRow{Key: key, Kind: kind, Text: key}, 2)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if d := raise("a:1", "a"); d != store.AlertSend {
		t.Fatalf("first = %s", d)
	}
	if d := raise("a:1", "a"); d != store.AlertDuplicate {
		t.Fatalf("repeat while sending = %s", d)
	}
	if err := s.AlertFailed(ctx, "a:1", "chat not found"); err != nil {
		t.Fatal(err)
	}
	if d := raise("a:1", "a"); d != store.AlertSend {
		t.Fatalf("repeat after a failed send = %s", d)
	}
	if err := s.AlertSent(ctx, "a:1", 7); err != nil {
		t.Fatal(err)
	}
	if d := raise("a:1", "a"); d != store.AlertDuplicate {
		t.Fatalf("repeat after sending = %s", d)
	}
	if d := raise("a:2", "a"); d != store.AlertSend {
		t.Fatalf("second of the hour = %s", d)
	}
	if d := raise("a:3", "a"); d != store.AlertRateLimited {
		t.Fatalf("third of the hour = %s", d)
	}
	if d := raise("b:1", "b"); d != store.AlertSend {
		t.Fatalf("another kind = %s", d)
	}
	list, err := s.ListAlerts(ctx, 10)
	if err != nil || len(list) != 4 {
		t.Fatalf("alerts = %+v %v", list, err)
	}
	for _, a := range list {
		if a.Key == "a:1" && a.Repeats != 3 {
			t.Errorf("a:1 repeats = %d, want 3", a.Repeats)
		}
	}
}
