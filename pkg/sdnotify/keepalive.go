package sdnotify

import (
	"context"
	"fmt"
	"time"

	"github.com/rs/zerolog"
)

// Probe reports whether the bridge still works; it must return within ctx's deadline.
type Probe func(ctx context.Context) error

// Watchdog sends WATCHDOG=1 at half of $WATCHDOG_USEC until ctx ends, but only after alive
// passed: a bridge whose probe fails or hangs stops pinging, and the service manager restarts
// it. It returns at once when the watchdog is off.
func (n Notifier) Watchdog(ctx context.Context, alive Probe) {
	if n.socket == "" || n.watchdog <= 0 {
		return
	}
	n.whileAlive(ctx, n.watchdog/2, alive, Watchdog)
}

// ExtendStart asks for more start-up time every period until ctx ends, each time for three
// periods more, while alive passes. The bridge's start waits for the homeserver as long as it
// is down, which may be longer than the service manager's start timeout.
func (n Notifier) ExtendStart(ctx context.Context, period time.Duration, alive Probe) {
	if n.socket == "" {
		return
	}
	n.whileAlive(ctx, period, alive, fmt.Sprintf("EXTEND_TIMEOUT_USEC=%d", (3*period).Microseconds()))
}

// whileAlive sends state every period while alive passes, logging only when that changes.
func (n Notifier) whileAlive(ctx context.Context, period time.Duration, alive Probe, state string) {
	log := zerolog.Ctx(ctx).With().Str("notify", state).Logger()
	ticker := time.NewTicker(period)
	defer ticker.Stop()
	failing := false
	for {
		// The probe has until the next tick: one that takes longer is as bad as one that fails.
		probeCtx, cancel := context.WithTimeout(ctx, period)
		err := alive(probeCtx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		switch {
		case err != nil && !failing:
			log.Error().Err(err).Msg("Liveness check failed; not notifying the service manager")
		case err == nil && failing:
			log.Info().Msg("Liveness check passes again")
		}
		failing = err != nil
		if err == nil {
			if err = n.Notify(state); err != nil {
				log.Warn().Err(err).Msg("Failed to notify the service manager")
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
