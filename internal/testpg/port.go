package testpg

import (
	"fmt"
	"net"
)

// freePort asks the kernel for an unused loopback port. Another process may
// take it before postgres binds it; start retries on that.
func freePort() (int, error) {
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
