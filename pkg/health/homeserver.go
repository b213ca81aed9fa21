package health

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// probeTimeout bounds one check, so that a homeserver that accepts connections but does not
// answer counts as unreachable.
const probeTimeout = 10 * time.Second

// maxErrorLength keeps a long error (a proxy's HTML error page, say) out of the report.
const maxErrorLength = 300

// HomeserverCheck asks the homeserver whether it is there, in the background, so that the health
// endpoint answers at once and also while the bridge is still waiting for the homeserver.
type HomeserverCheck struct {
	probe    func(ctx context.Context) error
	interval time.Duration

	lock  sync.Mutex
	state Homeserver
}

// NewHomeserverCheck makes a check that calls probe every interval once it runs.
func NewHomeserverCheck(probe func(ctx context.Context) error, interval time.Duration) *HomeserverCheck {
	return &HomeserverCheck{probe: probe, interval: interval}
}

// Run checks at once and then every interval until ctx ends. It logs when the homeserver goes
// away and when it is back, not every failed check.
func (hc *HomeserverCheck) Run(ctx context.Context) {
	log := zerolog.Ctx(ctx)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		probeCtx, cancel := context.WithTimeout(ctx, probeTimeout)
		err := hc.probe(probeCtx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		wasReachable, first := hc.record(err)
		switch {
		case err != nil && (wasReachable || first):
			log.Warn().Err(err).Msg("The homeserver is unreachable")
		case err == nil && !wasReachable && !first:
			log.Info().Msg("The homeserver is reachable again")
		}
		// The next check is an interval after this one ended, so a slow homeserver is not
		// asked again while it is still answering.
		timer.Reset(hc.interval)
	}
}

// record stores a check's result; it reports whether the homeserver was reachable before, and
// whether this was the first check.
func (hc *HomeserverCheck) record(err error) (wasReachable, first bool) {
	now := time.Now()
	hc.lock.Lock()
	defer hc.lock.Unlock()
	wasReachable, first = hc.state.Reachable, hc.state.CheckedAt.IsZero()
	hc.state.CheckedAt = now
	hc.state.Reachable = err == nil
	if err == nil {
		hc.state.LastOKAt = now
	} else {
		hc.state.LastError = truncate(err.Error(), maxErrorLength)
		hc.state.LastErrorAt = now
	}
	return wasReachable, first
}

// State returns what the checks found so far.
func (hc *HomeserverCheck) State() Homeserver {
	hc.lock.Lock()
	defer hc.lock.Unlock()
	return hc.state
}

func truncate(s string, n int) string {
	if runes := []rune(s); len(runes) > n {
		return string(runes[:n]) + "…"
	}
	return s
}
