package connector

import (
	"errors"
	"strings"

	"maunium.net/go/mautrix/bridgev2/commands"

	"github.com/igbridge/igbridge/pkg/media"
	"github.com/igbridge/igbridge/pkg/queue"
)

func (ic *Connector) getCommand() commands.CommandHandler {
	return &commands.FullHandler{
		Func: ic.cmdGet,
		Name: "get",
		Help: commands.HelpMeta{
			Section:     helpSectionRoom,
			Description: "Answer one Instagram link, also where links are not answered as they are posted.",
			Args:        "<_link_>",
		},
	}
}

// cmdGet answers one link as a reply to the command, through the queue like a posted link, so it
// is paced, capped and answered from the caches the same way.
func (ic *Connector) cmdGet(ce *commands.Event) {
	room := ic.watchedRoomOf(ce)
	if room == nil {
		return
	} else if !room.Enabled {
		ce.Reply("Links in this room are ignored; a moderator can turn them on with `enable`.")
		return
	} else if !ic.mayGet(ce) {
		ce.Reply("Only members with power level %d or more and bridge admins can use `get` here.", ic.Config.GetPowerLevel)
		return
	}
	if len(ce.Args) != 1 {
		ce.Reply("Usage: `get <link>`, with one Instagram link.")
		return
	}
	// "<link>" is how the help writes it, and how some people will type it.
	link, ok := media.ParseLink(strings.TrimSuffix(strings.TrimPrefix(ce.Args[0], "<"), ">"))
	if !ok {
		ce.Reply("That is not a link to an Instagram post.")
		return
	}
	progress := ic.startProgress(ce.RoomID, ce.EventID)
	defer progress.done(ce.Log.WithContext(ic.Bridge.BackgroundCtx))
	jobID, err := ic.enqueue(ce.Log.WithContext(ce.Ctx), queue.Job{
		RoomID:  ce.RoomID,
		EventID: ce.EventID,
		Sender:  ce.User.MXID,
		LinkKey: link.Key(),
		LinkURL: link.URL(),
	})
	if err != nil && !errors.Is(err, queue.ErrRoomFull) && !errors.Is(err, queue.ErrUserFull) {
		ce.Reply("Failed to queue the link.")
	}
	progress.queued(jobID)
}

// mayGet reports whether the command's sender may use `get`: bridge admins, and members with at
// least network.get_power_level in the room (with the default 0, every member).
func (ic *Connector) mayGet(ce *commands.Event) bool {
	if ce.User.Permissions.Admin || ic.Config.GetPowerLevel <= 0 {
		return true
	}
	levels, err := ic.mc.Bot.PowerLevels(ce.Ctx, ce.RoomID)
	if err != nil {
		ce.Log.Err(err).Msg("Failed to get power levels")
		return false
	}
	return levels.GetUserLevel(ce.User.MXID) >= ic.Config.GetPowerLevel
}
