package faultsuite

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/starsesim/esimstore/api"
	"github.com/starsesim/esimstore/app"
	"github.com/starsesim/esimstore/config"
	"github.com/starsesim/esimstore/internal/dev/testenv"
)

// childEnv marks the re-executed test binary that runs the app.
const childEnv = "FAULTSUITE_APP_CHILD"

// TestMain either runs the tests or, in the re-executed child, the app:
// API and worker in one process, like `esimstore serve`, so a SIGKILL
// takes both down mid-step exactly as a crashed pod would.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		if err := runChild(); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	testenv.Main(m)
}

func runChild() error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	cfg, err := config.FromEnv(os.Getenv, true)
	if err != nil {
		return err
	}
	cfg.TelegramMessagesPerSecond, cfg.TelegramChatMessagesPerSecond = 0, 0
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	a, err := app.Connect(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.Close()
	w := a.NewWorker()
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	defer w.Stop()
	if plans, err := a.Store.ListPlans(ctx, ""); err == nil && len(plans) == 0 {
		if _, err := a.SyncPlansNow(ctx); err != nil {
			return fmt.Errorf("sync plans: %w", err)
		}
	}
	srv := api.NewHTTPServer(cfg.HTTPAddr, a.HTTP(true))
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	if err := a.SetUpBot(ctx); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		return srv.Shutdown(context.Background())
	case err := <-errc:
		return err
	}
}

// appProc is the app running in a child process.
type appProc struct {
	t       *testing.T
	env     []string
	url     string
	logPath string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

func (p *appProc) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	logf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append([]string{childEnv + "=1"}, p.env...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// The app dies with the suite, even when the suite itself is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start app child: %w", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(done) }()
	p.cmd, p.done = cmd, done
	return p.waitReady(done)
}

func (p *appProc) waitReady(done chan struct{}) error {
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(p.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-done:
			return fmt.Errorf("app child exited during start-up; see %s", p.logPath)
		case <-time.After(100 * time.Millisecond):
		}
	}
	return errors.New("app child not ready within 90s; see " + p.logPath)
}

// kill SIGKILLs the app: no deferred cleanup, no graceful worker stop.
func (p *appProc) kill() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.cmd = nil
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// stop ends the app gracefully (end of the suite).
func (p *appProc) stop() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.cmd = nil
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
	}
}
