package cluster

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"go.temporal.io/sdk/client"
)

// TemporalAddress is the server's frontend host:port.
func (c *Cluster) TemporalAddress() string {
	return "127.0.0.1:" + strconv.Itoa(c.Ports.Frontend())
}

// TemporalPID is the Temporal server's process id (its CPU and memory are
// the bench's to read).
func (c *Cluster) TemporalPID() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.server.PID()
}

// temporalDBEnv names the PostgreSQL server and Temporal's two databases,
// for the schema script and the server alike.
func (c *Cluster) temporalDBEnv() []string {
	dbs := c.TemporalDatabases()
	return []string{
		"TEMPORAL_SQL_TOOL=" + c.Tools.SQLTool,
		"POSTGRES_SEEDS=127.0.0.1", "DB_PORT=5432", "POSTGRES_USER=postgres", "POSTGRES_PWD=",
		"DBNAME=" + dbs[0], "VISIBILITY_DBNAME=" + dbs[1],
	}
}

// serverEnv is the environment deploy/temporal/config/esimstore.yaml is
// rendered with.
func (c *Cluster) serverEnv() []string {
	port := func(name string, offset int) string { return name + "=" + strconv.Itoa(c.Ports.Base+offset) }
	return append(c.temporalDBEnv(),
		"NUM_HISTORY_SHARDS="+strconv.Itoa(NumHistoryShards),
		// The pools may grow to the image's sizes (20 and 10 per service):
		// with 10 the history service waits for connections and falls over
		// at 20 orders/s (docs/performance.md). But this PostgreSQL and its
		// 100 connections are shared with the store and every other test on
		// the machine, and with idle pools as large the server kept up to
		// 65 open, so it closes what it does not use.
		"SQL_MAX_IDLE_CONNS=5", "SQL_VIS_MAX_IDLE_CONNS=2",
		"BIND_ON_IP=127.0.0.1", "TEMPORAL_BROADCAST_ADDRESS=127.0.0.1",
		port("FRONTEND_GRPC_PORT", 233), port("FRONTEND_HTTP_PORT", 243),
		port("HISTORY_GRPC_PORT", 234), port("MATCHING_GRPC_PORT", 235), port("WORKER_GRPC_PORT", 239),
		port("FRONTEND_MEMBERSHIP_PORT", 933), port("HISTORY_MEMBERSHIP_PORT", 934),
		port("MATCHING_MEMBERSHIP_PORT", 935), port("WORKER_MEMBERSHIP_PORT", 939),
		"PROMETHEUS_ENDPOINT=127.0.0.1:"+strconv.Itoa(c.Ports.Metrics()),
		"DYNAMIC_CONFIG_FILE_PATH="+filepath.Join(c.Opts.Root, "deploy", "temporal", "dynamicconfig", "esimstore.yaml"),
		"LOG_LEVEL=warn",
	)
}

// startTemporal runs the server binary on deploy/temporal's config and
// waits until its frontend answers health checks.
func (c *Cluster) startTemporal(ctx context.Context) error {
	c.step(fmt.Sprintf("starting the Temporal server on %s (deploy/temporal/config/esimstore.yaml)", c.TemporalAddress()))
	p, err := startProc("temporal", c.log("temporal"), []string{c.Tools.Server,
		"--root", filepath.Join(c.Opts.Root, "deploy", "temporal"), "--config", "config", "--env", "esimstore",
		"--allow-no-auth", "start"}, c.serverEnv())
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.server = p
	c.mu.Unlock()
	if err := waitFor(ctx, 2*time.Minute, p, c.temporalHealthy); err != nil {
		return fmt.Errorf("temporal server: %w (see %s)", err, p.Log)
	}
	return nil
}

func (c *Cluster) temporalHealthy() bool {
	cl, err := client.Dial(client.Options{HostPort: c.TemporalAddress(), Logger: quietLogger{}})
	if err != nil {
		return false
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, err = cl.CheckHealth(ctx, &client.CheckHealthRequest{})
	return err == nil
}

// RestartTemporal stops the server (SIGTERM, as a deploy or a host reboot
// would) and starts it again on the same databases.
func (c *Cluster) RestartTemporal(ctx context.Context) error {
	c.mu.Lock()
	p := c.server
	c.mu.Unlock()
	if err := p.Stop(30 * time.Second); err != nil {
		return err
	}
	if err := c.startTemporal(ctx); err != nil {
		return err
	}
	return c.waitSearchAttributes(ctx)
}

// waitSearchAttributes returns once the frontend accepts a query on the
// store's search attributes: registration reaches it through a cache.
func (c *Cluster) waitSearchAttributes(ctx context.Context) error {
	var last error
	err := waitFor(ctx, 2*time.Minute, nil, func() bool {
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		_, last = c.Temporal.WorkflowService().CountWorkflowExecutions(cctx, countProbe)
		return last == nil
	})
	if err != nil {
		return fmt.Errorf("search attributes not usable: %v", last)
	}
	return nil
}

// startUI runs the Web UI server (deploy/temporal/ui/esimstore.yaml).
func (c *Cluster) startUI() error {
	c.UIURL = fmt.Sprintf("http://127.0.0.1:%d", c.Ports.UI())
	c.step("starting the Temporal Web UI on " + c.UIURL)
	p, err := startProc("temporal-ui", c.log("temporal-ui"), []string{c.Tools.UIServer,
		"--root", filepath.Join(c.Opts.Root, "deploy", "temporal"), "--config", "ui", "--env", "esimstore", "start"},
		[]string{"TEMPORAL_ADDRESS=" + c.TemporalAddress(), "TEMPORAL_UI_PORT=" + strconv.Itoa(c.Ports.UI()),
			// Decoded through the API processes behind the front door, after
			// signing in at its /codec/login with the cluster's admin token.
			fmt.Sprintf("TEMPORAL_CODEC_ENDPOINT=http://127.0.0.1:%d/codec", c.Ports.FrontDoor())})
	if err != nil {
		return err
	}
	c.ui = p
	return waitFor(context.Background(), 30*time.Second, p, func() bool { return httpOK(c.UIURL) })
}

// quietLogger keeps the SDK's dial retries out of the output.
type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(string, ...any) {}
