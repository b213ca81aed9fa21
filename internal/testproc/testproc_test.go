package testproc

import (
	"bufio"
	"errors"
	"net"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

func TestFreePortIsBindable(t *testing.T) {
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatalf("the free port %d cannot be bound: %v", port, err)
	}
	l.Close()
}

// The bridge's port and Dendrite's are both asked for before either binds: they must differ.
func TestFreePortNeverRepeats(t *testing.T) {
	seen := map[int]bool{}
	for range 500 {
		port, err := FreePort()
		if err != nil {
			t.Fatal(err)
		}
		if seen[port] {
			t.Fatalf("port %d was handed out twice", port)
		}
		seen[port] = true
	}
}

// start runs a shell script and returns once it has printed its first line, so its signal
// handling is in place.
func start(t *testing.T, script string) (*exec.Cmd, chan struct{}) {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	// Its own process group, so the cleanup also ends what the script started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err = cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	if _, err = bufio.NewReader(out).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	return cmd, done
}

func TestStopPolitely(t *testing.T) {
	cmd, done := start(t, "echo ready; sleep 60")
	if err := Stop(cmd.Process, done, syscall.SIGTERM, 5*time.Second); err != nil {
		t.Fatalf("Stop() = %v, want a clean stop", err)
	}
}

func TestStopFirmly(t *testing.T) {
	// The shell ignores SIGTERM and waits for its child, so only the kill ends it.
	cmd, done := start(t, "trap '' TERM; echo ready; sleep 60 & wait")
	if err := Stop(cmd.Process, done, syscall.SIGTERM, 200*time.Millisecond); !errors.Is(err, ErrKilled) {
		t.Fatalf("Stop() = %v, want ErrKilled", err)
	}
}
