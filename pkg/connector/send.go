package connector

import (
	"context"
	"fmt"
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
		content := asAnswer(job, itemMessage(post, i, item, opts, ic.Config.CaptionMaxLength))
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

// sendPart sends one part of a job's answer once: a part already recorded is skipped, and the
// transaction ID makes a resend after a crash return the first event instead of a second one.
func (ic *Connector) sendPart(ctx context.Context, job *queue.Job, part int, sender bridgev2.MatrixAPI, content *event.MessageEventContent, sent map[int]bool) error {
	if sent[part] {
		return nil
	}
	resp, err := sender.SendMessage(ctx, job.RoomID, event.EventMessage, &event.Content{Parsed: content},
		&bridgev2.MatrixSendExtra{TransactionID: partTxnID(job, part)})
	if err != nil {
		zerolog.Ctx(ctx).Err(err).Int("part", part).Msg("Failed to send reply")
		return &matrixError{fmt.Errorf("failed to send part %d: %w", part, err)}
	}
	if err = ic.queue.RecordReply(ctx, job, part, resp.EventID, sender.GetMXID()); err != nil {
		zerolog.Ctx(ctx).Err(err).Int("part", part).Msg("Failed to record sent reply")
	}
	return nil
}

// sentParts returns the parts of a job's answer already sent (by an earlier, interrupted attempt).
func (ic *Connector) sentParts(ctx context.Context, job *queue.Job) (map[int]bool, error) {
	replies, err := ic.queue.JobReplies(ctx, job.ID)
	if err != nil {
		return nil, fmt.Errorf("failed to read sent replies: %w", err)
	}
	sent := make(map[int]bool, len(replies))
	for _, reply := range replies {
		sent[reply.Part] = true
	}
	return sent, nil
}

// asAnswer makes content a reply to the job's message, inside its thread if it has one (a real
// reply there, not a thread fallback). Its empty mentions keep the reply from pinging the link's
// sender with every item.
func asAnswer(job *queue.Job, content *event.MessageEventContent) *event.MessageEventContent {
	rel := &event.RelatesTo{}
	if job.ThreadRoot != "" {
		rel.SetThread(job.ThreadRoot, job.EventID)
	}
	content.RelatesTo = rel.SetReplyTo(job.EventID)
	content.Mentions = &event.Mentions{}
	return content
}

// partTxnID is the transaction ID of a part of a job's answer: the same on every attempt of a
// round, so a resend after a crash returns the first event, and new in each retry round asked
// for by a user, whose parts are new messages.
func partTxnID(job *queue.Job, part int) string {
	if job.Retries == 0 {
		return fmt.Sprintf("igbridge-job-%d-%d", job.ID, part)
	}
	return fmt.Sprintf("igbridge-job-%d-r%d-%d", job.ID, job.Retries, part)
}
