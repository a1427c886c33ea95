// Package esimgotest is a stateful fake of the eSIM Go v2.5 API for tests and
// the local sandbox. It keeps a catalogue, a prepaid balance, orders and
// eSIMs, answers with the field names and shapes of real eSIM Go answers
// (decimal prices as JSON numbers, bare SM-DP+ hosts, UUID order references),
// records every request, and injects faults per endpoint at runtime.
//
// Routes are served both at the root and under a version prefix (/v2.5/…,
// /v2.4/…, any /v2.N/), so a client configured with
// BaseURL = server URL + "/v2.5" works unchanged.
//
// Where eSIM Go's behaviour is undocumented the fake makes one choice and says
// so: a wrong API key gets 401 {"message":…} (Options.AuthFailureStatus can
// switch to the spec's 403); unknown bundles, ICCIDs and references get 400
// with a "does not exist"/"not found" message; insufficient balance gets 400
// with "Insufficient balance"; GET /orders answers
// {"orders":[…],"rows","pageCount","pageSize"}.
//
// After the sale it tracks each bundle's data left and validity (GET
// /esims/{iccid}/bundles), and its test hooks play the buyer's phone and
// the clock — Install, Uninstall, UseData, Expire — sending the signed V3
// callbacks eSIM Go would (Utilisation, FirstUse, ProfileStatusChange,
// LowBalance, InsufficientBalance) to Options.CallbackURL, with
// CallbackFaults for forged signatures, duplicates and out-of-order
// delivery. ReassignTopUps makes a top-up land on a new eSIM.
package esimgotest

import (
	"bytes"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/starsesim/esimstore/esimgo"
)

// Options configures a Fake. The zero value is usable.
type Options struct {
	// APIKey is the only key accepted. Default "test-api-key".
	APIKey string
	// Balance is the opening prepaid balance. Zero means the default, 1000;
	// call SetBalance for an empty account.
	Balance decimal.Decimal
	// Now is the clock for createdDate and createdAt filters. Default time.Now.
	Now func() time.Time
	// Currency of the organisation. Default "USD".
	Currency string
	// SMDPAddress put on new eSIMs. Default "rsp-3104.idemia.io", the bare-host
	// form real answers use; set "http://…" to mimic the spec's examples.
	SMDPAddress string
	// Catalogue replaces the seeded catalogue when non-nil.
	Catalogue []esimgo.Bundle
	// BareCatalogue makes GET /catalogue answer the spec's bare array instead
	// of the {bundles,pageCount,rows,pageSize} object real v2.5 answers use.
	BareCatalogue bool
	// AuthFailureStatus is the status for a missing or wrong key. Default 401.
	AuthFailureStatus int
	// CallbackURL receives signed V3 callbacks (usage alerts, profile status
	// changes, balance alerts); empty sends none. SetCallbackURL changes it.
	CallbackURL string
	// RateLimit, when > 0, is the account's budget of tokens per fixed
	// one-second window, as eSIM Go enforces it (its default: 10). Every
	// request spends its endpoint's cost (Costs); one that does not fit in
	// the current second is answered 429 {"message":"Rate limit exceeded"}
	// with Retry-After, spends nothing and does nothing, and every answer
	// carries X-Ratelimit-Limit, -Remaining, -Reset (ISO 8601, the end of the
	// window) and -Cost. 0 disables the limit and the headers.
	RateLimit int
	// Costs are tokens per endpoint key; endpoints not listed cost 1. nil
	// means DefaultCosts. eSIM Go does not publish its costs; its guide's
	// example is an endpoint costing 5 ("at most twice per second").
	Costs map[string]int
}

// DefaultCosts makes the catalogue the expensive endpoint, as mocks built
// from eSIM Go's guide do.
var DefaultCosts = map[string]int{EndpointCatalogue: 5}

// Request is one recorded request. Time is the wall-clock arrival time, even
// when Options.Now is a fixed clock, so that rate tests can use it.
type Request struct {
	Time     time.Time
	Method   string
	Path     string // as received, including any version prefix
	Endpoint string // matched endpoint key, e.g. "GET /esims/{iccid}"; "" when none matched
	Query    url.Values
	Header   http.Header // X-API-Key redacted
	Body     []byte
	// Limited: answered 429 by Options.RateLimit (faults do not count).
	Limited bool
}

// Fake is an http.Handler that behaves like eSIM Go. It is safe for concurrent use.
type Fake struct {
	opts Options
	mux  *http.ServeMux
	stop chan struct{}
	once sync.Once

	mu       sync.Mutex
	balance  decimal.Decimal
	bundles  []esimgo.Bundle
	orders   []*order
	esims    map[string]*esim
	esimSeq  []string // ICCIDs in creation order
	incompat map[[2]string]bool
	requests []Request
	faults   map[string]*faultState
	nextICC  int64
	window   time.Time

	// After-sale state (usage.go, callbacks.go).
	nextAssign int64
	reassign   map[string]bool // ICCIDs whose top-ups land on a new eSIM anyway
	callbacks  callbackState
	inWindow   int
}

// New returns a Fake with the seeded catalogue and an opening balance.
func New(opts Options) *Fake {
	if opts.APIKey == "" {
		opts.APIKey = "test-api-key"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Currency == "" {
		opts.Currency = "USD"
	}
	if opts.SMDPAddress == "" {
		opts.SMDPAddress = "rsp-3104.idemia.io"
	}
	if opts.AuthFailureStatus == 0 {
		opts.AuthFailureStatus = http.StatusUnauthorized
	}
	balance := opts.Balance
	if balance.IsZero() {
		balance = decimal.NewFromInt(1000)
	}
	cat := opts.Catalogue
	if cat == nil {
		cat = SeedCatalogue()
	}
	f := &Fake{
		opts:     opts,
		stop:     make(chan struct{}),
		balance:  balance,
		bundles:  slices.Clone(cat),
		esims:    map[string]*esim{},
		incompat: map[[2]string]bool{},
		faults:   map[string]*faultState{},
		// ICCIDs start at a random point, as two accounts' eSIMs never
		// share one: fakes of tests that share a Temporal server then never
		// name the same eSIM workflow.
		nextICC: 8944500000000000000 + rand.Int64N(99_000_000_000_000),
		// Assignment ids look like eSIM Go's (numeric strings).
		nextAssign: 215009265,
		reassign:   map[string]bool{},
	}
	f.callbacks.url = opts.CallbackURL
	f.routes()
	return f
}

// Close releases handlers that are sleeping in a fault (latency, delayed
// answers), so that a server shutdown does not wait for them.
func (f *Fake) Close() { f.once.Do(func() { close(f.stop) }) }

// Endpoint keys for SetFault. They are the route patterns the Fake serves.
const (
	EndpointCatalogue    = "GET /catalogue"
	EndpointBundle       = "GET /catalogue/bundle/{name}"
	EndpointCreateOrder  = "POST /orders"
	EndpointListOrders   = "GET /orders"
	EndpointGetOrder     = "GET /orders/{reference}"
	EndpointAssignments  = "GET /esims/assignments"
	EndpointESIM         = "GET /esims/{iccid}"
	EndpointUpdateESIM   = "PUT /esims"
	EndpointCompatible   = "GET /esims/{iccid}/compatible/{bundle}"
	EndpointRevoke       = "DELETE /esims/{iccid}/bundles/{name}"
	EndpointBundles      = "GET /esims/{iccid}/bundles"
	EndpointOrganisation = "GET /organisation"
	// AllEndpoints matches every endpoint without its own fault ("eSIM Go is down").
	AllEndpoints = "*"
)

func (f *Fake) routes() {
	f.mux = http.NewServeMux()
	f.mux.HandleFunc(EndpointCatalogue, f.handleCatalogue)
	f.mux.HandleFunc(EndpointBundle, f.handleBundle)
	f.mux.HandleFunc(EndpointCreateOrder, f.handleCreateOrder)
	f.mux.HandleFunc(EndpointListOrders, f.handleListOrders)
	f.mux.HandleFunc(EndpointGetOrder, f.handleGetOrder)
	f.mux.HandleFunc(EndpointAssignments, f.handleAssignments)
	f.mux.HandleFunc(EndpointESIM, f.handleESIM)
	f.mux.HandleFunc(EndpointUpdateESIM, f.handleUpdateESIM)
	f.mux.HandleFunc(EndpointCompatible, f.handleCompatible)
	f.mux.HandleFunc(EndpointRevoke, f.handleRevoke)
	f.mux.HandleFunc(EndpointBundles, f.handleBundles)
	f.mux.HandleFunc(EndpointOrganisation, f.handleOrganisation)
}

var versionPrefix = regexp.MustCompile(`^/v2(\.\d+)?(/|$)`)

// ServeHTTP records the request, checks the key, applies any fault and
// dispatches to the endpoint.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	inner := r.Clone(r.Context())
	inner.URL.Path = versionPrefix.ReplaceAllString(r.URL.Path, "/")
	inner.URL.RawPath = ""
	inner.Body = io.NopCloser(bytes.NewReader(body))
	_, endpoint := f.mux.Handler(inner)
	h := f.mux // dispatch through the mux so that PathValue works
	at := f.record(r, endpoint, body)

	if r.Header.Get("X-API-Key") != f.opts.APIKey {
		writeMessage(w, f.opts.AuthFailureStatus, "Unauthorized: invalid or missing API key")
		return
	}
	if f.rateLimited(w, endpoint, at) {
		return
	}
	if endpoint == "" {
		h.ServeHTTP(w, inner) // the mux's own 404/405
		return
	}
	if fault, ok := f.takeFault(endpoint, body); ok {
		f.serveFault(w, inner, h, fault)
		return
	}
	h.ServeHTTP(w, inner)
}

// record notes the request and returns its index in the log.
func (f *Fake) record(r *http.Request, endpoint string, body []byte) int {
	h := r.Header.Clone()
	if h.Get("X-API-Key") != "" {
		h.Set("X-API-Key", "REDACTED")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, Request{
		Time:     time.Now(),
		Method:   r.Method,
		Path:     r.URL.Path,
		Endpoint: endpoint,
		Query:    r.URL.Query(),
		Header:   h,
		Body:     body,
	})
	return len(f.requests) - 1
}

// rateLimited emulates eSIM Go's account-wide budget: tokens per fixed
// one-second window of the wall clock.
func (f *Fake) rateLimited(w http.ResponseWriter, endpoint string, at int) bool {
	if f.opts.RateLimit <= 0 {
		return false
	}
	costs := f.opts.Costs
	if costs == nil {
		costs = DefaultCosts
	}
	cost := max(costs[endpoint], 1)
	now := time.Now()
	f.mu.Lock()
	if now.Sub(f.window) >= time.Second {
		f.window = now.Truncate(time.Second)
		f.inWindow = 0
	}
	over := f.inWindow+cost > f.opts.RateLimit
	if over {
		f.requests[at].Limited = true
	} else {
		f.inWindow += cost
	}
	remaining := max(f.opts.RateLimit-f.inWindow, 0)
	reset := f.window.Add(time.Second)
	f.mu.Unlock()
	h := w.Header()
	h.Set("X-Ratelimit-Limit", itoa(f.opts.RateLimit))
	h.Set("X-Ratelimit-Remaining", itoa(remaining))
	h.Set("X-Ratelimit-Reset", reset.UTC().Format(time.RFC3339))
	h.Set("X-Ratelimit-Cost", itoa(cost))
	if over {
		h.Set("Retry-After", itoa(max(int(math.Ceil(time.Until(reset).Seconds())), 1)))
		writeMessage(w, http.StatusTooManyRequests, "Rate limit exceeded")
	}
	return over
}

// Requests returns a copy of every request received so far.
func (f *Fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

// RequestsTo returns the recorded requests for one endpoint key.
func (f *Fake) RequestsTo(endpoint string) []Request {
	var out []Request
	for _, r := range f.Requests() {
		if r.Endpoint == endpoint {
			out = append(out, r)
		}
	}
	return out
}

// ResetRequests forgets the recorded requests.
func (f *Fake) ResetRequests() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = nil
}

// Balance returns the prepaid balance.
func (f *Fake) Balance() decimal.Decimal {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.balance
}

// SetBalance sets the prepaid balance (e.g. zero to provoke insufficient balance).
func (f *Fake) SetBalance(b decimal.Decimal) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.balance = b
}

// Catalogue returns the bundles the Fake sells.
func (f *Fake) Catalogue() []esimgo.Bundle {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.bundles)
}

// SetCompatible marks whether bundle can be added to the eSIM iccid; by
// default every known bundle fits every known eSIM.
func (f *Fake) SetCompatible(iccid, bundle string, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.incompat[[2]string{iccid, bundle}] = !ok
}

// NewServer starts the Fake on an httptest server and stops both when the
// test ends. Point the client at BaseURL(srv).
func NewServer(t testing.TB, opts Options) (*Fake, *httptest.Server) {
	t.Helper()
	f := New(opts)
	srv := httptest.NewServer(f)
	t.Cleanup(func() {
		f.Close()
		srv.Close()
	})
	return f, srv
}

// BaseURL is the versioned base URL of a server running a Fake.
func BaseURL(srv *httptest.Server) string { return srv.URL + "/v2.5" }

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
