// Package bench is the store's load generator (`esimstore bench`). It drives
// complete orders — create, pre-checkout, payment, eSIM purchase, QR
// delivery — through the real app, the real Temporal dev server and the
// real PostgreSQL, with the faithful fakes standing in for Telegram and
// eSIM Go, and reports latency percentiles, throughput, failures, lost
// orders and the app's CPU and memory.
//
// The app runs as a child process (`esimstore bench --serve-app`, which is
// `esimstore serve` with the eSIM Go client's rate limit lifted) so its CPU
// time and peak RSS are its own; the fakes and the load generator share
// the bench process, and the dev server is a second child. docs/performance.md
// explains the method.
package bench

import (
	"fmt"
	"io"
	"time"
)

// Options shape one run. Zero values give the documented defaults.
type Options struct {
	// AppCommand is the argv that starts the app, e.g.
	// {"/path/esimstore", "bench", "--serve-app"}. Required.
	AppCommand []string
	// AppEnv adds variables to the app's environment (tuning experiments).
	AppEnv []string

	// Rate is the open-loop arrival rate in orders per second. When zero,
	// Concurrency buyers each run one order after another (closed loop).
	Rate        float64
	Concurrency int
	Duration    time.Duration // measured window; default 30s
	WarmUp      time.Duration // load before the window, not measured; default 5s
	// Drain is how long to wait after the load stops for paid orders to be
	// delivered before counting them lost; default 60s.
	Drain time.Duration

	// Added latency of every fake Telegram and eSIM Go call (0 by default:
	// the figures are then the store's own cost).
	TelegramLatency time.Duration
	ESIMLatency     time.Duration

	// ESIMGoLimit, when > 0, makes fake eSIM Go enforce the account limit
	// (tokens per fixed second, the catalogue costing 5) and gives the app
	// ESIMGO_RATE_LIMIT of the same value. 0: the fake has no limit and the
	// app's is set far above any run.
	ESIMGoLimit int
	// TelegramLimit, when > 0, makes fake Telegram enforce this many
	// messages a second per bot and one per chat, and the app keep under
	// it. Otherwise the fake has no limit and the app keeps under
	// Telegram's (30 and 1).
	TelegramLimit int
	// Workers, when > 0, runs the app as one `esimstore api` and this many
	// `esimstore worker` processes instead of one `esimstore serve`.
	Workers int
	// RefundEvery, when > 0, makes every RefundEvery-th buyer order
	// RefusedPlan, which fake eSIM Go refuses: the order is refunded, and
	// the report times payment → refund next to payment → QR.
	RefundEvery int

	// DatabaseURL names the PostgreSQL server; the run creates a fresh
	// database on it and drops it afterwards unless KeepDatabase.
	DatabaseURL  string
	KeepDatabase bool
	// TemporalAddress uses a running server instead of starting the dev
	// server. Its CPU and memory are reported only if TemporalPID names
	// its process; TemporalDatabases (its PostgreSQL databases, e.g. the
	// cluster's) add the CPU of the backends serving them.
	TemporalAddress   string
	TemporalPID       int
	TemporalDatabases []string
	// TemporalDBFile "" keeps the dev server in memory; "file" puts a
	// SQLite file in the run's directory (as `make run` does); any other
	// value is the file's path.
	TemporalDBFile string
	// TemporalArgs are extra `temporal server start-dev` arguments; nil
	// means devserver.TunedArgs, an empty non-nil slice means none.
	TemporalArgs []string
	// TemporalEnv is added to the dev server's environment; nil means
	// devserver.TunedEnv, an empty non-nil slice means none.
	TemporalEnv []string

	Plan string // default esim_1GB_7D_GB_V2
	// Dir receives the app's and dev server's logs and the app's /metrics
	// at the end; default a temporary directory that is removed.
	Dir string
	// PprofAddr, when set, makes the app serve net/http/pprof there.
	PprofAddr string
	// Progress receives one line per second during the run; nil is silent.
	Progress io.Writer
}

// DefaultPlan is in the fake eSIM Go catalogue and on sale after the sync.
const DefaultPlan = "esim_1GB_7D_GB_V2"

// RefusedPlan is on sale, but fake eSIM Go refuses to sell it in runs with
// Options.RefundEvery.
const RefusedPlan = "esim_1GB_7D_FR_V2"

func (o *Options) defaults() error {
	if len(o.AppCommand) == 0 {
		return fmt.Errorf("bench: AppCommand is required")
	}
	if o.Rate < 0 || o.Concurrency < 0 || o.Workers < 0 || o.ESIMGoLimit < 0 || o.TelegramLimit < 0 || o.RefundEvery < 0 {
		return fmt.Errorf("bench: rate, concurrency, workers and limits must not be negative")
	}
	if o.Rate == 0 && o.Concurrency == 0 {
		o.Concurrency = 10
	}
	if o.Duration <= 0 {
		o.Duration = 30 * time.Second
	}
	if o.WarmUp < 0 {
		o.WarmUp = 0
	} else if o.WarmUp == 0 {
		o.WarmUp = 5 * time.Second
	}
	if o.Drain <= 0 {
		o.Drain = 60 * time.Second
	}
	if o.DatabaseURL == "" {
		o.DatabaseURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	if o.Plan == "" {
		o.Plan = DefaultPlan
	}
	return nil
}
