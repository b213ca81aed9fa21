package connector

import (
	"fmt"
	"strings"
	"time"

	"maunium.net/go/mautrix/bridgev2/commands"

	"github.com/igbridge/igbridge/pkg/media"
)

var helpSectionRoom = commands.HelpSection{Name: "Instagram links in this room", Order: 5}

func (ic *Connector) registerCommands() {
	proc := ic.Bridge.Commands.(*commands.Processor)
	proc.AddHandlers(append(ic.settingsCommands(), ic.getCommand())...)
	proc.AddHandlers(
		&commands.FullHandler{
			Func: func(ce *commands.Event) { ic.cmdSetEnabled(ce, true) },
			Name: "enable",
			Help: commands.HelpMeta{
				Section:     helpSectionRoom,
				Description: "Answer Instagram links in this room (room moderators and bridge admins).",
			},
		},
		&commands.FullHandler{
			Func: func(ce *commands.Event) { ic.cmdSetEnabled(ce, false) },
			Name: "disable",
			Help: commands.HelpMeta{
				Section:     helpSectionRoom,
				Description: "Stop answering Instagram links in this room (room moderators and bridge admins).",
			},
		},
		&commands.FullHandler{
			Func:          ic.cmdCache,
			Name:          "cache",
			RequiresAdmin: true,
			Help: commands.HelpMeta{
				Section:     commands.HelpSectionGeneral,
				Description: "Forget cached media and failures, of one post or of all, so links are fetched again.",
				Args:        "purge [_link_]",
			},
		},
		&commands.FullHandler{
			Func: ic.cmdStatus,
			Name: "status",
			Help: commands.HelpMeta{
				Section:     commands.HelpSectionGeneral,
				Description: "Show watched rooms, links answered and failed, and the yt-dlp version.",
			},
		},
	)
}

func (ic *Connector) cmdSetEnabled(ce *commands.Event, enabled bool) {
	room := ic.configurableRoom(ce)
	if room == nil {
		return
	}
	if room.Enabled == enabled {
		ce.Reply("Instagram links in this room are already %s.", enabledWord(enabled))
		return
	}
	if err := ic.rooms.SetEnabled(ce.Ctx, ce.RoomID, enabled); err != nil {
		ce.Log.Err(err).Msg("Failed to change room setting")
		ce.Reply("Failed to save the setting.")
		return
	}
	ce.Reply("Instagram links in this room are now %s.", enabledWord(enabled))
}

func enabledWord(enabled bool) string {
	if enabled {
		return "answered"
	}
	return "ignored"
}

// watchedRoomOf returns the command's room, or answers and returns nil when it is not watched.
func (ic *Connector) watchedRoomOf(ce *commands.Event) *watchedRoom {
	room, err := ic.rooms.Get(ce.Ctx, ce.RoomID)
	if err != nil {
		ce.Log.Err(err).Msg("Failed to look up room")
		ce.Reply("Failed to look up this room.")
		return nil
	} else if room == nil {
		ce.Reply("This room is not watched; invite me to it first.")
	}
	return room
}

// configurableRoom returns the command's room if its sender may change how the bridge works there,
// else answers why not and returns nil. Bridge admins may; so may the room's moderators, taken to
// be the members the room's power levels let change its state (name, topic, ...), since a setting
// changes the room for everyone in it.
func (ic *Connector) configurableRoom(ce *commands.Event) *watchedRoom {
	room := ic.watchedRoomOf(ce)
	if room == nil || ce.User.Permissions.Admin {
		return room
	}
	levels, err := ic.mc.Bot.PowerLevels(ce.Ctx, ce.RoomID)
	if err != nil {
		ce.Log.Err(err).Msg("Failed to get power levels")
		ce.Reply("Failed to read this room's power levels.")
		return nil
	}
	if levels.GetUserLevel(ce.User.MXID) < levels.StateDefault() {
		ce.Reply("Only room moderators (power level %d here) and bridge admins can change this.", levels.StateDefault())
		return nil
	}
	return room
}

func (ic *Connector) cmdStatus(ce *commands.Event) {
	watched, enabled, err := ic.rooms.Count(ce.Ctx)
	if err != nil {
		ce.Log.Err(err).Msg("Failed to count rooms")
		ce.Reply("Failed to read the status.")
		return
	}
	counts, err := ic.queue.Counts(ce.Ctx)
	if err != nil {
		ce.Log.Err(err).Msg("Failed to count jobs")
		ce.Reply("Failed to read the status.")
		return
	}
	cached, err := ic.cache.Count(ce.Ctx)
	if err != nil {
		ce.Log.Err(err).Msg("Failed to count cached posts")
	}
	var out strings.Builder
	// What most needs the reader's attention comes first.
	if problem, err := ic.instagramTrouble(ce.Ctx); err != nil {
		ce.Log.Err(err).Msg("Failed to read recent links")
	} else if problem != "" {
		fmt.Fprintf(&out, "⚠️ %s; new links will likely fail until it answers again.\n", problem)
	}
	if until := ic.pacer.CooldownUntil(); until.After(time.Now()) {
		fmt.Fprintf(&out, "⚠️ Instagram is rate-limiting the bridge: paused until %s\n", until.UTC().Format(time.TimeOnly+" MST"))
	}
	fmt.Fprintf(&out, "* Watched rooms: %d (%d answering links)\n", watched, enabled)
	fmt.Fprintf(&out, "* Links answered: %d, failed: %d, waiting: %d, in progress: %d\n",
		counts.Done, counts.Failed, counts.Pending, counts.Running)
	if counts.Repeated > 0 {
		fmt.Fprintf(&out, "* Repeats of recently failed links, answered without asking Instagram: %d\n", counts.Repeated)
	}
	fmt.Fprintf(&out, "* Last 15 minutes: %d of %d links failed\n", counts.RecentFailures, counts.RecentTotal)
	fmt.Fprintf(&out, "* Cached posts: %d\n", cached)
	fmt.Fprintf(&out, "* yt-dlp: %s\n", ic.extractorStatus)
	fmt.Fprintf(&out, "* ffmpeg: %s\n", ic.ffmpegStatus())
	if room, err := ic.rooms.Get(ce.Ctx, ce.RoomID); err == nil && room != nil {
		fmt.Fprintf(&out, "* This room: links are %s\n", enabledWord(room.Enabled))
	}
	ce.Reply(out.String())
}

func (ic *Connector) cmdCache(ce *commands.Event) {
	if len(ce.Args) == 0 || ce.Args[0] != "purge" || len(ce.Args) > 2 {
		ce.Reply("Usage: `cache purge [link]`")
		return
	}
	var key, what string
	if len(ce.Args) == 2 {
		links := media.FindLinks(ce.Args[1], "")
		if len(links) != 1 {
			ce.Reply("That is not a link to an Instagram post.")
			return
		}
		key, what = links[0].Key(), links[0].URL()
	}
	n, err := ic.cache.Purge(ce.Ctx, key)
	if err != nil {
		ce.Log.Err(err).Msg("Failed to purge the cache")
		ce.Reply("Failed to purge the cache.")
		return
	}
	if what == "" {
		ce.Reply("Forgot everything cached (%d entries).", n)
	} else {
		ce.Reply("Forgot %s (%d entries).", what, n)
	}
}
