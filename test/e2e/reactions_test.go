package e2e

import (
	"slices"
	"strings"
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

// checkLogKeys fails on a bridge log line with a key twice (see TestBridge/NoDuplicateLogKeys):
// the reaction paths build their loggers from the message's, the job's and the reaction's.
func (e *env) checkLogKeys(t *testing.T) {
	t.Helper()
	for _, line := range strings.Split(e.logBuf.String(), "\n") {
		if key := repeatedKey(line); key != "" {
			t.Fatalf("the key %s appears twice in a log line: %s", key, line)
		}
	}
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
	e.checkLogKeys(t)
}

// TestProgressReactionAfterRestart: the bridge is killed while a link is being fetched; after the
// restart the link is answered and the reaction from before the crash is taken back.
func TestProgressReactionAfterRestart(t *testing.T) {
	e := startEnv(t, envOptions{})
	alice, roomID, origID, reaction := e.crashWhileFetching(t)
	e.ig.SetDelay(fakeig.CodeSlow, 0)
	e.start()
	waitReplies(t, alice, roomID, origID, 1)
	alice.WaitFor(t, roomID, replyTimeout, redacts(reaction.ID, e.bot))
	if n := len(reactionsTo(alice, roomID, e.bot, origID)); n != 1 {
		t.Fatalf("%d progress reactions, want the one from before the crash only", n)
	}
}

// TestProgressReactionOfAbandonedLink: a link that was on its last attempt when the bridge was
// killed is given up at the next start (it could crash the bridge again); its reaction goes too.
func TestProgressReactionOfAbandonedLink(t *testing.T) {
	e := startEnv(t, envOptions{network: map[string]any{"retry": map[string]any{"max_attempts": 1}}})
	alice, roomID, origID, reaction := e.crashWhileFetching(t)
	e.start()
	alice.WaitFor(t, roomID, replyTimeout, redacts(reaction.ID, e.bot))
	if state := queryValue[string](e.bridge, "SELECT error_class FROM igbridge_queue_job WHERE event_id=$1", origID); state != "interrupted" {
		t.Fatalf("the job's error class is %q, want interrupted", state)
	}
}

// crashWhileFetching posts a link whose Instagram page hangs, kills the bridge once the page was
// asked for, and returns the room, the link's message and its progress reaction.
func (e *env) crashWhileFetching(t *testing.T) (*tesths.Client, id.RoomID, id.EventID, *event.Event) {
	t.Helper()
	alice := e.hs.RegisterUser(t, "alice")
	roomID := e.watchedRoom(t, alice)
	e.ig.SetDelay(fakeig.CodeSlow, time.Minute)
	origID := alice.SendText(t, roomID, postURL(fakeig.CodeSlow))
	reaction := e.waitProgressReaction(t, alice, roomID, origID)
	e.ig.WaitForRequest(t, "www.instagram.com", "/p/"+fakeig.CodeSlow, replyTimeout)
	e.crash()
	return alice, roomID, origID, reaction
}

// TestProgressReactionOfRedactedMessage: a message redacted while its link waits behind a slow one
// loses its link and its progress reaction.
func TestProgressReactionOfRedactedMessage(t *testing.T) {
	e := startEnv(t, envOptions{})
	alice := e.hs.RegisterUser(t, "alice")
	roomID := e.watchedRoom(t, alice)
	e.ig.SetDelay(fakeig.CodeSlow, 1500*time.Millisecond)
	slowID := alice.SendText(t, roomID, postURL(fakeig.CodeSlow))
	queuedID := alice.SendText(t, roomID, postURL(fakeig.CodeImage))
	reaction := e.waitProgressReaction(t, alice, roomID, queuedID)
	e.redactAndPush(t, alice, roomID, queuedID)
	alice.WaitFor(t, roomID, replyTimeout, redacts(reaction.ID, e.bot))
	if state := queryValue[string](e.bridge, "SELECT state FROM igbridge_queue_job WHERE event_id=$1", queuedID); state != "cancelled" {
		t.Fatalf("the redacted message's link is %s, want cancelled", state)
	}
	waitReplies(t, alice, roomID, slowID, 1)
	e.settle(t, alice, roomID)
	if n := len(replies(alice, roomID, queuedID)); n != 0 {
		t.Fatalf("the redacted message got %d answers", n)
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

// failOnce is a set-up where one 429 from the fake fails a link for good (one attempt), with a
// short cool-down so the next request to Instagram is not held up long.
var failOnce = map[string]any{
	"rate_limit": map[string]any{"requests_per_minute": 6000, "min_interval": "1ms", "cooldown": "200ms", "max_cooldown": "1s"},
	"retry":      map[string]any{"max_attempts": 1},
}

// reactionRoom is a watched room of an owner with a moderator (may redact others' messages), the
// sender of the links and someone else, both at the default level.
type reactionRoom struct {
	roomID                 id.RoomID
	mod, poster, bystander *tesths.Client
}

func (e *env) reactionRoom(t *testing.T) reactionRoom {
	t.Helper()
	owner := e.hs.RegisterUser(t, "owner")
	rr := reactionRoom{
		mod:       e.hs.RegisterUser(t, "mod"),
		poster:    e.hs.RegisterUser(t, "poster"),
		bystander: e.hs.RegisterUser(t, "bystander"),
	}
	rr.roomID = e.roomWithLevels(t, owner, map[*tesths.Client]int{rr.mod: 50, rr.poster: 0, rr.bystander: 0})
	return rr
}

// failedLink posts a link that Instagram rate-limits once and returns it with the bot's failure
// notice.
func (e *env) failedLink(t *testing.T, rr reactionRoom, code string) (id.EventID, *event.Event) {
	t.Helper()
	e.ig.FailNext(code, 1)
	origID, got := sendAndWait(t, rr.poster, rr.roomID, postURL(code), 1)
	if got[0].Sender != e.bot || got[0].Content.AsMessage().MsgType != event.MsgNotice {
		t.Fatalf("the rate-limited link got %s from %s, want the bot's failure notice", got[0].Content.AsMessage().MsgType, got[0].Sender)
	}
	return origID, got[0]
}

// waitRetried waits until a retried link is answered with its media and the failure notice is
// gone, and checks Instagram was asked again despite the remembered failure.
func (e *env) waitRetried(t *testing.T, c *tesths.Client, roomID id.RoomID, code string, origID id.EventID, notice *event.Event) {
	t.Helper()
	c.WaitFor(t, roomID, replyTimeout, redacts(notice.ID, e.bot))
	answer := c.WaitFor(t, roomID, replyTimeout, func(evt *event.Event) bool {
		return replyTo(origID)(evt) && evt.Content.AsMessage().MsgType == event.MsgVideo
	})
	if answer.Sender == e.bot {
		t.Fatalf("the retried link was answered by the bot, want the account's ghost")
	}
	if n := e.ig.CountRequests("www.instagram.com", "/p/"+code); n != 2 {
		t.Fatalf("the post was asked for %d times, want 2 (the failure, then the retry)", n)
	}
	// The retry round shows its own progress reaction, taken back after the answer.
	c.WaitFor(t, roomID, replyTimeout, func(*event.Event) bool {
		reactions := reactionsTo(c, roomID, e.bot, origID)
		if len(reactions) != 2 {
			return false
		}
		for _, r := range reactions {
			if !slices.ContainsFunc(c.Events(roomID), redacts(r.ID, e.bot)) {
				return false
			}
		}
		return true
	})
}

// TestRetryReaction: 🔁 on a failure notice by someone else does nothing; by the link's sender, and
// on another link by a moderator, it has Instagram asked again at once (the failure is remembered
// for 5 minutes otherwise) and the link answered with its media, the notice withdrawn.
func TestRetryReaction(t *testing.T) {
	e := startEnv(t, envOptions{network: failOnce})
	rr := e.reactionRoom(t)
	first := fakeig.BulkCode(30)
	origID, notice := e.failedLink(t, rr, first)

	if _, err := rr.bystander.SendReaction(t.Context(), rr.roomID, notice.ID, "🔁"); err != nil {
		t.Fatal(err)
	}
	e.settle(t, rr.poster, rr.roomID)
	if state := queryValue[string](e.bridge, "SELECT state FROM igbridge_queue_job WHERE event_id=$1", origID); state != "failed" {
		t.Fatalf("after a bystander's 🔁 the job is %s, want still failed", state)
	}
	if n := e.ig.CountRequests("www.instagram.com", "/p/"+first); n != 1 {
		t.Fatalf("after a bystander's 🔁 the post was asked for %d times, want 1", n)
	}

	if _, err := rr.poster.SendReaction(t.Context(), rr.roomID, notice.ID, "🔁"); err != nil {
		t.Fatal(err)
	}
	e.waitRetried(t, rr.poster, rr.roomID, first, origID, notice)
	if n := e.queryInt("SELECT retries FROM igbridge_queue_job WHERE event_id=$1", origID); n != 1 {
		t.Fatalf("the job had %d retry rounds, want 1", n)
	}

	// A moderator's retry that fails again gets a new failure line (a new message of its own
	// round, not the first one again), which can be retried in turn.
	second := fakeig.BulkCode(31)
	origID, notice = e.failedLink(t, rr, second)
	e.ig.FailNext(second, 1)
	if _, err := rr.mod.SendReaction(t.Context(), rr.roomID, notice.ID, "🔁"); err != nil {
		t.Fatal(err)
	}
	rr.poster.WaitFor(t, rr.roomID, replyTimeout, redacts(notice.ID, e.bot))
	again := rr.poster.WaitFor(t, rr.roomID, replyTimeout, func(evt *event.Event) bool {
		return replyTo(origID)(evt) && evt.ID != notice.ID && evt.Sender == e.bot && evt.Content.AsMessage().MsgType == event.MsgNotice
	})
	if _, err := rr.mod.SendReaction(t.Context(), rr.roomID, again.ID, "🔁"); err != nil {
		t.Fatal(err)
	}
	rr.poster.WaitFor(t, rr.roomID, replyTimeout, redacts(again.ID, e.bot))
	answer := rr.poster.WaitFor(t, rr.roomID, replyTimeout, func(evt *event.Event) bool {
		return replyTo(origID)(evt) && evt.Content.AsMessage().MsgType == event.MsgVideo
	})
	if n := e.ig.CountRequests("www.instagram.com", "/p/"+second); n != 3 {
		t.Fatalf("the post was asked for %d times, want 3 (two failures, then the second retry)", n)
	}
	if n := e.queryInt("SELECT retries FROM igbridge_queue_job WHERE event_id=$1", origID); n != 2 {
		t.Fatalf("the job had %d retry rounds, want 2", n)
	}
	t.Logf("answered by %s after two retries by a moderator", answer.Sender)
	e.checkLogKeys(t)
}

// TestRetryReactionWhileAnswering: a 🔁 that comes while the failed attempt is still being
// answered (its notice sent, the removal of its progress reaction held at the homeserver, so the
// attempt is not recorded yet) is not lost: the link is tried again once the attempt has ended.
func TestRetryReactionWhileAnswering(t *testing.T) {
	e := startEnv(t, envOptions{network: failOnce})
	proxy := startHSProxy(t, "127.0.0.1:0", e.hs.URL)
	e.stop()
	e.editConfig(func(cfg map[string]any) { set(cfg, proxy.URL, "homeserver", "address") })
	e.start()
	rr := e.reactionRoom(t)
	code := fakeig.BulkCode(32)
	e.ig.FailNext(code, 1)
	hold := proxy.hold(`^PUT /_matrix/client/v3/rooms/[^/]+/redact/`, false)
	origID, got := sendAndWait(t, rr.poster, rr.roomID, postURL(code), 1)
	notice := got[0]
	if notice.Sender != e.bot || notice.Content.AsMessage().MsgType != event.MsgNotice {
		t.Fatalf("the rate-limited link got %s from %s, want the bot's failure notice", notice.Content.AsMessage().MsgType, notice.Sender)
	}
	hold.wait(t)
	if state := queryValue[string](e.bridge, "SELECT state FROM igbridge_queue_job WHERE event_id=$1", origID); state != "running" {
		t.Fatalf("with the progress reaction's removal held the job is %s, want running", state)
	}
	if _, err := rr.poster.SendReaction(t.Context(), rr.roomID, notice.ID, "🔁"); err != nil {
		t.Fatal(err)
	}
	e.settle(t, rr.poster, rr.roomID) // the reaction is handled, the attempt still not recorded
	hold.release()
	e.waitRetried(t, rr.poster, rr.roomID, code, origID, notice)
	if n := e.queryInt("SELECT retries FROM igbridge_queue_job WHERE event_id=$1", origID); n != 1 {
		t.Fatalf("the job had %d retry rounds, want 1", n)
	}
}

// TestDeleteReaction: 🗑 on an answer by someone else does nothing; ❌ by a moderator deletes an
// answer; 🗑️ (with the emoji selector) by the link's sender on one part of a carousel deletes all
// its parts, each redacted by the account that sent it.
func TestDeleteReaction(t *testing.T) {
	e := startEnv(t, envOptions{})
	rr := e.reactionRoom(t)
	_, carousel := sendAndWait(t, rr.poster, rr.roomID, postURL(fakeig.CodeCarousel), 3)
	if _, err := rr.bystander.SendReaction(t.Context(), rr.roomID, carousel[0].ID, "🗑"); err != nil {
		t.Fatal(err)
	}
	_, image := sendAndWait(t, rr.poster, rr.roomID, postURL(fakeig.CodeImage), 1)
	if _, err := rr.mod.SendReaction(t.Context(), rr.roomID, image[0].ID, "❌"); err != nil {
		t.Fatal(err)
	}
	rr.poster.WaitFor(t, rr.roomID, replyTimeout, redacts(image[0].ID, image[0].Sender))
	// The bystander's reaction came first: had it counted, the carousel would be gone by now.
	for _, part := range carousel {
		if slices.ContainsFunc(rr.poster.Events(rr.roomID), redacts(part.ID, part.Sender)) {
			t.Fatalf("a bystander's 🗑 deleted part %s of the answer", part.ID)
		}
	}
	if _, err := rr.poster.SendReaction(t.Context(), rr.roomID, carousel[1].ID, "🗑️"); err != nil {
		t.Fatal(err)
	}
	for _, part := range carousel {
		rr.poster.WaitFor(t, rr.roomID, replyTimeout, redacts(part.ID, part.Sender))
	}
	e.checkLogKeys(t)
}

// TestReactionsEncrypted: in an encrypted room the progress reaction comes and goes (bridgev2
// sends reactions in the clear unless encryption.msc4392 is set, as relations stay readable to
// the server anyway), and a user's encrypted delete reaction is understood.
func TestReactionsEncrypted(t *testing.T) {
	e := startEnv(t, envOptions{})
	alice := e.hs.RegisterUser(t, "alice")
	alice.EnableCrypto(t)
	roomID := alice.CreateEncryptedRoom(t)
	alice.Invite(t, roomID, e.bot)
	alice.WaitForMembership(t, roomID, e.bot, event.MembershipJoin, replyTimeout)
	origID := alice.SendText(t, roomID, postURL(fakeig.CodeImage))
	reaction := e.waitProgressReaction(t, alice, roomID, origID)
	answer := waitReplies(t, alice, roomID, origID, 1)[0]
	alice.WaitFor(t, roomID, replyTimeout, redacts(reaction.ID, e.bot))
	// mautrix's client sends reactions in the clear too; Element encrypts them.
	encrypted, err := alice.CryptoHelper().Encrypt(t.Context(), roomID, event.EventReaction, &event.ReactionEventContent{
		RelatesTo: event.RelatesTo{Type: event.RelAnnotation, EventID: answer.ID, Key: "🗑️"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err = alice.SendMessageEvent(t.Context(), roomID, event.EventEncrypted, encrypted); err != nil {
		t.Fatal(err)
	}
	alice.WaitFor(t, roomID, replyTimeout, redacts(answer.ID, answer.Sender))
}
