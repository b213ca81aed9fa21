package health

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestHomeserverCheck(t *testing.T) {
	results := make(chan error)
	probe := func(ctx context.Context) error {
		select {
		case err := <-results:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	hc := NewHomeserverCheck(probe, time.Millisecond)
	if hc.State().Reachable || !hc.State().CheckedAt.IsZero() {
		t.Fatalf("state before the first check: %+v", hc.State())
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		hc.Run(ctx)
		close(done)
	}()
	// A probe is only called again once the previous result is recorded, so handing over the
	// next result is the moment to look at the state.
	check := func(result error, want func(Homeserver) bool) {
		t.Helper()
		results <- result
		results <- result
		if state := hc.State(); !want(state) {
			t.Fatalf("after probe result %v: state %+v", result, state)
		}
	}
	refused := errors.New("dial tcp 127.0.0.1:8008: connect: connection refused")
	check(refused, func(s Homeserver) bool {
		return !s.Reachable && s.LastError == refused.Error() && !s.LastErrorAt.IsZero() && s.LastOKAt.IsZero()
	})
	check(nil, func(s Homeserver) bool {
		return s.Reachable && s.LastOKAt.After(s.LastErrorAt) && s.LastError == refused.Error()
	})
	check(errors.New(strings.Repeat("<html>", 100)), func(s Homeserver) bool {
		return !s.Reachable && len([]rune(s.LastError)) == maxErrorLength+1 && strings.HasSuffix(s.LastError, "…")
	})
	cancel()
	<-done
}
