package queue

import (
	"context"
	"math/rand/v2"
	"runtime/debug"

	"github.com/rs/zerolog"
)

// run makes one attempt at a job and records its outcome.
func (q *Queue) run(ctx context.Context, job *Job) {
	log := zerolog.Ctx(ctx).With().
		Int64("job_id", job.ID).
		Stringer("room_id", job.RoomID).
		Stringer("event_id", job.EventID).
		Str("link_key", job.LinkKey).
		Int("attempt", job.Attempts).
		Logger()
	ctx = log.WithContext(ctx)
	log.Debug().Msg("Starting job")
	res := q.call(ctx, job)
	// The outcome must be recorded even when Stop cancelled ctx.
	if err := q.record(context.WithoutCancel(ctx), job, res, ctx.Err() != nil); err != nil {
		// The job stays running, which blocks its room until the next start resumes it.
		log.Err(err).Msg("Failed to record the job's outcome")
	}
	q.attemptEnded(job.ID)
}

// call runs the handler; a panic fails the job instead of killing the worker.
func (q *Queue) call(ctx context.Context, job *Job) (res Result) {
	defer func() {
		if p := recover(); p != nil {
			zerolog.Ctx(ctx).Error().
				Any("panic", p).
				Str("stack", string(debug.Stack())).
				Msg("Job handler panicked")
			res = Result{Outcome: Failed, ErrorClass: ErrorClassInternal}
		}
	}()
	return q.handler(ctx, job)
}

// record stores the outcome of an attempt; stopping says Stop interrupted it.
func (q *Queue) record(ctx context.Context, job *Job, res Result, stopping bool) error {
	log := zerolog.Ctx(ctx).With().
		Stringer("outcome", res.Outcome).
		Str("error_class", res.ErrorClass).
		AnErr("error", res.Err).
		Logger()
	switch {
	case stopping && res.Outcome != Done:
		log.Debug().Msg("Job interrupted by shutdown, will resume on the next start")
		return q.requeue(ctx, job.ID)
	case res.Outcome == Done:
		log.Debug().Msg("Job done")
		return q.finish(ctx, job.ID, stateDone, res.ErrorClass)
	case res.Outcome == Retry && !job.LastAttempt:
		delay := res.RetryAfter
		if delay <= 0 {
			delay = Backoff(q.cfg.BackoffBase, q.cfg.BackoffMax, job.Attempts, rand.Float64)
		}
		notBefore := q.clock.Now().Add(delay)
		log.Info().Time("not_before", notBefore).Msg("Job will be retried")
		return q.retryAt(ctx, job.ID, res.ErrorClass, notBefore)
	case res.Outcome == Retry, res.Outcome == Failed:
		log.Warn().Msg("Job failed")
		return q.finish(ctx, job.ID, stateFailed, res.ErrorClass)
	case res.Outcome == Repeated:
		log.Info().Msg("Job failed again like the link's last job")
		return q.finish(ctx, job.ID, stateRepeated, res.ErrorClass)
	case res.Outcome == Cancelled:
		log.Debug().Msg("Job cancelled by its handler")
		return q.finish(ctx, job.ID, stateCancelled, res.ErrorClass)
	default:
		log.Error().Msg("Job handler returned an invalid outcome")
		return q.finish(ctx, job.ID, stateFailed, ErrorClassInternal)
	}
}
