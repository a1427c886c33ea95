package main

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
)

// capture runs f with *stream (os.Stdout or os.Stderr) redirected and
// returns what it wrote.
func capture(t *testing.T, stream **os.File, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := *stream
	*stream = w
	f()
	*stream = old
	w.Close()
	out, _ := io.ReadAll(r)
	return string(out)
}

func captureStderr(t *testing.T, f func()) string { return capture(t, &os.Stderr, f) }
func captureStdout(t *testing.T, f func()) string { return capture(t, &os.Stdout, f) }

func TestServeWithoutSecretsExitsTwoNamingEachMissing(t *testing.T) {
	for _, name := range []string{"TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "ESIMGO_API_KEY", "ADMIN_TOKENS"} {
		t.Setenv(name, "")
	}
	for _, cmd := range []string{"serve", "api", "worker"} {
		var code int
		out := captureStderr(t, func() { code = run(context.Background(), []string{cmd}) })
		if code != exitConfig {
			t.Errorf("%s exit code = %d, want %d", cmd, code, exitConfig)
		}
		for _, name := range []string{"TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "ESIMGO_API_KEY", "ADMIN_TOKENS"} {
			if !strings.Contains(out, name) {
				t.Errorf("%s: message does not name %s:\n%s", cmd, name, out)
			}
		}
		if strings.Count(out, "\n") != 1 {
			t.Errorf("%s: want one message line, got:\n%s", cmd, out)
		}
	}
}

func TestInvalidValuesExitTwo(t *testing.T) {
	t.Setenv("TELEGRAM_BOT_TOKEN", "1:x")
	t.Setenv("TELEGRAM_WEBHOOK_SECRET", "s")
	t.Setenv("ESIMGO_API_KEY", "k")
	t.Setenv("ADMIN_TOKENS", "alice:aaaaaaaaaa")
	t.Setenv("STARS_USD_RATE", "cheap")
	t.Setenv("INVOICE_TTL", "forever")
	t.Setenv("MAX_OPEN_ORDERS_PER_BUYER", "-1")
	t.Setenv("BUYER_RATE_BURST", "0")
	var code int
	out := captureStderr(t, func() { code = run(context.Background(), []string{"serve"}) })
	if code != exitConfig {
		t.Fatalf("code %d, output %q", code, out)
	}
	for _, name := range []string{"STARS_USD_RATE", "INVOICE_TTL", "MAX_OPEN_ORDERS_PER_BUYER", "BUYER_RATE_BURST"} {
		if !strings.Contains(out, name) {
			t.Errorf("output %q does not name %s", out, name)
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	var code int
	captureStderr(t, func() { code = run(context.Background(), []string{"nope"}) })
	if code != exitConfig {
		t.Fatalf("code %d", code)
	}
}
