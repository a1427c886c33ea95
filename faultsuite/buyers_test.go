package faultsuite

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/starsesim/esimstore/telegram"
	"github.com/starsesim/esimstore/telegram/telegramtest"
)

// scenario is what one buyer does.
type scenario string

const (
	scNormal  scenario = "normal"
	scDupes   scenario = "updates delivered 2-3 times"
	scDouble  scenario = "two payments of one invoice"
	scExpired scenario = "payment for an expired order"
	scBlocked scenario = "buyer blocked the bot"
	scSupport scenario = "refunded by support (reason with < & >)"
	scTopUp   scenario = "bought, then topped up the same eSIM"
)

// mix: mostly normal buyers, with every Telegram-side fault represented,
// support refunds, and top-ups (a bundle onto the eSIM just bought).
var mix = []scenario{scNormal, scNormal, scTopUp, scDupes, scNormal, scDouble, scSupport, scBlocked, scDupes, scExpired}

// ledger is what the buyers did, as the suite saw it.
type ledger struct {
	mu        sync.Mutex
	charges   map[string]time.Time // charge id → when Telegram took the Stars
	orders    map[string]int64     // order id → buyer
	scenarios map[scenario]int
	unpaid    int // buyers who gave up before paying (e.g. the app was down)
	// support: order → the reason support gave; supportAccepted: the
	// requests the admin API accepted (202).
	support         map[string]string
	supportAccepted map[string]bool
	topUps          int // top-up orders created
}

func newLedger() *ledger {
	return &ledger{charges: map[string]time.Time{}, orders: map[string]int64{}, scenarios: map[scenario]int{},
		support: map[string]string{}, supportAccepted: map[string]bool{}}
}

func (l *ledger) charge(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.charges[id] = time.Now()
}

// buy plays one buyer from the Mini App's Buy button to paying.
func (w *world) buy(ctx context.Context, l *ledger, i int, plan string) {
	sc := mix[i%len(mix)]
	u := telegram.User{ID: userID(i), FirstName: "Buyer", LanguageCode: "en"}
	l.mu.Lock()
	l.scenarios[sc]++
	l.mu.Unlock()
	c, ok := w.createOrder(ctx, u, map[string]string{"plan_id": plan}, fmt.Sprintf("fs-%d", i))
	if !ok {
		l.mu.Lock()
		l.unpaid++
		l.mu.Unlock()
		return
	}
	l.mu.Lock()
	l.orders[c.OrderID] = u.ID
	l.mu.Unlock()
	switch sc {
	case scBlocked:
		w.tg.BlockUser(u.ID, true)
	case scExpired:
		select {
		case <-ctx.Done():
			return
		case <-time.After(invoiceTTL + 3*time.Second):
		}
		// The order is gone; the buyer's app pays anyway (an old invoice).
		res, err := w.tg.Pay(ctx, c.InvoiceLink, u, telegramtest.PayOptions{SkipPreCheckout: true})
		if err == nil && res.ChargeID != "" {
			l.charge(res.ChargeID)
		}
		return
	}
	opts := telegramtest.PayOptions{}
	if sc == scDupes {
		opts.Duplicates = 1 + i%2
	}
	paid := false
	for attempt := 0; attempt < 6 && !paid; attempt++ {
		res, err := w.tg.Pay(ctx, c.InvoiceLink, u, opts)
		if err == nil && res.ChargeID != "" {
			l.charge(res.ChargeID)
			paid = true
			break
		}
		if strings.Contains(strings.ToLower(res.ErrorMessage), "expired") || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Second) // the buyer taps Pay again
	}
	if !paid {
		l.mu.Lock()
		l.unpaid++
		l.mu.Unlock()
		return
	}
	switch sc {
	case scTopUp:
		w.topUp(ctx, l, u, i, plan)
	case scDouble:
		// A second payment of the same invoice (a second device, a replayed
		// payment form): Telegram charges again without asking us.
		res, err := w.tg.Pay(ctx, c.InvoiceLink, u, telegramtest.PayOptions{SkipPreCheckout: true})
		if err == nil && res.ChargeID != "" {
			l.charge(res.ChargeID)
		}
	case scSupport:
		// Sooner or later after the payment: the eSIM may be in flight,
		// delivered, or the order's run closed.
		n := i / len(mix)
		w.supportRefund(ctx, l, c.OrderID, supportReasons[n%len(supportReasons)], time.Duration(n%4)*time.Second)
	}
}

// topUp plays the buyer opening My eSIMs once the eSIM is there and
// topping it up with the same plan, paying as a normal buyer does. A buyer
// whose first order was refunded has no eSIM and stops.
func (w *world) topUp(ctx context.Context, l *ledger, u telegram.User, i int, plan string) {
	iccid := ""
	for attempt := 0; attempt < 90 && iccid == "" && ctx.Err() == nil; attempt++ {
		if list := w.esimsOf(ctx, u); len(list) > 0 {
			iccid = list[0].ICCID
			break
		}
		time.Sleep(time.Second)
	}
	if iccid == "" {
		return
	}
	c, ok := w.createOrder(ctx, u, map[string]string{"plan_id": plan, "iccid": iccid}, fmt.Sprintf("fs-top-%d", i))
	if !ok {
		return
	}
	l.mu.Lock()
	l.orders[c.OrderID] = u.ID
	l.topUps++
	l.mu.Unlock()
	for attempt := 0; attempt < 6 && ctx.Err() == nil; attempt++ {
		res, err := w.tg.Pay(ctx, c.InvoiceLink, u)
		if err == nil && res.ChargeID != "" {
			l.charge(res.ChargeID)
			return
		}
		if strings.Contains(strings.ToLower(res.ErrorMessage), "expired") {
			return
		}
		time.Sleep(time.Second)
	}
}

type esimCard struct {
	ICCID string `json:"iccid"`
}

// esimsOf is the buyer's My eSIMs (GET /api/esims); nothing while the app is down.
func (w *world) esimsOf(ctx context.Context, u telegram.User) []esimCard {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, w.app.url+"/api/esims", nil)
	req.Header.Set("Authorization", "tma "+telegram.SignInitData(w.cfg.TelegramBotToken, u, time.Now(), nil))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var out []esimCard
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&out) != nil {
		return nil
	}
	return out
}

type created struct {
	OrderID     string `json:"order_id"`
	InvoiceLink string `json:"invoice_link"`
}

// createOrder retries while the app is down, with the same idempotency key,
// as the Mini App would.
func (w *world) createOrder(ctx context.Context, u telegram.User, fields map[string]string, key string) (created, bool) {
	body, _ := json.Marshal(fields)
	for attempt := 0; attempt < 60 && ctx.Err() == nil; attempt++ {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, w.app.url+"/api/orders", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "tma "+telegram.SignInitData(w.cfg.TelegramBotToken, u, time.Now(), nil))
		req.Header.Set("Idempotency-Key", key)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			var c created
			_ = json.NewDecoder(resp.Body).Decode(&c)
			resp.Body.Close()
			if resp.StatusCode == http.StatusCreated && c.InvoiceLink != "" {
				return c, true
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	return created{}, false
}

// redeliver plays Telegram retrying updates the webhook did not accept.
func (w *world) redeliver(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(500 * time.Millisecond):
			_ = w.tg.Flush(ctx)
		}
	}
}
