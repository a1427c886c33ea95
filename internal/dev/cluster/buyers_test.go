//go:build cluster

package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/starsesim/esimstore/telegram"
	"github.com/starsesim/esimstore/telegram/telegramtest"
)

const plan = "esim_1GB_7D_GB_V2"

// buyer is a Telegram user with an id above 2^32 and a name that needs
// HTML escaping, as real ones may.
func buyer(id int64) telegram.User {
	return telegram.User{ID: id, FirstName: "Zoë <QA> & Co", LanguageCode: "en"}
}

type created struct {
	OrderID        string `json:"order_id"`
	SubscriptionID string `json:"subscription_id"`
	InvoiceLink    string `json:"invoice_link"`
}

type orderView struct {
	OrderID string `json:"order_id"`
	Status  string `json:"status"`
	ESIM    *struct {
		ICCID string `json:"iccid"`
		LPA   string `json:"lpa"`
	} `json:"esim"`
}

// call sends a JSON request through the front door and decodes the answer.
func (w *world) call(ctx context.Context, method, path, auth string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, w.c.URL+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := w.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decode %.200q: %w", method, path, raw, err)
		}
	}
	return resp.StatusCode, nil
}

func (w *world) tma(u telegram.User) string {
	return "tma " + telegram.SignInitData(w.c.BotToken, u, time.Now(), nil)
}

// create is the Mini App's Buy (path /api/orders) or Subscribe button
// (/api/subscriptions). Like the Mini App it tries again, with the same
// idempotency key, while the store answers with an error, for up to within.
func (w *world) create(ctx context.Context, u telegram.User, path, key string, within time.Duration) (created, error) {
	deadline := time.Now().Add(within)
	var last string
	for time.Now().Before(deadline) && ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, w.c.URL+path,
			strings.NewReader(`{"plan_id":"`+plan+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", w.tma(u))
		req.Header.Set("Idempotency-Key", key)
		resp, err := w.http.Do(req)
		if err == nil {
			var c created
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusCreated && json.Unmarshal(raw, &c) == nil && c.InvoiceLink != "" {
				return c, nil
			}
			last = fmt.Sprintf("%d %.200s", resp.StatusCode, raw)
		} else {
			last = err.Error()
		}
		time.Sleep(500 * time.Millisecond)
	}
	return created{}, fmt.Errorf("create %s for %d: %s", path, u.ID, last)
}

func (w *world) mustCreate(t *testing.T, u telegram.User, path string) created {
	t.Helper()
	c, err := w.create(context.Background(), u, path, fmt.Sprintf("key-%d", u.ID), 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// pay plays the buyer paying in Telegram, tapping Pay again (up to tries
// times) while the bot does not approve the checkout, unless it says the
// order is over.
func (w *world) pay(ctx context.Context, link string, u telegram.User, tries int) (telegramtest.PayResult, error) {
	var res telegramtest.PayResult
	var err error
	for range tries {
		res, err = w.c.Telegram.Pay(ctx, link, u)
		if err == nil && res.ChargeID != "" {
			return res, nil
		}
		if ctx.Err() != nil || strings.Contains(strings.ToLower(res.ErrorMessage), "expired") {
			break
		}
		time.Sleep(time.Second)
	}
	if err == nil {
		err = fmt.Errorf("not approved: %q", res.ErrorMessage)
	}
	return res, err
}

func (w *world) mustPay(t *testing.T, c created, u telegram.User) string {
	t.Helper()
	res, err := w.pay(context.Background(), c.InvoiceLink, u, 3)
	if err != nil || !res.Delivered {
		t.Fatalf("pay: %+v %v", res, err)
	}
	return res.ChargeID
}

// waitStatus polls the buyer's view of an order until it reaches want.
func (w *world) waitStatus(t *testing.T, u telegram.User, id, want string, within time.Duration) orderView {
	t.Helper()
	var v orderView
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		v = orderView{}
		if _, err := w.call(context.Background(), http.MethodGet, "/api/orders/"+id, w.tma(u), nil, &v); err != nil {
			t.Log(err)
		}
		if v.Status == want {
			return v
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("order %s is %q after %s, want %q", id, v.Status, within, want)
	return v
}

func waitUntil(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %s", what, within)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (w *world) photos(user int64) int {
	n := 0
	for _, m := range w.c.Telegram.Chat(user) {
		if m.FromBot && m.Kind == telegramtest.KindPhoto {
			n++
		}
	}
	return n
}

// crowd is what a load of buyers did, as they saw it.
type crowd struct {
	mu      sync.Mutex
	orders  map[string]bool // order ids
	charges map[string]bool // charge ids Telegram took
	unpaid  int             // buyers who gave up before paying
}

func newCrowd() *crowd { return &crowd{orders: map[string]bool{}, charges: map[string]bool{}} }

// buy plays one buyer from the Buy button to a payment, riding out
// outages the way people and Telegram do (tapping again, re-delivering).
func (w *world) buy(ctx context.Context, cr *crowd, u telegram.User) {
	c, err := w.create(ctx, u, "/api/orders", fmt.Sprintf("crowd-%d", u.ID), 2*time.Minute)
	if err != nil {
		cr.mu.Lock()
		cr.unpaid++
		cr.mu.Unlock()
		return
	}
	cr.mu.Lock()
	cr.orders[c.OrderID] = true
	cr.mu.Unlock()
	res, err := w.pay(ctx, c.InvoiceLink, u, 8)
	cr.mu.Lock()
	defer cr.mu.Unlock()
	if err != nil {
		cr.unpaid++
		return
	}
	cr.charges[res.ChargeID] = true
}

// load starts n buyers at rate per second (ids from firstID) and returns
// when every one has paid or given up.
func (w *world) load(ctx context.Context, cr *crowd, n int, rate float64, firstID int64) {
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		if d := time.Until(start.Add(time.Duration(float64(i) / rate * float64(time.Second)))); d > 0 {
			time.Sleep(d)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.buy(ctx, cr, buyer(firstID+int64(i)))
		}()
	}
	wg.Wait()
}
