// Package pacing keeps the bridge polite towards Instagram: every request to Instagram (an
// extraction, a share link) waits for one bridge-wide Pacer, and the media code that reads
// Instagram's answers tells it when to cool down.
package pacing

import (
	"context"
	"sync"
	"time"

	"github.com/igbridge/igbridge/pkg/clock"
)

// Config sets how politely the bridge talks to Instagram; zero fields take the defaults.
type Config struct {
	// RequestsPerMinute is the sustained rate (default 20). Up to a quarter of it may go out in
	// a burst after a quiet spell, still spaced by MinInterval.
	RequestsPerMinute int
	// MinInterval is the least time between two requests (default 3s).
	MinInterval time.Duration
	// CooldownInitial is the pause after Instagram first says stop (default 1m); it doubles on
	// each repeat up to CooldownMax (default 1h) until a request succeeds.
	CooldownInitial time.Duration
	CooldownMax     time.Duration
}

func (cfg Config) withDefaults() Config {
	if cfg.RequestsPerMinute <= 0 {
		cfg.RequestsPerMinute = 20
	}
	if cfg.MinInterval <= 0 {
		cfg.MinInterval = 3 * time.Second
	}
	if cfg.CooldownInitial <= 0 {
		cfg.CooldownInitial = time.Minute
	}
	if cfg.CooldownMax <= 0 {
		cfg.CooldownMax = time.Hour
	}
	cfg.CooldownInitial = min(cfg.CooldownInitial, cfg.CooldownMax)
	return cfg
}

// Pacer spaces the bridge's requests to Instagram: one Pacer is shared by every worker, since
// Instagram rate-limits the bridge's address, not a room.
type Pacer struct {
	cfg      Config
	clock    clock.Clock
	interval time.Duration // between tokens
	burst    int

	lock sync.Mutex
	// tat is the token bucket as a theoretical arrival time (GCRA): a request may go out once
	// now ≥ tat - (burst-1)·interval. Integer time keeps the schedule exact.
	tat           time.Time
	last          time.Time
	cooldownUntil time.Time
	nextCooldown  time.Duration

	loginWalls loginWalls
}

// New makes a pacer; a nil clock means the real one.
func New(cfg Config, c clock.Clock) *Pacer {
	cfg = cfg.withDefaults()
	return &Pacer{
		cfg:          cfg,
		clock:        clock.OrReal(c),
		interval:     time.Minute / time.Duration(cfg.RequestsPerMinute),
		burst:        max(1, cfg.RequestsPerMinute/4),
		nextCooldown: cfg.CooldownInitial,
	}
}

// Wait blocks until the next request to Instagram may go out: a token is available, MinInterval
// has passed since the previous request and no cool-down is active. It takes the slot when it
// returns nil, and returns the context's error when ctx ends first.
func (p *Pacer) Wait(ctx context.Context) error {
	for {
		p.lock.Lock()
		now := p.clock.Now()
		at := p.earliest()
		if !at.After(now) {
			p.tat = later(p.tat, now).Add(p.interval)
			p.last = now
			p.lock.Unlock()
			return nil
		}
		p.lock.Unlock()
		// Another waiter may take this slot, or a cool-down may start meanwhile: look again
		// when the timer fires rather than assuming the slot is ours.
		timer := p.clock.NewTimer(at.Sub(now))
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C():
		}
	}
}

// earliest is when the next request may go out; the zero times of a fresh pacer are long past.
func (p *Pacer) earliest() time.Time {
	at := p.tat.Add(-time.Duration(p.burst-1) * p.interval)
	at = later(at, p.last.Add(p.cfg.MinInterval))
	return later(at, p.cooldownUntil)
}

// RateLimited starts a cool-down because Instagram said stop (HTTP 429, login walls). Each
// cool-down after one that ended without a success in between is twice as long, up to
// CooldownMax. A call during an active cool-down changes nothing: it reports on a request sent
// before the cool-down began, not on a new one.
func (p *Pacer) RateLimited() {
	p.lock.Lock()
	defer p.lock.Unlock()
	now := p.clock.Now()
	if now.Before(p.cooldownUntil) {
		return
	}
	p.cooldownUntil = now.Add(p.nextCooldown)
	p.nextCooldown = min(2*p.nextCooldown, p.cfg.CooldownMax)
}

// Succeeded records that a request went through, so the next cool-down is CooldownInitial again.
func (p *Pacer) Succeeded() {
	p.lock.Lock()
	p.nextCooldown = p.cfg.CooldownInitial
	p.lock.Unlock()
}

// CooldownUntil returns when the current cool-down ends, or the zero time when none is active.
func (p *Pacer) CooldownUntil() time.Time {
	p.lock.Lock()
	defer p.lock.Unlock()
	if !p.clock.Now().Before(p.cooldownUntil) {
		return time.Time{}
	}
	return p.cooldownUntil
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
