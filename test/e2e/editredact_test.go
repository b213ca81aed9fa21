package e2e

import (
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/igbridge/igbridge/internal/fakeig"
	"github.com/igbridge/igbridge/internal/tesths"
)

// roomWithLevels creates a watched room of owner with members at the given power levels (others
// at the default 0), all joined.
func (e *env) roomWithLevels(t *testing.T, owner *tesths.Client, members map[*tesths.Client]int) id.RoomID {
	t.Helper()
	users := map[id.UserID]int{owner.UserID: 100}
	var invite []id.UserID
	for member, level := range members {
		invite = append(invite, member.UserID)
		if level != 0 {
			users[member.UserID] = level
		}
	}
	resp, err := owner.CreateRoom(t.Context(), &mautrix.ReqCreateRoom{
		Preset: "private_chat", Invite: invite,
		PowerLevelOverride: &event.PowerLevelsEventContent{Users: users, EventsDefault: 0},
	})
	if err != nil {
		t.Fatal(err)
	}
	for member := range members {
		member.Join(t, resp.RoomID)
	}
	owner.Invite(t, resp.RoomID, e.bot)
	owner.WaitForMembership(t, resp.RoomID, e.bot, event.MembershipJoin, replyTimeout)
	return resp.RoomID
}

// sendEdit sends an m.replace of target with a new body.
func sendEdit(t *testing.T, c *tesths.Client, roomID id.RoomID, target id.EventID, body string) id.EventID {
	t.Helper()
	content := &event.MessageEventContent{MsgType: event.MsgText, Body: "* " + body}
	content.SetEdit(target)
	content.NewContent = &event.MessageEventContent{MsgType: event.MsgText, Body: body}
	return c.SendContent(t, roomID, content)
}

// bridgeEventsBetween returns the messages from the bridge's bot or ghosts after the event after
// and before the event before, in timeline order; the progress reaction and its redaction are
// not messages.
func (e *env) bridgeEventsBetween(c *tesths.Client, roomID id.RoomID, after, before id.EventID) []*event.Event {
	var out []*event.Event
	inside := false
	for _, evt := range c.Events(roomID) {
		switch {
		case evt.ID == after:
			inside = true
		case evt.ID == before:
			return out
		case inside && evt.Type == event.EventMessage && (evt.Sender == e.bot || strings.HasPrefix(evt.Sender.String(), "@"+e.ghostPrefix)):
			out = append(out, evt)
		}
	}
	return out
}

// TestEditsBySenderOnly: an edit of someone else's message is not answered, whether the message
// had links or not; the sender's own edits are answered once per new link, never again for a
// link already taken.
func TestEditsBySenderOnly(t *testing.T) {
	e := startEnv(t, envOptions{})
	alice := e.hs.RegisterUser(t, "alice")
	bob := e.hs.RegisterUser(t, "bob")
	roomID := e.watchedRoom(t, alice, bob.UserID)
	bob.Join(t, roomID)

	// (a) Bob edits Alice's link message, and her plain message, to links of his.
	linkMsg, _ := sendAndWait(t, alice, roomID, postURL(fakeig.BulkCode(1)), 1)
	plainMsg := alice.SendText(t, roomID, "no link here")
	bobEdit := sendEdit(t, bob, roomID, linkMsg, postURL(fakeig.BulkCode(2)))
	sendEdit(t, bob, roomID, plainMsg, postURL(fakeig.BulkCode(3)))
	// A later link of Alice's is answered: the bridge has handled Bob's edits by then, in order.
	laterMsg, later := sendAndWait(t, alice, roomID, postURL(fakeig.BulkCode(4)), 1)
	if got := e.bridgeEventsBetween(alice, roomID, bobEdit, later[0].ID); len(got) != 0 {
		t.Fatalf("the bridge sent %d events after Bob's edits, first %s replying to %s", len(got), got[0].Type, got[0].Content.AsMessage().RelatesTo.GetReplyTo())
	}
	if n := len(replies(alice, roomID, linkMsg)); n != 1 {
		t.Fatalf("Alice's link message has %d answers, want her 1", n)
	}
	if n := len(replies(alice, roomID, plainMsg)); n != 0 {
		t.Fatalf("Alice's plain message got %d answers to Bob's edit", n)
	}
	for _, msg := range []id.EventID{linkMsg, plainMsg} {
		if n := e.queryInt("SELECT COUNT(*) FROM igbridge_queue_job WHERE event_id=$1 AND sender<>$2", msg, alice.UserID); n != 0 {
			t.Fatalf("%d jobs were taken from Bob's edit of %s", n, msg)
		}
	}

	// (b) Alice adds a second link: one new answer, with that link; the same edit again, and an
	// edit repeating both links, add nothing; a third, new link is answered.
	sendEdit(t, alice, roomID, laterMsg, postURL(fakeig.BulkCode(4))+" "+postURL(fakeig.BulkCode(5)))
	got := waitReplies(t, alice, roomID, laterMsg, 2)
	mustContain(t, "second answer", got[1].Content.AsMessage().Body, fakeig.BulkCode(5))
	sendEdit(t, alice, roomID, laterMsg, postURL(fakeig.BulkCode(4))+" "+postURL(fakeig.BulkCode(5)))
	sendEdit(t, alice, roomID, laterMsg, postURL(fakeig.BulkCode(5))+" and "+postURL(fakeig.BulkCode(4)))
	lastEdit := sendEdit(t, alice, roomID, laterMsg, postURL(fakeig.BulkCode(4))+" "+postURL(fakeig.BulkCode(5))+" "+postURL(fakeig.BulkCode(6)))
	got = waitReplies(t, alice, roomID, laterMsg, 3)
	mustContain(t, "third answer", got[2].Content.AsMessage().Body, fakeig.BulkCode(6))
	if between := e.bridgeEventsBetween(alice, roomID, got[1].ID, lastEdit); len(between) != 0 {
		t.Fatalf("repeated edits got %d more answers", len(between))
	}
	// max_links_per_message (3) holds for the message with its edits, even with the new link first.
	sendEdit(t, alice, roomID, laterMsg, postURL(fakeig.BulkCode(8))+" "+postURL(fakeig.BulkCode(4))+" "+postURL(fakeig.BulkCode(5))+" "+postURL(fakeig.BulkCode(6)))
	e.settle(t, alice, roomID)
	if n := len(replies(alice, roomID, laterMsg)); n != 3 {
		t.Fatalf("the edited message has %d answers, want 3", n)
	}
	// Settled, every link taken is a row: a fourth would be one even before it is answered.
	if n := e.queryInt("SELECT COUNT(*) FROM igbridge_queue_job WHERE event_id=$1", laterMsg); n != 3 {
		t.Fatalf("%d jobs of Alice's edited message, want 3", n)
	}
	if n := e.queryInt("SELECT COUNT(*) FROM igbridge_queue_job WHERE event_id=$1 AND sender=$2 AND state='done'", laterMsg, alice.UserID); n != 3 {
		t.Fatalf("%d done jobs of Alice's edited message, want 3", n)
	}

	// A link edited into a thread message is answered in the thread.
	threadMsg := &event.MessageEventContent{MsgType: event.MsgText, Body: "in a thread"}
	threadMsg.RelatesTo = (&event.RelatesTo{}).SetThread(linkMsg, linkMsg)
	threadID := alice.SendContent(t, roomID, threadMsg)
	sendEdit(t, alice, roomID, threadID, "in a thread "+postURL(fakeig.BulkCode(9)))
	got = waitReplies(t, alice, roomID, threadID, 1)
	if root := got[0].Content.AsMessage().RelatesTo.GetThreadParent(); root != linkMsg {
		t.Fatalf("the answer to an edit in a thread is in thread %q, want %s", root, linkMsg)
	}
}

// TestRedactionsChecked: a redaction is followed only from the message's sender or from someone
// who may redact others' messages; anyone else's neither cancels the message's links nor takes
// the answers away.
func TestRedactionsChecked(t *testing.T) {
	e := startEnv(t, envOptions{})
	alice := e.hs.RegisterUser(t, "alice")
	bob := e.hs.RegisterUser(t, "bob")
	carol := e.hs.RegisterUser(t, "carol")
	roomID := e.roomWithLevels(t, alice, map[*tesths.Client]int{bob: 0, carol: 50})
	// Pushed like every redaction in these tests (see redactionEvent), Bob's too: a homeserver
	// passes on a redaction it does not apply (one from another server, checked only against the
	// redacted event).
	pushRedaction := func(sender id.UserID, redacts id.EventID) {
		eventID := id.EventID("$redact-" + sender.Localpart() + "-" + string(redacts[1:]))
		e.pushEvents(t, redactionEvent(eventID, roomID, sender, redacts))
	}
	redactionOf := func(reply *event.Event) func(*event.Event) bool {
		return func(evt *event.Event) bool {
			return evt.Type == event.EventRedaction && evt.Redacts == reply.ID && evt.Sender == reply.Sender
		}
	}
	noRedactionOf := func(answers []*event.Event) {
		t.Helper()
		for _, evt := range alice.Events(roomID) {
			for _, reply := range answers {
				if redactionOf(reply)(evt) {
					t.Fatalf("the bridge redacted %s after Bob's redaction", reply.ID)
				}
			}
		}
	}

	// (c) Bob redacts an answered message and one still queued behind a slow link.
	answeredMsg, answered := sendAndWait(t, alice, roomID, postURL(fakeig.CodeImage), 1)
	e.ig.SetDelay(fakeig.CodeSlow, 1500*time.Millisecond)
	slowMsg := alice.SendText(t, roomID, postURL(fakeig.CodeSlow))
	queuedMsg := alice.SendText(t, roomID, postURL(fakeig.BulkCode(7)))
	e.ig.WaitForRequest(t, "www.instagram.com", "/p/"+fakeig.CodeSlow, replyTimeout)
	pushRedaction(bob.UserID, answeredMsg)
	pushRedaction(bob.UserID, queuedMsg)
	// The bridge handles events in the order they came: the status command is behind both.
	e.settle(t, alice, roomID)
	// Still pending unless a slow homeserver let the slow link finish meanwhile; never cancelled.
	if state := queryValue[string](e.bridge, "SELECT state FROM igbridge_queue_job WHERE event_id=$1", queuedMsg); state == "cancelled" {
		t.Fatalf("the queued link was cancelled by Bob's redaction")
	}
	queuedAnswers := waitReplies(t, alice, roomID, queuedMsg, 1)
	waitReplies(t, alice, roomID, slowMsg, 1)

	// (d) Alice redacts her own message: its answer goes.
	ownMsg, own := sendAndWait(t, alice, roomID, postURL(fakeig.CodeReel), 1)
	pushRedaction(alice.UserID, ownMsg)
	alice.WaitFor(t, roomID, replyTimeout, redactionOf(own[0]))
	noRedactionOf(queuedAnswers)

	// (e) Carol, a moderator, redacts Alice's message: followed.
	pushRedaction(carol.UserID, queuedMsg)
	alice.WaitFor(t, roomID, replyTimeout, redactionOf(queuedAnswers[0]))
	noRedactionOf(answered)
}
