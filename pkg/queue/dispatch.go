package queue

import (
	"context"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/id"

	"github.com/igbridge/igbridge/pkg/clock"
)

// dispatcher is the one goroutine that decides which job runs next; workers only run what it
// hands them, so the fairness state needs no lock.
type dispatcher struct {
	q  *Queue
	rr *roundRobin
	// finished receives the room of each job whose outcome is recorded; it has room for every
	// worker so that workers never block on it, even after the dispatcher stopped.
	finished chan id.RoomID
	running  map[id.RoomID]int
	busy     int
}

func newDispatcher(q *Queue) *dispatcher {
	return &dispatcher{
		q:        q,
		rr:       newRoundRobin(),
		finished: make(chan id.RoomID, q.cfg.Workers),
		running:  make(map[id.RoomID]int),
	}
}

// run starts jobs while workers are free, then sleeps until a job is added or cancelled, a job
// finishes, or the earliest retry is due. It ends with ctx; the handlers run with handlerCtx.
func (d *dispatcher) run(ctx, handlerCtx context.Context) {
	defer d.q.wg.Done()
	log := zerolog.Ctx(ctx)
	var timer clock.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		var wakeAt time.Time
		if d.busy < d.q.cfg.Workers {
			job, next, err := d.next(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				// The database may be briefly unavailable; trying again right away would spin.
				log.Err(err).Msg("Failed to pick the next job")
				wakeAt = d.q.clock.Now().Add(d.q.cfg.BackoffBase)
			} else if job != nil {
				d.start(handlerCtx, job)
				continue
			} else if next != 0 {
				wakeAt = time.UnixMilli(next)
			}
		}
		if timer != nil {
			timer.Stop()
			timer = nil
		}
		var timerC <-chan time.Time
		if !wakeAt.IsZero() {
			timer = d.q.clock.NewTimer(wakeAt.Sub(d.q.clock.Now()))
			timerC = timer.C()
		}
		select {
		case <-ctx.Done():
			return
		case <-d.q.wake:
		case <-timerC:
		case roomID := <-d.finished:
			d.done(roomID)
		}
	}
}

// next claims the job to run now, if any; otherwise it returns when the next one is due (Unix
// milliseconds, 0 when nothing waits).
func (d *dispatcher) next(ctx context.Context) (*Job, int64, error) {
	for {
		heads, err := d.q.heads(ctx)
		if err != nil {
			return nil, 0, err
		}
		d.rr.forget(heads, d.running)
		best, wakeAt := d.rr.choose(heads, d.q.nowMilli())
		if best == nil {
			return nil, wakeAt, nil
		}
		// Not cancellable: a claim that commits must reach the caller, or the job would be left
		// running without a worker until the next start.
		job, err := d.q.claim(context.WithoutCancel(ctx), best.id)
		if err != nil {
			return nil, 0, err
		} else if job != nil {
			d.rr.serve(job.RoomID)
			return job, 0, nil
		}
		// Cancelled since it was listed: look again.
	}
}

func (d *dispatcher) start(ctx context.Context, job *Job) {
	d.busy++
	d.running[job.RoomID]++
	d.q.wg.Add(1)
	go func() {
		defer d.q.wg.Done()
		d.q.run(ctx, job)
		d.finished <- job.RoomID
	}()
}

func (d *dispatcher) done(roomID id.RoomID) {
	d.busy--
	d.running[roomID]--
	if d.running[roomID] <= 0 {
		delete(d.running, roomID)
	}
}
