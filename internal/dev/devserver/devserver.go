// Package devserver runs the pinned Temporal CLI dev server as a child
// process, for the sandbox and for integration tests. It is never used by
// `esimstore serve`.
package devserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
)

// Options describe one dev server.
type Options struct {
	Binary   string // path to the temporal CLI
	IP       string // default 127.0.0.1
	Port     int    // 0 picks a free port
	UIPort   int    // 0 with Headless false picks Port+1000
	Headless bool
	// UICodecEndpoint points the Web UI at a codec server (the store's
	// /codec), so it shows encrypted payloads decoded.
	UICodecEndpoint string
	DBFile          string // empty keeps everything in memory
	Namespace       string // default "default"
	// SearchAttributes maps a name to its type (Keyword, Int, ...).
	SearchAttributes map[string]string
	Log              io.Writer
	// ExtraArgs are appended to `temporal server start-dev` (the benchmark
	// passes --sqlite-pragma and --dynamic-config-value tuning).
	ExtraArgs []string
	// Env is added to the inherited environment (devserver.TunedEnv).
	Env []string
}

// Server is a running dev server.
type Server struct {
	opts Options
	cmd  *exec.Cmd
	done chan struct{}
	tail *tailBuffer // the server's last output, for start-up failures
}

// FindBinary returns the project-local temporal CLI that `make tools`
// installs, searching upward from the working directory, or $TEMPORAL_CLI.
func FindBinary() (string, error) {
	if p := os.Getenv("TEMPORAL_CLI"); p != "" {
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, ".tools", "bin", "temporal")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return "", fmt.Errorf("temporal CLI not found at %s: run `make tools` (or `make test`) first", p)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("temporal CLI not found: run `make tools` first")
		}
		dir = parent
	}
}

// Start launches the server and waits until its frontend answers.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.IP == "" {
		opts.IP = "127.0.0.1"
	}
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	pickPort := opts.Port == 0
	var err error
	for attempt := 1; ; attempt++ {
		if pickPort {
			if opts.Port, err = FreePort(); err != nil {
				return nil, err
			}
		}
		s := &Server{opts: opts}
		err = s.start(ctx)
		if err == nil {
			return s, nil
		}
		// The CLI picks its internal services' ports itself (history,
		// matching, the HTTP API); with many servers starting at once on
		// one machine another process can take one of them first, and the
		// server dies at start-up. A fresh start picks new ones.
		if !errors.Is(err, errExitedDuringStart) || attempt == startAttempts {
			return nil, err
		}
	}
}

// startAttempts bounds the retries of a server that died during start-up.
const startAttempts = 3

var errExitedDuringStart = errors.New("temporal dev server exited during start-up")

func (s *Server) start(ctx context.Context) error {
	o := s.opts
	args := []string{"server", "start-dev",
		"--ip", o.IP, "--port", strconv.Itoa(o.Port), "--namespace", o.Namespace,
		"--log-level", "warn",
		"--dynamic-config-value", "frontend.enableServerVersionCheck=false",
		// Lets tests list workflows by search attribute right after a change.
		"--dynamic-config-value", "system.forceSearchAttributesCacheRefreshOnRead=true",
	}
	if o.Headless {
		args = append(args, "--headless")
	} else {
		if o.UIPort != 0 {
			args = append(args, "--ui-port", strconv.Itoa(o.UIPort))
		}
		if o.UICodecEndpoint != "" {
			args = append(args, "--ui-codec-endpoint", o.UICodecEndpoint)
		}
	}
	if o.DBFile != "" {
		args = append(args, "--db-filename", o.DBFile)
	}
	for _, name := range sortedKeys(o.SearchAttributes) {
		args = append(args, "--search-attribute", name+"="+o.SearchAttributes[name])
	}
	args = append(args, o.ExtraArgs...)
	cmd := exec.Command(o.Binary, args...)
	// The server dies with us even when we are SIGKILLed, so a crashed test
	// or sandbox never leaves a server holding the ports.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	s.tail = &tailBuffer{max: 4 << 10, headMax: 2 << 10}
	var out io.Writer = s.tail
	if o.Log != nil {
		out = io.MultiWriter(o.Log, s.tail)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if len(o.Env) > 0 {
		cmd.Env = append(os.Environ(), o.Env...)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start temporal dev server: %w", err)
	}
	s.cmd = cmd
	s.done = make(chan struct{})
	go func() { _ = cmd.Wait(); close(s.done) }()
	return s.waitReady(ctx)
}

func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	for {
		c, err := client.Dial(client.Options{HostPort: s.Address(), Namespace: s.opts.Namespace, Logger: quietLogger{}})
		if err == nil {
			_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
			c.Close()
			if err == nil {
				return nil
			}
		}
		select {
		case <-s.done:
			return fmt.Errorf("%w (port %d): %s", errExitedDuringStart, s.opts.Port, s.tail.String())
		case <-ctx.Done():
			_ = s.Stop()
			return fmt.Errorf("temporal dev server not ready: %w", err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// PID is the server's process id (0 when not running), so the benchmark
// can read its CPU time and memory from /proc.
func (s *Server) PID() int {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Address is the frontend host:port.
func (s *Server) Address() string { return net.JoinHostPort(s.opts.IP, strconv.Itoa(s.opts.Port)) }

// UIAddress is the Web UI URL, or "" when headless.
func (s *Server) UIAddress() string {
	if s.opts.Headless {
		return ""
	}
	port := s.opts.UIPort
	if port == 0 {
		port = s.opts.Port + 1000
	}
	return "http://" + net.JoinHostPort(s.opts.IP, strconv.Itoa(port))
}

// Stop ends the server gracefully, then forcefully after a grace period.
func (s *Server) Stop() error {
	if s.cmd == nil || s.cmd.Process == nil {
		return nil
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
	return nil
}

// Restart stops the server and starts it again on the same ports and
// database file; with a DBFile, workflows survive it.
func (s *Server) Restart(ctx context.Context) error {
	if err := s.Stop(); err != nil {
		return err
	}
	return s.start(ctx)
}

// FreePort asks the kernel for an unused TCP port on the loopback interface.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
