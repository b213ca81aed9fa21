package main

import (
	"fmt"
	"net"

	"maunium.net/go/mautrix/bridgev2/matrix"
)

// exitListenFailed is the exit code when the appservice's TCP address cannot be bound.
const exitListenFailed = 24

// checkListenAddress binds and releases the appservice's TCP address. mautrix's appservice logs a
// failed bind and goes on without a listener, so a port taken by another program would leave a
// bridge that looks started but never receives a transaction; this makes it a start-up failure.
func checkListenAddress(mx *matrix.Connector) error {
	host := mx.AS.Host
	cfg := mx.Config
	if cfg.Homeserver.Websocket || cfg.Homeserver.WSProxy != "" || cfg.AppService.NoServer ||
		host.IsUnixSocket() || !host.IsConfigured() {
		return nil
	}
	l, err := net.Listen("tcp", host.Address())
	if err != nil {
		return fmt.Errorf("failed to listen on appservice.hostname/port %s: %w", host.Address(), err)
	}
	return l.Close()
}
