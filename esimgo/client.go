package esimgo

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/starsesim/esimstore/budget"
)

// DefaultBaseURL is eSIM Go's production API, pinned to v2.5 because every
// minor version may break the previous one.
const DefaultBaseURL = "https://api.esim-go.com/v2.5"

// Config configures a Client. Only APIKey is required.
type Config struct {
	// BaseURL includes the API version, e.g. https://api.esim-go.com/v2.5.
	BaseURL string
	// APIKey is sent as X-API-Key. It is never logged or put into errors.
	APIKey string
	// HTTPClient is used for all calls. Its Timeout, if any, is applied on top of Timeout.
	HTTPClient *http.Client
	// RequestsPerSecond is eSIM Go's limit for the account (ESIMGO_RATE_LIMIT;
	// eSIM Go's default is 10 per fixed second). Requests are spaced to stay
	// under it with budget.Headroom in hand. Default 10.
	RequestsPerSecond float64
	// Budget keeps that spacing. Every process calling eSIM Go with one
	// account must book on the same Budget (store.Store.Budget), or each
	// spends the whole limit; nil keeps it in this Client only.
	Budget budget.Limiter
	// Timeout bounds every call, retries included, unless ctx has an earlier deadline. Default 30s.
	Timeout time.Duration
	// OrderTimeout bounds a charging order (POST /orders, type transaction).
	// It is shorter than the purchase activity's own timeout (default 20s of
	// 30s), so a slow answer still leaves the activity time to wait out
	// eSIM Go's commit delay and look the order up before it gives up.
	OrderTimeout time.Duration
	// MaxRetries is how often a read (GET) is retried after 429 or 503 with
	// Retry-After. 0 means the default (3); negative disables retries.
	// Writes are never retried automatically.
	MaxRetries int
	// MaxRetryWait is the longest Retry-After the Client sleeps through itself;
	// a longer one is returned to the caller as an error. Default 10s.
	MaxRetryWait time.Duration
	// UserAgent overrides the default User-Agent header.
	UserAgent string
}

// Client calls the eSIM Go API. It is safe for concurrent use; share one per
// API key so the rate limit covers every caller.
type Client struct {
	base       *url.URL
	apiKey     string
	http       *http.Client
	budget     budget.Limiter
	lane       budget.Lane
	timeout    time.Duration
	orderTO    time.Duration
	maxRetries int
	maxWait    time.Duration
	userAgent  string

	mu          sync.Mutex
	pausedUntil time.Time      // this process's own back-off, when the shared hold could not be written
	costs       map[string]int // tokens per operation, as eSIM Go reported them (X-Ratelimit-Cost)
}

// New checks cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	if cfg.APIKey == "" {
		return nil, errors.New("esimgo: APIKey is required")
	}
	raw := cfg.BaseURL
	if raw == "" {
		raw = DefaultBaseURL
	}
	base, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil {
		return nil, errors.New("esimgo: invalid BaseURL") // url errors may echo the URL; keep it short
	}
	if base.Scheme != "http" && base.Scheme != "https" || base.Host == "" {
		return nil, errors.New("esimgo: BaseURL must be an absolute http(s) URL")
	}
	c := &Client{
		base:       base,
		apiKey:     cfg.APIKey,
		http:       cfg.HTTPClient,
		timeout:    cfg.Timeout,
		orderTO:    cfg.OrderTimeout,
		maxRetries: cfg.MaxRetries,
		maxWait:    cfg.MaxRetryWait,
		userAgent:  cfg.UserAgent,
		budget:     cfg.Budget,
		costs:      map[string]int{},
	}
	if c.http == nil {
		// A private transport so that nothing else in the process can change
		// our connection behaviour; no client-level timeout because per-call
		// contexts govern.
		c.http = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	if c.timeout <= 0 {
		c.timeout = 30 * time.Second
	}
	if c.orderTO <= 0 || c.orderTO > c.timeout {
		c.orderTO = min(20*time.Second, c.timeout)
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = 3
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	if c.maxWait <= 0 {
		c.maxWait = 10 * time.Second
	}
	if c.userAgent == "" {
		c.userAgent = "starsesim-esimgo/1"
	}
	rps := cfg.RequestsPerSecond
	if rps <= 0 {
		rps = DefaultRequestsPerSecond
	}
	c.lane = budget.LaneFor(LaneKey, rps)
	if c.budget == nil {
		c.budget = budget.NewLocal()
	}
	return c, nil
}

// DefaultRequestsPerSecond is eSIM Go's documented default limit per account.
const DefaultRequestsPerSecond = 10

// OrderTimeout is how long a charging order may take before the Client
// gives up and reports its outcome as unknown.
func (c *Client) OrderTimeout() time.Duration { return c.orderTO }

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
