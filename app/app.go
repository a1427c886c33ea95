// Package app assembles the store from its parts: configuration in, running
// HTTP server and Temporal worker out. `esimstore serve` and the sandbox
// differ only in the URLs they hand it.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/starsesim/esimstore/activities"
	"github.com/starsesim/esimstore/alerts"
	"github.com/starsesim/esimstore/api"
	"github.com/starsesim/esimstore/budget"
	"github.com/starsesim/esimstore/checkout"
	"github.com/starsesim/esimstore/codec"
	"github.com/starsesim/esimstore/config"
	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/esimgo"
	"github.com/starsesim/esimstore/finance"
	"github.com/starsesim/esimstore/metrics"
	"github.com/starsesim/esimstore/pricing"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/support"
	"github.com/starsesim/esimstore/telegram"
	"github.com/starsesim/esimstore/usage"
	"github.com/starsesim/esimstore/web"
	"github.com/starsesim/esimstore/workflows"
)

// App is the connected store.
type App struct {
	Cfg      config.Config
	Logger   *slog.Logger
	Store    *store.Store
	Temporal client.Client
	ESIM     *esimgo.Client
	Bot      *telegram.Bot
	Orders   *checkout.Service
	Usage    *usage.Service
	Metrics  *metrics.Metrics
	// Codec encrypts Temporal payloads; the API serves it to the Web UI.
	Codec *codec.Codec
	// Alerts posts alerts to the support chat; Desk is the support chat
	// itself (app/support.go).
	Alerts *alerts.Alerter
	Desk   *support.Desk
}

// Connect opens PostgreSQL and Temporal and builds the API clients. The
// eSIM Go client and the bot book their calls on the budget lanes in
// PostgreSQL, so every process of the deployment together stays under
// eSIM Go's ESIMGO_RATE_LIMIT and Telegram's flood limits (package budget).
func Connect(ctx context.Context, cfg config.Config, logger *slog.Logger) (*App, error) {
	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	cd, err := codec.New(cfg.PayloadKeys)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("payload keys: %w", err)
	}
	m := metrics.New()
	tc, err := DialTemporal(cfg, logger, m.TemporalHandler())
	if err != nil {
		st.Close()
		return nil, err
	}
	esim, err := esimgo.New(esimgo.Config{BaseURL: cfg.ESIMGoAPIURL, APIKey: cfg.ESIMGoAPIKey,
		RequestsPerSecond: cfg.ESIMGoRateLimit, Budget: st.Budget(), HTTPClient: pooledClient(30 * time.Second)})
	if err != nil {
		st.Close()
		tc.Close()
		return nil, fmt.Errorf("esim go client: %w", err)
	}
	bot, err := telegram.NewBot(telegram.Config{Token: cfg.TelegramBotToken, APIURL: cfg.TelegramAPIURL,
		HTTPClient: pooledClient(30 * time.Second), Budget: st.Budget(), MessagesPerSecond: cfg.TelegramMessagesPerSecond,
		ChatMessagesPerSecond: cfg.TelegramChatMessagesPerSecond})
	if err != nil {
		st.Close()
		tc.Close()
		return nil, err
	}
	a := &App{Cfg: cfg, Logger: logger, Store: st, Temporal: tc, ESIM: esim, Bot: bot, Metrics: m, Codec: cd}
	a.Usage = &usage.Service{Store: st, ESIM: esim, Logger: logger}
	a.Orders = &checkout.Service{BotID: bot.ID(), Temporal: tc, Store: st, TaskQueue: cfg.TemporalTaskQueue, InvoiceTTL: cfg.InvoiceTTL,
		FulfilmentDeadline: cfg.FulfilmentDeadline, SupportWindow: cfg.SupportWindow, Logger: logger,
		OnNewPayment: func(stars int64) { m.StarsTaken.Add(float64(stars)) }, MaxOpenOrders: cfg.MaxOpenOrdersPerBuyer,
		Usage: a.Usage}
	if cfg.StopSalesBelowUSD.IsPositive() {
		a.Orders.Sales = &checkout.SalesGate{Store: st, ESIM: esim, Floor: cfg.StopSalesBelowUSD, Logger: logger}
	}
	a.connectSupport() // app/support.go
	if cfg.BuyerRatePerMinute > 0 {
		a.Orders.Rate, err = checkout.NewBuyerRate(float64(cfg.BuyerRatePerMinute), cfg.BuyerRateBurst, checkout.DefaultRateBuyers)
		if err != nil {
			a.Close()
			return nil, err
		}
	}
	return a, nil
}

// pooledClient keeps enough idle connections per host for concurrent
// orders: the default of two makes busy moments pay a TLS handshake to
// api.telegram.org or eSIM Go per call.
func pooledClient(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	t.MaxIdleConns = 256
	return &http.Client{Transport: t, Timeout: timeout}
}

// DialTemporal connects with the configured credentials (an API key, mutual
// TLS, a private CA: config.TemporalClientOptions) and the payload codec, so
// the worker, the API and the CLI all read and write encrypted payloads.
// metricsHandler may be nil.
func DialTemporal(cfg config.Config, logger *slog.Logger, metricsHandler client.MetricsHandler) (client.Client, error) {
	opts, err := cfg.TemporalClientOptions()
	if err != nil {
		return nil, fmt.Errorf("temporal connection settings: %w", err)
	}
	opts.Logger = tlog.NewStructuredLogger(logger.With("component", "temporal"))
	opts.MetricsHandler = metricsHandler
	if opts.DataConverter, err = DataConverter(cfg); err != nil {
		return nil, err
	}
	opts.FailureConverter = codec.FailureConverter(opts.DataConverter)
	c, err := client.Dial(opts)
	if err != nil {
		return nil, fmt.Errorf("connect to temporal at %s: %w", cfg.TemporalAddress, err)
	}
	return c, nil
}

// DataConverter encrypts every payload with cfg.PayloadKeys.
func DataConverter(cfg config.Config) (converter.DataConverter, error) {
	cd, err := codec.New(cfg.PayloadKeys)
	if err != nil {
		return nil, fmt.Errorf("payload keys: %w", err)
	}
	return codec.DataConverter(cd), nil
}

// Close releases the connections.
func (a *App) Close() {
	a.Temporal.Close()
	a.Store.Close()
}

// Activities is the dependency struct the worker registers.
func (a *App) Activities() *activities.Activities {
	acts := &activities.Activities{Store: a.Store, ESIM: a.ESIM, Bot: a.Bot, Logger: a.Logger, Metrics: a.Metrics,
		Pricing:       pricing.Rules{MarkupPercent: a.Cfg.PriceMarkupPercent, StarsUSDRate: a.Cfg.StarsUSDRate},
		OutcomeSettle: 3 * time.Second, CommitGrace: 10 * time.Second,
		Usage: a.Usage, InstallReminderAfter: a.Cfg.InstallReminderAfter, MiniAppURL: MiniAppURL(a.Cfg.PublicURL),
		Alerts: a.Alerts, AlertRefundAttempts: a.Cfg.AlertRefundAttempts, BalanceLowUSD: a.Cfg.ESIMGoBalanceLowUSD}
	if a.Desk.Enabled() {
		acts.HelpLink = a.Desk.HelpLink
	}
	return acts
}

// workflowCacheSize bounds the sticky workflow cache (see NewWorker).
const workflowCacheSize = 1000

// NewWorker registers the workflows and activities on the order task queue.
func (a *App) NewWorker() worker.Worker {
	// Orders stay open, idle, for the support window (days) after delivery,
	// and a cached workflow costs ~100 KB: with the SDK's 10,000-entry
	// default the app's RSS grew by ~130 MB per 1,300 orders. The busy
	// orders (awaiting payment, being fulfilled) are the recent ones, which
	// this LRU keeps; an evicted order that wakes (refund, late payment)
	// replays its short history once. The cache is per process.
	worker.SetStickyWorkflowCacheSize(workflowCacheSize)
	w := worker.New(a.Temporal, a.Cfg.TemporalTaskQueue, worker.Options{
		// Activities of one order run on the worker that handles its
		// workflow when possible (eager dispatch), saving a round trip.
		MaxConcurrentActivityExecutionSize:      200,
		MaxConcurrentWorkflowTaskExecutionSize:  100,
		MaxConcurrentLocalActivityExecutionSize: 200,
		// The SDK's default of two workflow-task pollers (one of them for
		// the sticky queue) hands out about 30 tasks/s, and an order takes
		// about seven workflow tasks: at 20 orders/s tasks queued for
		// seconds (temporal_workflow_task_schedule_to_start_latency, see
		// docs/performance.md). Idle long polls cost next to nothing.
		MaxConcurrentWorkflowTaskPollers: 16,
		MaxConcurrentActivityTaskPollers: 8,
	})
	w.RegisterWorkflowWithOptions(workflows.OrderWorkflow, workflow.RegisterOptions{Name: contract.WorkflowType})
	w.RegisterWorkflowWithOptions(workflows.SyncPlansWorkflow, workflow.RegisterOptions{Name: workflows.PlanSyncWorkflowType})
	w.RegisterWorkflowWithOptions(workflows.SubscriptionWorkflow, workflow.RegisterOptions{Name: contract.SubscriptionWorkflowType})
	w.RegisterWorkflowWithOptions(workflows.ESIMWorkflow, workflow.RegisterOptions{Name: contract.ESIMWorkflowType})
	w.RegisterWorkflowWithOptions(workflows.InstallRemindersWorkflow, workflow.RegisterOptions{Name: workflows.InstallRemindersWorkflowType})
	w.RegisterActivity(a.Activities())
	a.registerReconcile(w)
	a.registerSupport(w) // app/support.go
	return w
}

// API builds the HTTP server's handler configuration.
func (a *App) API() *api.Server {
	return &api.Server{
		Finance: a.Finance(),
		Codec:   codec.HTTPHandler(a.Codec), CodecOrigins: a.Cfg.CodecCORSOrigins, CodecOpen: a.Cfg.Sandbox,
		Store: a.Store, Orders: a.Orders, Bot: a.Bot, BotToken: a.Cfg.TelegramBotToken,
		WebhookSecret: a.Cfg.TelegramWebhookSecret, AdminTokens: a.Cfg.AdminTokens, InitDataMaxAge: a.Cfg.InitDataMaxAge,
		Logger: a.Logger, Metrics: a.Metrics.Handler(), Observe: a.Metrics, Middleware: a.Metrics.EchoMiddleware(),
		Usage: a.Usage, ESIMGoAPIKey: a.Cfg.ESIMGoAPIKey,
		Commands: a.BotCommands(), // app/bot.go
		HelpLink: a.helpLink(),    // app/support.go
		// One eSIM Go request per purchase, at the rate the lanes allow.
		PurchasesPerSecond: a.Cfg.ESIMGoRateLimit * budget.Headroom,
		Ready: map[string]api.Readiness{
			"postgresql": a.Store.Ping,
			"catalogue":  a.catalogueReady,
			"temporal": func(ctx context.Context) error {
				_, err := a.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{})
				return err
			},
		},
	}
}

// Finance builds the Stars finance report from the ledger, Telegram's Star
// balance and eSIM Go's organisation (GET /admin/finance, esimstore
// finance; finance.TelegramHTML renders it for a chat).
func (a *App) Finance() *finance.Reporter {
	return &finance.Reporter{Ledger: a.Store, Telegram: a.Bot, ESIM: a.ESIM, StarsUSDRate: a.Cfg.StarsUSDRate}
}

// catalogueReady fails until the first catalogue sync has put plans on
// sale: a store with nothing to sell is not ready for buyers.
func (a *App) catalogueReady(ctx context.Context) error {
	onSale, err := a.Store.HasPlansOnSale(ctx)
	if err == nil && !onSale {
		err = errors.New("no plans on sale yet: the catalogue sync has not succeeded")
	}
	return err
}

// WorkerPolling is a readiness check for processes that run a worker: the
// order task queue must have a poller, or paid orders would wait unseen.
func (a *App) WorkerPolling(ctx context.Context) error {
	resp, err := a.Temporal.DescribeTaskQueue(ctx, a.Cfg.TemporalTaskQueue, enumspb.TASK_QUEUE_TYPE_WORKFLOW)
	if err != nil {
		return err
	}
	if len(resp.GetPollers()) == 0 {
		return fmt.Errorf("no worker is polling task queue %s", a.Cfg.TemporalTaskQueue)
	}
	return nil
}

// HTTP is the store's router: the API and the Mini App. withWorker says
// the process also runs a worker, which /readyz then checks is polling.
func (a *App) HTTP(withWorker bool) *echo.Echo {
	s := a.API()
	if withWorker {
		s.Ready["worker"] = a.WorkerPolling
	}
	e := s.Routes()
	web.Register(e)
	return e
}

// WorkerHTTP is a worker-only process's router: health, readiness (with
// the worker's polling) and metrics.
func (a *App) WorkerHTTP() *echo.Echo {
	s := a.API()
	s.Ready["worker"] = a.WorkerPolling
	return s.HealthRoutes()
}

// SetUpBot points Telegram at our webhook and publishes the bot's commands
// and menu button. It needs PUBLIC_URL; without it (local runs) it does
// nothing but say so.
func (a *App) SetUpBot(ctx context.Context) error {
	if a.Cfg.PublicURL == "" {
		a.Logger.Info("PUBLIC_URL not set: not calling setWebhook")
		return nil
	}
	if err := a.Bot.SetWebhook(ctx, a.Cfg.PublicURL+"/telegram/webhook", a.Cfg.TelegramWebhookSecret); err != nil {
		return fmt.Errorf("set webhook: %w", err)
	}
	a.Logger.Info("webhook set", "url", a.Cfg.PublicURL+"/telegram/webhook")
	// Commands (en, ru and default) and the menu button opening the Mini App.
	return a.BotCommands().Setup(ctx) // app/bot.go
}
