package pacing

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/igbridge/igbridge/internal/fakeclock"
)

// waitTimes calls Wait n times and returns when each call returned, as offsets from start.
func waitTimes(t *testing.T, p *Pacer, clock *fakeclock.Clock, n int) []time.Duration {
	t.Helper()
	start := clock.Now()
	var got []time.Duration
	clock.Drive(t, func() {
		for range n {
			if err := p.Wait(context.Background()); err != nil {
				t.Errorf("Wait: %v", err)
				return
			}
			got = append(got, clock.Now().Sub(start))
		}
	})
	return got
}

func seconds(s ...int) []time.Duration {
	var ds []time.Duration
	for _, v := range s {
		ds = append(ds, time.Duration(v)*time.Second)
	}
	return ds
}

func TestPacerSchedule(t *testing.T) {
	clock := fakeclock.New()
	p := New(Config{RequestsPerMinute: 20, MinInterval: 3 * time.Second}, clock)
	var want []time.Duration
	for i := range 25 {
		want = append(want, time.Duration(3*i)*time.Second)
	}
	if got := waitTimes(t, p, clock, 25); !slices.Equal(got, want) {
		t.Errorf("Wait returned at %v, want %v", got, want)
	}
}

func TestPacerTokenBucket(t *testing.T) {
	clock := fakeclock.New()
	// 10 per minute is a token every 6s with a burst of 2: after the full bucket is spent at the
	// 3s spacing, the tokens set the pace.
	p := New(Config{RequestsPerMinute: 10, MinInterval: 3 * time.Second}, clock)
	if got, want := waitTimes(t, p, clock, 6), seconds(0, 3, 6, 12, 18, 24); !slices.Equal(got, want) {
		t.Errorf("Wait returned at %v, want %v", got, want)
	}
	// A quiet minute refills the bucket, but no more than the burst.
	clock.Advance(time.Minute)
	if got, want := waitTimes(t, p, clock, 4), seconds(0, 3, 6, 12); !slices.Equal(got, want) {
		t.Errorf("after a quiet minute Wait returned at %v, want %v", got, want)
	}
}

func TestPacerCooldown(t *testing.T) {
	clock := fakeclock.New()
	p := New(Config{CooldownInitial: time.Minute, CooldownMax: 5 * time.Minute}, clock)
	if !p.CooldownUntil().IsZero() {
		t.Fatalf("fresh pacer has a cool-down until %v", p.CooldownUntil())
	}
	var lengths []time.Duration
	for range 5 {
		p.RateLimited()
		start := clock.Now()
		until := p.CooldownUntil()
		lengths = append(lengths, until.Sub(start))
		// Another worker's request, sent before the cool-down, is refused too: no escalation.
		p.RateLimited()
		if p.CooldownUntil() != until {
			t.Errorf("RateLimited during a cool-down moved its end from %v to %v", until, p.CooldownUntil())
		}
		if got := waitTimes(t, p, clock, 1); !slices.Equal(got, []time.Duration{until.Sub(start)}) {
			t.Errorf("Wait during a cool-down returned after %v, want %v", got, until.Sub(start))
		}
		if !p.CooldownUntil().IsZero() {
			t.Errorf("cool-down still reported at its end: %v", p.CooldownUntil())
		}
	}
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 5 * time.Minute, 5 * time.Minute}
	if !slices.Equal(lengths, want) {
		t.Errorf("cool-downs lasted %v, want %v", lengths, want)
	}

	p.Succeeded()
	p.RateLimited()
	if got := p.CooldownUntil().Sub(clock.Now()); got != time.Minute {
		t.Errorf("cool-down after a success lasts %v, want %v", got, time.Minute)
	}
}

func TestPacerWaitCancelled(t *testing.T) {
	clock := fakeclock.New()
	p := New(Config{}, clock)
	p.RateLimited()
	ctx, cancel := context.WithCancel(context.Background())
	result := make(chan error)
	go func() { result <- p.Wait(ctx) }()
	if at := clock.WaitForTimer(t); !at.Equal(p.CooldownUntil()) {
		t.Errorf("Wait sleeps until %v, want the cool-down's end %v", at, p.CooldownUntil())
	}
	cancel()
	select {
	case err := <-result:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Wait returned %v, want context.Canceled", err)
		}
	case <-time.After(fakeclock.WaitLimit):
		t.Fatal("Wait did not return after its context was cancelled")
	}
	clock.WaitForNoTimers(t)
}
