package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

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
	want := []string{"PAYLOAD_KEYS", "TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "ESIMGO_API_KEY", "ADMIN_TOKENS"}
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
		{"ESIMGO_RATE_LIMIT", strconv.FormatFloat(c.ESIMGoRateLimit, 'f', -1, 64), "10"},
		{"STARS_USD_RATE", c.StarsUSDRate.String(), "0.013"},
		{"PRICE_MARKUP_PERCENT", c.PriceMarkupPercent.String(), "30"},
		{"INVOICE_TTL", c.InvoiceTTL.String(), (30 * time.Minute).String()},
		{"INITDATA_MAX_AGE", c.InitDataMaxAge.String(), (24 * time.Hour).String()},
		{"DATABASE_URL", c.DatabaseURL, "postgres://postgres@localhost:5432/esimstore?sslmode=disable"},
		{"LOG_FORMAT", c.LogFormat, "text"},
		{"MAX_OPEN_ORDERS_PER_BUYER", strconv.Itoa(c.MaxOpenOrdersPerBuyer), "10"},
		{"BUYER_RATE_PER_MINUTE", strconv.Itoa(c.BuyerRatePerMinute), "20"},
		{"BUYER_RATE_BURST", strconv.Itoa(c.BuyerRateBurst), "10"},
		{"STOP_SALES_BELOW_USD", c.StopSalesBelowUSD.String(), "0"},
		{"INSTALL_REMINDER_AFTER", c.InstallReminderAfter.String(), (24 * time.Hour).String()},
		{"TEMPORAL_GRPC_COMPRESSION", c.TemporalGRPCCompression, "none"},
		{"INSTALL_REMINDER_SWEEP_INTERVAL", c.InstallReminderSweep.String(), (15 * time.Minute).String()},
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
		{"zero esimgo rate limit", "ESIMGO_RATE_LIMIT", "0", "ESIMGO_RATE_LIMIT"},
		{"non-numeric esimgo rate limit", "ESIMGO_RATE_LIMIT", "ten", "ESIMGO_RATE_LIMIT"},
		{"bad public url", "PUBLIC_URL", "example", "PUBLIC_URL"},
		{"bad database url", "DATABASE_URL", "postgres://x:y@host:notaport/db", "DATABASE_URL"},
		{"short admin token", "ADMIN_TOKENS", "alice:short", "ADMIN_TOKENS"},
		{"bad webhook secret", "TELEGRAM_WEBHOOK_SECRET", "has spaces!", "TELEGRAM_WEBHOOK_SECRET"},
		{"tls half set", "TEMPORAL_TLS_CERT", "/tmp/cert.pem", "TEMPORAL_TLS_KEY"},
		{"unknown grpc compression", "TEMPORAL_GRPC_COMPRESSION", "brotli", "TEMPORAL_GRPC_COMPRESSION"},
		{"non-numeric open-order limit", "MAX_OPEN_ORDERS_PER_BUYER", "ten", "MAX_OPEN_ORDERS_PER_BUYER"},
		{"negative open-order limit", "MAX_OPEN_ORDERS_PER_BUYER", "-1", "MAX_OPEN_ORDERS_PER_BUYER"},
		{"fractional buyer rate", "BUYER_RATE_PER_MINUTE", "2.5", "BUYER_RATE_PER_MINUTE"},
		{"negative buyer rate", "BUYER_RATE_PER_MINUTE", "-20", "BUYER_RATE_PER_MINUTE"},
		{"zero burst", "BUYER_RATE_BURST", "0", "BUYER_RATE_BURST"},
		{"short payload key", "PAYLOAD_KEYS", "k1:c2hvcnQ=", "PAYLOAD_KEYS"},
		{"payload key without id", "PAYLOAD_KEYS", "c2hvcnQ=", "PAYLOAD_KEYS"},
		{"codec origin with a path", "CODEC_CORS_ORIGINS", "http://localhost:8233/ui", "CODEC_CORS_ORIGINS"},
		{"codec origin without scheme", "CODEC_CORS_ORIGINS", "localhost:8233", "CODEC_CORS_ORIGINS"},
		{"missing server CA file", "TEMPORAL_TLS_SERVER_CA_CERT_PATH", "/nonexistent/ca.pem", "TEMPORAL_TLS"},
		{"client cert without key", "TEMPORAL_TLS_CLIENT_CERT_PATH", "/tmp/cert.pem", "TEMPORAL_TLS"},
		{"negative sales floor", "STOP_SALES_BELOW_USD", "-1", "STOP_SALES_BELOW_USD"},
		{"non-numeric sales floor", "STOP_SALES_BELOW_USD", "ten", "STOP_SALES_BELOW_USD"},
		{"bad reminder delay", "INSTALL_REMINDER_AFTER", "tomorrow", "INSTALL_REMINDER_AFTER"},
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
	if len(cerr.Missing) != 5 || len(cerr.Invalid) != 2 {
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

func TestPayloadKeys(t *testing.T) {
	sandbox, err := FromEnv(env(nil), true)
	if err != nil || len(sandbox.PayloadKeys) != 1 || sandbox.PayloadKeys[0].ID != "sandbox" {
		t.Fatalf("sandbox keys %+v, %v", sandbox.PayloadKeys, err)
	}
	k := "new:" + strings.Repeat("A", 43) + "=,old:" + strings.Repeat("B", 43) + "="
	c, err := FromEnv(env(map[string]string{"PAYLOAD_KEYS": k}), true)
	if err != nil || len(c.PayloadKeys) != 2 || c.PayloadKeys[0].ID != "new" || c.PayloadKeys[1].ID != "old" {
		t.Fatalf("keys %+v, %v", c.PayloadKeys, err)
	}
	_, err = FromEnv(env(map[string]string{"PAYLOAD_KEYS": "k1:" + strings.Repeat("A", 20)}), false)
	if err == nil || strings.Contains(err.Error(), strings.Repeat("A", 20)) {
		t.Fatalf("an invalid key must be reported without quoting it: %v", err)
	}
}

func TestCodecOrigins(t *testing.T) {
	c, _ := FromEnv(env(nil), true)
	if strings.Join(c.CodecCORSOrigins, ",") != "http://localhost:8233,http://127.0.0.1:8233" {
		t.Errorf("default origins %v", c.CodecCORSOrigins)
	}
	c, err := FromEnv(env(map[string]string{"CODEC_CORS_ORIGINS": " https://ui.example.com/ , http://10.0.0.5:8080"}), true)
	if err != nil || strings.Join(c.CodecCORSOrigins, ",") != "https://ui.example.com,http://10.0.0.5:8080" {
		t.Errorf("origins %v, %v", c.CodecCORSOrigins, err)
	}
}

// Temporal's standard names (read by the SDK's envconfig) and the store's
// older ones end up in the same client options.
func TestTemporalConnectionNames(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, selfSignedPEM(t), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		env   map[string]string
		check func(t *testing.T, c Config, o client.Options)
	}{
		{"plain by default", nil, func(t *testing.T, c Config, o client.Options) {
			if o.HostPort != "localhost:7233" || o.Namespace != "default" || o.ConnectionOptions.TLS != nil || o.Credentials != nil {
				t.Errorf("options %+v", o)
			}
			// Encrypted payloads do not compress: no gzip unless asked for.
			if _, none := o.ConnectionOptions.GrpcCompression.(*client.GrpcCompressionNone); !none {
				t.Errorf("gRPC compression %T, want none", o.ConnectionOptions.GrpcCompression)
			}
		}},
		{"gzip when asked for", map[string]string{"TEMPORAL_GRPC_COMPRESSION": "gzip"}, func(t *testing.T, c Config, o client.Options) {
			if o.ConnectionOptions.GrpcCompression != nil {
				t.Errorf("gRPC compression %T, want the SDK's gzip default", o.ConnectionOptions.GrpcCompression)
			}
		}},
		{"API key turns TLS on", map[string]string{"TEMPORAL_API_KEY": "key", "TEMPORAL_ADDRESS": "ns.acct.tmprl.cloud:7233",
			"TEMPORAL_NAMESPACE": "ns.acct"}, func(t *testing.T, c Config, o client.Options) {
			if o.HostPort != "ns.acct.tmprl.cloud:7233" || o.Namespace != "ns.acct" || o.ConnectionOptions.TLS == nil || o.Credentials == nil {
				t.Errorf("options %+v", o)
			}
		}},
		{"API key with TLS disabled", map[string]string{"TEMPORAL_API_KEY": "key", "TEMPORAL_TLS": "false"},
			func(t *testing.T, c Config, o client.Options) {
				if o.ConnectionOptions.TLS != nil || !o.ConnectionOptions.TLSDisabled {
					t.Errorf("TLS %+v disabled %v", o.ConnectionOptions.TLS, o.ConnectionOptions.TLSDisabled)
				}
			}},
		{"private CA and server name", map[string]string{"TEMPORAL_TLS_SERVER_CA_CERT_PATH": ca,
			"TEMPORAL_TLS_SERVER_NAME": "temporal.internal", "TEMPORAL_CLIENT_AUTHORITY": "temporal.internal"},
			func(t *testing.T, c Config, o client.Options) {
				tc := o.ConnectionOptions.TLS
				if tc == nil || tc.RootCAs == nil || tc.ServerName != "temporal.internal" || tc.InsecureSkipVerify ||
					o.ConnectionOptions.Authority != "temporal.internal" {
					t.Errorf("TLS %+v authority %q", tc, o.ConnectionOptions.Authority)
				}
			}},
		{"TEMPORAL_TLS=true alone uses the system roots", map[string]string{"TEMPORAL_TLS": "true"},
			func(t *testing.T, c Config, o client.Options) {
				if tc := o.ConnectionOptions.TLS; tc == nil || tc.RootCAs != nil {
					t.Errorf("TLS %+v", tc)
				}
			}},
		{"older names map to the client certificate", map[string]string{"TEMPORAL_TLS_CERT": "/a.pem", "TEMPORAL_TLS_KEY": "/a.key"},
			func(t *testing.T, c Config, o client.Options) {
				if c.TemporalTLS == nil || c.TemporalTLS.ClientCertPath != "/a.pem" || c.TemporalTLS.ClientKeyPath != "/a.key" {
					t.Errorf("TLS %+v", c.TemporalTLS)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := FromEnv(env(tt.env), true)
			if c.TemporalTLS != nil && c.TemporalTLS.ClientCertPath == "/a.pem" {
				// The files do not exist, so validation must say so, naming the setting.
				if err == nil || !strings.Contains(err.Error(), "TEMPORAL_TLS") {
					t.Fatalf("missing certificate files accepted: %v", err)
				}
				tt.check(t, c, client.Options{})
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			o, err := c.TemporalClientOptions()
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c, o)
		})
	}
	// The same client certificate under both names is fine; two different
	// ones are a mistake.
	_, err := FromEnv(env(map[string]string{"TEMPORAL_TLS_CERT": "/a.pem", "TEMPORAL_TLS_KEY": "/a.key",
		"TEMPORAL_TLS_CLIENT_CERT_PATH": "/b.pem", "TEMPORAL_TLS_CLIENT_KEY_PATH": "/b.key"}), true)
	if err == nil || !strings.Contains(err.Error(), "set one pair") {
		t.Errorf("two client certificates: %v", err)
	}
}

// selfSignedPEM is a throwaway CA certificate; only its parsing matters here.
func selfSignedPEM(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "private test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
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
