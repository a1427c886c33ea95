package telegram

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mymmrac/telego"
	ta "github.com/mymmrac/telego/telegoapi"

	"github.com/starsesim/esimstore/budget"
)

// DefaultAPIURL is used when Config.APIURL is empty.
const DefaultAPIURL = "https://api.telegram.org"

// Config configures a Bot. APIURL comes from TELEGRAM_API_URL and points at
// telegramtest in tests and in the sandbox.
type Config struct {
	Token  string
	APIURL string
	// HTTPClient defaults to a client with a 30 s timeout: long enough for a
	// photo upload, short enough that a stuck call is retried by the workflow.
	HTTPClient *http.Client
	// MessagesPerSecond and ChatMessagesPerSecond space the bot's messages
	// (sendMessage, sendPhoto, sendInvoice, copyMessage) under Telegram's
	// flood limits, using Share of them: DefaultMessagesPerSecond to all
	// chats and DefaultChatMessagesPerSecond to one chat (a group gets at
	// most GroupMessagesPerMinute) is what the store runs with.
	// Zero leaves that limit out. Other calls (pre-checkout answers,
	// refunds, invoice links) are not messages and never wait.
	MessagesPerSecond     float64
	ChatMessagesPerSecond float64
	// Budget keeps the spacing; every process sending as this bot must
	// share it (store.Store.Budget). nil with a limit set keeps it in this
	// Bot only.
	Budget budget.Limiter
}

// Bot calls the Bot API. It is safe for concurrent use.
type Bot struct {
	api *telego.Bot
	id  int64

	mu       sync.Mutex
	username string // from getMe, once known

	budget   budget.Limiter // nil: messages are not spaced
	botLane  budget.Lane
	chatRate float64
}

// NewBot builds a Bot without calling Telegram, so services and tests can
// start while the network (or the fake) is not up yet.
func NewBot(cfg Config) (*Bot, error) {
	if cfg.Token == "" {
		return nil, errors.New("telegram: bot token is empty")
	}
	id, err := BotIDFromToken(cfg.Token)
	if err != nil {
		return nil, err
	}
	apiURL := strings.TrimRight(cfg.APIURL, "/")
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	api, err := telego.NewBot(cfg.Token,
		telego.WithAPIServer(apiURL),
		telego.WithAPICaller(httpCaller{client: client, token: cfg.Token}),
		// telego's default logger prints request bodies on errors, which may
		// hold buyer data; we return errors instead of logging them.
		telego.WithDiscardLogger(),
	)
	if err != nil {
		// telego's message does not include the token; keep it that way.
		return nil, fmt.Errorf("telegram: new bot: %w", err)
	}
	b := &Bot{api: api, id: id, botLane: budget.LaneWith("telegram:"+strconv.FormatInt(id, 10), cfg.MessagesPerSecond, Share),
		chatRate: cfg.ChatMessagesPerSecond}
	if cfg.MessagesPerSecond > 0 || cfg.ChatMessagesPerSecond > 0 {
		b.budget = cfg.Budget
		if b.budget == nil {
			b.budget = budget.NewLocal()
		}
	}
	return b, nil
}

// ID is the bot's user id (the token's prefix); Ed25519 initData checks need it.
func (b *Bot) ID() int64 { return b.id }

// BotIDFromToken extracts the numeric bot id that prefixes every token.
func BotIDFromToken(token string) (int64, error) {
	idPart, _, ok := strings.Cut(token, ":")
	if !ok {
		return 0, errors.New("telegram: malformed bot token")
	}
	id, err := strconv.ParseInt(idPart, 10, 64)
	if err != nil || id <= 0 {
		return 0, errors.New("telegram: malformed bot token")
	}
	return id, nil
}

// wrap converts telego's error chain into the package's error classes.
func wrap(method string, err error) error {
	if err == nil {
		return nil
	}
	if apiErr, ok := errors.AsType[*ta.Error](err); ok {
		out := &APIError{Method: method, Code: apiErr.ErrorCode, Description: apiErr.Description}
		if apiErr.Parameters != nil {
			out.RetryAfter = time.Duration(apiErr.Parameters.RetryAfter) * time.Second
		}
		return out
	}
	if _, ok := errors.AsType[*TransportError](err); ok {
		return err
	}
	// Whatever reached here failed inside the request (transport, decoding):
	// the outcome is unknown, which the workflow handles like a network error.
	return &TransportError{Method: method, Err: unwrapTelego(err)}
}

// unwrapTelego drops telego's "telego: <method>: internal execution: request
// call:" prefixes, which repeat what TransportError already says.
func unwrapTelego(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil || !strings.HasPrefix(err.Error(), "telego:") && !strings.HasPrefix(err.Error(), "internal execution:") && !strings.HasPrefix(err.Error(), "request call:") {
			return err
		}
		err = next
	}
}
