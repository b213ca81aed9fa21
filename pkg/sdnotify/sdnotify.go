// Package sdnotify tells systemd (or another service manager speaking its notify protocol) about
// the bridge's state: ready, stopping, still alive. It is a few datagrams on $NOTIFY_SOCKET.
package sdnotify

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// States the bridge sends.
const (
	Ready    = "READY=1"
	Stopping = "STOPPING=1"
	Watchdog = "WATCHDOG=1"
)

// Notifier sends notifications to the service manager. The zero Notifier, for a bridge not run
// by one, sends nothing.
type Notifier struct {
	socket string
	// watchdog is $WATCHDOG_USEC: the service is restarted when it goes this long without
	// WATCHDOG=1. 0 when the watchdog is off.
	watchdog time.Duration
}

// FromEnv reads $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID.
func FromEnv() (Notifier, error) {
	var n Notifier
	socket := os.Getenv("NOTIFY_SOCKET")
	switch {
	case socket == "":
		return n, nil
	case !strings.HasPrefix(socket, "/") && !strings.HasPrefix(socket, "@"):
		// Newer systemd may hand out vsock: addresses, which only matter inside VMs.
		return n, fmt.Errorf("unsupported NOTIFY_SOCKET %q", socket)
	}
	n.socket = socket
	if usec := os.Getenv("WATCHDOG_USEC"); usec != "" {
		// WATCHDOG_PID names the process the watchdog is meant for; a child that inherited the
		// variables must not answer for its parent.
		if pid := os.Getenv("WATCHDOG_PID"); pid != "" && pid != strconv.Itoa(os.Getpid()) {
			return n, nil
		}
		us, err := strconv.ParseInt(usec, 10, 64)
		if err != nil || us <= 0 {
			return n, fmt.Errorf("invalid WATCHDOG_USEC %q", usec)
		}
		n.watchdog = time.Duration(us) * time.Microsecond
	}
	return n, nil
}

// Enabled reports whether there is a service manager to notify.
func (n Notifier) Enabled() bool { return n.socket != "" }

// Notify sends states (e.g. Ready), one per line, in one datagram.
func (n Notifier) Notify(states ...string) error {
	if n.socket == "" {
		return nil
	}
	// A name starting with "@" is an abstract socket; Go's net package turns the "@" into the
	// leading NUL byte the kernel expects.
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: n.socket, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("failed to connect to the notify socket: %w", err)
	}
	defer conn.Close()
	if _, err = conn.Write([]byte(strings.Join(states, "\n"))); err != nil {
		return fmt.Errorf("failed to notify the service manager: %w", err)
	}
	return nil
}
