package telegramtest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/starsesim/esimstore/telegram"
)

// DefaultToken is used when Options.Token is empty; it has the shape telego
// insists on (digits, colon, 35 characters).
const DefaultToken = "7000000001:AAFakeTokenForTestsOnly_0123456789a"

// Options configures a Fake. Zero values give Telegram's behaviour.
type Options struct {
	Token string
	// BotUsername is returned by getMe; default "esim_store_test_bot".
	BotUsername string
	// WebhookURL and WebhookSecret preset what setWebhook would set, so a
	// test can deliver updates before the bot has started.
	WebhookURL, WebhookSecret string
	// AnswerTimeout is how long the buyer waits for answerPreCheckoutQuery;
	// Telegram's limit is 10 s.
	AnswerTimeout time.Duration
	// HTTPClient delivers webhooks; default waits 60 s like Telegram.
	HTTPClient *http.Client
	// DeliveryAttempts and DeliveryBackoff control re-delivery after a
	// non-2xx webhook answer (default 4 attempts, 20 ms doubling). Updates
	// that still fail stay pending until ResumeWebhook or Flush.
	DeliveryAttempts int
	DeliveryBackoff  time.Duration
	// BuyerStars is every new buyer's starting balance (default 1,000,000).
	BuyerStars int64
	// NoRefundUpdates disables the refunded_payment service message that
	// Telegram posts to the bot after a refund.
	NoRefundUpdates bool
	// OnCall observes every API call after it was answered (Call.At is the
	// arrival time). It runs on the request goroutine: keep it fast.
	OnCall func(Call)
	// MessagesPerSecond, when > 0, is the bot's flood limit: more messages
	// (sendMessage, sendPhoto, sendInvoice, copyMessage) than this to all
	// chats within one second are answered 429 "Too Many Requests: retry
	// after N" with parameters.retry_after, and not sent. Telegram's figure
	// is about 30.
	// 0: no limit.
	MessagesPerSecond int
	// ChatMessagesPerSecond is the same per chat (Telegram: about one a
	// second). 0: no limit.
	ChatMessagesPerSecond int
}

// Fake is the fake Bot API; it is an http.Handler and safe for concurrent use.
type Fake struct {
	opts   Options
	botID  int64
	client *http.Client

	mu            sync.Mutex
	calls         []Call
	faults        map[string]*faultState
	webhookURL    string
	webhookSecret string
	allowed       []string
	paused        bool
	pending       []outbound
	nextUpdateID  int64
	nextMessageID int64
	nextSeq       int64
	invoices      map[string]*Invoice // by link
	queries       map[string]*preCheckout
	charges       map[string]*charge
	ledger        []telegram.StarTransaction
	balances      map[int64]int64
	chats         map[int64][]ChatItem
	groups        map[int64]string // group chat id → title
	callbacks     map[string]*callback
	blocked       map[int64]bool
	commands      map[string][]telegram.Command
	menuButton    json.RawMessage
	onCall        func(Call)
	flood         flood

	bg sync.WaitGroup // background deliveries (refunded_payment, pre-checkout)
}

// New returns a Fake. It panics on a malformed Token, as a test setup error.
func New(opts Options) *Fake {
	if opts.Token == "" {
		opts.Token = DefaultToken
	}
	botID, err := telegram.BotIDFromToken(opts.Token)
	if err != nil {
		panic("telegramtest: " + err.Error())
	}
	if opts.BotUsername == "" {
		opts.BotUsername = "esim_store_test_bot"
	}
	if opts.AnswerTimeout <= 0 {
		opts.AnswerTimeout = 10 * time.Second
	}
	if opts.DeliveryAttempts <= 0 {
		opts.DeliveryAttempts = 4
	}
	if opts.DeliveryBackoff <= 0 {
		opts.DeliveryBackoff = 20 * time.Millisecond
	}
	if opts.BuyerStars == 0 {
		opts.BuyerStars = 1_000_000
	}
	client := opts.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 60 * time.Second}
	}
	return &Fake{
		opts:          opts,
		botID:         botID,
		client:        client,
		faults:        map[string]*faultState{},
		webhookURL:    opts.WebhookURL,
		webhookSecret: opts.WebhookSecret,
		nextUpdateID:  100000,
		nextMessageID: 1,
		invoices:      map[string]*Invoice{},
		queries:       map[string]*preCheckout{},
		charges:       map[string]*charge{},
		balances:      map[int64]int64{},
		chats:         map[int64][]ChatItem{},
		groups:        map[int64]string{},
		callbacks:     map[string]*callback{},
		blocked:       map[int64]bool{},
		commands:      map[string][]telegram.Command{},
		onCall:        opts.OnCall,
	}
}

// SetOnCall replaces Options.OnCall at runtime (nil removes it).
func (f *Fake) SetOnCall(fn func(Call)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.onCall = fn
}

// NewServer starts the Fake on an httptest server and stops both when the
// test ends (after background webhook deliveries have finished).
func NewServer(t testing.TB, opts Options) (*Fake, *httptest.Server) {
	t.Helper()
	f := New(opts)
	srv := httptest.NewServer(f)
	t.Cleanup(func() {
		f.bg.Wait()
		srv.Close()
	})
	return f, srv
}

// Token is the bot token the fake accepts.
func (f *Fake) Token() string { return f.opts.Token }

// BotID is the bot's user id (the token prefix).
func (f *Fake) BotID() int64 { return f.botID }

// Wait blocks until background webhook deliveries have finished.
func (f *Fake) Wait() { f.bg.Wait() }

// ServeHTTP implements the Bot API endpoint /bot<token>/<method>.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	if !ok {
		writeError(w, errNotFound)
		return
	}
	token, method, ok := strings.Cut(rest, "/")
	if !ok || method == "" || strings.Contains(method, "/") {
		writeError(w, errNotFound)
		return
	}
	if token != f.opts.Token {
		writeError(w, errUnauthorized)
		return
	}
	h, canonical := lookupMethod(method)
	if h == nil {
		writeError(w, errNotFound)
		return
	}
	call, perr := parseRequest(r, canonical)
	call.At = at
	if perr != nil {
		f.finish(w, call, nil, perr)
		return
	}
	if ferr := f.floodControl(&call); ferr != nil {
		f.finish(w, call, nil, ferr)
		return
	}
	if fault, hit := f.takeFault(canonical); hit {
		if fault.Latency > 0 {
			select {
			case <-time.After(fault.Latency):
			case <-r.Context().Done():
				return
			}
		}
		if fault.Disconnect {
			f.record(call)
			hijackClose(w)
			return
		}
		if fault.Code != 0 {
			f.finish(w, call, nil, fault.apiError())
			return
		}
	}
	result, aerr := h(f, r, &call)
	f.finish(w, call, result, aerr)
}

// finish answers, records the call and notifies OnCall.
func (f *Fake) finish(w http.ResponseWriter, call Call, result any, aerr *apiError) {
	if aerr != nil {
		call.Status = aerr.Code
		call.Error = aerr.Description
		writeError(w, aerr)
	} else {
		call.Status = http.StatusOK
		writeResult(w, result)
	}
	f.record(call)
	f.mu.Lock()
	onCall := f.onCall
	f.mu.Unlock()
	if onCall != nil {
		onCall(call)
	}
}

func (f *Fake) record(call Call) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
}

// hijackClose drops the connection without an answer, as a network failure.
func hijackClose(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

func writeResult(w http.ResponseWriter, result any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": result})
}

func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Code)
	body := map[string]any{"ok": false, "error_code": e.Code, "description": e.Description}
	if e.RetryAfter > 0 {
		body["parameters"] = map[string]any{"retry_after": e.RetryAfter}
	}
	_ = json.NewEncoder(w).Encode(body)
}

// nextID returns a process-unique number for ids the fake invents.
func (f *Fake) nextID() string {
	f.nextSeq++
	return strconv.FormatInt(f.nextSeq, 10)
}
