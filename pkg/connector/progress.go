package connector

import (
	"context"
	"sync"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/igbridge/igbridge/pkg/queue"
)

// progressPart is the reply part number of the progress reaction on a message; it is recorded
// with the message's first job like the answers, so it survives a restart and a redaction of
// the message takes it along.
const progressPart = -2

// messageLocks serialises, per message, showing the progress reaction and taking it back: the
// lock is taken before a message's links are queued, so no job of the message can take the
// reaction back before it was sent.
type messageLocks struct {
	lock  sync.Mutex
	locks map[id.EventID]*messageLock
}

type messageLock struct {
	sync.Mutex
	users int
}

// acquire locks a message and returns the function that unlocks it.
func (ml *messageLocks) acquire(eventID id.EventID) (release func()) {
	ml.lock.Lock()
	if ml.locks == nil {
		ml.locks = make(map[id.EventID]*messageLock)
	}
	l := ml.locks[eventID]
	if l == nil {
		l = &messageLock{}
		ml.locks[eventID] = l
	}
	l.users++
	ml.lock.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		ml.lock.Lock()
		if l.users--; l.users == 0 {
			delete(ml.locks, eventID)
		}
		ml.lock.Unlock()
	}
}

// progressStart shows the progress reaction on a message once some of its links are queued.
type progressStart struct {
	ic      *Connector
	roomID  id.RoomID
	eventID id.EventID
	release func()
	firstID int64
}

// startProgress is called before a message's links are queued; queued reports each new job and
// done ends the queueing. It is nil (and does nothing) when the progress reaction is off.
func (ic *Connector) startProgress(roomID id.RoomID, eventID id.EventID) *progressStart {
	if ic.Config.Reactions.Progress == "" {
		return nil
	}
	return &progressStart{ic: ic, roomID: roomID, eventID: eventID, release: ic.messageLocks.acquire(eventID)}
}

func (ps *progressStart) queued(jobID int64) {
	if ps != nil && ps.firstID == 0 {
		ps.firstID = jobID
	}
}

// done sends the reaction in the background when a job was queued: the handler runs inside the
// homeserver's transaction.
func (ps *progressStart) done(ctx context.Context) {
	if ps == nil {
		return
	}
	if ps.firstID == 0 {
		ps.release()
		return
	}
	go func() {
		defer ps.release()
		ps.ic.showProgress(ctx, &queue.Job{ID: ps.firstID, RoomID: ps.roomID, EventID: ps.eventID})
	}()
}

// showProgress reacts to a job's message unless the message has the reaction already (from
// links queued before, by an edit). The caller holds the message's lock.
func (ic *Connector) showProgress(ctx context.Context, job *queue.Job) {
	// The caller's logger names the room and the message (or the reaction that asked for a retry).
	log := zerolog.Ctx(ctx)
	shown, err := ic.progressReactions(ctx, job.RoomID, job.EventID)
	if err != nil {
		log.Err(err).Msg("Failed to look for the progress reaction")
		return
	} else if len(shown) > 0 {
		return
	}
	resp, err := ic.Bridge.Bot.SendMessage(ctx, job.RoomID, event.EventReaction, &event.Content{
		Parsed: &event.ReactionEventContent{RelatesTo: event.RelatesTo{
			Type:    event.RelAnnotation,
			EventID: job.EventID,
			Key:     ic.Config.Reactions.Progress,
		}},
	}, nil)
	if err != nil {
		log.Warn().Err(err).Msg("Failed to send the progress reaction")
		return
	}
	if err = ic.queue.RecordReply(ctx, job, progressPart, resp.EventID, ic.Bridge.Bot.GetMXID()); err != nil {
		log.Err(err).Msg("Failed to record the progress reaction")
	}
}

// endProgress takes the progress reaction off a job's message when no other link of the message
// is still waiting or running.
func (ic *Connector) endProgress(ctx context.Context, job *queue.Job) {
	defer ic.messageLocks.acquire(job.EventID)()
	log := zerolog.Ctx(ctx)
	if n, err := ic.queue.OtherActiveJobs(ctx, job.RoomID, job.EventID, job.ID); err != nil {
		log.Err(err).Msg("Failed to check the message's other links")
		return
	} else if n > 0 {
		return
	}
	shown, err := ic.progressReactions(ctx, job.RoomID, job.EventID)
	if err != nil {
		log.Err(err).Msg("Failed to look for the progress reaction")
		return
	}
	for _, reaction := range shown {
		if ic.redactReply(ctx, reaction, "Answered") != nil {
			continue
		}
		if err = ic.queue.ForgetReply(ctx, reaction.JobID, reaction.Part); err != nil {
			log.Err(err).Msg("Failed to forget the progress reaction")
		}
	}
}

// progressReactions returns the recorded progress reactions of a message (at most one, but a
// crash between sending and forgetting may leave more).
func (ic *Connector) progressReactions(ctx context.Context, roomID id.RoomID, eventID id.EventID) ([]queue.Reply, error) {
	replies, err := ic.queue.RepliesTo(ctx, roomID, eventID)
	if err != nil {
		return nil, err
	}
	var reactions []queue.Reply
	for _, reply := range replies {
		if reply.Part == progressPart {
			reactions = append(reactions, reply)
		}
	}
	return reactions, nil
}

// answerJob is the queue's handler: handleJob, then the progress reaction is taken back once the
// link is answered for good (not when it waits for a retry or was cut short by shutdown). This
// holds with progress reactions turned off too: they may have been on when the link came.
func (ic *Connector) answerJob(ctx context.Context, job *queue.Job) queue.Result {
	res := ic.handleJob(ctx, job)
	if answeredForGood(res, job, ctx.Err() != nil) {
		ic.endProgress(context.WithoutCancel(ctx), job)
	}
	return res
}

// sweepProgress takes back the progress reactions of messages with nothing left to answer, at
// start-up: jobs given up then (interrupted on their last attempt) were never answered.
func (ic *Connector) sweepProgress(ctx context.Context) {
	stale, err := ic.queue.RepliesOfFinished(ctx, progressPart)
	if err != nil {
		zerolog.Ctx(ctx).Err(err).Msg("Failed to look for stale progress reactions")
		return
	}
	for _, reaction := range stale {
		// Job 0 is none: endProgress checks again, under the message's lock, that no job is left.
		log := zerolog.Ctx(ctx).With().Stringer("room_id", reaction.RoomID).Stringer("event_id", reaction.ReplyTo).Logger()
		ic.endProgress(log.WithContext(ctx), &queue.Job{RoomID: reaction.RoomID, EventID: reaction.ReplyTo})
	}
}

// answeredForGood reports whether an attempt's outcome is the job's last one, as the queue will
// record it: a Retry on the last attempt fails, and shutdown puts back whatever is not done.
func answeredForGood(res queue.Result, job *queue.Job, stopping bool) bool {
	switch {
	case res.Outcome == queue.Done:
		return true
	case stopping:
		return false
	case res.Outcome == queue.Retry:
		return job.LastAttempt
	}
	return true
}
