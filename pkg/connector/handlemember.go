package connector

import (
	"context"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// handleMember tracks the rooms the bot is in. It runs after bridgev2's own handler, which has
// already accepted the invite (inviter allowed to use commands) or rejected it.
func (ic *Connector) handleMember(ctx context.Context, evt *event.Event) {
	bot := ic.Bridge.Bot.GetMXID()
	if id.UserID(evt.GetStateKey()) != bot {
		return
	}
	log := zerolog.Ctx(ctx).With().Stringer("room_id", evt.RoomID).Stringer("sender", evt.Sender).Logger()
	switch evt.Content.AsMember().Membership {
	case event.MembershipInvite:
		if !ic.mc.StateStore.IsInRoom(ctx, evt.RoomID, bot) {
			return
		}
		if err := ic.rooms.Watch(ctx, evt.RoomID, evt.Sender); err != nil {
			log.Err(err).Msg("Failed to start watching room")
			return
		}
		log.Info().Msg("Watching room after invite")
	case event.MembershipLeave, event.MembershipBan:
		if err := ic.rooms.Unwatch(ctx, evt.RoomID); err != nil {
			log.Err(err).Msg("Failed to stop watching room")
			return
		}
		log.Info().Str("membership", string(evt.Content.AsMember().Membership)).Msg("Stopped watching room")
	}
}
