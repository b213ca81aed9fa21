package connector

import (
	"context"
	"strconv"
	"strings"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/bridgev2"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/format"
	"maunium.net/go/mautrix/id"
)

// whatIDo opens both the help and the welcome: a new user learns first that they only post links.
const whatIDo = "I answer Instagram links. Post a link to a post, reel, carousel, IGTV video, story or share " +
	"link in a room I'm in, and I reply to it with the media and caption, sent by a ghost user for the Instagram account."

func helpText(prefix string, cfg *Config) string {
	getWho := "anyone"
	if cfg.GetPowerLevel > 0 {
		getWho = "power level " + strconv.Itoa(cfg.GetPowerLevel) + "+ and bridge admins"
	}
	return whatIDo + reactionsHelp(&cfg.Reactions) + "\n\n" +
		"Commands (start them with `" + prefix + "` outside your management room):\n" +
		"* `help` - this text (anyone)\n" +
		"* `status` - links answered and failed, yt-dlp version (anyone)\n" +
		"* `version` - the bridge version (anyone)\n" +
		"* `get <link>` - answer one link, also where `auto` is off (" + getWho + ")\n" +
		"* `settings` - this room's settings (anyone)\n" +
		"* `set captions on|off`, `set mode full|media`, `set max-items N`, `set auto on|off` - change them (room moderators, bridge admins)\n" +
		"* `enable`, `disable` - answer or ignore links in this room (room moderators, bridge admins)\n" +
		"* `cache purge [link]` - fetch links again instead of from the cache (bridge admins)"
}

// reactionsHelp tells what the configured reactions mean, naming the first key of each action.
func reactionsHelp(rc *ReactionsConfig) string {
	var parts []string
	if rc.Progress != "" {
		parts = append(parts, rc.Progress+" on a message: its links are being fetched")
	}
	if len(rc.Retry) > 0 {
		parts = append(parts, rc.Retry[0]+" on a failure notice tries again")
	}
	if len(rc.Delete) > 0 {
		parts = append(parts, rc.Delete[0]+" on an answer deletes it")
	}
	if len(parts) == 0 {
		return ""
	}
	text := "\n\nReactions: " + strings.Join(parts, "; ")
	if len(rc.Retry) > 0 || len(rc.Delete) > 0 {
		text += " (the link's sender and moderators)"
	}
	return text + "."
}

// offeredCommands are the commands passed on to bridgev2's processor; "help" is answered here.
var offeredCommands = map[string]bool{"status": true, "version": true, "enable": true, "disable": true, "cache": true,
	"set": true, "settings": true, "get": true}

// refusedCommands are bridgev2 built-ins (v0.32.0 commands and matrix packages) that mean nothing
// for a link bot, with the reason given when one is typed. Aliases are listed too, since the
// front below sees the typed word before bridgev2 resolves aliases.
var refusedCommands = func() map[string]string {
	reasons := map[string][]string{
		"there is nothing to log in to": {"login", "relogin", "logout", "list-logins", "set-preferred-login", "prefer",
			"login-matrix", "logout-matrix", "ping-matrix"},
		"there are no bridged chats: I answer links in the rooms I'm invited to": {"create-portal", "delete-portal",
			"delete-all-portals", "sync-portal", "start-chat", "pm", "create-group", "create", "search",
			"resolve-identifier", "id", "bridge", "unbridge", "mute", "unmute", "delete-chat", "block-user",
			"unblock-user", "filter", "set-relay", "unset-relay", "import-image-pack"},
		"it is a bridgev2 debugging command": {"sudo", "doas", "do-as", "runas", "run-as", "doin", "do-in", "runin",
			"run-in", "debug-register-push", "debug-account-data", "debug-reset-network", "discard-megolm-session",
			"discard-session", "set-pl", "set-power-level", "set-management-room"},
		"no command here waits for an answer": {"cancel"},
	}
	out := make(map[string]string)
	for reason, names := range reasons {
		for _, name := range names {
			out[name] = reason
		}
	}
	return out
}()

// commandFront sits in front of bridgev2's command processor. That processor can add and replace
// handlers but not remove them, and its help and "Unknown command" replies are fixed text, so the
// only way to offer just our commands is to decide here, before it sees the message, what to
// answer ourselves and what to pass on.
type commandFront struct {
	next bridgev2.CommandProcessor
	ic   *Connector
}

// installCommandFront runs from Start: until then mxmain still adds `version` to the processor
// through a type assertion on Bridge.Commands.
func (ic *Connector) installCommandFront() {
	ic.Bridge.Commands = &commandFront{next: ic.Bridge.Commands, ic: ic}
}

func (cf *commandFront) Handle(ctx context.Context, roomID id.RoomID, eventID id.EventID, user *bridgev2.User, message string, replyTo id.EventID) {
	if cf.ic.isLinkMessage(eventID) {
		return // a link posted in a management room, answered by handleMessage
	}
	// The processor adds mx_command to the logger in ctx, which the event processor shares
	// between events: without a copy every later log line would name this command.
	log := zerolog.Ctx(ctx).With().
		Stringer("room_id", roomID).Stringer("event_id", eventID).Stringer("sender", user.MXID).Logger()
	ctx = log.WithContext(ctx)
	command := ""
	if fields := strings.Fields(message); len(fields) > 0 {
		command = strings.ToLower(fields[0])
	}
	typedPrefix := "" // commands need no prefix in the management room
	if roomID != user.ManagementRoom {
		typedPrefix = cf.ic.Bridge.Config.CommandPrefix + " "
	}
	switch reason, refused := refusedCommands[command]; {
	case offeredCommands[command]:
		cf.next.Handle(ctx, roomID, eventID, user, message, replyTo)
	case command == "help":
		cf.ic.sendBotNotice(ctx, roomID, helpText(cf.ic.Bridge.Config.CommandPrefix, &cf.ic.Config))
	case refused:
		cf.ic.sendBotNotice(ctx, roomID, "`"+command+"` is not used by this bridge: "+reason+". Post an Instagram link instead.")
	default:
		cf.ic.sendBotNotice(ctx, roomID, "Not a command. Post an Instagram link, or type `"+typedPrefix+"help`.")
	}
}

// sendBotNotice answers a command message with a notice from the bridge bot, not as a reply, like
// bridgev2's own command answers, so that the replies to a message stay its link answers.
func (ic *Connector) sendBotNotice(ctx context.Context, roomID id.RoomID, markdown string) {
	content := botNotice(markdown)
	content.Mentions = &event.Mentions{}
	if _, err := ic.Bridge.Bot.SendMessage(ctx, roomID, event.EventMessage, &event.Content{Parsed: content}, nil); err != nil {
		zerolog.Ctx(ctx).Err(err).Stringer("room_id", roomID).Msg("Failed to send command reply")
	}
}

// botNotice renders the bot's markdown text as a notice.
func botNotice(markdown string) *event.MessageEventContent {
	content := format.RenderMarkdown(markdown, true, false)
	content.MsgType = event.MsgNotice
	return &content
}
