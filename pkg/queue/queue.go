// Package queue is igbridge's durable fetch queue: accepted links wait in the database until a
// worker answers them, one at a time per room and round-robin across rooms, with retries.
package queue

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"go.mau.fi/util/dbutil"

	"github.com/igbridge/igbridge/pkg/clock"
	"github.com/igbridge/igbridge/pkg/queue/upgrades"
)

// Config tunes a Queue; zero fields take the defaults.
type Config struct {
	DBLog             dbutil.DatabaseLogger // the queue's schema upgrades log here (default: the parent database's logger)
	Workers           int                   // jobs handled at once, each of a different room (default 2)
	MaxAttempts       int                   // including the first (default 4); a Retry on the last attempt becomes Failed
	BackoffBase       time.Duration         // wait after a first failed attempt (default 5s)
	BackoffMax        time.Duration         // longest wait between attempts (default 5m)
	MaxPendingPerRoom int                   // pending and running jobs of one room (default 10)
	MaxPendingPerUser int                   // pending and running jobs of one sender, all rooms together (default 5)
	StopTimeout       time.Duration         // how long Stop lets running handlers finish before cancelling them (default 30s)
	Retention         time.Duration         // how long Prune keeps finished jobs and their replies (default 30 days)
	Clock             clock.Clock           // nil means the real clock
}

func (cfg Config) withDefaults() Config {
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 4
	}
	if cfg.BackoffBase <= 0 {
		cfg.BackoffBase = 5 * time.Second
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = 5 * time.Minute
	}
	if cfg.MaxPendingPerRoom <= 0 {
		cfg.MaxPendingPerRoom = 10
	}
	if cfg.MaxPendingPerUser <= 0 {
		cfg.MaxPendingPerUser = 5
	}
	if cfg.StopTimeout <= 0 {
		cfg.StopTimeout = 30 * time.Second
	}
	if cfg.Retention <= 0 {
		cfg.Retention = 30 * 24 * time.Hour
	}
	cfg.Clock = clock.OrReal(cfg.Clock)
	return cfg
}

// Queue holds the jobs in the database and runs them through the handler.
type Queue struct {
	db      *dbutil.Database
	cfg     Config
	clock   clock.Clock
	handler Handler
	// wake nudges the dispatcher when a job was added or cancelled; one pending nudge is enough.
	wake chan struct{}

	lock sync.Mutex
	// stopDispatch ends the dispatcher; stopHandlers cancels the handlers' context.
	stopDispatch, stopHandlers context.CancelFunc
	wg                         sync.WaitGroup
	// waiters are the callers of WaitEnded; guarded by lock.
	waiters endWaiters
	// inboxPruned is when handled inbox events were last forgotten (Unix ms).
	inboxPruned atomic.Int64
}

// New makes a queue in the bridge's database; its tables are versioned separately, in
// igbridge_queue_version.
func New(db *dbutil.Database, cfg Config, handler Handler) *Queue {
	cfg = cfg.withDefaults()
	return &Queue{
		db:      db.Child("igbridge_queue_version", upgrades.Table, cfg.DBLog),
		cfg:     cfg,
		clock:   cfg.Clock,
		handler: handler,
		wake:    make(chan struct{}, 1),
	}
}

// Upgrade creates or migrates the queue's tables.
func (q *Queue) Upgrade(ctx context.Context) error {
	if err := q.db.Upgrade(ctx); err != nil {
		return fmt.Errorf("failed to upgrade the queue's tables: %w", err)
	}
	return nil
}

// Start resumes the jobs a crash left running and starts the workers. The workers log with ctx's
// logger but outlive ctx: only Stop ends them. Start a queue at most once.
func (q *Queue) Start(ctx context.Context) error {
	resumed, abandoned, err := q.resume(ctx)
	if err != nil {
		return err
	}
	log := zerolog.Ctx(ctx).With().Str("component", "queue").Logger()
	if resumed > 0 || abandoned > 0 {
		log.Info().Int("resumed", resumed).Int("failed", abandoned).
			Msg("Resuming jobs that were running when the bridge stopped")
	}
	handlerCtx, stopHandlers := context.WithCancel(log.WithContext(context.WithoutCancel(ctx)))
	dispatchCtx, stopDispatch := context.WithCancel(handlerCtx)
	q.lock.Lock()
	q.stopDispatch, q.stopHandlers = stopDispatch, stopHandlers
	q.lock.Unlock()
	d := newDispatcher(q)
	q.wg.Add(1)
	go d.run(dispatchCtx, handlerCtx)
	return nil
}

// Stop stops starting jobs and waits for the running handlers to return. After StopTimeout it
// cancels their context: a handler may be waiting out a pacer cool-down of up to an hour. A job
// a handler gives up on because of that (any outcome but Done) goes back to pending without
// using up an attempt, and the next Start runs it again; its recorded replies let the handler
// skip the parts already sent.
func (q *Queue) Stop() {
	q.lock.Lock()
	stopDispatch, stopHandlers := q.stopDispatch, q.stopHandlers
	q.stopDispatch, q.stopHandlers = nil, nil
	q.lock.Unlock()
	if stopDispatch == nil {
		return
	}
	defer stopHandlers()
	stopDispatch()
	returned := make(chan struct{})
	go func() {
		q.wg.Wait()
		close(returned)
	}()
	timer := q.clock.NewTimer(q.cfg.StopTimeout)
	defer timer.Stop()
	select {
	case <-returned:
	case <-timer.C():
		stopHandlers()
		<-returned
	}
}

// poke wakes the dispatcher unless a wake-up is already pending.
func (q *Queue) poke() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *Queue) nowMilli() int64 {
	return q.clock.Now().UnixMilli()
}
