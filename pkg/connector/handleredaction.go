package connector

import (
	"context"
	"fmt"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/bridgev2"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/igbridge/igbridge/pkg/queue"
)

// redactedMemory is how long a redaction is remembered for jobs still running when it came.
const redactedMemory = 10 * time.Minute

// handleRedaction follows the author: when a message with links is redacted, its pending links
// are dropped and the bridge's answers to it are redacted too.
func (ic *Connector) handleRedaction(ctx context.Context, evt *event.Event) {
	if evt.Sender == ic.Bridge.Bot.GetMXID() || ic.Bridge.IsGhostMXID(evt.Sender) {
		return
	}
	redacts := evt.Redacts
	if redacts == "" {
		redacts = evt.Content.AsRedaction().Redacts
	}
	if redacts == "" {
		return
	}
	log := zerolog.Ctx(ctx).With().Stringer("room_id", evt.RoomID).Stringer("redacts", redacts).
		Stringer("sender", evt.Sender).Logger()
	if follow, err := ic.mayRedactLinks(log.WithContext(ctx), evt, redacts); err != nil {
		log.Err(err).Msg("Failed to check a redaction")
		return
	} else if !follow {
		return
	}
	ic.rememberRedaction(redacts)
	log.Debug().Msg("Following a redaction")
	if n, err := ic.queue.Cancel(ctx, evt.RoomID, redacts); err != nil {
		log.Err(err).Msg("Failed to cancel links of a redacted message")
	} else if n > 0 {
		log.Debug().Int("cancelled", n).Msg("Cancelled links of a redacted message")
	}
	// Redacting takes requests to the homeserver; do not hold up the transaction for them.
	go func() {
		ctx := log.WithContext(ic.Bridge.BackgroundCtx)
		ic.redactReplies(ctx, evt.RoomID, redacts)
		// The cancelled links never run to take their progress reaction back.
		ic.endProgress(ctx, &queue.Job{RoomID: evt.RoomID, EventID: redacts})
	}()
}

// mayRedactLinks reports whether a redaction is one to follow: of a message with links, by its
// sender or by someone the room's power levels allow to redact others' events. Homeservers pass
// on redactions they do not apply, so the sender is checked here.
func (ic *Connector) mayRedactLinks(ctx context.Context, evt *event.Event, redacts id.EventID) (bool, error) {
	jobs, err := ic.queue.MessageJobs(ctx, evt.RoomID, redacts)
	if err != nil || len(jobs) == 0 {
		return false, err
	}
	return ic.mayActOnLinks(ctx, evt.RoomID, jobs[0].Sender, evt.Sender)
}

// mayActOnLinks reports whether user may act on the links of linkSender's message (follow its
// redaction, retry a link, delete an answer): as its sender or as someone the room's power
// levels allow to redact others' events.
func (ic *Connector) mayActOnLinks(ctx context.Context, roomID id.RoomID, linkSender, user id.UserID) (bool, error) {
	if linkSender == user {
		return true, nil
	}
	levels, err := ic.mc.Bot.PowerLevels(ctx, roomID)
	if err != nil {
		return false, fmt.Errorf("failed to get power levels: %w", err)
	}
	if levels.GetUserLevel(user) < levels.Redact() {
		zerolog.Ctx(ctx).Debug().Stringer("link_sender", linkSender).
			Msg("Ignoring someone who is neither the link's sender nor allowed to redact others' messages")
		return false, nil
	}
	return true, nil
}

// redactReplies redacts every answer the bridge sent to a message, each as the user who sent it.
func (ic *Connector) redactReplies(ctx context.Context, roomID id.RoomID, eventID id.EventID) {
	log := zerolog.Ctx(ctx)
	replies, err := ic.queue.RepliesTo(ctx, roomID, eventID)
	if err != nil {
		log.Err(err).Msg("Failed to find the answers to a redacted message")
		return
	}
	for _, reply := range replies {
		_ = ic.redactReply(ctx, reply, "The linked message was deleted")
	}
}

// redactReply redacts one answer as the user who sent it; redacting it twice (following a
// redaction and a delete request) sends one redaction.
func (ic *Connector) redactReply(ctx context.Context, reply queue.Reply, reason string) error {
	sender := ic.Bridge.Bot
	if ghostID, ok := ic.mc.ParseGhostMXID(reply.Sender); ok {
		sender = ic.Bridge.Matrix.GhostIntent(ghostID)
	}
	_, err := sender.SendMessage(ctx, reply.RoomID, event.EventRedaction, &event.Content{
		Parsed: &event.RedactionEventContent{Redacts: reply.EventID, Reason: reason},
	}, &bridgev2.MatrixSendExtra{TransactionID: "igbridge-redact-" + reply.EventID.String()})
	if err != nil {
		zerolog.Ctx(ctx).Err(err).Stringer("reply_id", reply.EventID).Msg("Failed to redact an answer")
		return fmt.Errorf("failed to redact %s: %w", reply.EventID, err)
	}
	return nil
}

func (ic *Connector) rememberRedaction(eventID id.EventID) {
	now := time.Now()
	ic.redacted.Store(eventID, now)
	ic.redacted.Range(func(key, value any) bool {
		if now.Sub(value.(time.Time)) > redactedMemory {
			ic.redacted.Delete(key)
		}
		return true
	})
}

// isRedacted reports whether a message was redacted while the bridge was answering it.
func (ic *Connector) isRedacted(eventID id.EventID) bool {
	_, ok := ic.redacted.Load(eventID)
	return ok
}
