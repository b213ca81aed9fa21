package connector

import (
	"context"
	"strings"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/igbridge/igbridge/pkg/media"
)

// handleMessage finds the Instagram links of a message in a watched room and hands them to the
// workers. It runs inside the homeserver's transaction, so it never fetches anything itself.
// It is prepended to bridgev2's handler so that a link posted in a management room is marked as
// a link before bridgev2 would read it as a command.
func (ic *Connector) handleMessage(ctx context.Context, evt *event.Event) {
	if evt.Sender == ic.Bridge.Bot.GetMXID() || ic.Bridge.IsGhostMXID(evt.Sender) {
		return // our own answers carry the link: never answer them
	}
	content := evt.Content.AsMessage()
	if content.RelatesTo.GetReplaceID() != "" {
		return
	}
	switch content.MsgType {
	case event.MsgText, event.MsgEmote:
	case event.MsgNotice:
		if !ic.Config.RespondToNotices {
			return
		}
	default:
		return
	}
	log := zerolog.Ctx(ctx).With().
		Stringer("room_id", evt.RoomID).
		Stringer("event_id", evt.ID).
		Stringer("sender", evt.Sender).
		Logger()
	if strings.HasPrefix(content.Body, ic.Bridge.Config.CommandPrefix) {
		return // a command, maybe with a link argument
	}
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
	if len(links) == 0 {
		return
	}
	ic.markLinkMessage(ctx, evt)
	if !room.Enabled {
		return
	}
	if len(links) > ic.Config.MaxLinksPerMessage {
		log.Debug().Int("links", len(links)).Int("answered", ic.Config.MaxLinksPerMessage).Msg("Too many links in message")
		links = links[:ic.Config.MaxLinksPerMessage]
	}
	for _, link := range links {
		jobID, isNew, err := ic.jobs.Add(ctx, evt.RoomID, evt.ID, link)
		if err != nil {
			log.Err(err).Str("link", link.URL()).Msg("Failed to record link")
			continue
		} else if !isNew {
			continue
		}
		jobLog := log.With().Int64("job_id", jobID).Str("link", link.URL()).Logger()
		jobLog.Debug().Msg("Accepted link")
		ic.inFlight.Add(1)
		go ic.answer(jobLog.WithContext(ic.Bridge.BackgroundCtx), &linkJob{ID: jobID, Event: evt, Link: link})
	}
}

// markLinkMessage remembers a link message posted in the sender's management room, where bridgev2
// reads every message as a command, so that the command processor leaves it to us.
func (ic *Connector) markLinkMessage(ctx context.Context, evt *event.Event) {
	user, err := ic.Bridge.GetExistingUserByMXID(ctx, evt.Sender)
	if err != nil || user == nil || user.ManagementRoom != evt.RoomID {
		return
	}
	ic.linkMessages.Store(evt.ID, struct{}{})
}

// isLinkMessage reports (once) whether an event was marked by markLinkMessage.
func (ic *Connector) isLinkMessage(eventID id.EventID) bool {
	_, ok := ic.linkMessages.LoadAndDelete(eventID)
	return ok
}
