package queue

import "time"

// Clock is the queue's and the pacer's source of time, so tests can drive retries, pacing and
// cool-downs without sleeping.
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

// realClock is the wall clock, used when no Clock is configured.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (rt realTimer) C() <-chan time.Time { return rt.t.C }

func (rt realTimer) Stop() bool { return rt.t.Stop() }

func orRealClock(clock Clock) Clock {
	if clock == nil {
		return realClock{}
	}
	return clock
}
