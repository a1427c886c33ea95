// Package sandbox runs the whole store on one machine with faithful fakes
// of Telegram and eSIM Go: `make run`, the integration tests, the browser
// tests, the benchmark and the fault suite all start it the same way.
// `esimstore serve` never uses it.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"github.com/starsesim/esimstore/app"
	"github.com/starsesim/esimstore/config"
	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/esimgo/esimgotest"
	"github.com/starsesim/esimstore/internal/dev/devserver"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/telegram/telegramtest"
)

// Options shape one sandbox. Zero values give `make run`'s defaults.
type Options struct {
	// Getenv supplies the configuration (os.Getenv for `make run`).
	Getenv func(string) string
	Logger *slog.Logger
	// TemporalAddress uses a running Temporal server instead of starting
	// the dev server (tests share one per package).
	TemporalAddress  string
	TemporalPort     int // dev server port; 0 picks one
	TemporalUIPort   int // 0: port+1000; ignored when headless
	TemporalHeadless bool
	TemporalDBFile   string // "" keeps the dev server in memory
	TaskQueue        string // overrides TEMPORAL_TASK_QUEUE (tests use their own)
	// Mount adds routes to the app's router (the Mini App simulator).
	Mount func(e *echo.Echo, s *Sandbox)
	// Tune adjusts the configuration after it is read (tests shorten TTLs).
	Tune func(*config.Config)
}

// Sandbox is a running store with its fakes.
type Sandbox struct {
	Cfg      config.Config
	App      *app.App
	Telegram *telegramtest.Fake
	ESIM     *esimgotest.Fake
	URL      string // the app's base URL
	UIURL    string // Temporal Web UI, "" when headless or external

	temporal *devserver.Server
	servers  []*http.Server // the fakes'
	running  *app.Running
	logger   *slog.Logger
}

// Start brings everything up and returns once the app answers /readyz and
// the plans are synced.
func Start(ctx context.Context, opts Options) (_ *Sandbox, err error) {
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	cfg, err := config.FromEnv(opts.Getenv, true)
	if err != nil {
		return nil, err
	}
	// The fakes answer instantly and enforce no limits (unless a test asks
	// them to); the real limits are for the real eSIM Go and Telegram.
	if opts.Getenv("ESIMGO_RATE_LIMIT") == "" {
		cfg.ESIMGoRateLimit = 1000
	}
	cfg.TelegramMessagesPerSecond, cfg.TelegramChatMessagesPerSecond = 0, 0
	if opts.TaskQueue != "" {
		cfg.TemporalTaskQueue = opts.TaskQueue
	}
	if opts.Tune != nil {
		opts.Tune(&cfg)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	s := &Sandbox{logger: logger}
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()

	if err := store.EnsureDatabase(ctx, cfg.DatabaseURL); err != nil {
		return nil, err
	}
	if _, err := store.Migrate(ctx, cfg.DatabaseURL); err != nil {
		return nil, err
	}

	// The app's address comes first: the dev server's Web UI is pointed at
	// its codec endpoint.
	appListener, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	s.URL = "http://" + loopback(appListener.Addr())
	defer func() {
		if err != nil {
			appListener.Close()
		}
	}()

	if opts.TemporalAddress != "" {
		cfg.TemporalAddress = opts.TemporalAddress
	} else {
		bin, err := devserver.FindBinary()
		if err != nil {
			return nil, err
		}
		if opts.TemporalDBFile != "" {
			if err := os.MkdirAll(filepath.Dir(opts.TemporalDBFile), 0o755); err != nil {
				return nil, err
			}
		}
		s.temporal, err = devserver.Start(ctx, devserver.Options{Binary: bin, Port: opts.TemporalPort,
			UIPort: opts.TemporalUIPort, Headless: opts.TemporalHeadless, DBFile: opts.TemporalDBFile,
			Namespace: cfg.TemporalNamespace, SearchAttributes: contract.SearchAttributeTypes,
			UICodecEndpoint: s.URL + "/codec",
			ExtraArgs:       devserver.TunedArgs, Env: devserver.TunedEnv})
		if err != nil {
			return nil, err
		}
		cfg.TemporalAddress = s.temporal.Address()
		if s.UIURL = s.temporal.UIAddress(); s.UIURL != "" {
			// The UI's page calls the codec from the browser.
			cfg.CodecCORSOrigins = append(cfg.CodecCORSOrigins, s.UIURL)
		}
	}

	s.Telegram = telegramtest.New(telegramtest.Options{Token: cfg.TelegramBotToken})
	if cfg.SupportChatID != 0 {
		// The bot is a member (an admin, so it sees every message) of the
		// staff group.
		s.Telegram.AddGroup(cfg.SupportChatID, SupportChatTitle)
	}
	tgURL, err := s.serve(s.Telegram)
	if err != nil {
		return nil, err
	}
	// The fake posts its signed callbacks to the app, as eSIM Go does to
	// the callback URL set in its portal.
	s.ESIM = esimgotest.New(esimgotest.Options{APIKey: cfg.ESIMGoAPIKey, Balance: esimgotestBalance,
		CallbackURL: s.URL + "/esimgo/callback"})
	esimURL, err := s.serve(s.ESIM)
	if err != nil {
		return nil, err
	}
	cfg.TelegramAPIURL, cfg.ESIMGoAPIURL = tgURL, esimURL+"/v2.5"
	cfg.PublicURL = s.URL
	if cfg.TemporalUIURL == "" {
		cfg.TemporalUIURL = s.UIURL // support-chat links point at the dev server's UI
	}
	s.Cfg = cfg

	s.App, err = app.Connect(ctx, cfg, logger)
	if err != nil {
		return nil, err
	}
	// The same start-up as `esimstore serve` (app.Start), on the listener
	// opened above so the fakes and PUBLIC_URL already know its address.
	start := app.StartOptions{Roles: app.Roles{API: true, Worker: true}, Listener: appListener}
	if opts.Mount != nil {
		start.Mount = func(e *echo.Echo) { opts.Mount(e, s) }
	}
	if s.running, err = s.App.Start(ctx, start); err != nil {
		return nil, err
	}
	if err := s.waitReady(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// SupportChatTitle names the sandbox's support group in the fake Telegram.
const SupportChatTitle = "eSIM Store support"

// A generous prepaid balance so a long sandbox session never runs dry by
// accident; the fault switches exercise the empty-balance path on purpose.
var esimgotestBalance = decimal.RequireFromString("100000")

func (s *Sandbox) serve(h http.Handler) (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	s.servers = append(s.servers, srv)
	go func() { _ = srv.Serve(l) }()
	return "http://" + l.Addr().String(), nil
}

func (s *Sandbox) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/readyz", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return errors.New("sandbox app did not become ready")
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// StopWorker stops the sandbox's worker, as an outage of every worker
// would; StartWorker brings up a new one.
func (s *Sandbox) StopWorker() { s.running.StopWorker() }

// StartWorker starts a fresh worker on the store's task queue.
func (s *Sandbox) StartWorker() error { return s.running.StartWorker() }

// Temporal is the dev server the sandbox started, or nil.
func (s *Sandbox) Temporal() *devserver.Server { return s.temporal }

// Stop shuts everything down: the app (HTTP first, then the worker,
// letting in-flight activities finish), the fakes, then the dev server.
func (s *Sandbox) Stop() {
	if s.running != nil {
		s.running.Stop()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := len(s.servers) - 1; i >= 0; i-- {
		_ = s.servers[i].Shutdown(ctx)
	}
	if s.ESIM != nil {
		s.ESIM.Close()
	}
	if s.App != nil {
		s.App.Close()
	}
	if s.temporal != nil {
		_ = s.temporal.Stop()
	}
}

func loopback(a net.Addr) string {
	t := a.(*net.TCPAddr)
	if t.IP.IsUnspecified() {
		return fmt.Sprintf("127.0.0.1:%d", t.Port)
	}
	return t.String()
}
