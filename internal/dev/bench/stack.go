package bench

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/shopspring/decimal"

	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/esimgo/esimgotest"
	"github.com/starsesim/esimstore/internal/dev/devserver"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/telegram"
	"github.com/starsesim/esimstore/telegram/telegramtest"
)

// stack is everything a run brings up, torn down by close.
type stack struct {
	opts     Options
	dir      string
	tmpDir   bool
	dbURL    string
	temporal *devserver.Server
	tgAddr   string
	tg       *telegramtest.Fake
	esim     *esimgotest.Fake
	servers  []*http.Server
	// procs are the app's processes: `serve`, or `api` first and then
	// the workers.
	procs   []*appProc
	appURL  string
	token   string
	secret  string
	tracker *tracker
}

const webhookSecret = "bench-webhook-secret"

func startStack(ctx context.Context, o Options) (_ *stack, err error) {
	s := &stack{opts: o, tracker: newTracker(), secret: webhookSecret, dir: o.Dir}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	if s.dir == "" {
		if s.dir, err = os.MkdirTemp("", "esimstore-bench-"); err != nil {
			return nil, err
		}
		s.tmpDir = true
	} else if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return nil, err
	}

	// A fresh database per run: figures never depend on an earlier run's rows.
	s.dbURL = withDatabase(o.DatabaseURL, "esimstore_bench_"+randHex(5))
	if err := store.EnsureDatabase(ctx, s.dbURL); err != nil {
		return nil, fmt.Errorf("create bench database (is PostgreSQL running? `make postgres`): %w", err)
	}
	if _, err := store.Migrate(ctx, s.dbURL); err != nil {
		return nil, err
	}

	temporalAddr := o.TemporalAddress
	if temporalAddr == "" {
		if err := s.startTemporal(ctx); err != nil {
			return nil, err
		}
		temporalAddr = s.temporal.Address()
	}

	// The app's address is chosen first so fake Telegram knows its webhook
	// before the app starts (the app's own setWebhook sets the same URL).
	port, err := devserver.FreePort()
	if err != nil {
		return nil, err
	}
	appAddr := fmt.Sprintf("127.0.0.1:%d", port)
	s.appURL = "http://" + appAddr
	s.token = botToken()

	chatLimit := 0
	if o.TelegramLimit > 0 {
		chatLimit = 1
	}
	s.tg = telegramtest.New(telegramtest.Options{
		Token: s.token, WebhookURL: s.appURL + "/telegram/webhook", WebhookSecret: s.secret,
		HTTPClient: &http.Client{Timeout: 60 * time.Second,
			Transport: &webhookTransport{base: newTransport(), t: s.tracker}},
		// Refund service messages are off the measured path.
		NoRefundUpdates:       true,
		OnCall:                s.tracker.onCall,
		MessagesPerSecond:     o.TelegramLimit,
		ChatMessagesPerSecond: chatLimit,
	})
	if o.TelegramLatency > 0 {
		s.tg.SetFault("*", telegramtest.Fault{Latency: o.TelegramLatency})
	}
	if s.tgAddr, err = s.serve(s.tg); err != nil {
		return nil, err
	}
	s.esim = esimgotest.New(esimgotest.Options{APIKey: "bench-esimgo-key",
		Balance: decimal.RequireFromString("100000000"), RateLimit: o.ESIMGoLimit})
	if o.ESIMLatency > 0 {
		s.esim.SetFault(esimgotest.AllEndpoints, esimgotest.Fault{Latency: o.ESIMLatency})
	}
	if o.RefundEvery > 0 {
		s.esim.SetFault(esimgotest.EndpointCreateOrder, esimgotest.Fault{Status: http.StatusBadRequest,
			Message: "Bundle " + RefusedPlan + " is not available", Bundle: RefusedPlan, Latency: o.ESIMLatency})
	}
	esimAddr, err := s.serve(s.esim)
	if err != nil {
		return nil, err
	}

	env := append(os.Environ(),
		"PUBLIC_URL="+s.appURL,
		"DATABASE_URL="+s.dbURL,
		"TEMPORAL_ADDRESS="+temporalAddr,
		"TEMPORAL_TASK_QUEUE=bench-"+randHex(4),
		"TELEGRAM_BOT_TOKEN="+s.token,
		"TELEGRAM_API_URL="+s.tgAddr,
		"TELEGRAM_WEBHOOK_SECRET="+s.secret,
		"ESIMGO_API_KEY=bench-esimgo-key",
		"ESIMGO_API_URL="+esimAddr+"/v2.5",
		"ESIMGO_RATE_LIMIT="+esimLimit(o),
		// The app runs with Telegram's flood limits (30/s, 1/s per chat), or
		// with the fake's when a run sets another.
		"BENCH_TELEGRAM_LIMIT="+strconv.Itoa(cmp.Or(o.TelegramLimit, telegram.DefaultMessagesPerSecond)),
		"ADMIN_TOKENS=bench:bench-admin-token",
		// A fresh key per run: the benchmark measures the store as it runs in
		// production, payload encryption included.
		"PAYLOAD_KEYS=bench:"+randBase64(32),
		"LOG_FORMAT=json",
	)
	if o.PprofAddr != "" {
		env = append(env, "BENCH_PPROF_ADDR="+o.PprofAddr)
	}
	env = append(env, o.AppEnv...)
	if err := s.startApps(ctx, env, appAddr); err != nil {
		return nil, err
	}
	return s, nil
}

// esimLimit is the app's ESIMGO_RATE_LIMIT: the fake's, or — when the fake
// enforces none — far above what any run offers, so the store's own
// spacing stays in the path without slowing it.
func esimLimit(o Options) string {
	if o.ESIMGoLimit > 0 {
		return strconv.Itoa(o.ESIMGoLimit)
	}
	return "10000"
}

func (s *stack) startTemporal(ctx context.Context) error {
	bin, err := devserver.FindBinary()
	if err != nil {
		return err
	}
	db := s.opts.TemporalDBFile
	if db == "file" {
		db = filepath.Join(s.dir, "temporal.db")
	}
	args, env := s.opts.TemporalArgs, s.opts.TemporalEnv
	if args == nil {
		args = devserver.TunedArgs
	}
	if env == nil {
		env = devserver.TunedEnv
	}
	log, err := os.Create(filepath.Join(s.dir, "temporal.log"))
	if err != nil {
		return err
	}
	s.temporal, err = devserver.Start(ctx, devserver.Options{Binary: bin, Headless: true, DBFile: db,
		SearchAttributes: contract.SearchAttributeTypes, Log: log, ExtraArgs: args, Env: env})
	return err
}

func (s *stack) serve(h http.Handler) (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	s.servers = append(s.servers, srv)
	go func() { _ = srv.Serve(l) }()
	return "http://" + l.Addr().String(), nil
}

// appProc is one of the app's processes.
type appProc struct {
	role, name string
	addr       string // its HTTP_ADDR
	cmd        *exec.Cmd
	done       chan error
	log        string
}

// startApps runs the app's processes: one `serve` on appAddr, or the
// workers first (the first syncs the catalogue) and then `api` on appAddr.
// It returns once the API answers with plans on sale.
func (s *stack) startApps(ctx context.Context, env []string, appAddr string) error {
	if s.opts.Workers == 0 {
		if err := s.startApp("serve", "app", appAddr, env); err != nil {
			return err
		}
		return s.waitPlans(ctx)
	}
	for i := range s.opts.Workers {
		port, err := devserver.FreePort()
		if err != nil {
			return err
		}
		if err := s.startApp("worker", fmt.Sprintf("worker-%d", i+1), fmt.Sprintf("127.0.0.1:%d", port), env); err != nil {
			return err
		}
	}
	if err := s.startApp("api", "api", appAddr, env); err != nil {
		return err
	}
	// The API goes first in procs: its process is the report's "app".
	workers, api := s.procs[:len(s.procs)-1], s.procs[len(s.procs)-1]
	s.procs = append([]*appProc{api}, workers...)
	return s.waitPlans(ctx)
}

// startApp starts one app child listening on addr; its log is <name>.log
// in the run directory.
func (s *stack) startApp(role, name, addr string, env []string) error {
	env = append(slices.Clone(env), "HTTP_ADDR="+addr)
	logPath := filepath.Join(s.dir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	argv := append(slices.Clone(s.opts.AppCommand), "--role", role)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// The app dies with the bench even when the bench is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("start app %v: %w", argv, err)
	}
	p := &appProc{role: role, name: name, addr: addr, cmd: cmd, done: make(chan error, 1), log: logPath}
	s.procs = append(s.procs, p)
	go func() { p.done <- cmd.Wait(); logFile.Close() }()
	return nil
}

// waitPlans waits until the API answers with the run's plan on sale.
func (s *stack) waitPlans(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	for {
		if s.appHasPlans(ctx) {
			return nil
		}
		if err := s.appExited(); err != nil {
			return fmt.Errorf("app exited during start-up (%v); see the logs in %s", err, s.dir)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("app not ready with plans in time; see the logs in %s", s.dir)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (s *stack) appHasPlans(ctx context.Context) bool {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.appURL+"/api/plans", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode == http.StatusOK && strings.Contains(string(body), `"`+s.opts.Plan+`"`)
}

// saveMetrics keeps each app process's Prometheus page (Temporal SDK
// metrics included) next to the logs, for finding where the time went:
// app-metrics.txt, or api-metrics.txt and worker-N-metrics.txt.
func (s *stack) saveMetrics() {
	for _, p := range s.procs {
		resp, err := http.Get("http://" + p.addr + "/metrics")
		if err != nil {
			continue
		}
		if f, err := os.Create(filepath.Join(s.dir, p.name+"-metrics.txt")); err == nil {
			_, _ = io.Copy(f, resp.Body)
			f.Close()
		}
		resp.Body.Close()
	}
}

// saveArrivals writes when each eSIM Go request and each Telegram message
// reached its fake (RFC 3339 with nanoseconds, one a line; 429 marked),
// for a closer look at how calls are spaced: esimgo-arrivals.txt and
// telegram-arrivals.txt in the run directory.
func (s *stack) saveArrivals(from time.Time) {
	var esim, tg strings.Builder
	for _, r := range s.esim.Requests() {
		if !r.Time.Before(from) {
			fmt.Fprintf(&esim, "%s %s%s\n", r.Time.Format(time.RFC3339Nano), r.Endpoint, mark(r.Limited))
		}
	}
	for _, c := range s.tg.Calls("") {
		if !c.At.Before(from) && isMessage(c.Method) {
			fmt.Fprintf(&tg, "%s %s %s%s\n", c.At.Format(time.RFC3339Nano), c.Method, c.Param("chat_id"), mark(c.Status == 429))
		}
	}
	_ = os.WriteFile(filepath.Join(s.dir, "esimgo-arrivals.txt"), []byte(esim.String()), 0o644)
	_ = os.WriteFile(filepath.Join(s.dir, "telegram-arrivals.txt"), []byte(tg.String()), 0o644)
}

func mark(limited bool) string {
	if limited {
		return " 429"
	}
	return ""
}

func (s *stack) close() {
	// The API first, then the workers, as a deployment is taken down.
	for _, p := range s.procs {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(25 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, srv := range s.servers {
		_ = srv.Shutdown(ctx)
	}
	if s.esim != nil {
		s.esim.Close()
	}
	if s.temporal != nil {
		_ = s.temporal.Stop()
	}
	if s.dbURL != "" && !s.opts.KeepDatabase {
		dctx, dcancel := context.WithTimeout(context.Background(), 30*time.Second)
		_ = store.DropDatabase(dctx, s.dbURL)
		dcancel()
	}
	if s.tmpDir {
		_ = os.RemoveAll(s.dir)
	}
}

// dbName is the run's database, as PostgreSQL's process titles show it.
func (s *stack) dbName() string {
	base, _, _ := strings.Cut(s.dbURL, "?")
	return base[strings.LastIndex(base, "/")+1:]
}

// appPID is the `serve` or `api` process.
func (s *stack) appPID() int {
	if len(s.procs) == 0 {
		return 0
	}
	return s.procs[0].cmd.Process.Pid
}

// workerPIDs are the `worker` processes, in a run with several.
func (s *stack) workerPIDs() []int {
	var pids []int
	for _, p := range s.procs[min(1, len(s.procs)):] {
		pids = append(pids, p.cmd.Process.Pid)
	}
	return pids
}

func (s *stack) temporalPID() int {
	if s.temporal == nil {
		return s.opts.TemporalPID
	}
	return s.temporal.PID()
}

// appExited reports a crash of any app process during the run.
func (s *stack) appExited() error {
	for _, p := range s.procs {
		select {
		case err := <-p.done:
			p.done <- err
			if err == nil {
				err = errors.New("exit status 0")
			}
			return fmt.Errorf("%s: %w (see %s)", p.role, err, p.log)
		default:
		}
	}
	return nil
}

func withDatabase(url, name string) string {
	base, query, _ := strings.Cut(url, "?")
	i := strings.LastIndex(base, "/")
	out := base[:i+1] + name
	if query != "" {
		out += "?" + query
	}
	return out
}

func randBase64(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// botToken is a fresh well-formed token per run, so runs sharing a
// Temporal server never share order ids (they are scoped per bot).
func botToken() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	id := 7000000000 + int64(b[0])<<16 | int64(b[1])<<8 | int64(b[2])
	return fmt.Sprintf("%d:AA%s", id, strings.Repeat("b", 2)+randHex(16)[:31])
}
