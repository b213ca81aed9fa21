// Package clock is the source of time of the queue and the pacer, so tests can drive retries,
// pacing and cool-downs without sleeping.
package clock

import "time"

// Clock tells the time and makes timers.
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) Timer
}

// Timer is a one-shot timer made by a Clock.
type Timer interface {
	C() <-chan time.Time
	// Stop prevents the timer from firing; it reports false when the timer already fired.
	Stop() bool
}

// Real is the wall clock.
type Real struct{}

func (Real) Now() time.Time { return time.Now() }

func (Real) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (rt realTimer) C() <-chan time.Time { return rt.t.C }

func (rt realTimer) Stop() bool { return rt.t.Stop() }

// OrReal returns c, or the wall clock when c is nil (nothing configured).
func OrReal(c Clock) Clock {
	if c == nil {
		return Real{}
	}
	return c
}
