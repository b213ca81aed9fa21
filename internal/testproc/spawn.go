package testproc

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"time"
)

// Process is one run of a server started by Spawn.
type Process struct {
	Cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err is the process's exit status; read it only after Done is closed.
func (p *Process) Err() error { return p.err }

// Stop stops the process as the package-level Stop does.
func (p *Process) Stop(sig os.Signal, grace time.Duration) error {
	return Stop(p.Cmd.Process, p.done, sig, grace)
}

// Spawn starts cmd so that the kernel kills it if the test binary dies without running its
// cleanups (a panic or `go test -timeout`): no server outlives the tests. cmd.SysProcAttr may
// carry other settings (a Credential); Spawn adds the parent-death signal where the OS has one.
func Spawn(cmd *exec.Cmd) (*Process, error) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	setParentDeathSignal(cmd.SysProcAttr)
	p := &Process{Cmd: cmd, done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		// The parent-death signal fires when the thread that forked exits, so that thread stays
		// locked to this goroutine until the process has exited (the thread is discarded then).
		runtime.LockOSThread()
		defer close(p.done)
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.err = cmd.Wait()
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("failed to start %s: %w", cmd.Path, err)
	}
	return p, nil
}
