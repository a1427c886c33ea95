package main

import (
	"context"
	"flag"
	"log/slog"
	"os"

	"github.com/starsesim/esimstore/app"
	"github.com/starsesim/esimstore/config"
	"github.com/starsesim/esimstore/store"
)

func runServe(ctx context.Context, args []string) error {
	return serve(ctx, args, app.Roles{API: true, Worker: true})
}
func runAPI(ctx context.Context, args []string) error { return serve(ctx, args, app.Roles{API: true}) }
func runWorker(ctx context.Context, args []string) error {
	return serve(ctx, args, app.Roles{Worker: true})
}

// serve runs the chosen roles until ctx ends, then shuts down gracefully
// (app.Start documents the start-up order and its failure rules).
func serve(ctx context.Context, args []string, roles app.Roles) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	cfg, err := config.FromEnv(os.Getenv, false)
	if err != nil {
		return err
	}
	logger := newLogger(cfg)
	a, err := app.Connect(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.Close()
	running, err := a.Start(ctx, app.StartOptions{Roles: roles})
	if err != nil {
		return err
	}
	return running.Wait(ctx)
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
