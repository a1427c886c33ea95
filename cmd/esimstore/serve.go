package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/starsesim/esimstore/api"
	"github.com/starsesim/esimstore/app"
	"github.com/starsesim/esimstore/config"
	"github.com/starsesim/esimstore/store"
)

// roles says which parts a process runs.
type roles struct{ api, worker bool }

func runServe(ctx context.Context, args []string) error {
	return serve(ctx, args, roles{api: true, worker: true})
}
func runAPI(ctx context.Context, args []string) error { return serve(ctx, args, roles{api: true}) }
func runWorker(ctx context.Context, args []string) error {
	return serve(ctx, args, roles{worker: true})
}

func serve(ctx context.Context, args []string, r roles) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	cfg, err := config.FromEnv(os.Getenv, false)
	if err != nil {
		return err
	}
	logger := newLogger(cfg)
	a, err := app.Connect(ctx, cfg, logger, 0)
	if err != nil {
		return err
	}
	defer a.Close()
	return runApp(ctx, a, r)
}

// runApp runs the chosen roles until ctx ends, then shuts down gracefully:
// HTTP stops accepting and drains, the worker lets in-flight activities
// finish.
func runApp(ctx context.Context, a *app.App, r roles) error {
	g, ctx := errgroup.WithContext(ctx)
	if r.worker {
		w := a.NewWorker()
		if err := w.Start(); err != nil {
			return fmt.Errorf("start worker: %w", err)
		}
		defer w.Stop()
		if err := a.EnsurePlanSchedule(ctx); err != nil {
			a.Logger.Warn("plan sync schedule", "err", err)
		}
		if err := a.EnsureReconcileSchedule(ctx); err != nil {
			a.Logger.Warn("reconcile schedule", "err", err)
		}
		if plans, err := a.Store.ListPlans(ctx, ""); err == nil && len(plans) == 0 {
			if res, err := a.SyncPlansNow(ctx); err != nil {
				a.Logger.Error("first plan sync failed; the schedule will retry", "err", err)
			} else {
				a.Logger.Info("plans synced", "on_sale", res.OnSale)
			}
		}
	}
	// A worker-only process still serves health and metrics.
	h := a.WorkerHTTP()
	if r.api {
		h = a.HTTP(r.worker)
	}
	srv := api.NewHTTPServer(a.Cfg.HTTPAddr, h)
	g.Go(func() error {
		a.Logger.Info("http listening", "addr", a.Cfg.HTTPAddr)
		if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	g.Go(func() error {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	})
	if r.api {
		if err := a.SetUpBot(ctx); err != nil {
			a.Logger.Warn("bot set-up", "err", err)
		}
	}
	err := g.Wait()
	a.Logger.Info("stopped")
	return err
}

func runMigrate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	create := fs.Bool("create-database", false, "create the database first when it does not exist")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	url := os.Getenv("DATABASE_URL")
	if url == "" {
		url = "postgres://postgres@localhost:5432/esimstore?sslmode=disable"
	}
	if *create {
		if err := store.EnsureDatabase(ctx, url); err != nil {
			return err
		}
	}
	applied, err := store.Migrate(ctx, url)
	if err != nil {
		return err
	}
	slog.Info("migrations applied", "count", len(applied), "files", applied)
	return nil
}
