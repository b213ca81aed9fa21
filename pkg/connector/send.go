package connector

import (
	"context"
	"html"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/bridgev2"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/igbridge/igbridge/pkg/media"
	"github.com/igbridge/igbridge/pkg/queue"
)

// sendPost posts every item of a prepared post as a reply to the job's message.
func (ic *Connector) sendPost(ctx context.Context, job *queue.Job, pp *preparedPost) error {
	sent, err := ic.sentParts(ctx, job)
	if err != nil {
		return err
	}
	sender := ic.senderIn(ctx, job.RoomID, pp)
	post := pp.post()
	// The room's settings when the answer is sent: a change applies to every answer not yet sent.
	opts := ic.optionsOf(ctx, job.RoomID)
	for i, item := range pp.Items[:min(len(pp.Items), opts.MaxItems)] {
		if ic.isRedacted(job.EventID) {
			return errRedacted
		}
		content := itemMessage(post, i, item, opts, ic.Config.CaptionMaxLength)
		content.RelatesTo = replyRelation(job)
		content.Mentions = &event.Mentions{}
		if err := ic.sendPart(ctx, job, i, sender, content, sent); err != nil {
			return err
		}
	}
	if ic.isRedacted(job.EventID) {
		return errRedacted
	}
	return nil
}

// senderIn returns the ghost of the post's account, joined to the room, or the bot when the ghost
// cannot be used there (for example a room where the bot may not invite).
func (ic *Connector) senderIn(ctx context.Context, roomID id.RoomID, pp *preparedPost) bridgev2.MatrixAPI {
	ghost := ic.ghostFor(ctx, pp.Username, pp.FullName)
	if ghost == nil {
		return ic.Bridge.Bot
	}
	if err := ghost.Intent.EnsureJoined(ctx, roomID); err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Stringer("ghost", ghost.Intent.GetMXID()).
			Msg("Ghost cannot join the room, answering as the bot")
		return ic.Bridge.Bot
	}
	return ghost.Intent
}

// reducedNote heads the caption of a video re-encoded to fit.
const reducedNote = "Reduced to fit this server's upload limit (re-encoded at a lower quality)."

// itemMessage is the message of one prepared item: its media with the caption, or, for an item
// the homeserver could not take, a text with its size against the limit and the link. The room's
// options decide whether the caption has the post's text, and whether there is a caption at all.
func itemMessage(post *media.Post, index int, item preparedItem, opts roomOptions, captionMax int) *event.MessageEventContent {
	if !opts.Captions {
		captionMax = 0
	}
	if item.TooLarge != nil {
		body, formatted := caption(post, index, 0)
		if opts.MediaOnly {
			body, formatted = linkLine(post) // without the media, the link is all there is
		}
		note := "Too large to upload here: " + item.TooLarge.Error() + "."
		return &event.MessageEventContent{
			MsgType:       event.MsgText,
			Body:          note + "\n" + body,
			Format:        event.FormatHTML,
			FormattedBody: "<i>" + html.EscapeString(note) + "</i><br>" + formatted,
		}
	}
	content := *item.Content
	if opts.MediaOnly {
		// A body that is the file name is no caption (Matrix 1.10 media captions).
		content.Body = content.FileName
		return &content
	}
	content.Body, content.FormattedBody = caption(post, index, captionMax)
	if item.Reduced {
		content.Body = reducedNote + "\n" + content.Body
		content.FormattedBody = "<i>" + html.EscapeString(reducedNote) + "</i><br>" + content.FormattedBody
	}
	content.Format = event.FormatHTML
	return &content
}
