// Package api is the store's front door: the Mini App API, the Telegram
// webhook, the support API and the health endpoints (docs/architecture.md#http-contract).
package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/starsesim/esimstore/checkout"
	"github.com/starsesim/esimstore/config"
	"github.com/starsesim/esimstore/finance"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/telegram"
	"github.com/starsesim/esimstore/usage"
)

// Commands answers bot chat commands (/start, /orders, …). It is optional so
// the API can be tested without the bot.
type Commands interface {
	HandleMessage(ctx context.Context, m *telegram.Message) error
	HandleCallback(ctx context.Context, q *telegram.CallbackQuery) error
	HandleSubscription(ctx context.Context, s *telegram.SubscriptionUpdate) error
}

// Readiness reports whether a dependency is usable; /readyz asks each.
type Readiness func(ctx context.Context) error

// Server holds the API's dependencies.
type Server struct {
	Store    *store.Store
	Orders   *checkout.Service
	Bot      *telegram.Bot
	Commands Commands
	// HelpLink opens the bot chat to ask support about an order (the
	// Mini App's "Help with this order"); nil or "" hides it.
	HelpLink       func(ctx context.Context, orderID string) string
	BotToken       string
	WebhookSecret  string
	AdminTokens    []config.AdminToken
	InitDataMaxAge time.Duration
	Ready          map[string]Readiness
	Metrics        http.Handler
	Logger         *slog.Logger
	Now            func() time.Time
	// Observe receives business events for metrics; nil ignores them.
	Observe Observer
	// Middleware runs on every request (request metrics).
	Middleware echo.MiddlewareFunc
	// Finance answers GET /admin/finance; nil leaves it out (404).
	Finance *finance.Reporter
	// Codec serves /codec/encode and /codec/decode (api/codec.go); nil
	// leaves them out. CodecOrigins may call them from a browser, and
	// CodecOpen drops the support-token check (sandbox only).
	Codec        http.Handler
	CodecOrigins []string
	CodecOpen    bool
	// Usage serves GET /api/esims from the after-sale cache.
	Usage *usage.Service
	// ESIMGoAPIKey verifies eSIM Go's callback signatures.
	ESIMGoAPIKey string
	// PurchasesPerSecond is how fast eSIM Go's budget lets paid orders
	// through; with it, a paid order waiting for its eSIM shows its place
	// in the queue (api/queue.go). Zero shows none.
	PurchasesPerSecond float64

	qrs *qrCache // set up by Routes
}

// Observer is told about events worth counting.
type Observer interface {
	PreCheckoutAnswered(ok bool, took time.Duration)
	WebhookUpdate(kind string)
	ESIMGoCallback(alertType string, accepted bool)
}

// MaxBody is the contract's body limit; larger bodies get 413.
const MaxBody = "64K"

// Routes builds the Echo router with every route of the contract.
func (s *Server) Routes() *echo.Echo {
	s.qrs = newQRCache(qrCacheSize)
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.errorHandler
	e.Use(middleware.RequestID())
	e.Use(s.accessLog())
	e.Use(middleware.Recover())
	if s.Middleware != nil {
		e.Use(s.Middleware)
	}
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: MaxBody, Skipper: isCodecPath}))
	e.Use(middleware.SecureWithConfig(middleware.SecureConfig{
		XSSProtection: "0", ContentTypeNosniff: "nosniff", ReferrerPolicy: "strict-origin-when-cross-origin",
		// The Mini App lives in Telegram's iframe, so framing is limited to
		// Telegram (and ourselves, for the sandbox simulator) rather than denied.
		ContentSecurityPolicy: "frame-ancestors 'self' https://web.telegram.org https://*.telegram.org",
	}))

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	if s.Metrics != nil {
		e.GET("/metrics", echo.WrapHandler(s.Metrics))
	}

	e.GET("/api/plans", s.listPlans)
	buyer := e.Group("/api/orders", s.requireInitData)
	buyer.POST("", s.createOrder)
	buyer.GET("", s.listMyOrders)
	buyer.GET("/:id", s.getMyOrder)
	buyer.GET("/:id/qr.png", s.myOrderQR)
	s.subscriptionRoutes(e)                           // api/buyer_subscriptions.go
	esims := e.Group("/api/esims", s.requireInitData) // api/esims.go
	esims.GET("", s.listMyESIMs)
	esims.GET("/:iccid/plans", s.myESIMPlans)

	e.POST("/telegram/webhook", s.webhook)
	e.POST("/esimgo/callback", s.esimgoCallback)

	admin := e.Group("/admin", s.requireAdmin)
	admin.GET("/orders", s.adminListOrders)
	admin.GET("/orders/:id", s.adminGetOrder)
	admin.POST("/orders/:id/refund", s.adminRefund)
	admin.GET("/reconciliation", s.adminReconciliation)
	admin.GET("/finance", s.adminFinance)
	s.codecRoutes(e) // api/codec.go
	return e
}

// HealthRoutes is the router of a worker-only process: health, readiness
// and metrics, nothing a buyer or Telegram could reach.
func (s *Server) HealthRoutes() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.errorHandler
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	if s.Metrics != nil {
		e.GET("/metrics", echo.WrapHandler(s.Metrics))
	}
	return e
}

// NewHTTPServer wraps the router with timeouts that keep slow clients from
// holding connections.
func NewHTTPServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr: addr, Handler: h,
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute,
	}
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Server) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// apiError is the contract's error body.
type apiError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

func fail(c echo.Context, status int, code, message string) error {
	return c.JSON(status, apiError{Error: code, Message: message})
}

// errorHandler gives every error, including Echo's own (404 route, 405,
// 413), the contract's JSON shape.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, code, msg := http.StatusInternalServerError, "internal", "Something went wrong on our side. Please try again."
	var he *echo.HTTPError
	if errors.As(err, &he) {
		status = he.Code
		switch status {
		case http.StatusNotFound:
			code, msg = "not_found", "Not found."
		case http.StatusMethodNotAllowed:
			code, msg = "method_not_allowed", "Method not allowed."
		case http.StatusRequestEntityTooLarge:
			code, msg = "body_too_large", "The request body is larger than 64 KiB."
		case http.StatusUnauthorized:
			code, msg = "unauthorized", "Authentication required."
		default:
			code, msg = http.StatusText(status), http.StatusText(status)
		}
	} else {
		s.log().Error("request failed", "method", c.Request().Method, "path", c.Path(), "err", err,
			"request_id", c.Response().Header().Get(echo.HeaderXRequestID))
	}
	var werr error
	if c.Request().Method == http.MethodHead {
		werr = c.NoContent(status)
	} else {
		werr = fail(c, status, code, msg)
	}
	if werr != nil {
		// Only the connection can fail here: the client has gone.
		s.log().Debug("error answer not written", "status", status, "err", werr)
	}
}

// accessLog logs one line per request: never headers, bodies or query
// strings, which carry initData and tokens.
func (s *Server) accessLog() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err)
			}
			status := c.Response().Status
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelError
			}
			if c.Path() == "/healthz" || c.Path() == "/readyz" || c.Path() == "/metrics" {
				level = slog.LevelDebug
			}
			s.log().Log(c.Request().Context(), level, "http request", "method", c.Request().Method, "route", c.Path(),
				"status", status, "duration_ms", time.Since(start).Milliseconds(),
				"request_id", c.Response().Header().Get(echo.HeaderXRequestID))
			return nil
		}
	}
}

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
	defer cancel()
	checks := map[string]string{}
	ready := true
	for name, check := range s.Ready {
		if err := check(ctx); err != nil {
			// The answer is public: it says which dependency is down, never
			// the driver's error text (hosts, ports, user names); the log
			// has the details.
			checks[name] = "down"
			ready = false
			s.log().Warn("not ready", "check", name, "err", err)
		} else {
			checks[name] = "ok"
		}
	}
	status := http.StatusOK
	if !ready {
		status = http.StatusServiceUnavailable
	}
	return c.JSON(status, map[string]any{"ready": ready, "checks": checks})
}
