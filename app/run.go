package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"go.temporal.io/sdk/worker"

	"github.com/starsesim/esimstore/api"
)

// Roles says which parts of the store a process runs: `esimstore serve`
// runs both, `esimstore api` and `esimstore worker` one each.
type Roles struct{ API, Worker bool }

// StartOptions shape a start-up beyond the configuration.
type StartOptions struct {
	Roles Roles
	// Listener serves HTTP; nil listens on the configured HTTP_ADDR.
	Listener net.Listener
	// Mount adds routes to the API's router (the sandbox's simulator).
	Mount func(*echo.Echo)
}

// Running is a started store process.
type Running struct {
	app    *App
	server *http.Server
	served chan error

	mu     sync.Mutex
	worker worker.Worker
}

// Start brings the chosen roles up, always in this order and with these
// failure rules, for `esimstore serve|api|worker` and the sandbox alike:
//
//  1. the worker (failing to start it is an error);
//  2. the catalogue-sync and reconciliation schedules (an error: they are
//     idempotent calls to the Temporal server the worker just reached);
//  3. a first catalogue sync when the plan table is empty; if eSIM Go
//     cannot be reached it is logged, the schedule retries, and /readyz
//     answers 503 ("catalogue") until plans are on sale;
//  4. HTTP: the API and the Mini App, or only health and metrics for a
//     worker-only process;
//  5. for the API, the bot's webhook, commands and menu button; failing is
//     logged, because Telegram keeps the previous set-up and the next start
//     repeats it.
func (a *App) Start(ctx context.Context, opts StartOptions) (_ *Running, err error) {
	r := &Running{app: a, served: make(chan error, 1)}
	defer func() {
		if err != nil {
			r.Stop()
		}
	}()
	if opts.Roles.Worker {
		if err := r.StartWorker(); err != nil {
			return nil, err
		}
		if err := a.EnsureSchedules(ctx); err != nil {
			return nil, err
		}
		a.syncPlansIfEmpty(ctx)
	}

	h := a.WorkerHTTP()
	if opts.Roles.API {
		h = a.HTTP(opts.Roles.Worker)
		if opts.Mount != nil {
			opts.Mount(h)
		}
	}
	l := opts.Listener
	if l == nil {
		if l, err = net.Listen("tcp", a.Cfg.HTTPAddr); err != nil {
			return nil, fmt.Errorf("listen on %s: %w", a.Cfg.HTTPAddr, err)
		}
	}
	r.server = api.NewHTTPServer(a.Cfg.HTTPAddr, h)
	go func() {
		a.Logger.Info("http listening", "addr", l.Addr().String())
		if err := r.server.Serve(l); !errors.Is(err, http.ErrServerClosed) {
			r.served <- err
		}
		close(r.served)
	}()

	if opts.Roles.API {
		if err := a.SetUpBot(ctx); err != nil {
			a.Logger.Warn("bot set-up failed; Telegram keeps the previous one", "err", err)
		}
	}
	return r, nil
}

// syncPlansIfEmpty fills a fresh store's plan table before its first buyer.
func (a *App) syncPlansIfEmpty(ctx context.Context) {
	if onSale, err := a.Store.HasPlansOnSale(ctx); err != nil || onSale {
		return
	}
	res, err := a.SyncPlansNow(ctx)
	if err != nil {
		a.Logger.Error("first plan sync failed; the schedule retries and /readyz reports it", "err", err)
		return
	}
	a.Logger.Info("plans synced", "on_sale", res.OnSale)
}

// Wait serves until ctx ends (or HTTP fails), then stops gracefully.
func (r *Running) Wait(ctx context.Context) error {
	var err error
	select {
	case <-ctx.Done():
	case err = <-r.served:
	}
	r.Stop()
	r.app.Logger.Info("stopped")
	return err
}

// Stop shuts down gracefully: HTTP stops accepting and drains in-flight
// requests (a webhook answers only once its payment is durable), then the
// worker lets in-flight activities finish.
func (r *Running) Stop() {
	if r.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := r.server.Shutdown(ctx); err != nil {
			r.app.Logger.Warn("http shutdown", "err", err)
		}
	}
	r.StopWorker()
}

// StopWorker stops the worker, if this process runs one.
func (r *Running) StopWorker() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.worker != nil {
		r.worker.Stop()
		r.worker = nil
	}
}

// StartWorker starts a fresh worker on the store's task queue.
func (r *Running) StartWorker() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.worker != nil {
		return nil
	}
	w := r.app.NewWorker()
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	r.worker = w
	return nil
}
