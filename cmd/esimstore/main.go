// Command esimstore is the whole store in one binary:
//
//	esimstore serve      API and worker in one process, against real Telegram and eSIM Go
//	esimstore api        the HTTP API only
//	esimstore worker     the Temporal worker only
//	esimstore migrate    apply database migrations
//	esimstore refund     support: refund an order
//	esimstore orders     support: list orders
//	esimstore order      support: one order with its timeline
//
// Built with the `dev` tag (make run, make bench, make test) it also has the
// development tools, which the production build leaves out entirely:
//
//	esimstore sandbox    everything locally with fake Telegram and eSIM Go (make run)
//	esimstore bench      load test through the app, the dev server and the fakes
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/starsesim/esimstore/config"
)

// exitConfig is the exit code for unusable configuration.
const exitConfig = 2

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string) error
}

func commands() []command {
	list := []command{
		{"serve", "run the API and the worker against the configured services", runServe},
		{"api", "run the HTTP API only", runAPI},
		{"worker", "run the Temporal worker only", runWorker},
		{"migrate", "apply database migrations", runMigrate},
		{"refund", "refund an order: refund <order-id> --reason \"…\" [--by name]", runRefund},
		{"orders", "list orders: orders [--status s] [--user id] [--plan id] [--limit n]", runOrders},
		{"order", "show one order with its timeline: order <order-id>", runOrder},
		{"finance", "Stars finance: finance [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--json] (UTC days)", runFinance},
	}
	return append(list, devCommands()...)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:]))
}

func run(ctx context.Context, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage()
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:])
		var cerr *config.Error
		switch {
		case errors.As(err, &cerr):
			fmt.Fprintf(os.Stderr, "esimstore %s: %v\n", c.name, err)
			return exitConfig
		case errors.Is(err, errUsage):
			return exitConfig
		case err != nil:
			fmt.Fprintf(os.Stderr, "esimstore %s: %v\n", c.name, err)
			return 1
		}
		return 0
	}
	fmt.Fprintf(os.Stderr, "esimstore: unknown command %q\n\n", args[0])
	usage()
	return exitConfig
}

var errUsage = errors.New("usage")

func usage() {
	fmt.Fprintln(os.Stderr, "usage: esimstore <command> [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(os.Stderr, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(os.Stderr, "\nConfiguration comes from the environment; see README.md.")
}

// newLogger builds the process logger: JSON in production, text in the
// sandbox; LOG_LEVEL=debug for more.
func newLogger(cfg config.Config) *slog.Logger {
	level := slog.LevelInfo
	if os.Getenv("LOG_LEVEL") == "debug" {
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, opts))
}
