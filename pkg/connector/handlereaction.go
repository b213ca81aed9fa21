package connector

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/event"

	"github.com/igbridge/igbridge/pkg/queue"
)

// reactionAction is what a reaction on one of the bridge's messages asks for.
type reactionAction int

const (
	actionNone reactionAction = iota
	// actionRetry on a failure notice tries the link again now.
	actionRetry
	// actionDelete on any part of an answer redacts the whole answer.
	actionDelete
)

// actionFor maps a reaction key to its action by the configured keys.
func (rc *ReactionsConfig) actionFor(key string) reactionAction {
	matches := func(k string) bool { return sameReaction(k, key) }
	switch {
	case slices.ContainsFunc(rc.Retry, matches):
		return actionRetry
	case slices.ContainsFunc(rc.Delete, matches):
		return actionDelete
	}
	return actionNone
}

// handleReaction acts on reactions to the bridge's answers by the link's sender or a moderator;
// every other reaction is left alone. Like handleRedaction it decides inside the homeserver's
// transaction (database and state store only) and leaves the requests to the homeserver to the
// background.
func (ic *Connector) handleReaction(ctx context.Context, evt *event.Event) {
	if evt.Sender == ic.Bridge.Bot.GetMXID() || ic.Bridge.IsGhostMXID(evt.Sender) {
		return
	}
	rel := evt.Content.AsReaction().RelatesTo
	if rel.Type != event.RelAnnotation || rel.EventID == "" {
		return
	}
	action := ic.Config.Reactions.actionFor(rel.Key)
	if action == actionNone {
		return
	}
	log := zerolog.Ctx(ctx).With().Stringer("room_id", evt.RoomID).Stringer("reaction_to", rel.EventID).
		Stringer("sender", evt.Sender).Str("key", rel.Key).Logger()
	ctx = log.WithContext(ctx)
	reply, err := ic.queue.ReplyByEvent(ctx, evt.RoomID, rel.EventID)
	if err != nil {
		log.Err(err).Msg("Failed to look up the reacted event")
		return
	} else if reply == nil || reply.Part == progressPart || (action == actionRetry && reply.Part != noticePart) {
		return
	}
	job, err := ic.jobOf(ctx, reply)
	if err != nil {
		log.Err(err).Msg("Failed to look up the job of a reaction")
		return
	} else if job == nil {
		return
	}
	if allowed, err := ic.mayActOnLinks(ctx, evt.RoomID, job.Sender, evt.Sender); err != nil {
		log.Err(err).Msg("Failed to check a reaction")
		return
	} else if !allowed {
		return
	}
	log.Debug().Int64("job_id", job.ID).Msg("Acting on a reaction")
	bgCtx := log.WithContext(ic.Bridge.BackgroundCtx)
	switch action {
	case actionRetry:
		ic.retryLink(ctx, bgCtx, job, reply)
	case actionDelete:
		go ic.deleteAnswer(bgCtx, job)
	}
}

// jobOf returns the job a reply answers.
func (ic *Connector) jobOf(ctx context.Context, reply *queue.Reply) (*queue.Job, error) {
	jobs, err := ic.queue.MessageJobs(ctx, reply.RoomID, reply.ReplyTo)
	if err != nil {
		return nil, err
	}
	for _, job := range jobs {
		if job.ID == reply.JobID {
			return &job, nil
		}
	}
	return nil, nil
}

// retryLink puts a failed link back in the queue to be tried now: its remembered failure is
// forgotten so Instagram is asked again (through the pacer), and its failure notice goes away;
// the progress reaction shows it is being handled. What needs the homeserver runs on bgCtx.
func (ic *Connector) retryLink(ctx, bgCtx context.Context, job *queue.Job, notice *queue.Reply) {
	log := zerolog.Ctx(ctx)
	// The notice is sent before its attempt is recorded as failed, and the attempt holds the
	// message's lock until then: a quick reaction waits for it off the event loop.
	if running, err := ic.queue.IsRunning(ctx, job.ID); err != nil {
		log.Err(err).Msg("Failed to check the job of a retry")
		return
	} else if running {
		go ic.retryAfterAttempt(bgCtx, job, notice)
		return
	}
	if err := ic.cache.ForgetFailure(ctx, job.LinkKey); err != nil {
		log.Err(err).Msg("Failed to forget the link's failure")
		return
	}
	progress := ic.startProgress(job.RoomID, job.EventID)
	defer progress.done(bgCtx)
	reopened, err := ic.queue.Reopen(ctx, job.ID, noticePart)
	switch {
	case errors.Is(err, queue.ErrRoomFull), errors.Is(err, queue.ErrUserFull):
		log.Debug().Err(err).Msg("Retry over the queue caps")
		if ic.overCap.allow(job.RoomID, job.Sender, time.Now()) {
			go ic.sendOverCapNotice(bgCtx, job, err)
		}
		return
	case err != nil:
		log.Err(err).Msg("Failed to retry a link")
		return
	case !reopened:
		return // not failed (any more): a retry is under way already, or the link was answered
	}
	progress.queued(job.ID)
	log.Info().Int64("job_id", job.ID).Msg("Retrying a link on request")
	go func() { _ = ic.redactReply(bgCtx, *notice, "Trying again") }()
}

// retryAfterAttempt retries a link once the attempt that sent its failure notice has ended,
// unless someone retried it meanwhile (the notice is then no longer recorded).
func (ic *Connector) retryAfterAttempt(ctx context.Context, job *queue.Job, notice *queue.Reply) {
	log := zerolog.Ctx(ctx)
	if err := ic.queue.WaitEnded(ctx, job.ID); err != nil {
		log.Warn().Err(err).Msg("Failed to wait for the failed attempt to end")
		return
	}
	if still, err := ic.queue.ReplyByEvent(ctx, notice.RoomID, notice.EventID); err != nil {
		log.Err(err).Msg("Failed to look up the failure notice")
	} else if still != nil {
		ic.retryLink(ctx, ctx, job, notice)
	}
}

// deleteAnswer redacts every part of a job's answer (media, texts or failure notice).
func (ic *Connector) deleteAnswer(ctx context.Context, job *queue.Job) {
	replies, err := ic.queue.JobReplies(ctx, job.ID)
	if err != nil {
		zerolog.Ctx(ctx).Err(err).Msg("Failed to find the answer to delete")
		return
	}
	for _, reply := range replies {
		if reply.Part != progressPart {
			_ = ic.redactReply(ctx, reply, "Deleted on request")
		}
	}
}

// ForgetFailure drops the remembered failure of a post, so the next link to it asks Instagram.
func (mc *mediaCache) ForgetFailure(ctx context.Context, postKey string) error {
	if _, err := mc.db.Exec(ctx, "DELETE FROM igbridge_fetch_failure WHERE post_key=$1", postKey); err != nil {
		return fmt.Errorf("failed to forget failure: %w", err)
	}
	return nil
}

// sameReaction compares reaction keys as users type them: with or without the emoji
// presentation selector (U+FE0F), which clients add or leave out.
func sameReaction(a, b string) bool {
	return strings.ReplaceAll(a, "\ufe0f", "") == strings.ReplaceAll(b, "\ufe0f", "")
}
