package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/starsesim/esimstore/checkout"
	"github.com/starsesim/esimstore/config"
	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/internal/dev/sandbox"
	"github.com/starsesim/esimstore/internal/dev/testenv"
	"github.com/starsesim/esimstore/telegram"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// The support commands work on the same services as the store: list,
// inspect and refund a real paid order.
func TestSupportCommands(t *testing.T) {
	dbURL := testenv.Database(t)
	queue := testenv.TaskQueue(t)
	env := map[string]string{"DATABASE_URL": dbURL, "HTTP_ADDR": "127.0.0.1:0"}
	ctx := context.Background()
	s, err := sandbox.Start(ctx, sandbox.Options{Getenv: func(k string) string { return env[k] },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), TemporalAddress: testenv.Temporal(t).Address(), TaskQueue: queue})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	buyer := telegram.User{ID: 5_079_065_042, FirstName: "Dana", LanguageCode: "en"} // a recent account: above 2^32
	inv, err := s.App.Orders.Create(ctx, checkout.CreateRequest{UserID: buyer.ID, ChatID: buyer.ID, PlanID: "esim_1GB_7D_GB_V2",
		Source: contract.SourceMiniApp, IdempotencyKey: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := s.Telegram.Pay(ctx, inv.InvoiceLink, buyer); err != nil || !res.Approved {
		t.Fatalf("pay: %+v %v", res, err)
	}
	waitStatus := func(want contract.Status) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			if o, err := s.App.Store.GetOrder(ctx, inv.OrderID); err == nil && o.Status == want {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("order never reached %s", want)
	}
	waitStatus(contract.StatusFulfilled)
	// The QR is sent right after the status turns fulfilled.
	deadline := time.Now().Add(30 * time.Second)
	for delivered := false; !delivered; {
		events, _ := s.App.Store.Events(ctx, inv.OrderID)
		for _, e := range events {
			delivered = delivered || e.Kind == "delivered"
		}
		if time.Now().After(deadline) {
			t.Fatal("the QR was never delivered")
		}
		time.Sleep(50 * time.Millisecond)
	}

	t.Setenv("DATABASE_URL", dbURL)
	t.Setenv("TEMPORAL_ADDRESS", s.Cfg.TemporalAddress)
	t.Setenv("TEMPORAL_TASK_QUEUE", queue)
	t.Setenv("TELEGRAM_BOT_TOKEN", s.Cfg.TelegramBotToken)
	// Without the worker's payload keys the commands refuse to start.
	var code int
	captureStderr(t, func() { code = run(ctx, []string{"orders"}) })
	if code != exitConfig {
		t.Errorf("orders without PAYLOAD_KEYS: code %d, want %d", code, exitConfig)
	}
	t.Setenv("PAYLOAD_KEYS", config.SandboxPayloadKeys)

	out := captureStdout(t, func() { code = run(ctx, []string{"orders", "--status", "fulfilled", "--user", "5079065042"}) })
	if code != 0 || !strings.Contains(out, inv.OrderID) || !strings.Contains(out, "fulfilled") || !strings.Contains(out, "5079065042") {
		t.Fatalf("orders: code %d\n%s", code, out)
	}
	// Telegram user ids use up to 52 bits; --user finds each buyer's own order.
	for _, id := range []int64{1, 1<<31 - 1, 1 << 31, 1<<52 - 1} {
		theirs, err := s.App.Orders.Create(ctx, checkout.CreateRequest{UserID: id, ChatID: id, PlanID: "esim_1GB_7D_GB_V2",
			Source: contract.SourceMiniApp, IdempotencyKey: "cli"})
		if err != nil {
			t.Fatal(err)
		}
		out := captureStdout(t, func() { code = run(ctx, []string{"orders", "--user", strconv.FormatInt(id, 10)}) })
		if code != 0 || !strings.Contains(out, theirs.OrderID) || strings.Contains(out, inv.OrderID) {
			t.Errorf("orders --user %d: code %d, want only %s\n%s", id, code, theirs.OrderID, out)
		}
	}
	out = captureStdout(t, func() { code = run(ctx, []string{"order", inv.OrderID}) })
	for _, want := range []string{"status   fulfilled", "payment  ", "esim     ", "timeline", "paid", "delivered"} {
		if !strings.Contains(out, want) {
			t.Errorf("order output lacks %q:\n%s", want, out)
		}
	}
	out = captureStdout(t, func() {
		code = run(ctx, []string{"refund", inv.OrderID, "--reason", "buyer cancelled the trip", "--by", "dana-support"})
	})
	if code != 0 || !strings.Contains(out, "accepted") {
		t.Fatalf("refund: code %d\n%s", code, out)
	}
	waitStatus(contract.StatusRefunded)
	events, _ := s.App.Store.Events(ctx, inv.OrderID)
	by := ""
	for _, e := range events {
		if e.Kind == "refund_requested" {
			by = e.Actor
		}
	}
	if by != "cli:dana-support" {
		t.Errorf("refund requested by %q", by)
	}
	// A second refund is refused with a clear message and a failing exit code.
	stderr := captureStderr(t, func() {
		code = run(ctx, []string{"refund", inv.OrderID, "--reason", "again", "--by", "dana-support"})
	})
	if code == 0 || !strings.Contains(stderr, "already refunded") {
		t.Fatalf("second refund: code %d, stderr %q", code, stderr)
	}
	// Usage errors exit 2.
	captureStderr(t, func() { code = run(ctx, []string{"refund", inv.OrderID}) })
	if code != exitConfig {
		t.Errorf("refund without reason: code %d", code)
	}

	// The finance report: the order was paid (137 Stars) and refunded by
	// support, which also revoked its bundle, so nothing is left of either.
	t.Setenv("TELEGRAM_API_URL", s.Cfg.TelegramAPIURL)
	t.Setenv("ESIMGO_API_KEY", s.Cfg.ESIMGoAPIKey)
	t.Setenv("ESIMGO_API_URL", s.Cfg.ESIMGoAPIURL)
	out = captureStdout(t, func() { code = run(ctx, []string{"finance", "--json"}) })
	var rep struct {
		StarsReceived         int64  `json:"stars_received"`
		StarsRefunded         int64  `json:"stars_refunded"`
		StarBalance           *int64 `json:"star_balance"`
		StarBalanceExpected   int64  `json:"star_balance_expected"`
		StarBalanceDifference *int64 `json:"star_balance_difference"`
		WholesaleUSD          string `json:"wholesale_usd"`
		CreditedUSD           string `json:"wholesale_credited_usd"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 {
		t.Fatalf("finance --json: code %d, %v\n%s", code, err, out)
	}
	if rep.StarsReceived != 137 || rep.StarsRefunded != 137 || rep.StarBalance == nil || *rep.StarBalance != 0 ||
		rep.StarBalanceExpected != 0 || *rep.StarBalanceDifference != 0 || rep.WholesaleUSD != "0.00" || rep.CreditedUSD != "1.36" {
		t.Errorf("finance report %+v\n%s", rep, out)
	}
	out = captureStdout(t, func() { code = run(ctx, []string{"finance"}) })
	if code != 0 || !strings.Contains(out, "Stars received  137 (1 payment)") || !strings.Contains(out, "esim_1GB_7D_GB_V2") {
		t.Errorf("finance: code %d\n%s", code, out)
	}
	captureStderr(t, func() { code = run(ctx, []string{"finance", "--from", "2026-13-01"}) })
	if code != exitConfig {
		t.Errorf("finance with a bad date: code %d", code)
	}
}
