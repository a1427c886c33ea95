// Package integration drives the whole store — real Temporal dev server,
// real PostgreSQL, the HTTP API and the faithful fakes — the way buyers,
// Telegram and support do.
package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/starsesim/esimstore/config"
	"github.com/starsesim/esimstore/esimgo/esimgotest"
	"github.com/starsesim/esimstore/internal/dev/sandbox"
	"github.com/starsesim/esimstore/internal/dev/testenv"
	"github.com/starsesim/esimstore/telegram"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// Buyers have ids above 2^32, as every Telegram account made in recent
// years does (ids use up to 52 bits); TestIDsEndToEnd covers small ones.
var (
	alice = telegram.User{ID: 5_079_065_042, FirstName: "Alice", LanguageCode: "en"}
	boris = telegram.User{ID: 6_120_448_391, FirstName: "Boris", LanguageCode: "ru"}
)

type shop struct {
	*sandbox.Sandbox
	t *testing.T
}

// startStore runs a sandbox on the package's dev server, its own database
// and its own task queue.
func startStore(t *testing.T, tune func(*config.Config), opts ...func(*sandbox.Options)) *shop {
	t.Helper()
	dbURL := testenv.Database(t)
	env := map[string]string{"DATABASE_URL": dbURL, "HTTP_ADDR": "127.0.0.1:0", "TELEGRAM_BOT_TOKEN": botToken()}
	o := sandbox.Options{
		Getenv:          func(k string) string { return env[k] },
		Logger:          testLogger(),
		TemporalAddress: testenv.Temporal(t).Address(),
		TaskQueue:       testenv.TaskQueue(t),
		Tune:            tune,
	}
	for _, f := range opts {
		f(&o)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := sandbox.Start(ctx, o)
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(s.Stop)
	return &shop{Sandbox: s, t: t}
}

// botToken gives each store its own bot, so tests sharing the dev server
// never share order ids (they are scoped per bot).
func botToken() string {
	return fmt.Sprintf("%010d:AA%033d", 7000000000+rand.Int64N(999999999), rand.Int64())
}

func testLogger() *slog.Logger {
	if os.Getenv("TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func (s *shop) initData(u telegram.User) string {
	return telegram.SignInitData(s.Cfg.TelegramBotToken, u, time.Now(), nil)
}

// call makes an HTTP request and decodes a JSON answer into out (if not nil).
func (s *shop) call(method, path string, headers map[string]string, body any, out any) int {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			if b, ok := out.(*[]byte); ok {
				*b = raw
			} else {
				s.t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
			}
		}
	}
	return resp.StatusCode
}

func (s *shop) as(u telegram.User) map[string]string {
	return map[string]string{"Authorization": "tma " + s.initData(u)}
}

func (s *shop) admin() map[string]string {
	return map[string]string{"Authorization": "Bearer " + s.Cfg.AdminTokens[0].Token}
}

type created struct {
	OrderID     string `json:"order_id"`
	Status      string `json:"status"`
	InvoiceLink string `json:"invoice_link"`
	PriceStars  int64  `json:"price_stars"`
	PriceUSD    string `json:"price_usd"`
}

type orderView struct {
	OrderID    string `json:"order_id"`
	Status     string `json:"status"`
	PlanID     string `json:"plan_id"`
	PriceStars int64  `json:"price_stars"`
	ESIM       *struct {
		ICCID       string `json:"iccid"`
		LPA         string `json:"lpa"`
		SMDPAddress string `json:"smdp_address"`
		MatchingID  string `json:"matching_id"`
	} `json:"esim"`
	Refund *struct {
		Reason string `json:"reason"`
		Code   string `json:"code"`
	} `json:"refund"`
}

const planGB = "esim_1GB_7D_GB_V2"

func (s *shop) buy(u telegram.User, plan string) created {
	s.t.Helper()
	var c created
	if code := s.call("POST", "/api/orders", s.as(u), map[string]string{"plan_id": plan}, &c); code != http.StatusCreated {
		s.t.Fatalf("create order: %d %+v", code, c)
	}
	return c
}

// waitStatus polls the buyer's view until the order reaches want.
func (s *shop) waitStatus(u telegram.User, id, want string, within time.Duration) orderView {
	s.t.Helper()
	deadline := time.Now().Add(within)
	var v orderView
	for time.Now().Before(deadline) {
		s.call("GET", "/api/orders/"+id, s.as(u), nil, &v)
		if v.Status == want {
			return v
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("order %s status %q, want %q within %s", id, v.Status, want, within)
	return v
}

type configT = config.Config

func (s *shop) mustPay(c created, u telegram.User) string {
	s.t.Helper()
	res, err := s.Telegram.Pay(context.Background(), c.InvoiceLink, u)
	if err != nil || !res.Approved || !res.Delivered {
		s.t.Fatalf("pay: %+v %v", res, err)
	}
	return res.ChargeID
}

func (s *shop) refuseESIM() {
	s.ESIM.SetFault(esimgotest.EndpointCreateOrder, esimgotest.Fault{Status: 400, Message: "Bundle is not valid"})
}

func signInitData(s *shop, u telegram.User, at time.Time) string {
	return telegram.SignInitData(s.Cfg.TelegramBotToken, u, at, nil)
}
