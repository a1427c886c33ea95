package config

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/starsesim/esimstore/contract"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestFromEnvProductionRequiresSecrets(t *testing.T) {
	_, err := FromEnv(env(nil), false)
	var cerr *Error
	if !errors.As(err, &cerr) {
		t.Fatalf("want *Error, got %v", err)
	}
	want := []string{"TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "ESIMGO_API_KEY", "ADMIN_TOKENS"}
	if strings.Join(cerr.Missing, ",") != strings.Join(want, ",") {
		t.Fatalf("missing = %v, want %v", cerr.Missing, want)
	}
	for _, name := range want {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("message %q does not name %s", err, name)
		}
	}
}

func TestFromEnvDefaults(t *testing.T) {
	c, err := FromEnv(env(nil), true)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"HTTP_ADDR", c.HTTPAddr, ":8080"},
		{"TEMPORAL_ADDRESS", c.TemporalAddress, "localhost:7233"},
		{"TEMPORAL_NAMESPACE", c.TemporalNamespace, "default"},
		{"TEMPORAL_TASK_QUEUE", c.TemporalTaskQueue, "esim-orders"},
		{"TELEGRAM_API_URL", c.TelegramAPIURL, "https://api.telegram.org"},
		{"ESIMGO_API_URL", c.ESIMGoAPIURL, "https://api.esim-go.com/v2.5"},
		{"STARS_USD_RATE", c.StarsUSDRate.String(), "0.013"},
		{"PRICE_MARKUP_PERCENT", c.PriceMarkupPercent.String(), "30"},
		{"INVOICE_TTL", c.InvoiceTTL.String(), (30 * time.Minute).String()},
		{"INITDATA_MAX_AGE", c.InitDataMaxAge.String(), (24 * time.Hour).String()},
		{"DATABASE_URL", c.DatabaseURL, "postgres://postgres@localhost:5432/esimstore?sslmode=disable"},
		{"LOG_FORMAT", c.LogFormat, "text"},
		{"MAX_OPEN_ORDERS_PER_BUYER", strconv.Itoa(c.MaxOpenOrdersPerBuyer), "10"},
		{"BUYER_RATE_PER_MINUTE", strconv.Itoa(c.BuyerRatePerMinute), "20"},
		{"BUYER_RATE_BURST", strconv.Itoa(c.BuyerRateBurst), "10"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %q, want %q", ch.name, ch.got, ch.want)
		}
	}
	if len(c.AdminTokens) != 1 || c.AdminTokens[0].Name != "support" {
		t.Errorf("sandbox admin tokens = %+v", c.AdminTokens)
	}
}

func TestFromEnvInvalidValues(t *testing.T) {
	tests := []struct {
		name, key, value, wantInMessage string
	}{
		{"non-numeric rate", "STARS_USD_RATE", "abc", "STARS_USD_RATE"},
		{"zero rate", "STARS_USD_RATE", "0", "STARS_USD_RATE"},
		{"negative markup", "PRICE_MARKUP_PERCENT", "-5", "PRICE_MARKUP_PERCENT"},
		{"bad duration", "INVOICE_TTL", "soon", "INVOICE_TTL"},
		{"negative duration", "INITDATA_MAX_AGE", "-1h", "INITDATA_MAX_AGE"},
		{"bad telegram url", "TELEGRAM_API_URL", "not a url", "TELEGRAM_API_URL"},
		{"relative esimgo url", "ESIMGO_API_URL", "/v2.5", "ESIMGO_API_URL"},
		{"bad public url", "PUBLIC_URL", "example", "PUBLIC_URL"},
		{"bad database url", "DATABASE_URL", "postgres://x:y@host:notaport/db", "DATABASE_URL"},
		{"short admin token", "ADMIN_TOKENS", "alice:short", "ADMIN_TOKENS"},
		{"bad webhook secret", "TELEGRAM_WEBHOOK_SECRET", "has spaces!", "TELEGRAM_WEBHOOK_SECRET"},
		{"tls half set", "TEMPORAL_TLS_CERT", "/tmp/cert.pem", "TEMPORAL_TLS_KEY"},
		{"non-numeric open-order limit", "MAX_OPEN_ORDERS_PER_BUYER", "ten", "MAX_OPEN_ORDERS_PER_BUYER"},
		{"negative open-order limit", "MAX_OPEN_ORDERS_PER_BUYER", "-1", "MAX_OPEN_ORDERS_PER_BUYER"},
		{"fractional buyer rate", "BUYER_RATE_PER_MINUTE", "2.5", "BUYER_RATE_PER_MINUTE"},
		{"negative buyer rate", "BUYER_RATE_PER_MINUTE", "-20", "BUYER_RATE_PER_MINUTE"},
		{"zero burst", "BUYER_RATE_BURST", "0", "BUYER_RATE_BURST"},
		{"positive support chat", "SUPPORT_CHAT_ID", "1001234567890", "SUPPORT_CHAT_ID"},
		{"non-numeric support chat", "SUPPORT_CHAT_ID", "@support", "SUPPORT_CHAT_ID"},
		{"support chat without staff", "SUPPORT_CHAT_ID", "-1001234567890", "SUPPORT_STAFF_IDS"},
		{"zero support chat", "SUPPORT_CHAT_ID", "0", "SUPPORT_CHAT_ID"},
		{"staff without support chat", "SUPPORT_STAFF_IDS", "5079065042", "SUPPORT_CHAT_ID"},
		{"username as staff id", "SUPPORT_STAFF_IDS", "5079065042,@zoe", "SUPPORT_STAFF_IDS"},
		{"unknown alert kind", "ALERTS", "refund_failing,everything", "ALERTS"},
		{"zero alerts per hour", "ALERTS_PER_HOUR", "0", "ALERTS_PER_HOUR"},
		{"zero refund attempts", "ALERT_REFUND_ATTEMPTS", "0", "ALERT_REFUND_ATTEMPTS"},
		{"negative balance threshold", "ESIMGO_BALANCE_LOW_USD", "-1", "ESIMGO_BALANCE_LOW_USD"},
		{"relative temporal ui url", "TEMPORAL_UI_URL", "localhost:8233", "TEMPORAL_UI_URL"},
		{"long support contact", "SUPPORT_CONTACT", strings.Repeat("x", 201), "SUPPORT_CONTACT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromEnv(env(map[string]string{tt.key: tt.value}), true)
			var cerr *Error
			if !errors.As(err, &cerr) || len(cerr.Invalid) == 0 {
				t.Fatalf("want invalid-setting error, got %v", err)
			}
			if !strings.Contains(err.Error(), tt.wantInMessage) {
				t.Fatalf("message %q does not name %s", err, tt.wantInMessage)
			}
		})
	}
}

func TestFromEnvReportsEverythingAtOnce(t *testing.T) {
	_, err := FromEnv(env(map[string]string{"STARS_USD_RATE": "x", "INVOICE_TTL": "y"}), false)
	var cerr *Error
	if !errors.As(err, &cerr) {
		t.Fatal(err)
	}
	if len(cerr.Missing) != 4 || len(cerr.Invalid) != 2 {
		t.Fatalf("missing=%v invalid=%v", cerr.Missing, cerr.Invalid)
	}
}

func TestAdminTokens(t *testing.T) {
	c, err := FromEnv(env(map[string]string{"ADMIN_TOKENS": "alice:aaaaaaaaaa, bbbbbbbbbbbb"}), true)
	if err != nil {
		t.Fatal(err)
	}
	want := []AdminToken{{"alice", "aaaaaaaaaa"}, {"admin2", "bbbbbbbbbbbb"}}
	if len(c.AdminTokens) != 2 || c.AdminTokens[0] != want[0] || c.AdminTokens[1] != want[1] {
		t.Fatalf("got %+v want %+v", c.AdminTokens, want)
	}
}

// 0 turns a per-buyer limit off; it is a valid setting, not a typo.
func TestFromEnvLimitsCanBeTurnedOff(t *testing.T) {
	c, err := FromEnv(env(map[string]string{"MAX_OPEN_ORDERS_PER_BUYER": "0", "BUYER_RATE_PER_MINUTE": "0",
		"BUYER_RATE_BURST": "3"}), true)
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxOpenOrdersPerBuyer != 0 || c.BuyerRatePerMinute != 0 || c.BuyerRateBurst != 3 {
		t.Errorf("limits = %d, %d/min, burst %d", c.MaxOpenOrdersPerBuyer, c.BuyerRatePerMinute, c.BuyerRateBurst)
	}
}

func TestSupportSettings(t *testing.T) {
	c, err := FromEnv(env(nil), false)
	if cerr, ok := errors.AsType[*Error](err); !ok || len(cerr.Invalid) != 0 {
		t.Fatalf("only the secrets should be missing: %v", err)
	}
	if c.SupportChatID != 0 || len(c.SupportStaffIDs) != 0 || c.TemporalUIURL != "" || c.AlertsPerHour != 10 ||
		c.AlertRefundAttempts != 5 || c.ESIMGoBalanceLowUSD.String() != "50" || len(c.Alerts) != len(contract.AlertKinds) {
		t.Fatalf("defaults: %+v", c)
	}
	c, err = FromEnv(env(map[string]string{"SUPPORT_CHAT_ID": "-1001987654321", "SUPPORT_STAFF_IDS": " 5079065042, 1002 ,",
		"ALERTS": "refund_failing, esimgo_balance", "TEMPORAL_UI_URL": "http://localhost:8233/", "SUPPORT_CONTACT": "@esim_help"}), false)
	var cerr *Error
	if !errors.As(err, &cerr) || len(cerr.Invalid) != 0 {
		t.Fatalf("only secrets should be missing: %v", err)
	}
	if c.SupportChatID != -1001987654321 || len(c.SupportStaffIDs) != 2 || !c.IsSupportStaff(5079065042) || !c.IsSupportStaff(1002) ||
		c.IsSupportStaff(7301245889) || c.TemporalUIURL != "http://localhost:8233" || c.SupportContact != "@esim_help" {
		t.Fatalf("support settings: %+v", c)
	}
	if len(c.Alerts) != 2 || !c.Alerts[contract.AlertRefundFailing] || !c.Alerts[contract.AlertESIMGoBalance] {
		t.Fatalf("alerts = %v", c.Alerts)
	}
	c, _ = FromEnv(env(map[string]string{"ALERTS": "none"}), true)
	if len(c.Alerts) != 0 {
		t.Fatalf("ALERTS=none: %v", c.Alerts)
	}
	// The sandbox has a support chat unless told otherwise.
	c, err = FromEnv(env(nil), true)
	if err != nil || c.SupportChatID != -1002233445566 || !c.IsSupportStaff(6200000001) {
		t.Fatalf("sandbox support chat: %d %v %v", c.SupportChatID, c.SupportStaffIDs, err)
	}
}
