//go:build dev

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	_ "net/http/pprof" // served only by `bench --serve-app` with BENCH_PPROF_ADDR
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/starsesim/esimstore/app"
	"github.com/starsesim/esimstore/config"
	"github.com/starsesim/esimstore/internal/dev/bench"
	"github.com/starsesim/esimstore/internal/dev/devserver"
)

// runBench is `esimstore bench`: the load generator (see package bench and
// docs/performance.md). With --serve-app it is instead the app under test,
// started by the load generator as a child process.
func runBench(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	serveApp := fs.Bool("serve-app", false, "internal: run the app under test (the load generator starts this)")
	role := fs.String("role", "serve", "internal, with --serve-app: serve, api or worker")
	rate := fs.Float64("rate", 0, "open loop: orders per second offered (0: closed loop, see --concurrency)")
	conc := fs.Int("concurrency", 10, "closed loop: buyers, each buying again once their QR arrives")
	dur := fs.Duration("duration", 30*time.Second, "measured window")
	warm := fs.Duration("warmup", 5*time.Second, "load before the window, not measured")
	drain := fs.Duration("drain", 60*time.Second, "how long to wait for paid orders' QR after the load stops")
	tgLat := fs.Duration("telegram-latency", 0, "added latency of every fake Telegram call")
	esimLat := fs.Duration("esim-latency", 0, "added latency of every fake eSIM Go call")
	esimLimit := fs.Int("esimgo-limit", 0, "fake eSIM Go enforces this many requests per fixed second (its default is 10); the app gets ESIMGO_RATE_LIMIT the same")
	tgLimit := fs.Int("telegram-limit", 0, "fake Telegram enforces this many messages a second per bot (its figure is 30) and one per chat")
	workers := fs.Int("workers", 0, "run esimstore api plus this many esimstore worker processes instead of one esimstore serve")
	refundEvery := fs.Int("refund-every", 0, "every Nth buyer orders a plan fake eSIM Go refuses: refunded, timed payment → refund")
	dbURL := fs.String("database-url", envOr("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"),
		"PostgreSQL server to create the run's database on")
	keepDB := fs.Bool("keep-db", false, "keep the run's database")
	temporalAddr := fs.String("temporal-address", "", "use this Temporal server instead of starting the dev server")
	temporalPID := fs.Int("temporal-pid", 0, "with --temporal-address: the server's process id, to report its CPU and memory")
	temporalDBs := fs.String("temporal-databases", "", "with --temporal-address: its PostgreSQL databases (comma-separated), to report their CPU")
	temporalDB := fs.String("temporal-db", "", `dev server database: "" in memory, "file" in the run directory, or a path`)
	untuned := fs.Bool("temporal-untuned", false, "start the dev server without devserver.TunedArgs and TunedEnv")
	var temporalArgs, temporalEnv, appEnv multiFlag
	fs.Var(&temporalArgs, "temporal-arg", "extra dev server argument (repeatable)")
	fs.Var(&temporalEnv, "temporal-env", "extra KEY=VALUE for the dev server's environment, overriding the tuned one (repeatable)")
	fs.Var(&appEnv, "app-env", "extra KEY=VALUE for the app's environment (repeatable)")
	plan := fs.String("plan", bench.DefaultPlan, "plan every order buys")
	dir := fs.String("dir", "", "keep logs and the app's /metrics here (default: a temporary directory)")
	pprof := fs.String("pprof", "", "let the app serve net/http/pprof on this address, e.g. 127.0.0.1:6060")
	jsonOut := fs.String("json", "", "write the report as JSON to this file")
	compare := fs.String("compare", "", "print ratios against this earlier JSON report")
	quiet := fs.Bool("quiet", false, "no per-second progress lines")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *serveApp {
		return serveBenchApp(ctx, *role)
	}
	// `bench --compare old.json new.json` compares two reports without a run.
	if *compare != "" && fs.NArg() == 1 {
		return compareFiles(*compare, fs.Arg(0))
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "esimstore bench: unexpected arguments:", fs.Args())
		return errUsage
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	o := bench.Options{
		AppCommand: []string{self, "bench", "--serve-app"}, AppEnv: appEnv,
		Rate: *rate, Concurrency: *conc, Duration: *dur, WarmUp: *warm, Drain: *drain,
		TelegramLatency: *tgLat, ESIMLatency: *esimLat, DatabaseURL: *dbURL, KeepDatabase: *keepDB,
		ESIMGoLimit: *esimLimit, TelegramLimit: *tgLimit, Workers: *workers, RefundEvery: *refundEvery,
		TemporalAddress: *temporalAddr, TemporalDBFile: *temporalDB, Plan: *plan, Dir: *dir, PprofAddr: *pprof,
		TemporalPID: *temporalPID,
	}
	if *temporalDBs != "" {
		o.TemporalDatabases = strings.Split(*temporalDBs, ",")
	}
	if *warm == 0 {
		o.WarmUp = -1 // explicitly none
	}
	o.TemporalArgs, o.TemporalEnv = devserver.TunedArgs, devserver.TunedEnv
	if *untuned {
		o.TemporalArgs, o.TemporalEnv = []string{}, []string{}
	}
	o.TemporalArgs = append(slices.Clone(o.TemporalArgs), temporalArgs...)
	o.TemporalEnv = append(slices.Clone(o.TemporalEnv), temporalEnv...)
	if !*quiet {
		o.Progress = os.Stderr
	}
	rep, err := bench.Run(ctx, o)
	if err != nil {
		return err
	}
	rep.Print(os.Stdout)
	if *jsonOut != "" {
		if err := rep.WriteJSON(*jsonOut); err != nil {
			return err
		}
		fmt.Printf("\nreport written to %s\n", *jsonOut)
	}
	if *compare != "" {
		old, err := bench.ReadReport(*compare)
		if err != nil {
			return err
		}
		bench.Compare(os.Stdout, old, rep)
	}
	if rep.Orders.Lost > 0 {
		return fmt.Errorf("%d paid orders were never delivered", rep.Orders.Lost)
	}
	return nil
}

// serveBenchApp is `esimstore serve` (or `api`, or `worker`, for runs with
// several processes) configured, like production, only through the
// environment: the load generator sets ESIMGO_RATE_LIMIT to what its fake
// eSIM Go enforces, or far above what the run offers when the fake
// enforces nothing, and BENCH_TELEGRAM_LIMIT to its fake Telegram's flood
// limit. BENCH_PG_MAX_CONNS and BENCH_PPROF_ADDR are experiment knobs.
func serveBenchApp(ctx context.Context, role string) error {
	roles := map[string]app.Roles{"serve": {API: true, Worker: true}, "api": {API: true}, "worker": {Worker: true}}
	r, ok := roles[role]
	if !ok {
		return fmt.Errorf("--role %q: want serve, api or worker", role)
	}
	cfg, err := config.FromEnv(os.Getenv, false)
	if err != nil {
		return err
	}
	if v := os.Getenv("BENCH_TELEGRAM_LIMIT"); v != "" {
		// The fake's flood limit, when a run sets one other than Telegram's.
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || n <= 0 {
			return fmt.Errorf("BENCH_TELEGRAM_LIMIT %q: want a positive number", v)
		}
		cfg.TelegramMessagesPerSecond = n
	}
	if n := os.Getenv("BENCH_PG_MAX_CONNS"); n != "" {
		// An experiment knob: pgxpool reads pool_max_conns from the URL.
		sep := "?"
		if strings.Contains(cfg.DatabaseURL, "?") {
			sep = "&"
		}
		cfg.DatabaseURL += sep + "pool_max_conns=" + n
	}
	logger := newLogger(cfg)
	if addr := os.Getenv("BENCH_PPROF_ADDR"); addr != "" {
		// DefaultServeMux carries net/http/pprof's handlers.
		srv := &http.Server{Addr: addr, ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				logger.Error("pprof server", "err", err)
			}
		}()
		defer srv.Close() //nolint:errcheck // the profiling server only has to stop with the bench
	}
	a, err := app.Connect(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.Close()
	running, err := a.Start(ctx, app.StartOptions{Roles: r})
	if err != nil {
		return err
	}
	return running.Wait(ctx)
}

func compareFiles(oldPath, newPath string) error {
	old, err := bench.ReadReport(oldPath)
	if err != nil {
		return err
	}
	cur, err := bench.ReadReport(newPath)
	if err != nil {
		return err
	}
	bench.Compare(os.Stdout, old, cur)
	return nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, " ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
