// Package fakeclock is a clock.Clock for tests that only moves when the test advances it, so
// retries, pacing and cool-downs are tested without sleeping.
package fakeclock

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/igbridge/igbridge/pkg/clock"
)

// WaitLimit bounds how long a test waits for something that should happen promptly; reaching it
// fails the test rather than synchronising anything.
const WaitLimit = 10 * time.Second

// Clock only moves when the test advances it. Tests learn that a goroutine is idle until a
// given time by waiting for it to arm a timer.
type Clock struct {
	lock    sync.Mutex
	now     time.Time
	timers  []*fakeTimer
	changed chan struct{} // closed and replaced whenever timers change
}

type fakeTimer struct {
	clock *Clock
	at    time.Time
	c     chan time.Time
}

var _ clock.Clock = (*Clock)(nil)

// New returns a clock standing at a fixed time.
func New() *Clock {
	return &Clock{now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC), changed: make(chan struct{})}
}

func (c *Clock) Now() time.Time {
	c.lock.Lock()
	defer c.lock.Unlock()
	return c.now
}

func (c *Clock) NewTimer(d time.Duration) clock.Timer {
	c.lock.Lock()
	defer c.lock.Unlock()
	t := &fakeTimer{clock: c, at: c.now.Add(d), c: make(chan time.Time, 1)}
	if d <= 0 {
		t.c <- c.now
		return t
	}
	c.timers = append(c.timers, t)
	c.notify()
	return t
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	c := t.clock
	c.lock.Lock()
	defer c.lock.Unlock()
	i := slices.Index(c.timers, t)
	if i < 0 {
		return false
	}
	c.timers = slices.Delete(c.timers, i, i+1)
	c.notify()
	return true
}

func (c *Clock) notify() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// Advance moves the clock forward and fires the timers that are due.
func (c *Clock) Advance(d time.Duration) {
	c.lock.Lock()
	defer c.lock.Unlock()
	c.now = c.now.Add(d)
	c.timers = slices.DeleteFunc(c.timers, func(t *fakeTimer) bool {
		if t.at.After(c.now) {
			return false
		}
		t.c <- c.now
		return true
	})
	c.notify()
}

// AdvanceTo moves the clock forward to at.
func (c *Clock) AdvanceTo(at time.Time) {
	c.Advance(at.Sub(c.Now()))
}

// earliest returns when the next timer fires, zero when none is armed; c.lock must be held.
func (c *Clock) earliest() time.Time {
	var at time.Time
	for _, timer := range c.timers {
		if at.IsZero() || timer.at.Before(at) {
			at = timer.at
		}
	}
	return at
}

// waitUntil waits until cond holds for the armed timers, and returns the earliest deadline.
func (c *Clock) waitUntil(t testing.TB, what string, cond func(timers []*fakeTimer) bool) time.Time {
	t.Helper()
	limit := time.After(WaitLimit)
	for {
		c.lock.Lock()
		ok := cond(c.timers)
		earliest := c.earliest()
		changed := c.changed
		c.lock.Unlock()
		if ok {
			return earliest
		}
		select {
		case <-changed:
		case <-limit:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// WaitForTimer waits until a timer is armed and returns the earliest deadline.
func (c *Clock) WaitForTimer(t testing.TB) time.Time {
	t.Helper()
	return c.waitUntil(t, "a timer", func(timers []*fakeTimer) bool { return len(timers) > 0 })
}

// WaitForTimerAt waits until a timer is armed for exactly at.
func (c *Clock) WaitForTimerAt(t testing.TB, at time.Time) {
	t.Helper()
	c.waitUntil(t, "a timer at "+at.String(), func(timers []*fakeTimer) bool {
		return slices.ContainsFunc(timers, func(timer *fakeTimer) bool { return timer.at.Equal(at) })
	})
}

// Drive runs fn and, whenever a timer is armed while it runs, advances the clock to it; it
// returns when fn does. It suits a single goroutine that waits on the clock.
func (c *Clock) Drive(t testing.TB, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	limit := time.After(WaitLimit)
	for {
		c.lock.Lock()
		next := c.earliest()
		changed := c.changed
		c.lock.Unlock()
		if !next.IsZero() {
			c.AdvanceTo(next)
			continue
		}
		select {
		case <-done:
			return
		case <-changed:
		case <-limit:
			t.Fatal("timed out driving the clock")
		}
	}
}

// WaitForNoTimers waits until no timer is armed, e.g. a waiter that gave up stopped its own.
func (c *Clock) WaitForNoTimers(t testing.TB) {
	t.Helper()
	c.waitUntil(t, "no timer", func(timers []*fakeTimer) bool { return len(timers) == 0 })
}
