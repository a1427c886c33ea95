package telegram_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/starsesim/esimstore/budget"
	"github.com/starsesim/esimstore/telegram"
	"github.com/starsesim/esimstore/telegram/telegramtest"
)

// spacedBot is a bot whose messages are spaced on a shared budget. Its
// rates are below the fake's limits by more than a busy test machine's
// scheduling delays: the test is about sharing one budget (two bots on
// their own budgets would send twice as much), not about the headroom.
func spacedBot(t *testing.T, fake *telegramtest.Fake, url string, b budget.Limiter) *telegram.Bot {
	t.Helper()
	bot, err := telegram.NewBot(telegram.Config{Token: fake.Token(), APIURL: url, Budget: b,
		MessagesPerSecond: 20, ChatMessagesPerSecond: 0.7})
	if err != nil {
		t.Fatal(err)
	}
	return bot
}

// Two processes' bots on one budget, sending photos to many chats and
// several messages to one, never trip Telegram's flood control.
func TestSpacedMessagesStayUnderFloodControl(t *testing.T) {
	fake, srv := telegramtest.NewServer(t, telegramtest.Options{
		MessagesPerSecond: telegram.DefaultMessagesPerSecond, ChatMessagesPerSecond: telegram.DefaultChatMessagesPerSecond})
	lanes := budget.NewLocal()
	bots := []*telegram.Bot{spacedBot(t, fake, srv.URL, lanes), spacedBot(t, fake, srv.URL, lanes)}
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			if err := bots[i%2].SendPhoto(ctx, 6_000_000_000+int64(i), pngBytes, "qr.png", "<b>Your eSIM</b> &amp; links"); err != nil {
				t.Errorf("photo %d: %v", i, err)
			}
		})
	}
	for i := range 3 {
		wg.Go(func() {
			if err := bots[i%2].SendMessage(ctx, buyer.ID, "Refunded: 137 ⭐ &lt;back&gt;"); err != nil {
				t.Errorf("message %d to one chat: %v", i, err)
			}
		})
	}
	wg.Wait()
	for _, c := range fake.Calls("") {
		if c.Status != 200 {
			t.Errorf("%s to %s: %d %s", c.Method, c.Param("chat_id"), c.Status, c.Error)
		}
	}
}

// A message that would queue longer than its context allows is not sent
// and says when to try again; Telegram's own 429 closes the chat's lane.
func TestHeldBackMessagesAreRetryable(t *testing.T) {
	fake, srv := telegramtest.NewServer(t, telegramtest.Options{})
	lanes := budget.NewLocal()
	bot := spacedBot(t, fake, srv.URL, lanes)
	ctx := context.Background()
	if err := bot.SendMessage(ctx, buyer.ID, "first"); err != nil {
		t.Fatal(err)
	}
	err := bot.SendMessage(budget.WithMaxWait(ctx, 100*time.Millisecond), buyer.ID, "second, too soon")
	if !budget.IsBusy(err) || !telegram.IsRetryable(err) || telegram.RetryAfter(err) <= 0 {
		t.Errorf("second message within a second: %v (retry after %v)", err, telegram.RetryAfter(err))
	}
	if n := len(fake.Chat(buyer.ID)); n != 1 {
		t.Errorf("chat has %d items, want the first message only", n)
	}

	other := int64(7_000_000_001)
	fake.SetFault("sendMessage", telegramtest.TooManyRequests(30))
	if err := bot.SendMessage(ctx, other, "flood"); telegram.RetryAfter(err) != 30*time.Second {
		t.Fatalf("want Telegram's 429, got %v", err)
	}
	fake.ClearFaults()
	err = bot.SendMessage(budget.WithMaxWait(ctx, time.Second), other, "again")
	if !budget.IsBusy(err) || telegram.RetryAfter(err) < 20*time.Second {
		t.Errorf("after retry_after 30 the chat's lane must stay closed: %v", err)
	}
	if err := bot.SendMessage(budget.WithMaxWait(ctx, time.Second), 7_000_000_002, "another chat"); err != nil {
		t.Errorf("other chats are not held: %v", err)
	}
}

// A group (the support chat) gets at most 20 messages a minute, a private
// chat about one a second.
func TestGroupsAreSpacedSlowerThanPrivateChats(t *testing.T) {
	fake, srv := telegramtest.NewServer(t, telegramtest.Options{})
	const group = -1_001_234_567_890
	fake.AddGroup(group, "Support <&> team")
	bot, err := telegram.NewBot(telegram.Config{Token: fake.Token(), APIURL: srv.URL, Budget: budget.NewLocal(),
		MessagesPerSecond: telegram.DefaultMessagesPerSecond, ChatMessagesPerSecond: telegram.DefaultChatMessagesPerSecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := budget.WithMaxWait(context.Background(), 2*time.Second)
	for _, chat := range []int64{buyer.ID, group} {
		if _, err := bot.Post(ctx, telegram.Outgoing{ChatID: chat, Text: "first"}); err != nil {
			t.Fatalf("first message to %d: %v", chat, err)
		}
	}
	if _, err := bot.Post(ctx, telegram.Outgoing{ChatID: buyer.ID, Text: "a second later"}); err != nil {
		t.Errorf("a private chat's second message within 2 s: %v", err)
	}
	if _, err := bot.CopyMessage(ctx, group, buyer.ID, 1, 0); !budget.IsBusy(err) {
		t.Errorf("a group's second message within 2 s: %v, want held back (20 a minute)", err)
	}
}
