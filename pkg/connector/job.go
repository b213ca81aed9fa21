package connector

import (
	"context"
	"errors"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/event"

	"github.com/igbridge/igbridge/pkg/queue"
)

// errRedacted stops a job whose message was redacted while it ran.
var errRedacted = errors.New("the message was redacted")

// cachedFailure is a failure answered from the failure cache, without asking Instagram.
type cachedFailure struct {
	class     failureClass
	checkedAt time.Time // when the link failed
	expiresAt time.Time // when the bridge will ask Instagram again
}

func (cf *cachedFailure) Error() string { return "recently failed: " + string(cf.class) }

// handleJob answers one link; it is the queue's handler. Everything it sends carries transaction
// IDs derived from the job and is recorded after sending, so a job resumed after a crash neither
// repeats nor loses a part. The queue logs the outcome.
func (ic *Connector) handleJob(ctx context.Context, job *queue.Job) queue.Result {
	// The queue's logger already names the job, its room, event and attempt.
	log := zerolog.Ctx(ctx).With().Str("link", job.LinkURL).Logger()
	ctx = log.WithContext(ctx)
	stopTyping := ic.typingWhile(ctx, job.RoomID)
	defer stopTyping()
	pp, err := ic.preparedPostFor(ctx, job)
	if err == nil {
		err = ic.sendPost(ctx, job, pp)
	}
	if err == nil {
		ic.metrics.Replied(time.Since(job.CreatedAt))
		ic.metrics.JobAttempt(queue.Done.String(), "")
		return queue.Result{Outcome: queue.Done}
	}
	res := ic.failed(ctx, job, err)
	// An attempt cut short by shutdown goes back to the queue and runs again at the next start.
	if ctx.Err() == nil {
		ic.metrics.JobAttempt(res.Outcome.String(), res.ErrorClass)
	}
	return res
}

// failed decides what a failure means, from the failure table: a retry for what may pass unless
// this is the last attempt, otherwise one line in the room, and a cache entry and an admin alert
// where the table says so.
func (ic *Connector) failed(ctx context.Context, job *queue.Job, err error) queue.Result {
	var cached *cachedFailure
	switch {
	case ctx.Err() != nil:
		// Shutting down: the queue runs the job again at the next start.
		return queue.Result{Outcome: queue.Retry, Err: err}
	case errors.Is(err, errRedacted):
		ic.redactReplies(ctx, job.RoomID, job.EventID)
		return queue.Result{Outcome: queue.Cancelled, Err: err}
	case errors.As(err, &cached):
		ic.sendFailureNotice(ctx, job, policyFor(cached.class).cachedLine(cached.checkedAt, cached.expiresAt, time.Now()))
		return queue.Result{Outcome: queue.Repeated, ErrorClass: string(cached.class), Err: err}
	}
	class := classify(err)
	policy := policyFor(class)
	if policy.retryable && !job.LastAttempt {
		return queue.Result{Outcome: queue.Retry, ErrorClass: string(class), Err: err}
	}
	if ttl := policy.cache.ttl(ic.Config.Cache); ttl > 0 {
		if err := ic.cache.PutFailure(ctx, job.LinkKey, class, ttl); err != nil {
			zerolog.Ctx(ctx).Err(err).Msg("Failed to remember the failure")
		}
	}
	if alert, ok := ic.alertFor(policy.alert, err); ok {
		ic.alertAdmins(ctx, alert)
	}
	ic.sendFailureNotice(ctx, job, policy.line(job.Attempts, ic.pacer.CooldownUntil()))
	return queue.Result{Outcome: queue.Failed, ErrorClass: string(class), Err: err}
}

// matrixError marks failures of the homeserver while uploading or sending.
type matrixError struct{ err error }

func (me *matrixError) Error() string { return me.err.Error() }
func (me *matrixError) Unwrap() error { return me.err }

func (ic *Connector) sendFailureNotice(ctx context.Context, job *queue.Job, message string) {
	content := asAnswer(job, &event.MessageEventContent{MsgType: event.MsgNotice, Body: message})
	sent, err := ic.sentParts(ctx, job)
	if err != nil {
		zerolog.Ctx(ctx).Err(err).Msg("Failed to send failure notice")
		return
	}
	// Errors are logged by sendPart; the job has failed either way.
	_ = ic.sendPart(ctx, job, noticePart, ic.Bridge.Bot, content, sent)
}

// noticePart is the reply part number of a job's failure notice.
const noticePart = -1
