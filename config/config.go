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
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"

	"github.com/starsesim/esimstore/codec"

	"github.com/starsesim/esimstore/contract"
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
	// Optional connection security for real clusters and Temporal Cloud,
	// read with Temporal's own names (the SDK's contrib/envconfig) plus the
	// store's older TEMPORAL_TLS_CERT / TEMPORAL_TLS_KEY. TemporalTLS is nil
	// when nothing asks for TLS (an API key alone still turns it on).
	TemporalAPIKey    string
	TemporalTLS       *envconfig.ClientConfigTLS
	TemporalAuthority string
	// TemporalGRPCCompression is "none" or "gzip" for the gRPC calls to
	// Temporal. The SDK compresses by default; the store's payloads are
	// encrypted (codec), and ciphertext does not compress, so gzip mostly
	// costs CPU on both sides (docs/performance.md).
	TemporalGRPCCompression string

	// PayloadKeys encrypt every Temporal payload (codec); the first
	// encrypts, all decrypt.
	PayloadKeys []codec.Key
	// CodecCORSOrigins are the browser origins (the Temporal Web UI) allowed
	// to call /codec/encode and /codec/decode.
	CodecCORSOrigins []string

	TelegramBotToken      string
	TelegramAPIURL        string
	TelegramWebhookSecret string

	ESIMGoAPIKey string
	ESIMGoAPIURL string
	// ESIMGoRateLimit is eSIM Go's request limit for the account, per
	// second (ESIMGO_RATE_LIMIT); every process together stays under it.
	ESIMGoRateLimit float64
	// Telegram's flood limits the bot's messages keep under, per second:
	// to all chats and to one chat. Telegram does not raise them, so they
	// are not settings; the sandbox turns them off for its fake.
	TelegramMessagesPerSecond     float64
	TelegramChatMessagesPerSecond float64

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

	// After the sale.
	StopSalesBelowUSD    decimal.Decimal // pause new sales below this eSIM Go balance; 0 never pauses
	InstallReminderAfter time.Duration   // an eSIM not installed this long after delivery gets one reminder
	InstallReminderSweep time.Duration   // how often the install-reminder schedule looks for due reminders
	// Support chat (support package). SupportChatID is the staff group
	// (negative, 0 = no support chat); only SupportStaffIDs may answer
	// buyers there and use staff commands. SupportContact is where buyers
	// are told to write when there is no support chat.
	SupportChatID   int64
	SupportStaffIDs []int64
	SupportContact  string
	// TemporalUIURL is the Temporal Web UI's base URL for links to
	// workflows ("" = no links).
	TemporalUIURL string

	// Alerts to the support chat (alerts package).
	Alerts              map[contract.AlertKind]bool // kinds switched on
	AlertsPerHour       int                         // per kind
	AlertRefundAttempts int                         // a refund failing this often is an alert
	ESIMGoBalanceLowUSD decimal.Decimal             // 0 = no low-balance alert
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
	// SandboxPayloadKeys encrypts the sandbox's workflow payloads. It is
	// fixed rather than made up per run because the sandbox's dev server
	// keeps histories across restarts (.run/temporal.db), which a new key
	// could not read, and because the replay fixtures are recorded in the
	// sandbox. Being public, it protects nothing: never use it elsewhere.
	SandboxPayloadKeys = "sandbox:c2FuZGJveC1wYXlsb2FkLWtleS9wdWJsaWMtbmV2ZXI="
	// The sandbox's support chat: a supergroup in the fake Telegram whose
	// staff is the simulator's Zoë; the simulator shows it as a second pane.
	SandboxSupportChatID   = "-1002233445566"
	SandboxSupportStaffIDs = "6200000001"
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
	r.temporal(&c)
	if sandbox {
		c.PayloadKeys = r.payloadKeys("PAYLOAD_KEYS", SandboxPayloadKeys)
	} else {
		c.PayloadKeys = r.payloadKeys("PAYLOAD_KEYS", "")
	}
	c.CodecCORSOrigins = r.origins("CODEC_CORS_ORIGINS", "http://localhost:8233,http://127.0.0.1:8233")

	c.TelegramAPIURL = r.url("TELEGRAM_API_URL", "https://api.telegram.org")
	c.ESIMGoAPIURL = r.url("ESIMGO_API_URL", "https://api.esim-go.com/v2.5")
	c.ESIMGoRateLimit = r.positiveDecimal("ESIMGO_RATE_LIMIT", "10").InexactFloat64()
	c.TelegramMessagesPerSecond, c.TelegramChatMessagesPerSecond = 30, 1
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
	c.StopSalesBelowUSD = r.decimal("STOP_SALES_BELOW_USD", "0")
	if c.StopSalesBelowUSD.IsNegative() {
		r.invalid = append(r.invalid, "STOP_SALES_BELOW_USD: must not be negative")
	}
	c.InstallReminderAfter = r.duration("INSTALL_REMINDER_AFTER", "24h")
	c.InstallReminderSweep = r.duration("INSTALL_REMINDER_SWEEP_INTERVAL", "15m")
	supportChatDefault, staffDefault := "", ""
	if sandbox && r.str("SUPPORT_CHAT_ID", "") == "" && r.str("SUPPORT_STAFF_IDS", "") == "" {
		supportChatDefault, staffDefault = SandboxSupportChatID, SandboxSupportStaffIDs
	}
	c.SupportChatID = r.supportChat("SUPPORT_CHAT_ID", supportChatDefault)
	c.SupportStaffIDs = r.userIDs("SUPPORT_STAFF_IDS", staffDefault)
	switch {
	case c.SupportChatID != 0 && len(c.SupportStaffIDs) == 0 && !r.hasInvalid("SUPPORT_STAFF_IDS"):
		r.invalid = append(r.invalid, "SUPPORT_STAFF_IDS: needed with SUPPORT_CHAT_ID (only listed staff answer buyers)")
	case c.SupportChatID == 0 && len(c.SupportStaffIDs) > 0 && !r.hasInvalid("SUPPORT_CHAT_ID"):
		r.invalid = append(r.invalid, "SUPPORT_CHAT_ID: needed with SUPPORT_STAFF_IDS")
	}
	c.SupportContact = r.str("SUPPORT_CONTACT", "")
	if len([]rune(c.SupportContact)) > 200 {
		r.invalid = append(r.invalid, "SUPPORT_CONTACT: at most 200 characters")
	}
	c.TemporalUIURL = r.url("TEMPORAL_UI_URL", "")
	c.Alerts = r.alertKinds("ALERTS", "all")
	c.AlertsPerHour = r.count("ALERTS_PER_HOUR", 10, 1)
	c.AlertRefundAttempts = r.count("ALERT_REFUND_ATTEMPTS", 5, 1)
	c.ESIMGoBalanceLowUSD = r.decimal("ESIMGO_BALANCE_LOW_USD", "50")
	if c.ESIMGoBalanceLowUSD.IsNegative() {
		r.invalid = append(r.invalid, "ESIMGO_BALANCE_LOW_USD: must not be negative")
	}
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

// temporal reads the connection settings under Temporal's standard names
// with the SDK's envconfig (TEMPORAL_TLS, TEMPORAL_TLS_CLIENT_CERT_PATH,
// TEMPORAL_TLS_SERVER_CA_CERT_PATH, TEMPORAL_TLS_SERVER_NAME, …), keeps the
// store's older TEMPORAL_TLS_CERT / TEMPORAL_TLS_KEY working, and checks the
// result by building the client options (which loads the certificates), so
// a wrong path stops start-up instead of the first connection.
func (r *reader) temporal(c *Config) {
	prof, err := envconfig.LoadClientConfigProfile(envconfig.LoadClientConfigProfileOptions{
		DisableFile: true, EnvLookup: envLookup{r.getenv},
	})
	if err != nil {
		r.invalid = append(r.invalid, "TEMPORAL_*: "+err.Error())
		return
	}
	c.TemporalAddress = r.str("TEMPORAL_ADDRESS", "localhost:7233")
	c.TemporalNamespace = r.str("TEMPORAL_NAMESPACE", "default")
	c.TemporalTaskQueue = r.str("TEMPORAL_TASK_QUEUE", "esim-orders")
	c.TemporalGRPCCompression = r.str("TEMPORAL_GRPC_COMPRESSION", "none")
	if c.TemporalGRPCCompression != "none" && c.TemporalGRPCCompression != "gzip" {
		r.invalid = append(r.invalid, fmt.Sprintf("TEMPORAL_GRPC_COMPRESSION: %q is not none or gzip", c.TemporalGRPCCompression))
	}
	c.TemporalAPIKey = prof.APIKey
	c.TemporalAuthority = prof.Authority
	c.TemporalTLS = prof.TLS

	cert, key := r.str("TEMPORAL_TLS_CERT", ""), r.str("TEMPORAL_TLS_KEY", "")
	if (cert == "") != (key == "") {
		r.invalid = append(r.invalid, "TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together")
	}
	if cert != "" && key != "" {
		if c.TemporalTLS == nil {
			c.TemporalTLS = &envconfig.ClientConfigTLS{}
		}
		tlsCfg := c.TemporalTLS
		switch {
		case tlsCfg.ClientCertPath == "" && tlsCfg.ClientKeyPath == "":
			tlsCfg.ClientCertPath, tlsCfg.ClientKeyPath = cert, key
		case tlsCfg.ClientCertPath != cert || tlsCfg.ClientKeyPath != key:
			r.invalid = append(r.invalid, "TEMPORAL_TLS_CERT/TEMPORAL_TLS_KEY and TEMPORAL_TLS_CLIENT_CERT_PATH/TEMPORAL_TLS_CLIENT_KEY_PATH name different files: set one pair")
		}
	}
	if _, err := c.TemporalClientOptions(); err != nil {
		r.invalid = append(r.invalid, "TEMPORAL_TLS*: "+err.Error())
	}
}

// TemporalClientOptions are the connection options for Temporal: address,
// namespace, API key and TLS, built by the SDK's envconfig, and the gRPC
// compression. Logger, metrics and the data converter are the caller's
// (app.DialTemporal).
func (c Config) TemporalClientOptions() (client.Options, error) {
	prof := envconfig.ClientConfigProfile{Address: c.TemporalAddress, Namespace: c.TemporalNamespace,
		APIKey: c.TemporalAPIKey, TLS: c.TemporalTLS, Authority: c.TemporalAuthority}
	opts, err := prof.ToClientOptions(envconfig.ToClientOptionsRequest{})
	if err != nil {
		return opts, err
	}
	if c.TemporalGRPCCompression != "gzip" {
		opts.ConnectionOptions.GrpcCompression = &client.GrpcCompressionNone{}
	}
	return opts, nil
}

// envLookup lets envconfig read through getenv. Like every other setting
// here, an empty value counts as unset. Environ is empty, so the
// TEMPORAL_GRPC_META_* headers (which need the whole environment) are not
// read.
type envLookup struct{ getenv func(string) string }

func (e envLookup) Environ() []string { return nil }

func (e envLookup) LookupEnv(name string) (string, bool) {
	v := strings.TrimSpace(e.getenv(name))
	return v, v != ""
}

func (r *reader) payloadKeys(name, def string) []codec.Key {
	v := r.str(name, def)
	if v == "" {
		r.missing = append(r.missing, name)
		return nil
	}
	keys, err := codec.ParseKeys(v)
	if err != nil {
		r.invalid = append(r.invalid, name+": "+err.Error())
	}
	return keys
}

// origins reads a comma list of browser origins (scheme://host[:port]).
func (r *reader) origins(name, def string) []string {
	var out []string
	for _, o := range strings.Split(r.str(name, def), ",") {
		o = strings.TrimRight(strings.TrimSpace(o), "/")
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" {
			r.invalid = append(r.invalid, fmt.Sprintf("%s: %q is not an origin like https://ui.example.com", name, o))
			continue
		}
		out = append(out, o)
	}
	return out
}

// supportChat reads a group chat id: Telegram's group and supergroup ids
// are negative (supergroups -100…), and the bot must be a member.
func (r *reader) supportChat(name, def string) int64 {
	v := r.str(name, def)
	if v == "" {
		return 0
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id >= 0 {
		r.invalid = append(r.invalid, fmt.Sprintf("%s: %q is not a group chat id (groups have negative ids such as -1001234567890)", name, v))
		return 0
	}
	return id
}

// userIDs reads a comma-separated list of Telegram user ids (positive,
// up to 52 bits).
func (r *reader) userIDs(name, def string) []int64 {
	var ids []int64
	for i, part := range strings.Split(r.str(name, def), ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, err := strconv.ParseInt(part, 10, 64)
		if err != nil || id <= 0 {
			r.invalid = append(r.invalid, fmt.Sprintf("%s: entry %d (%q) is not a Telegram user id", name, i+1, part))
			continue
		}
		ids = append(ids, id)
	}
	return ids
}

// alertKinds reads "all", "none" or a comma-separated list of kinds.
func (r *reader) alertKinds(name, def string) map[contract.AlertKind]bool {
	v := strings.ToLower(r.str(name, def))
	on := map[contract.AlertKind]bool{}
	switch v {
	case "none":
		return on
	case "all":
		for _, k := range contract.AlertKinds {
			on[k] = true
		}
		return on
	}
	known := map[contract.AlertKind]bool{}
	for _, k := range contract.AlertKinds {
		known[k] = true
	}
	for _, part := range strings.Split(v, ",") {
		k := contract.AlertKind(strings.TrimSpace(part))
		if k == "" {
			continue
		}
		if !known[k] {
			r.invalid = append(r.invalid, fmt.Sprintf("%s: unknown kind %q (all, none, or a list of %s)", name, k, kindList()))
			continue
		}
		on[k] = true
	}
	return on
}

func kindList() string {
	names := make([]string, len(contract.AlertKinds))
	for i, k := range contract.AlertKinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// IsSupportStaff reports whether a Telegram user is listed in SUPPORT_STAFF_IDS.
func (c Config) IsSupportStaff(userID int64) bool {
	for _, id := range c.SupportStaffIDs {
		if id == userID {
			return true
		}
	}
	return false
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
