package cluster

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Proc is one child process of the cluster with its log file.
type Proc struct {
	Name string // e.g. "worker-3"
	Addr string // its HTTP (or gRPC) address, when it has one
	Log  string // path of its combined stdout and stderr

	cmd  *exec.Cmd
	done chan struct{}
	err  error // the exit status, once done is closed
}

// startProc starts argv with env added to this process's environment.
func startProc(name, logPath string, argv, env []string) (*Proc, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	// Its own process group, so a Ctrl-C in the terminal reaches only the
	// cluster, which then stops its children in order; Pdeathsig kills them
	// if the cluster itself dies without that chance.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Proc{Name: name, Log: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

// PID is the process id.
func (p *Proc) PID() int { return p.cmd.Process.Pid }

// Exited reports whether the process has ended, and how.
func (p *Proc) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// Kill ends the process at once (SIGKILL), as a crash or an OOM kill would.
func (p *Proc) Kill() {
	_ = syscall.Kill(-p.PID(), syscall.SIGKILL)
	<-p.done
}

// Stop asks the process to finish (SIGTERM), as an orchestrator does, and
// kills it after grace.
func (p *Proc) Stop(grace time.Duration) error {
	if done, _ := p.Exited(); done {
		return nil
	}
	_ = syscall.Kill(-p.PID(), syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(grace):
		p.Kill()
		return fmt.Errorf("%s did not stop within %s; killed", p.Name, grace)
	}
}
