package e2e

import (
	"slices"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/igbridge/igbridge/internal/fakeig"
	"github.com/igbridge/igbridge/internal/tesths"
)

// quickRetries makes a 429 from the fake cost well under a second: cool-down and backoff short.
var quickRetries = map[string]any{
	"rate_limit": map[string]any{"requests_per_minute": 6000, "min_interval": "1ms", "cooldown": "200ms", "max_cooldown": "1s"},
	"retry":      map[string]any{"max_attempts": 3, "base_delay": "10ms", "max_delay": "50ms"},
}

// reactionsTo returns the annotations of target by sender seen so far.
func reactionsTo(c *tesths.Client, roomID id.RoomID, sender id.UserID, target id.EventID) []*event.Event {
	var out []*event.Event
	for _, evt := range c.Events(roomID) {
		if evt.Type == event.EventReaction && evt.Sender == sender {
			if rel := evt.Content.AsReaction().RelatesTo; rel.Type == event.RelAnnotation && rel.EventID == target {
				out = append(out, evt)
			}
		}
	}
	return out
}

// redacts matches the redaction of target by sender.
func redacts(target id.EventID, sender id.UserID) func(*event.Event) bool {
	return func(evt *event.Event) bool {
		if evt.Type != event.EventRedaction || evt.Sender != sender {
			return false
		}
		return evt.Redacts == target || evt.Content.AsRedaction().Redacts == target
	}
}

// waitProgressReaction waits for the bot's progress reaction on a message and returns it.
func (e *env) waitProgressReaction(t *testing.T, c *tesths.Client, roomID id.RoomID, target id.EventID) *event.Event {
	t.Helper()
	c.WaitFor(t, roomID, replyTimeout, func(*event.Event) bool {
		return len(reactionsTo(c, roomID, e.bot, target)) > 0
	})
	reaction := reactionsTo(c, roomID, e.bot, target)[0]
	if key := reaction.Content.AsReaction().RelatesTo.Key; key != "⏳" {
		t.Fatalf("progress reaction key %q, want ⏳", key)
	}
	return reaction
}

func timelineIndex(c *tesths.Client, roomID id.RoomID, eventID id.EventID) int {
	return slices.IndexFunc(c.Events(roomID), func(evt *event.Event) bool { return evt.ID == eventID })
}

// TestProgressReaction: a message with two links, the first of which Instagram rate-limits once,
// carries one ⏳ from the bot from before its first answer until after its last one, through the
// retry; then the bot redacts it and forgets it.
func TestProgressReaction(t *testing.T) {
	e := startEnv(t, envOptions{network: quickRetries})
	alice := e.hs.RegisterUser(t, "alice")
	roomID := e.watchedRoom(t, alice)
	first, second := fakeig.BulkCode(36), fakeig.BulkCode(37)
	e.ig.FailNext(first, 1)
	origID := alice.SendText(t, roomID, postURL(first)+" and "+postURL(second))
	reaction := e.waitProgressReaction(t, alice, roomID, origID)
	redaction := alice.WaitFor(t, roomID, replyTimeout, redacts(reaction.ID, e.bot))

	answers := replies(alice, roomID, origID)
	if len(answers) != 2 {
		t.Fatalf("%d answers when the progress reaction was taken back, want 2", len(answers))
	}
	if n := len(reactionsTo(alice, roomID, e.bot, origID)); n != 1 {
		t.Fatalf("%d progress reactions on a message with two links, want 1", n)
	}
	shown, firstAnswer := timelineIndex(alice, roomID, reaction.ID), timelineIndex(alice, roomID, answers[0].ID)
	lastAnswer, removed := timelineIndex(alice, roomID, answers[1].ID), timelineIndex(alice, roomID, redaction.ID)
	if !(shown < firstAnswer && lastAnswer < removed) {
		t.Fatalf("timeline order: reaction %d, answers %d and %d, redaction %d; want the reaction before the first answer and its redaction after the last", shown, firstAnswer, lastAnswer, removed)
	}
	for _, a := range answers {
		t.Logf("answer: %s %q", a.Content.AsMessage().MsgType, a.Content.AsMessage().Body)
	}
	if n := e.ig.CountRequests("www.instagram.com", "/p/"+first); n != 2 {
		t.Fatalf("the rate-limited post was asked for %d times, want 2 (one retry)", n)
	}
	if n := e.queryInt("SELECT COUNT(*) FROM igbridge_queue_reply WHERE reply_to=$1 AND part=-2", origID); n != 0 {
		t.Fatalf("%d progress reactions still recorded after the answer, want 0", n)
	}
	t.Logf("reaction at timeline index %d, answers at %d and %d, redaction at %d", shown, firstAnswer, lastAnswer, removed)
}

// TestProgressReactionAfterRestart: the bridge is killed while a link is being fetched; after the
// restart the link is answered and the reaction from before the crash is taken back.
func TestProgressReactionAfterRestart(t *testing.T) {
	e := startEnv(t, envOptions{})
	alice := e.hs.RegisterUser(t, "alice")
	roomID := e.watchedRoom(t, alice)
	e.ig.SetDelay(fakeig.CodeSlow, time.Minute)
	origID := alice.SendText(t, roomID, postURL(fakeig.CodeSlow))
	reaction := e.waitProgressReaction(t, alice, roomID, origID)
	e.ig.WaitForRequest(t, "www.instagram.com", "/p/"+fakeig.CodeSlow, replyTimeout)
	e.crash()
	e.ig.SetDelay(fakeig.CodeSlow, 0)
	e.start()
	waitReplies(t, alice, roomID, origID, 1)
	alice.WaitFor(t, roomID, replyTimeout, redacts(reaction.ID, e.bot))
	if n := len(reactionsTo(alice, roomID, e.bot, origID)); n != 1 {
		t.Fatalf("%d progress reactions, want the one from before the crash only", n)
	}
}

// TestProgressReactionOff: with reactions.progress empty the bot answers without reacting.
func TestProgressReactionOff(t *testing.T) {
	e := startEnv(t, envOptions{network: map[string]any{"reactions": map[string]any{"progress": ""}}})
	alice := e.hs.RegisterUser(t, "alice")
	roomID := e.watchedRoom(t, alice)
	origID, _ := sendAndWait(t, alice, roomID, postURL(fakeig.CodeImage), 1)
	e.settle(t, alice, roomID)
	for _, evt := range alice.Events(roomID) {
		if evt.Type == event.EventReaction && evt.Sender == e.bot {
			t.Fatalf("the bot reacted with %q although progress reactions are off", evt.Content.AsReaction().RelatesTo.Key)
		}
	}
	if n := e.queryInt("SELECT COUNT(*) FROM igbridge_queue_reply WHERE reply_to=$1 AND part=-2", origID); n != 0 {
		t.Fatalf("%d progress reactions recorded, want 0", n)
	}
}
