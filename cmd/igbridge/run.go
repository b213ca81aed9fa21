package main

import (
	"context"
	"os"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/bridgev2/matrix/mxmain"

	"github.com/igbridge/igbridge/pkg/connector"
	"github.com/igbridge/igbridge/pkg/sdnotify"
)

// extendStartEvery is how often a start that is still waiting (for the homeserver, as long as it
// is down) asks the service manager for more time.
const extendStartEvery = 10 * time.Second

// run is mxmain's Run with notifications to systemd: more start-up time while the start waits,
// READY=1 once the connectors have started, the watchdog while running, and STOPPING=1 before
// shutting down. The connector's liveness check gates the start extensions and the watchdog.
func run(m *mxmain.BridgeMain, c *connector.Connector) {
	m.PreInit()
	m.Init()
	explainIgnoredSpecVersion(m)
	if err := checkListenAddress(m.Matrix); err != nil {
		m.Log.WithLevel(zerolog.FatalLevel).Err(err).Msg("The appservice address cannot be bound; is another program or another igbridge using it?")
		os.Exit(exitListenFailed)
	}
	log := m.Log.With().Str("component", "sdnotify").Logger()
	ctx := log.WithContext(context.Background())
	notifier, err := sdnotify.FromEnv()
	if err != nil {
		log.Warn().Err(err).Msg("Not notifying the service manager")
	}

	stopExtending := inBackground(ctx, func(ctx context.Context) {
		notifier.ExtendStart(ctx, extendStartEvery, c.Alive)
	})
	m.Start()
	stopExtending()
	notify(log, notifier, sdnotify.Ready)

	stopWatchdog := inBackground(ctx, func(ctx context.Context) { notifier.Watchdog(ctx, c.Alive) })
	exitCode := m.WaitForInterrupt()
	stopWatchdog()
	notify(log, notifier, sdnotify.Stopping)
	m.Stop()
	os.Exit(exitCode)
}

// inBackground runs fn in a goroutine; the function it returns ends fn and waits for it, so that
// nothing fn sends can arrive after what the caller sends next.
func inBackground(ctx context.Context, fn func(ctx context.Context)) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

func notify(log zerolog.Logger, notifier sdnotify.Notifier, state string) {
	if err := notifier.Notify(state); err != nil {
		log.Warn().Err(err).Str("state", state).Msg("Failed to notify the service manager")
	}
}
