package sdnotify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// listen opens a notify socket as systemd would and points $NOTIFY_SOCKET at it.
func listen(t *testing.T, name string) *net.UnixConn {
	t.Helper()
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	t.Setenv("NOTIFY_SOCKET", name)
	return conn
}

// receive waits for the next datagram.
func receive(t *testing.T, conn *net.UnixConn) string {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4096)
	n, _, err := conn.ReadFromUnix(buf)
	if err != nil {
		t.Fatalf("no notification: %v", err)
	}
	return string(buf[:n])
}

// nothingQueued fails if a datagram is waiting.
func nothingQueued(t *testing.T, conn *net.UnixConn) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now())
	buf := make([]byte, 4096)
	if n, _, err := conn.ReadFromUnix(buf); err == nil {
		t.Fatalf("unexpected notification %q", buf[:n])
	}
}

func notifier(t *testing.T) Notifier {
	t.Helper()
	n, err := FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestNotify(t *testing.T) {
	conn := listen(t, filepath.Join(t.TempDir(), "notify"))
	n := notifier(t)
	if !n.Enabled() {
		t.Fatal("not enabled with NOTIFY_SOCKET set")
	}
	if err := n.Notify(Ready); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, conn); got != "READY=1" {
		t.Errorf("got %q", got)
	}
	if err := n.Notify(Stopping, "STATUS=Shutting down"); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, conn); got != "STOPPING=1\nSTATUS=Shutting down" {
		t.Errorf("got %q", got)
	}
}

func TestNotifyAbstractSocket(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("abstract sockets are Linux only")
	}
	conn := listen(t, fmt.Sprintf("@igbridge-test-%d-%d", os.Getpid(), time.Now().UnixNano()))
	if err := notifier(t).Notify(Ready); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, conn); got != "READY=1" {
		t.Errorf("got %q", got)
	}
}

func TestNotifyGone(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", filepath.Join(t.TempDir(), "nobody-listens"))
	if err := notifier(t).Notify(Ready); err == nil {
		t.Error("no error for a socket nobody listens on")
	}
}

func TestFromEnv(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	t.Setenv("WATCHDOG_USEC", "")
	t.Setenv("WATCHDOG_PID", "")
	n := notifier(t)
	if n.Enabled() || n.Notify(Ready) != nil {
		t.Error("without NOTIFY_SOCKET the notifier must be a quiet no-op")
	}
	t.Setenv("NOTIFY_SOCKET", "relative/path")
	if _, err := FromEnv(); err == nil {
		t.Error("a relative socket path was accepted")
	}
	t.Setenv("NOTIFY_SOCKET", "/run/systemd/notify")
	t.Setenv("WATCHDOG_USEC", "30000000")
	if n = notifier(t); n.watchdog != 30*time.Second {
		t.Errorf("watchdog %v", n.watchdog)
	}
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	if n = notifier(t); n.watchdog != 30*time.Second {
		t.Errorf("watchdog for this process: %v", n.watchdog)
	}
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()+1))
	if n = notifier(t); n.watchdog != 0 {
		t.Errorf("watchdog meant for another process: %v", n.watchdog)
	}
	t.Setenv("WATCHDOG_PID", "")
	t.Setenv("WATCHDOG_USEC", "soon")
	if _, err := FromEnv(); err == nil {
		t.Error("an invalid WATCHDOG_USEC was accepted")
	}
}

// probe hands the liveness check's answers over one by one.
func probe(answers chan error) Probe {
	return func(ctx context.Context) error {
		select {
		case err := <-answers:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func TestWatchdog(t *testing.T) {
	conn := listen(t, filepath.Join(t.TempDir(), "notify"))
	t.Setenv("WATCHDOG_USEC", "20000")
	n := notifier(t)
	answers := make(chan error)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		n.Watchdog(ctx, probe(answers))
		close(done)
	}()

	answers <- nil
	if got := receive(t, conn); got != Watchdog {
		t.Fatalf("got %q", got)
	}
	// The second failing answer is taken only after the round of the first one has ended, so
	// a ping it sent would be queued by then.
	answers <- errors.New("database is locked")
	answers <- errors.New("database is locked")
	nothingQueued(t, conn)
	answers <- nil
	if got := receive(t, conn); got != Watchdog {
		t.Fatalf("after recovering: got %q", got)
	}
	cancel()
	<-done
}

func TestWatchdogOff(t *testing.T) {
	listen(t, filepath.Join(t.TempDir(), "notify"))
	t.Setenv("WATCHDOG_USEC", "")
	// Returns at once; with the watchdog on it would block until ctx ends.
	notifier(t).Watchdog(context.Background(), func(context.Context) error { return nil })
}

func TestExtendStart(t *testing.T) {
	conn := listen(t, filepath.Join(t.TempDir(), "notify"))
	n := notifier(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		n.ExtendStart(ctx, 10*time.Millisecond, func(context.Context) error { return nil })
		close(done)
	}()
	if got := receive(t, conn); got != "EXTEND_TIMEOUT_USEC=30000" {
		t.Errorf("got %q", got)
	}
	cancel()
	<-done
}
