package connector

import (
	"context"
	"fmt"
	"strings"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/bridgev2"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// welcomeBot replaces bridgev2's welcome ("Use `help` for help or `login` to log in."), sent when
// the bot joins a room with one other member. mautrix v0.32.0 builds that text inside
// handleBotInvite and never reads the management_room_texts config, and the invite cannot be
// taken away from it, so the one place to change it is the bot's SendMessage. The built-in text is
// recognised by its fixed opening, which igbridge never sends itself; the e2e welcome test fails
// if a mautrix update changes it.
type welcomeBot struct {
	bridgev2.MatrixAPI
	builtinOpening string
	prefix         string
}

func (ic *Connector) installWelcome() {
	ic.Bridge.Bot = &welcomeBot{
		MatrixAPI:      ic.Bridge.Bot,
		builtinOpening: fmt.Sprintf("Hello, I'm a %s bridge bot.", ic.GetName().DisplayName),
		prefix:         ic.Bridge.Config.CommandPrefix,
	}
}

func (wb *welcomeBot) SendMessage(ctx context.Context, roomID id.RoomID, eventType event.Type, content *event.Content, extra *bridgev2.MatrixSendExtra) (*mautrix.RespSendEvent, error) {
	// handleBotInvite passes the rendered content by value.
	if msg, ok := content.Parsed.(event.MessageEventContent); ok && eventType == event.EventMessage && strings.HasPrefix(msg.Body, wb.builtinOpening) {
		content = &event.Content{Parsed: welcomeContent(strings.Contains(msg.Body, "management room"), wb.prefix)}
	}
	return wb.MatrixAPI.SendMessage(ctx, roomID, eventType, content, extra)
}

func welcomeContent(managementRoom bool, prefix string) *event.MessageEventContent {
	text := "Hello! " + whatIDo + "\n\nType `" + prefix + " help` for the commands."
	if managementRoom {
		text = "Hello! " + whatIDo + "\n\nThis is your management room: commands need no prefix here. Type `help` for them."
	}
	return botNotice(text)
}
