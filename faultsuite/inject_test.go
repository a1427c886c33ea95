package faultsuite

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/starsesim/esimstore/esimgo"
	"github.com/starsesim/esimstore/esimgo/esimgotest"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/telegram"
	"github.com/starsesim/esimstore/telegram/telegramtest"
)

// faultLog counts injected faults by kind for the report.
type faultLog struct {
	mu     sync.Mutex
	counts map[string]int
	order  []string
}

func (f *faultLog) add(kind string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.counts == nil {
		f.counts = map[string]int{}
	}
	if _, ok := f.counts[kind]; !ok {
		f.order = append(f.order, kind)
	}
	f.counts[kind] += n
}

// step is one fault the injector applies; it returns when the fault has
// been applied (and, for kills, the app is back).
type step struct {
	kind string
	do   func(ctx context.Context, w *world) (int, error)
}

// steps is one round of every fault kind. Rounds repeat while buyers run.
func steps() []step {
	return []step{
		{"eSIM Go 5xx burst", esimFault(esimgotest.Fault{Status: 503, Times: 8})},
		{"app SIGKILL after payment recorded", killAfterPayment},
		{"eSIM Go timeout after commit (outcome unknown)", esimFault(esimgotest.Fault{CommitThenDrop: true, Times: 3})},
		{"Telegram sendPhoto 5xx", tgFault("sendPhoto", telegramtest.Fault{Code: 502, Times: 4})},
		{"app SIGKILL with eSIM order in flight", killESIMInFlight},
		{"eSIM Go 429 storm", esimFault(esimgotest.Fault{Status: 429, RetryAfter: time.Second, Times: 15})},
		{"Telegram sendPhoto 429", tgFault("sendPhoto", telegramtest.TooManyRequests(1))},
		{"PostgreSQL outage (backends terminated)", pgOutage},
		{"app SIGKILL after eSIM order, before delivery", killBeforeDelivery},
		{"eSIM Go insufficient balance", insufficientBalance},
		{"Temporal dev server restart", restartTemporal},
		{"eSIM Go permanent refusal", esimFault(esimgotest.Fault{Status: 400, Message: "Bundle is not orderable", Times: 2})},
		{"Telegram refundStarPayment 5xx", tgFault("refundStarPayment", telegramtest.Fault{Code: 500, Times: 3})},
		{"Telegram refundStarPayment 429", tgFault("refundStarPayment", telegramtest.Fault{Code: 429, RetryAfter: 1, Times: 3})},
		{"app SIGKILL during a refund", killDuringRefund},
		{"forged webhook calls", forgedWebhooks},
		{"eSIM Go callbacks duplicated and out of order", usageCallbacks},
		{"forged eSIM Go callbacks", forgedCallbacks},
	}
}

// usageCallbacks plays buyers' phones: a few delivered eSIMs are installed
// and use 85 % of their bundle, while eSIM Go delivers every callback twice
// and out of order; a balance alert comes too. Each eSIM must still get one
// installed notice and one 80 % alert (checked at the end).
func usageCallbacks(ctx context.Context, w *world) (int, error) {
	w.esim.SetCallbackFaults(esimgotest.CallbackFaults{Duplicate: true, OutOfOrder: true})
	defer w.esim.SetCallbackFaults(esimgotest.CallbackFaults{})
	n := 0
	esims := w.esim.ESIMs()
	for i := len(esims) - 1; i >= 0 && n < 4; i-- {
		iccid := esims[i].ICCID
		if len(w.esim.BundlesOn(iccid)) == 0 || esims[i].ProfileStatus == "Installed" {
			continue
		}
		// Delivery errors (the app restarting) are eSIM Go's to live with.
		_ = w.esim.Install(iccid)
		if _, err := w.esim.UseData(iccid, 85); err == nil {
			n++
		}
	}
	_ = w.esim.SendBalanceAlert(esimgo.AlertLowBalance, decimal.NewFromInt(2_000_000))
	_ = w.esim.FlushCallbacks()
	return n, nil
}

// forgedCallbacks posts callbacks eSIM Go never signed — a 100 % alert for
// a real eSIM, a balance alert — without a signature, with another key's,
// and in hex of another key. Every one must get 401 and leave no trace.
func forgedCallbacks(ctx context.Context, w *world) (int, error) {
	iccid := "8900000000000000000"
	if esims := w.esim.ESIMs(); len(esims) > 0 {
		iccid = esims[0].ICCID
	}
	n := 0
	for i, sign := range []func([]byte) string{
		func([]byte) string { return "" },
		func(b []byte) string { return esimgo.Sign("forged-key", b) },
		func(b []byte) string { return esimgo.SignHex("forged-key", b) },
	} {
		body := []byte(fmt.Sprintf(`{"iccid":"%s","alertType":"Utilisation","bundle":{"id":"1","name":"esim_1GB_7D_GB_V2",`+
			`"initialQuantity":1000000000,"remainingQuantity":0,"reference":"forged-%d-%d","unlimited":false}}`,
			iccid, time.Now().UnixNano(), i))
		w.mu.Lock()
		w.forged = append(w.forged, store.CallbackHash(body))
		w.mu.Unlock()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, w.app.url+"/esimgo/callback", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if sig := sign(body); sig != "" {
			req.Header.Set(esimgo.SignatureHeader, sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			continue // the app may be restarting
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			return n, fmt.Errorf("forged callback %d answered %d, want 401", i, resp.StatusCode)
		}
		n++
	}
	return n, nil
}

func esimFault(f esimgotest.Fault) func(context.Context, *world) (int, error) {
	return func(ctx context.Context, w *world) (int, error) {
		w.esim.SetFault(esimgotest.EndpointCreateOrder, f)
		return max(f.Times, 1), nil
	}
}

func tgFault(method string, f telegramtest.Fault) func(context.Context, *world) (int, error) {
	if f.Times == 0 {
		f.Times = 3
	}
	return func(ctx context.Context, w *world) (int, error) {
		w.tg.SetFault(method, f)
		return f.Times, nil
	}
}

// restartApp brings the killed app back, as its supervisor would.
func (w *world) restartApp() error {
	time.Sleep(300 * time.Millisecond)
	return w.app.start()
}

func (w *world) count(ctx context.Context, q string) int {
	var n int
	_ = w.client.Store.Pool.QueryRow(ctx, q).Scan(&n)
	return n
}

// waitChange polls q until its count moves past base, or gives up.
func (w *world) waitChange(ctx context.Context, q string, base int, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if w.count(ctx, q) > base {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

func killAfterPayment(ctx context.Context, w *world) (int, error) {
	const q = `SELECT count(*) FROM payments`
	if !w.waitChange(ctx, q, w.count(ctx, q), 20*time.Second) {
		return 0, nil
	}
	w.app.kill()
	return 1, w.restartApp()
}

func killESIMInFlight(ctx context.Context, w *world) (int, error) {
	// The next purchase commits at eSIM Go and then hangs: kill inside it.
	before := len(w.esim.Orders())
	w.esim.SetFault(esimgotest.EndpointCreateOrder, esimgotest.Fault{CommitThenDelay: 5 * time.Second, Times: 1})
	deadline := time.Now().Add(20 * time.Second)
	for len(w.esim.Orders()) == before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if len(w.esim.Orders()) == before {
		w.esim.ClearFault(esimgotest.EndpointCreateOrder)
		return 0, nil
	}
	w.app.kill()
	return 1, w.restartApp()
}

func killBeforeDelivery(ctx context.Context, w *world) (int, error) {
	// The next QR upload hangs; the eSIM is bought and recorded by then.
	const q = `SELECT count(*) FROM esim_orders WHERE matching_id IS NOT NULL`
	w.tg.SetFault("sendPhoto", telegramtest.Fault{Latency: 4 * time.Second, Times: 1})
	if !w.waitChange(ctx, q, w.count(ctx, q), 20*time.Second) {
		return 0, nil
	}
	time.Sleep(300 * time.Millisecond) // the delivery activity is now waiting on sendPhoto
	w.app.kill()
	return 1, w.restartApp()
}

func killDuringRefund(ctx context.Context, w *world) (int, error) {
	// The next refund call hangs after the intent is recorded: kill inside it.
	const q = `SELECT count(*) FROM refunds`
	w.tg.SetFault("refundStarPayment", telegramtest.Fault{Latency: 4 * time.Second, Times: 1})
	if !w.waitChange(ctx, q, w.count(ctx, q), 30*time.Second) {
		return 0, nil
	}
	time.Sleep(200 * time.Millisecond)
	w.app.kill()
	return 1, w.restartApp()
}

// pgOutage simulates PostgreSQL going away for the app without touching
// the shared cluster: every backend of the suite's own database is
// terminated, repeatedly, for a few seconds.
func pgOutage(ctx context.Context, w *world) (int, error) {
	cfg, err := pgx.ParseConfig(w.cfg.DatabaseURL)
	if err != nil {
		return 0, err
	}
	db := cfg.Database
	cfg.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return 0, fmt.Errorf("maintenance connection: %w", err)
	}
	defer conn.Close(ctx)
	killed := 0
	for i := 0; i < 6; i++ {
		var n int
		err := conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE datname = $1 AND pid <> pg_backend_pid()`, db).Scan(&n)
		if err != nil {
			return killed, fmt.Errorf("terminate backends: %w", err)
		}
		killed += n
		time.Sleep(500 * time.Millisecond)
	}
	return killed, nil
}

func insufficientBalance(ctx context.Context, w *world) (int, error) {
	w.esim.SetFault(esimgotest.EndpointCreateOrder, esimgotest.Fault{InsufficientBalance: true})
	time.Sleep(4 * time.Second)
	w.esim.ClearFault(esimgotest.EndpointCreateOrder)
	return 1, nil
}

func restartTemporal(ctx context.Context, w *world) (int, error) {
	if err := w.temporal.Restart(ctx); err != nil {
		return 0, fmt.Errorf("restart temporal: %w", err)
	}
	return 1, nil
}

// forgedWebhooks posts payments that Telegram never sent: no secret, a
// wrong one, and a secret-shaped guess. Every one must be refused.
func forgedWebhooks(ctx context.Context, w *world) (int, error) {
	n := 0
	for i, secret := range []string{"", "wrong", strings.Repeat("a", 32), "' OR '1'='1"} {
		body := fmt.Sprintf(`{"update_id":%d,"message":{"message_id":1,"date":1,"chat":{"id":1,"type":"private"},
			"from":{"id":1,"first_name":"X"},"successful_payment":{"currency":"XTR","total_amount":1,
			"invoice_payload":"x","telegram_payment_charge_id":"forged-%d","provider_payment_charge_id":""}}}`, 900000000+i, i)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, w.app.url+"/telegram/webhook", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if secret != "" {
			req.Header.Set(telegram.SecretHeader, secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			continue // the app may be restarting; a refused connection is refused too
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			return n, fmt.Errorf("forged webhook with secret %q answered %d, want 401", secret, resp.StatusCode)
		}
		n++
	}
	return n, nil
}
