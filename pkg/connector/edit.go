package connector

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// editedMessage is the message an accepted edit replaces.
type editedMessage struct {
	threadRoot id.EventID
	// taken holds the link keys of the message already queued or answered, from the original
	// or from earlier edits: an edit only adds the links that are new.
	taken map[string]bool
}

// editedMessageOf checks an edit against the message it replaces. Only the original sender may
// edit a message (as clients show it); an edit by anyone else returns nil.
func (ic *Connector) editedMessageOf(ctx context.Context, edit *event.Event, editOf id.EventID) (*editedMessage, error) {
	jobs, err := ic.queue.MessageJobs(ctx, edit.RoomID, editOf)
	if err != nil {
		return nil, err
	}
	var sender id.UserID
	edited := &editedMessage{taken: make(map[string]bool, len(jobs))}
	if len(jobs) > 0 {
		// The jobs were taken from the original sender (or their edits), so no request is needed.
		sender, edited.threadRoot = jobs[0].Sender, jobs[0].ThreadRoot
		for _, job := range jobs {
			edited.taken[job.LinkKey] = true
		}
	} else {
		orig, err := ic.mc.Bot.GetEvent(ctx, edit.RoomID, editOf)
		if err != nil {
			return nil, fmt.Errorf("failed to get the edited message: %w", err)
		}
		sender = orig.Sender
		// m.relates_to stays in the clear in encrypted events too.
		var rel struct {
			RelatesTo *event.RelatesTo `json:"m.relates_to"`
		}
		if json.Unmarshal(orig.Content.VeryRaw, &rel) == nil {
			edited.threadRoot = rel.RelatesTo.GetThreadParent()
		}
	}
	if sender != edit.Sender {
		zerolog.Ctx(ctx).Debug().Stringer("edits", editOf).Stringer("original_sender", sender).
			Msg("Ignoring an edit of someone else's message")
		return nil, nil
	}
	return edited, nil
}
