package connector

import (
	"strings"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// linkMessage is a message event as read for links: the text to search and what an answer
// replies to.
type linkMessage struct {
	content *event.MessageEventContent
	// answerTo is the message the answers reply to: the event itself, or the original of an edit.
	answerTo id.EventID
	// threadRoot is the thread the message was posted in. It is empty for an edit, whose thread
	// is the original's.
	threadRoot id.EventID
	edit       bool
}

// readLinkMessage decides whether a message event may carry links to answer. An edit counts with
// its new text, answered as a reply to the original message. Notices, sent mostly by bots, count
// only when the config says so; other message types carry no text to read. A message starting
// with the command prefix is a command, maybe with a link argument, and is left to bridgev2.
func readLinkMessage(evt *event.Event, respondToNotices bool, commandPrefix string) (linkMessage, bool) {
	content := evt.Content.AsMessage()
	msg := linkMessage{content: content, answerTo: evt.ID, threadRoot: content.RelatesTo.GetThreadParent()}
	if editOf := content.RelatesTo.GetReplaceID(); editOf != "" {
		if content.NewContent == nil {
			return linkMessage{}, false
		}
		msg = linkMessage{content: content.NewContent, answerTo: editOf, edit: true}
	}
	switch msg.content.MsgType {
	case event.MsgText, event.MsgEmote:
	case event.MsgNotice:
		if !respondToNotices {
			return linkMessage{}, false
		}
	default:
		return linkMessage{}, false
	}
	if strings.HasPrefix(msg.content.Body, commandPrefix) {
		return linkMessage{}, false
	}
	return msg, true
}
