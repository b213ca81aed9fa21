package connector

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/igbridge/igbridge/pkg/media"
	"github.com/igbridge/igbridge/pkg/queue"
)

// linkCommands are igbridge's commands that take an Instagram link as an argument: in a
// management room, a bare message starting with one of them is a command, not a link to answer.
var linkCommands = map[string]bool{"cache": true, "get": true}

// handleMessage finds the Instagram links of a message in a watched room and queues them. It runs
// inside the homeserver's transaction, so it only writes the jobs and returns. It is prepended to
// bridgev2's handler so that a link posted in a management room is marked as a link before
// bridgev2 would read it as a command.
func (ic *Connector) handleMessage(ctx context.Context, evt *event.Event) {
	if evt.Sender == ic.Bridge.Bot.GetMXID() || ic.Bridge.IsGhostMXID(evt.Sender) {
		return // our own answers carry the link: never answer them
	}
	msg, ok := readLinkMessage(evt, ic.Config.RespondToNotices, ic.Bridge.Config.CommandPrefix)
	if !ok {
		return
	}
	content, answerTo, threadRoot := msg.content, msg.answerTo, msg.threadRoot
	log := zerolog.Ctx(ctx).With().
		Stringer("room_id", evt.RoomID).
		Stringer("event_id", evt.ID).
		Stringer("sender", evt.Sender).
		Logger()
	room, err := ic.rooms.Get(ctx, evt.RoomID)
	if err != nil {
		log.Err(err).Msg("Failed to look up room")
		return
	} else if room == nil {
		return
	}
	var formatted string
	if content.Format == event.FormatHTML {
		formatted = content.FormattedBody
	}
	links := media.FindLinks(content.Body, formatted)
	if len(links) == 0 || !ic.claimFromCommands(ctx, evt, content.Body) || !room.Enabled {
		return
	} else if !ic.Config.optionsFor(room.Settings).Auto {
		return // answered only when asked for with `get`
	}
	// Links the original already had are not answered twice, and max_links_per_message holds for
	// a message with all its edits.
	maxLinks := ic.Config.MaxLinksPerMessage
	if msg.edit {
		edited, err := ic.editedMessageOf(log.WithContext(ctx), evt, answerTo)
		if err != nil {
			log.Warn().Err(err).Stringer("edits", answerTo).Msg("Failed to check an edit, ignoring it")
			return
		} else if edited == nil {
			return
		}
		threadRoot = edited.threadRoot
		links = slices.DeleteFunc(links, func(link media.Link) bool { return edited.taken[link.Key()] })
		maxLinks = max(maxLinks-len(edited.taken), 0)
		if len(links) == 0 {
			return
		}
	}
	ic.metrics.LinksSeen(len(links))
	if len(links) > maxLinks {
		log.Debug().Int("links", len(links)).Int("answered", maxLinks).Msg("Too many links in message")
		links = links[:maxLinks]
	}
	progress := ic.startProgress(evt.RoomID, answerTo)
	defer progress.done(log.WithContext(ic.Bridge.BackgroundCtx))
	for _, link := range links {
		jobID, err := ic.enqueue(log.WithContext(ctx), queue.Job{
			RoomID:     evt.RoomID,
			EventID:    answerTo,
			ThreadRoot: threadRoot,
			Sender:     evt.Sender,
			LinkKey:    link.Key(),
			LinkURL:    link.URL(),
		})
		if errors.Is(err, queue.ErrRoomFull) || errors.Is(err, queue.ErrUserFull) {
			return
		}
		progress.queued(jobID)
	}
}

// enqueue queues one link and returns its job's ID if it is new (0 for a link already queued).
// A link over the queue caps is not queued and its error returned; its sender is told, at most
// once a minute, so one message's further links need not be tried.
func (ic *Connector) enqueue(ctx context.Context, job queue.Job) (int64, error) {
	log := zerolog.Ctx(ctx)
	jobID, added, err := ic.queue.Add(ctx, job)
	switch {
	case errors.Is(err, queue.ErrRoomFull), errors.Is(err, queue.ErrUserFull):
		log.Debug().Err(err).Msg("Link over the queue caps")
		if ic.overCap.allow(job.RoomID, job.Sender, time.Now()) {
			go ic.sendOverCapNotice(log.WithContext(ic.Bridge.BackgroundCtx), &job, err)
		}
	case err != nil:
		log.Err(err).Str("link", job.LinkURL).Msg("Failed to queue link")
	case added:
		log.Debug().Int64("job_id", jobID).Str("link", job.LinkURL).Msg("Queued link")
		return jobID, nil
	}
	return 0, err
}

// sendOverCapNotice tells the sender that their links were not taken (at most once a minute,
// see overCapNotices), as an answer to the link's message (the original, for an edit), in its
// thread.
func (ic *Connector) sendOverCapNotice(ctx context.Context, job *queue.Job, cause error) {
	message := "Too many links are waiting in this room; this one was skipped. Try again in a minute."
	if errors.Is(cause, queue.ErrUserFull) {
		message = "You have too many links waiting; this one was skipped. Try again in a minute."
	}
	content := asAnswer(job, &event.MessageEventContent{MsgType: event.MsgNotice, Body: message})
	_, err := ic.Bridge.Bot.SendMessage(ctx, job.RoomID, event.EventMessage, &event.Content{Parsed: content}, nil)
	if err != nil {
		zerolog.Ctx(ctx).Err(err).Msg("Failed to send over-cap notice")
	}
}

// claimFromCommands decides whether a message with links is a link or a command. In the sender's
// management room bridgev2 reads every message as a command; a link message is marked there so
// that the command processor leaves it to us (see commandFront). It reports whether the
// message is a link message.
func (ic *Connector) claimFromCommands(ctx context.Context, evt *event.Event, body string) bool {
	user, err := ic.Bridge.GetExistingUserByMXID(ctx, evt.Sender)
	inManagementRoom := err == nil && user != nil && user.ManagementRoom == evt.RoomID
	if !readsAsLink(body, inManagementRoom) {
		return false
	} else if inManagementRoom {
		ic.linkMessages.Store(evt.ID, struct{}{})
	}
	return true
}

// readsAsLink reports whether a message with links is a link message rather than a command.
// Outside the management room commands need the prefix, which readLinkMessage has ruled out;
// inside it they need none, so a message starting with a command that takes a link is that command.
func readsAsLink(body string, inManagementRoom bool) bool {
	if !inManagementRoom {
		return true
	}
	fields := strings.Fields(body)
	return len(fields) == 0 || !linkCommands[strings.ToLower(fields[0])]
}

// isLinkMessage reports (once) whether an event was claimed by claimFromCommands.
func (ic *Connector) isLinkMessage(eventID id.EventID) bool {
	_, ok := ic.linkMessages.LoadAndDelete(eventID)
	return ok
}
