package faultsuite

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/starsesim/esimstore/app"
	"github.com/starsesim/esimstore/config"
	"github.com/starsesim/esimstore/esimgo/esimgotest"
	"github.com/starsesim/esimstore/internal/dev/devserver"
	"github.com/starsesim/esimstore/internal/dev/testenv"
	"github.com/starsesim/esimstore/telegram/telegramtest"
)

// world is everything the suite runs: the fakes and Temporal in this
// process, the app in a child, and a client-only App for checks.
type world struct {
	t        *testing.T
	temporal *devserver.Server
	tg       *telegramtest.Fake
	esim     *esimgotest.Fake
	app      *appProc
	client   *app.App // PostgreSQL + Temporal client; runs no worker
	cfg      config.Config

	mu     sync.Mutex
	forged []string // hashes of forged callback bodies, none of which may be stored
}

const invoiceTTL = 20 * time.Second

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	// Our own file-backed dev server, so restarting it is a real restart.
	tsrv, err := testenv.StartTemporal(ctx, filepath.Join(dir, "temporal.db"))
	if err != nil {
		t.Fatalf("temporal: %v", err)
	}
	t.Cleanup(func() { _ = tsrv.Stop() })

	dbURL := testenv.Database(t)
	port, err := devserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	appURL := fmt.Sprintf("http://127.0.0.1:%d", port)
	token := fmt.Sprintf("%010d:AA%033d", 7000000000+rand.Int64N(999999999), rand.Int64())

	tg := telegramtest.New(telegramtest.Options{Token: token, AnswerTimeout: 5 * time.Second,
		DeliveryAttempts: 3, DeliveryBackoff: 50 * time.Millisecond})
	tgSrv := httptest.NewServer(tg)
	t.Cleanup(tgSrv.Close)
	esim := esimgotest.New(esimgotest.Options{APIKey: config.SandboxESIMGoAPIKey, Balance: decimal.RequireFromString("1000000"),
		CallbackURL: appURL + "/esimgo/callback"})
	esimSrv := httptest.NewServer(esim)
	t.Cleanup(func() { esimSrv.Close(); esim.Close() })

	env := map[string]string{
		"DATABASE_URL": dbURL, "HTTP_ADDR": fmt.Sprintf("127.0.0.1:%d", port), "PUBLIC_URL": appURL,
		"TEMPORAL_ADDRESS": tsrv.Address(), "TEMPORAL_TASK_QUEUE": testenv.TaskQueue(t),
		"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_URL": tgSrv.URL, "ESIMGO_API_URL": esimSrv.URL + "/v2.5",
		"INVOICE_TTL": invoiceTTL.String(), "FULFILMENT_DEADLINE": "3m", "SUPPORT_WINDOW": "1m",
		"LOG_FORMAT": "text",
		// The fakes enforce no rate limits; the suite is about money, not pacing.
		"ESIMGO_RATE_LIMIT": "1000",
	}
	getenv := func(k string) string { return env[k] }
	cfg, err := config.FromEnv(getenv, true)
	if err != nil {
		t.Fatal(err)
	}
	cfg.TelegramMessagesPerSecond, cfg.TelegramChatMessagesPerSecond = 0, 0
	var envList []string
	for k, v := range env {
		envList = append(envList, k+"="+v)
	}
	w := &world{t: t, temporal: tsrv, tg: tg, esim: esim, cfg: cfg}
	w.app = &appProc{t: t, env: envList, url: appURL, logPath: filepath.Join(dir, "app.log")}
	if err := w.app.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.app.stop)
	t.Cleanup(func() {
		// Keep the app's log past the temp dir when the suite fails.
		if t.Failed() {
			if raw, err := os.ReadFile(w.app.logPath); err == nil {
				kept := filepath.Join(os.TempDir(), fmt.Sprintf("faultsuite-app-%d.log", time.Now().Unix()))
				if os.WriteFile(kept, raw, 0o644) == nil {
					t.Logf("app log kept at %s", kept)
				}
			}
		}
	})

	w.client, err = app.Connect(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.client.Close)
	return w
}

// userID gives buyer i a Telegram id. Ids use up to 52 bits and recent
// accounts are above 2^32, so the buyers take turns across the int4 border
// and up to the 52-bit limit; one in four keeps a small, old id.
func userID(i int) int64 {
	switch n := int64(i); i % 4 {
	case 0:
		return 77_000_000 + n
	case 1:
		return 1<<31 + n
	case 2:
		return 5_079_065_042 + n
	default:
		return 1<<52 - 1 - n
	}
}
