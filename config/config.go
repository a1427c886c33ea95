// Package config reads the store's settings from the environment, exactly as
// docs/architecture.md#configuration-contract names them. Every problem is collected before reporting,
// so an operator fixes a broken deployment in one pass instead of one
// variable per restart.
package config

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
)

// AdminToken is one support credential; Name is recorded with every action
// taken with it.
type AdminToken struct {
	Name  string
	Token string
}

// Config is the whole configuration of one store process.
type Config struct {
	Sandbox bool

	HTTPAddr    string
	PublicURL   string
	DatabaseURL string

	TemporalAddress   string
	TemporalNamespace string
	TemporalTaskQueue string
	// Optional connection security for real clusters and Temporal Cloud.
	TemporalAPIKey  string
	TemporalTLSCert string
	TemporalTLSKey  string

	TelegramBotToken      string
	TelegramAPIURL        string
	TelegramWebhookSecret string

	ESIMGoAPIKey string
	ESIMGoAPIURL string

	StarsUSDRate       decimal.Decimal
	PriceMarkupPercent decimal.Decimal
	InvoiceTTL         time.Duration
	AdminTokens        []AdminToken
	InitDataMaxAge     time.Duration

	// Not part of the fixed contract; defaults suit production.
	FulfilmentDeadline time.Duration
	SupportWindow      time.Duration
	PlanSyncInterval   time.Duration
	ReconcileInterval  time.Duration
	LogFormat          string // "json" or "text"

	// Per-buyer limits (checkout/limits.go); 0 turns a limit off.
	MaxOpenOrdersPerBuyer int // unpaid orders open at once
	BuyerRatePerMinute    int // order/subscription starts and cancels a minute, per API process
	BuyerRateBurst        int // how many of them may come at once
}

// Error lists every missing or invalid setting.
type Error struct {
	Missing []string
	Invalid []string
}

func (e *Error) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, "missing required settings: "+strings.Join(e.Missing, ", "))
	}
	if len(e.Invalid) > 0 {
		parts = append(parts, "invalid settings: "+strings.Join(e.Invalid, "; "))
	}
	return "configuration: " + strings.Join(parts, "; ")
}

// Sandbox credentials are public on purpose: they only ever talk to the
// built-in fakes, which accept nothing else.
const (
	SandboxBotToken      = "7000000001:AASandboxTokenNotReal_0123456789abc"
	SandboxWebhookSecret = "sandbox-webhook-secret"
	SandboxESIMGoAPIKey  = "sandbox-esimgo-key"
	SandboxAdminToken    = "support:sandbox-admin-token"
)

// FromEnv builds a Config from getenv (os.Getenv in production). In sandbox
// mode the secrets that point at real services get sandbox defaults.
func FromEnv(getenv func(string) string, sandbox bool) (Config, error) {
	r := reader{getenv: getenv}
	c := Config{Sandbox: sandbox}

	c.HTTPAddr = r.str("HTTP_ADDR", ":8080")
	c.PublicURL = r.url("PUBLIC_URL", "")
	c.DatabaseURL = r.str("DATABASE_URL", "postgres://postgres@localhost:5432/esimstore?sslmode=disable")
	if _, err := pgx.ParseConfig(c.DatabaseURL); err != nil {
		r.invalid = append(r.invalid, "DATABASE_URL: not a PostgreSQL connection string")
	}
	c.TemporalAddress = r.str("TEMPORAL_ADDRESS", "localhost:7233")
	c.TemporalNamespace = r.str("TEMPORAL_NAMESPACE", "default")
	c.TemporalTaskQueue = r.str("TEMPORAL_TASK_QUEUE", "esim-orders")
	c.TemporalAPIKey = r.str("TEMPORAL_API_KEY", "")
	c.TemporalTLSCert = r.str("TEMPORAL_TLS_CERT", "")
	c.TemporalTLSKey = r.str("TEMPORAL_TLS_KEY", "")
	if (c.TemporalTLSCert == "") != (c.TemporalTLSKey == "") {
		r.invalid = append(r.invalid, "TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together")
	}

	c.TelegramAPIURL = r.url("TELEGRAM_API_URL", "https://api.telegram.org")
	c.ESIMGoAPIURL = r.url("ESIMGO_API_URL", "https://api.esim-go.com/v2.5")
	if sandbox {
		c.TelegramBotToken = r.str("TELEGRAM_BOT_TOKEN", SandboxBotToken)
		c.TelegramWebhookSecret = r.str("TELEGRAM_WEBHOOK_SECRET", SandboxWebhookSecret)
		c.ESIMGoAPIKey = r.str("ESIMGO_API_KEY", SandboxESIMGoAPIKey)
		c.AdminTokens = r.adminTokens("ADMIN_TOKENS", SandboxAdminToken)
	} else {
		c.TelegramBotToken = r.required("TELEGRAM_BOT_TOKEN")
		c.TelegramWebhookSecret = r.required("TELEGRAM_WEBHOOK_SECRET")
		c.ESIMGoAPIKey = r.required("ESIMGO_API_KEY")
		c.AdminTokens = r.adminTokens("ADMIN_TOKENS", "")
	}
	if c.TelegramWebhookSecret != "" && !validWebhookSecret(c.TelegramWebhookSecret) {
		// Telegram accepts only 1-256 characters A-Z, a-z, 0-9, _ and -.
		r.invalid = append(r.invalid, "TELEGRAM_WEBHOOK_SECRET: use 1-256 characters from A-Z a-z 0-9 _ -")
	}

	c.StarsUSDRate = r.positiveDecimal("STARS_USD_RATE", "0.013")
	c.PriceMarkupPercent = r.decimal("PRICE_MARKUP_PERCENT", "30")
	if c.PriceMarkupPercent.IsNegative() {
		r.invalid = append(r.invalid, "PRICE_MARKUP_PERCENT: must not be negative")
	}
	c.InvoiceTTL = r.duration("INVOICE_TTL", "30m")
	c.InitDataMaxAge = r.duration("INITDATA_MAX_AGE", "24h")
	c.FulfilmentDeadline = r.duration("FULFILMENT_DEADLINE", "30m")
	c.SupportWindow = r.duration("SUPPORT_WINDOW", "72h")
	c.PlanSyncInterval = r.duration("PLAN_SYNC_INTERVAL", "1h")
	c.ReconcileInterval = r.duration("RECONCILE_INTERVAL", "10m")
	c.MaxOpenOrdersPerBuyer = r.count("MAX_OPEN_ORDERS_PER_BUYER", 10, 0)
	c.BuyerRatePerMinute = r.count("BUYER_RATE_PER_MINUTE", 20, 0)
	c.BuyerRateBurst = r.count("BUYER_RATE_BURST", 10, 1)
	defaultFormat := "json"
	if sandbox {
		defaultFormat = "text"
	}
	c.LogFormat = r.str("LOG_FORMAT", defaultFormat)
	if c.LogFormat != "json" && c.LogFormat != "text" {
		r.invalid = append(r.invalid, fmt.Sprintf("LOG_FORMAT: %q is neither json nor text", c.LogFormat))
	}

	if len(r.missing) > 0 || len(r.invalid) > 0 {
		return c, &Error{Missing: r.missing, Invalid: r.invalid}
	}
	return c, nil
}

type reader struct {
	getenv  func(string) string
	missing []string
	invalid []string
}

func (r *reader) str(name, def string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return def
}

func (r *reader) required(name string) string {
	v := r.str(name, "")
	if v == "" {
		r.missing = append(r.missing, name)
	}
	return v
}

func (r *reader) url(name, def string) string {
	v := r.str(name, def)
	if v == "" {
		return v
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" || u.Host == "" {
		r.invalid = append(r.invalid, fmt.Sprintf("%s: %q is not an absolute URL", name, v))
		return v
	}
	return strings.TrimRight(v, "/")
}

func (r *reader) decimal(name, def string) decimal.Decimal {
	v := r.str(name, def)
	d, err := decimal.NewFromString(v)
	if err != nil {
		r.invalid = append(r.invalid, fmt.Sprintf("%s: %q is not a decimal number", name, v))
	}
	return d
}

func (r *reader) positiveDecimal(name, def string) decimal.Decimal {
	d := r.decimal(name, def)
	if !d.IsPositive() && !r.hasInvalid(name) {
		r.invalid = append(r.invalid, fmt.Sprintf("%s: must be greater than zero", name))
	}
	return d
}

func (r *reader) hasInvalid(name string) bool {
	for _, s := range r.invalid {
		if strings.HasPrefix(s, name+":") {
			return true
		}
	}
	return false
}

func (r *reader) duration(name, def string) time.Duration {
	v := r.str(name, def)
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.invalid = append(r.invalid, fmt.Sprintf("%s: %q is not a positive duration such as 30m", name, v))
	}
	return d
}

// count reads a whole number of at least min.
func (r *reader) count(name string, def, min int) int {
	v := r.str(name, strconv.Itoa(def))
	n, err := strconv.Atoi(v)
	if err != nil || n < min {
		r.invalid = append(r.invalid, fmt.Sprintf("%s: %q is not a whole number of at least %d", name, v, min))
	}
	return n
}

func (r *reader) adminTokens(name, def string) []AdminToken {
	v := r.str(name, def)
	if v == "" {
		r.missing = append(r.missing, name)
		return nil
	}
	var tokens []AdminToken
	for i, entry := range strings.Split(v, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		tok := AdminToken{Name: "admin" + strconv.Itoa(i+1), Token: entry}
		if n, t, ok := strings.Cut(entry, ":"); ok {
			tok = AdminToken{Name: strings.TrimSpace(n), Token: strings.TrimSpace(t)}
		}
		if tok.Name == "" || len(tok.Token) < 8 {
			r.invalid = append(r.invalid, fmt.Sprintf("%s: entry %d needs a token of at least 8 characters", name, i+1))
			continue
		}
		tokens = append(tokens, tok)
	}
	if len(tokens) == 0 && !r.hasInvalid(name) {
		r.missing = append(r.missing, name)
	}
	return tokens
}

func validWebhookSecret(s string) bool {
	if len(s) > 256 {
		return false
	}
	for _, c := range s {
		if !secretChar(c) {
			return false
		}
	}
	return true
}

// secretChar reports whether Telegram allows c in a webhook secret.
func secretChar(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}
