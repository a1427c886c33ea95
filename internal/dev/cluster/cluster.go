// Package cluster runs the store in its production shape on one machine,
// without Docker: a Temporal server (the server binary, the version the
// dev server embeds) on the local PostgreSQL with the configuration kept in
// deploy/temporal, `esimstore api` twice behind a round-robin front door,
// `esimstore worker` twice, and the Telegram and eSIM Go fakes in this
// process (they keep their ledgers while processes around them die).
//
// `make cluster` (esimstore cluster) leaves it running for a person;
// `make cluster-test` runs this package's test, which drives buyers through
// it, kills and restarts parts of it and checks the money rules.
// docs/operations.md ("Deploying") lists the same steps for an operator.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/starsesim/esimstore/app"
	"github.com/starsesim/esimstore/codec"
	"github.com/starsesim/esimstore/config"
	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/esimgo/esimgotest"
	"github.com/starsesim/esimstore/internal/dev/sim"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/telegram/telegramtest"
)

// Tools are the binaries the cluster runs besides esimstore.
type Tools struct {
	Server   string // temporal-server (go.temporal.io/server/cmd/server)
	SQLTool  string // temporal-sql-tool (go.temporal.io/server/cmd/tools/sql)
	UIServer string // temporal-ui-server (github.com/temporalio/ui-server/v2/cmd/server)
	CLI      string // temporal (the CLI: namespace and search attributes)
}

// Options shape one cluster. Zero values give `make cluster`'s.
type Options struct {
	// Root is the repository (deploy/temporal, scripts); default: found
	// upwards from the working directory.
	Root string
	// Name prefixes the databases: <Name>_store (the ledger),
	// <Name>_temporal and <Name>_temporal_visibility. Default esim_cluster.
	Name string
	// Dir receives the logs; default <Root>/.run/<Name>.
	Dir string
	// PortBase places every port (see Ports); default 17000, clear of the
	// sandbox's 7233, 8233 and 8080.
	PortBase int
	// AppBinary is the esimstore binary run as api, worker and migrate;
	// `make cluster` passes the production build.
	AppBinary string
	// Tools default to $TEMPORAL_SERVER, $TEMPORAL_SQL_TOOL,
	// $TEMPORAL_UI_SERVER and $TEMPORAL_CLI, then to <Root>/.tools/bin.
	Tools Tools
	// Fresh drops the three databases first.
	Fresh bool
	// UI starts the Temporal Web UI.
	UI bool
	// AppEnv is added to every api and worker process (INVOICE_TTL=20s, …).
	AppEnv []string
	// Progress receives a line per start-up step; nil is silent.
	Progress io.Writer
}

// Ports of a cluster, from its PortBase (17000 → frontend 17233, UI 18233,
// front door 18080).
type Ports struct{ Base int }

// Frontend is the Temporal frontend's gRPC port.
func (p Ports) Frontend() int { return p.Base + 233 }

// UI is the Temporal Web UI's port.
func (p Ports) UI() int { return p.Base + 1233 }

// FrontDoor is the load balancer in front of the api processes.
func (p Ports) FrontDoor() int { return p.Base + 1080 }

// API is the port of api process i (from 0).
func (p Ports) API(i int) int { return p.Base + 1081 + i }

// Worker ports count up: a replacement worker never reuses a port, so a
// dying process can't be mistaken for its successor.
func (p Ports) Worker(n int) int { return p.Base + 1110 + n }

// Telegram is the fake Bot API's port.
func (p Ports) Telegram() int { return p.Base + 1101 }

// ESIM is the fake eSIM Go API's port.
func (p Ports) ESIM() int { return p.Base + 1102 }

// Metrics is the Temporal server's Prometheus port.
func (p Ports) Metrics() int { return p.Base + 1000 }

// Cluster is a running production-shaped store.
type Cluster struct {
	Opts  Options
	Ports Ports
	Tools Tools

	Telegram *telegramtest.Fake
	ESIM     *esimgotest.Fake
	Front    *FrontDoor
	// Temporal is a client of the cluster's server (namespace default).
	Temporal client.Client

	URL         string // the front door: Mini App, API, webhook
	UIURL       string // Temporal Web UI, "" without Options.UI
	DatabaseURL string // the store's ledger
	BotToken    string
	AdminToken  string

	mu       sync.Mutex
	server   *Proc // the Temporal server
	ui       *Proc
	apis     []*Proc
	workers  []*Proc // running workers, oldest first
	nWorkers int     // workers ever started
	servers  []*http.Server
	frontSrv *http.Server
	appEnv   []string
	stopBg   context.CancelFunc
}

// The providers' limits the cluster's fakes enforce: eSIM Go's default per
// account (the processes get it as ESIMGO_RATE_LIMIT) and Telegram's
// messages per second per bot.
const (
	ESIMGoLimit   = 10
	TelegramLimit = 30
)

// The cluster's fixed credentials: they only ever reach the fakes.
const (
	botToken      = "7000000002:AAClusterTokenNotReal_0123456789abc"
	webhookSecret = "cluster-webhook-secret"
	esimGoKey     = "cluster-esimgo-key"
	adminToken    = "cluster-admin-token"
	// payloadKeys encrypt the workflows' payloads as in production; the
	// sandbox's public key will do for a cluster of fakes.
	payloadKeys = config.SandboxPayloadKeys
	// NumHistoryShards is what docker-compose.yml sets: a store created
	// here has the shape of one created there.
	NumHistoryShards = 16
)

// Start brings the whole cluster up and returns once both workers and both
// API processes are ready (which includes plans on sale).
func Start(ctx context.Context, opts Options) (_ *Cluster, err error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	c := &Cluster{Opts: opts, Ports: Ports{opts.PortBase}, BotToken: botToken, AdminToken: adminToken}
	if c.Tools, err = findTools(opts); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			c.Stop()
		}
	}()
	c.DatabaseURL = c.dbURL(opts.Name + "_store")
	if opts.Fresh {
		c.step("dropping the databases and logs of an earlier run")
		if err := c.DropDatabases(ctx); err != nil {
			return nil, err
		}
		if err := os.RemoveAll(opts.Dir); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
			return nil, err
		}
	}

	c.step("creating Temporal's databases and applying the server's schemas (scripts/temporal-schema.sh)")
	if err := c.script(ctx, "temporal-schema.sh", c.temporalDBEnv()); err != nil {
		return nil, err
	}
	if err := c.startTemporal(ctx); err != nil {
		return nil, err
	}
	c.step("registering the namespace and search attributes (scripts/temporal-namespace.sh)")
	if err := c.script(ctx, "temporal-namespace.sh", []string{"TEMPORAL_CLI=" + c.Tools.CLI,
		"TEMPORAL_ADDRESS=" + c.TemporalAddress(), "TEMPORAL_NAMESPACE=default"}); err != nil {
		return nil, err
	}
	// The same data converter as the store's processes, so queries and
	// results read here are decrypted.
	dc, err := app.DataConverter(config.Config{PayloadKeys: mustKeys(payloadKeys)})
	if err != nil {
		return nil, err
	}
	if c.Temporal, err = client.Dial(client.Options{HostPort: c.TemporalAddress(), Logger: quietLogger{},
		DataConverter: dc, FailureConverter: codec.FailureConverter(dc)}); err != nil {
		return nil, fmt.Errorf("connect to temporal: %w", err)
	}
	if err := c.waitSearchAttributes(ctx); err != nil {
		return nil, err
	}
	if opts.UI {
		if err := c.startUI(); err != nil {
			return nil, err
		}
	}

	if err := c.startFakes(); err != nil {
		return nil, err
	}
	c.step("migrating the store's database (esimstore migrate --create-database)")
	if err := c.migrate(ctx); err != nil {
		return nil, err
	}
	// Workers first: the first one syncs the catalogue, and every process's
	// /readyz waits for plans on sale.
	for range 2 {
		if _, err := c.StartWorker(ctx); err != nil {
			return nil, err
		}
	}
	for i := range 2 {
		if _, err := c.startApp(ctx, "api", fmt.Sprintf("api-%d", i+1), c.Ports.API(i)); err != nil {
			return nil, err
		}
	}
	if err := c.startFrontDoor(); err != nil {
		return nil, err
	}
	return c, nil
}

func (o *Options) defaults() error {
	if o.Root == "" {
		root, err := findRoot()
		if err != nil {
			return err
		}
		o.Root = root
	}
	if o.Name == "" {
		o.Name = "esim_cluster"
	}
	if o.Dir == "" {
		o.Dir = filepath.Join(o.Root, ".run", o.Name)
	}
	if o.PortBase == 0 {
		o.PortBase = 17000
	}
	if o.AppBinary == "" {
		return errors.New("cluster: AppBinary (the esimstore binary) is required")
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	return os.MkdirAll(o.Dir, 0o755)
}

func (c *Cluster) step(msg string) { fmt.Fprintf(c.Opts.Progress, "cluster: %s\n", msg) }

func (c *Cluster) log(name string) string { return filepath.Join(c.Opts.Dir, name+".log") }

func (c *Cluster) dbURL(name string) string {
	return "postgres://postgres@127.0.0.1:5432/" + name + "?sslmode=disable"
}

// TemporalDatabases are the server's two databases.
func (c *Cluster) TemporalDatabases() []string {
	return []string{c.Opts.Name + "_temporal", c.Opts.Name + "_temporal_visibility"}
}

// DropDatabases removes the store's and Temporal's databases.
func (c *Cluster) DropDatabases(ctx context.Context) error {
	for _, db := range append(c.TemporalDatabases(), c.Opts.Name+"_store") {
		if err := store.DropDatabase(ctx, c.dbURL(db)); err != nil {
			return err
		}
	}
	return nil
}

// script runs one of the repository's set-up scripts, logging to setup.log.
func (c *Cluster) script(ctx context.Context, name string, env []string) error {
	f, err := os.OpenFile(c.log("setup"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(c.Opts.Root, "scripts", name))
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("scripts/%s: %w (see %s)", name, err, c.log("setup"))
	}
	return nil
}

// migrate applies the store's migrations the way compose's migrate job does.
func (c *Cluster) migrate(ctx context.Context) error {
	cmd := exec.CommandContext(ctx, c.Opts.AppBinary, "migrate", "--create-database")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+c.DatabaseURL)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("esimstore migrate: %w\n%s", err, out)
	}
	return nil
}

// startFakes serves fake Telegram and fake eSIM Go on their ports and, as
// Telegram does, keeps re-delivering updates the webhook did not accept.
func (c *Cluster) startFakes() error {
	front := fmt.Sprintf("http://127.0.0.1:%d", c.Ports.FrontDoor())
	// The fakes enforce the providers' limits, as the real ones do: eSIM
	// Go 10 requests per second for the account, Telegram 30 messages a
	// second for the bot and one per chat. The store's processes share
	// one budget for them (package budget).
	c.Telegram = telegramtest.New(telegramtest.Options{Token: botToken,
		WebhookURL: front + "/telegram/webhook", WebhookSecret: webhookSecret,
		DeliveryAttempts: 3, DeliveryBackoff: 100 * time.Millisecond,
		MessagesPerSecond: TelegramLimit, ChatMessagesPerSecond: 1})
	c.ESIM = esimgotest.New(esimgotest.Options{APIKey: esimGoKey, Balance: decimal.RequireFromString("100000000"),
		RateLimit: ESIMGoLimit})
	for _, s := range []struct {
		port int
		h    http.Handler
	}{{c.Ports.Telegram(), c.Telegram}, {c.Ports.ESIM(), c.ESIM}} {
		if err := c.serve(s.port, s.h); err != nil {
			return err
		}
	}
	bg, cancel := context.WithCancel(context.Background())
	c.stopBg = cancel
	go func() {
		for bg.Err() == nil {
			fctx, fcancel := context.WithTimeout(bg, 30*time.Second)
			_ = c.Telegram.Flush(fctx) // what stays pending is tried again
			fcancel()
			select {
			case <-bg.Done():
			case <-time.After(2 * time.Second):
			}
		}
	}()
	c.appEnv = append([]string{
		"PUBLIC_URL=" + front,
		"DATABASE_URL=" + c.DatabaseURL,
		"TEMPORAL_ADDRESS=" + c.TemporalAddress(),
		"TEMPORAL_NAMESPACE=default",
		"TEMPORAL_TASK_QUEUE=" + contract.TaskQueue,
		"TELEGRAM_BOT_TOKEN=" + botToken,
		"TELEGRAM_API_URL=" + fmt.Sprintf("http://127.0.0.1:%d", c.Ports.Telegram()),
		"TELEGRAM_WEBHOOK_SECRET=" + webhookSecret,
		"ESIMGO_API_KEY=" + esimGoKey,
		"ESIMGO_API_URL=" + fmt.Sprintf("http://127.0.0.1:%d/v2.5", c.Ports.ESIM()),
		"ESIMGO_RATE_LIMIT=" + strconv.Itoa(ESIMGoLimit),
		"ADMIN_TOKENS=support:" + adminToken,
		"PAYLOAD_KEYS=" + payloadKeys,
		fmt.Sprintf("CODEC_CORS_ORIGINS=http://127.0.0.1:%d", c.Ports.UI()),
		"LOG_FORMAT=json",
	}, c.Opts.AppEnv...)
	return nil
}

// startFrontDoor serves the load balancer, with the sandbox's Mini App
// simulator in front of it so a person can buy through the cluster.
func (c *Cluster) startFrontDoor() error {
	var addrs []string
	for _, p := range c.apis {
		addrs = append(addrs, p.Addr)
	}
	c.Front = newFrontDoor(addrs)
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	sim.Register(e, sim.Deps{Telegram: c.Telegram, ESIM: c.ESIM, BotToken: botToken, TemporalUIURL: c.UIURL})
	e.Any("/", echo.WrapHandler(c.Front))
	e.Any("/*", echo.WrapHandler(c.Front))
	c.URL = fmt.Sprintf("http://127.0.0.1:%d", c.Ports.FrontDoor())
	srv, err := serve(c.Ports.FrontDoor(), e)
	c.frontSrv = srv
	return err
}

func (c *Cluster) serve(port int, h http.Handler) error {
	srv, err := serve(port, h)
	if srv != nil {
		c.servers = append(c.servers, srv)
	}
	return err
}

func serve(port int, h http.Handler) (*http.Server, error) {
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return nil, fmt.Errorf("listen on port %d: %w", port, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	return srv, nil
}

// startApp starts `esimstore <role>` on port and waits for its /readyz.
func (c *Cluster) startApp(ctx context.Context, role, name string, port int) (*Proc, error) {
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	c.step(fmt.Sprintf("starting %s (esimstore %s on %s)", name, role, addr))
	p, err := startProc(name, c.log(name), []string{c.Opts.AppBinary, role}, append(c.appEnv, "HTTP_ADDR="+addr))
	if err != nil {
		return nil, err
	}
	p.Addr = addr
	c.mu.Lock()
	if role == "api" {
		c.apis = append(c.apis, p)
	} else {
		c.workers = append(c.workers, p)
	}
	c.mu.Unlock()
	if err := waitFor(ctx, 90*time.Second, p, func() bool { return httpOK("http://" + addr + "/readyz") }); err != nil {
		return p, fmt.Errorf("%s not ready: %w (see %s)", name, err, p.Log)
	}
	return p, nil
}

// StartWorker adds a worker process and waits until it polls.
func (c *Cluster) StartWorker(ctx context.Context) (*Proc, error) {
	c.mu.Lock()
	c.nWorkers++
	n := c.nWorkers
	c.mu.Unlock()
	return c.startApp(ctx, "worker", fmt.Sprintf("worker-%d", n), c.Ports.Worker(n))
}

// Workers returns the running workers, oldest first.
func (c *Cluster) Workers() []*Proc {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*Proc(nil), c.workers...)
}

// APIs returns the API processes.
func (c *Cluster) APIs() []*Proc {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*Proc(nil), c.apis...)
}

// WorkerLogs are the log files of every worker ever started, stopped ones
// included.
func (c *Cluster) WorkerLogs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var logs []string
	for n := 1; n <= c.nWorkers; n++ {
		logs = append(logs, c.log(fmt.Sprintf("worker-%d", n)))
	}
	return logs
}

// KillWorker SIGKILLs a worker, as a crash or the OOM killer would.
func (c *Cluster) KillWorker(p *Proc) {
	p.Kill()
	c.forget(p)
}

// StopWorker lets a worker finish its in-flight activities and exit
// (SIGTERM, compose's one-minute stop_grace_period).
func (c *Cluster) StopWorker(p *Proc) error {
	err := p.Stop(time.Minute)
	c.forget(p)
	return err
}

func (c *Cluster) forget(p *Proc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, w := range c.workers {
		if w == p {
			c.workers = append(c.workers[:i], c.workers[i+1:]...)
			return
		}
	}
}

// Stop ends everything the cluster started, in the order a deployment is
// taken down: the front door and the API processes, then the workers
// (letting in-flight activities finish, with the fakes still answering),
// then the fakes, the UI and the Temporal server.
func (c *Cluster) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if c.frontSrv != nil {
		_ = c.frontSrv.Shutdown(ctx)
	}
	var wg sync.WaitGroup
	stopAll := func(ps []*Proc, grace time.Duration) {
		for _, p := range ps {
			wg.Add(1)
			go func() { defer wg.Done(); _ = p.Stop(grace) }()
		}
		wg.Wait()
	}
	stopAll(c.APIs(), 30*time.Second)
	stopAll(c.Workers(), time.Minute)
	if c.stopBg != nil {
		c.stopBg()
	}
	for _, srv := range c.servers {
		_ = srv.Shutdown(ctx)
	}
	if c.ESIM != nil {
		c.ESIM.Close()
	}
	if c.Temporal != nil {
		c.Temporal.Close()
	}
	if c.ui != nil {
		_ = c.ui.Stop(10 * time.Second)
	}
	if c.server != nil {
		_ = c.server.Stop(30 * time.Second)
	}
}

// waitFor polls ok until it holds, p (if any) exits, or timeout passes.
func waitFor(ctx context.Context, timeout time.Duration, p *Proc, ok func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for !ok() {
		if p != nil {
			if done, err := p.Exited(); done {
				return fmt.Errorf("%s exited: %v", p.Name, err)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready after %s", timeout)
		case <-time.After(200 * time.Millisecond):
		}
	}
	return nil
}

func httpOK(url string) bool {
	cl := http.Client{Timeout: 5 * time.Second}
	resp, err := cl.Get(url)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// findRoot is the directory holding go.mod, upwards from the working one.
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cluster: not inside the repository (no go.mod found)")
		}
		dir = parent
	}
}

func findTools(o Options) (Tools, error) {
	t := o.Tools
	for _, f := range []struct {
		dst       *string
		env, name string
	}{
		{&t.Server, "TEMPORAL_SERVER", "temporal-server"},
		{&t.SQLTool, "TEMPORAL_SQL_TOOL", "temporal-sql-tool"},
		{&t.UIServer, "TEMPORAL_UI_SERVER", "temporal-ui-server"},
		{&t.CLI, "TEMPORAL_CLI", "temporal"},
	} {
		if *f.dst == "" {
			*f.dst = os.Getenv(f.env)
		}
		if *f.dst == "" {
			*f.dst = filepath.Join(o.Root, ".tools", "bin", f.name)
		}
		if f.name == "temporal-ui-server" && !o.UI {
			continue
		}
		if _, err := os.Stat(*f.dst); err != nil {
			return t, fmt.Errorf("%s not found at %s: run `make cluster-tools` first", f.name, *f.dst)
		}
	}
	return t, nil
}

// countProbe is a query on a store search attribute: the frontend rejects
// it until the attribute is registered and visible to it.
var countProbe = &workflowservice.CountWorkflowExecutionsRequest{Namespace: "default",
	Query: contract.AttrStatus.GetName() + " = 'probe'"}

func mustKeys(s string) []codec.Key {
	keys, err := codec.ParseKeys(s)
	if err != nil {
		panic("cluster: payload keys: " + err.Error())
	}
	return keys
}
