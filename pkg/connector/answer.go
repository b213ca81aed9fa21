package connector

import (
	"context"
	"errors"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/event"

	"github.com/igbridge/igbridge/pkg/media"
)

// linkJob is one accepted Instagram link of one message.
type linkJob struct {
	ID    int64
	Event *event.Event
	Link  media.Link
}

// answer fetches a link and replies to its message, or tells the room in one line why it cannot.
func (ic *Connector) answer(ctx context.Context, job *linkJob) {
	defer ic.inFlight.Done()
	ic.workers <- struct{}{}
	defer func() { <-ic.workers }()
	log := zerolog.Ctx(ctx)
	var errorClass string
	if err := ic.fetchAndReply(ctx, job); err != nil {
		errorClass = failureClass(err)
		log.Warn().Err(err).Str("error_class", errorClass).Msg("Failed to answer link")
		ic.sendFailureNotice(ctx, job, failureMessage(err))
	} else {
		log.Debug().Msg("Answered link")
	}
	if err := ic.jobs.Finish(ctx, job.ID, errorClass); err != nil {
		log.Err(err).Msg("Failed to record job outcome")
	}
}

func (ic *Connector) fetchAndReply(ctx context.Context, job *linkJob) error {
	// Share links are resolved with the downloader's transport (same proxy and trust), never
	// following the redirect, so a login wall is recognised instead of fetched.
	resolveCtx, cancel := context.WithTimeout(ctx, ic.Config.Ytdlp.Timeout)
	link, err := media.ResolveShare(resolveCtx, ic.downloader.Client, job.Link)
	cancel()
	if err != nil {
		return err
	}
	post, err := ic.ytdlp.Extract(ctx, link)
	if err != nil {
		return err
	}
	return ic.replyWithPost(ctx, job, post)
}

// failureClass is the class recorded for a failed job.
func failureClass(err error) string {
	if class := media.ClassOf(err); class != "" {
		return string(class)
	} else if errors.Is(err, media.ErrShareUnresolved) {
		return "share_unresolved"
	}
	return "internal"
}

// failureMessage is the one line the room sees for a failed link.
func failureMessage(err error) string {
	switch {
	case errors.Is(err, media.ErrShareUnresolved):
		return "This share link does not lead to a public post."
	case errors.Is(err, media.ErrHostNotAllowed):
		return "Instagram pointed to media outside its CDN; it was not downloaded."
	}
	if class := media.ClassOf(err); class != "" {
		return class.UserMessage()
	}
	return "Something went wrong while fetching this post."
}

func (ic *Connector) sendFailureNotice(ctx context.Context, job *linkJob, message string) {
	content := &event.MessageEventContent{
		MsgType:   event.MsgNotice,
		Body:      message,
		RelatesTo: replyRelation(job.Event),
		Mentions:  &event.Mentions{},
	}
	_, err := ic.Bridge.Bot.SendMessage(ctx, job.Event.RoomID, event.EventMessage, &event.Content{Parsed: content}, nil)
	if err != nil {
		zerolog.Ctx(ctx).Err(err).Msg("Failed to send failure notice")
	}
}

// replyRelation makes an answer a reply to the original message, inside its thread if it has one.
func replyRelation(orig *event.Event) *event.RelatesTo {
	rel := &event.RelatesTo{}
	if thread := orig.Content.AsMessage().RelatesTo.GetThreadParent(); thread != "" {
		rel.SetThread(thread, orig.ID)
	}
	return rel.SetReplyTo(orig.ID)
}
