// Package testproc runs the servers tests start (Dendrite, PostgreSQL, igbridge itself): a free
// loopback port for them, and stopping them politely, then firmly.
package testproc

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"
)

// handedOut holds every port FreePort returned in this process. The kernel may give a port it
// just released to the next listener on :0, so a test that asks for the bridge's port and then
// Dendrite's (neither bound yet) could get the same one twice; CI saw exactly that.
var handedOut = struct {
	sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

// FreePort asks the kernel for an unused loopback port that this process has not been given
// before. Another process may still take it before the server binds it; servers that fail on
// that should be retried on a new port.
func FreePort() (int, error) {
	handedOut.Lock()
	defer handedOut.Unlock()
	for range 100 {
		port, err := listenAndRelease()
		if err != nil {
			return 0, err
		}
		if !handedOut.ports[port] {
			handedOut.ports[port] = true
			return port, nil
		}
	}
	return 0, errors.New("failed to find a free port: the kernel kept offering ports already handed out")
}

func listenAndRelease() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("failed to find a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("failed to release port %d: %w", port, err)
	}
	return port, nil
}

// ErrKilled reports that a process ignored its stop signal for the whole grace time.
var ErrKilled = errors.New("the process did not stop in time and was killed")

// Stop sends sig to a process and waits up to grace for done to close (the caller's Wait
// finished), then kills it and waits again. It returns ErrKilled when the kill was needed.
func Stop(proc *os.Process, done <-chan struct{}, sig os.Signal, grace time.Duration) error {
	if err := proc.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("failed to signal the process: %w", err)
	}
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-done:
		return nil
	case <-timer.C:
	}
	if err := proc.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("failed to kill the process: %w", err)
	}
	<-done
	return ErrKilled
}
