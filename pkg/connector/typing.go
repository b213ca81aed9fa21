package connector

import (
	"context"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/bridgev2"
	"maunium.net/go/mautrix/id"
)

const (
	// typingDelay is how long a job runs before the room sees the bot typing: quick answers
	// (cache hits) should not flicker.
	typingDelay = time.Second
	// typingTimeout is how long one typing notification lasts; it is renewed before it ends.
	typingTimeout = 30 * time.Second
)

// typingWhile shows the bot typing in a room while a job runs longer than typingDelay. The
// returned function ends it.
func (ic *Connector) typingWhile(ctx context.Context, roomID id.RoomID) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		timer := time.NewTimer(typingDelay)
		defer timer.Stop()
		typing := false
		for {
			select {
			case <-done:
				if typing {
					ic.setTyping(ctx, roomID, 0)
				}
				return
			case <-timer.C:
				typing = true
				ic.setTyping(ctx, roomID, typingTimeout)
				timer.Reset(typingTimeout * 2 / 3)
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

func (ic *Connector) setTyping(ctx context.Context, roomID id.RoomID, timeout time.Duration) {
	if err := ic.Bridge.Bot.MarkTyping(ctx, roomID, bridgev2.TypingTypeText, timeout); err != nil {
		zerolog.Ctx(ctx).Debug().Err(err).Msg("Failed to set typing")
	}
}
