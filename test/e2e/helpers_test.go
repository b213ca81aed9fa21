package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/igbridge/igbridge/internal/tesths"
)

// watchedRoom creates a room with the bot and waits until the bot has joined it.
func (e *env) watchedRoom(t testing.TB, owner *tesths.Client, others ...id.UserID) id.RoomID {
	t.Helper()
	roomID := owner.NewRoom(t, others...)
	owner.Invite(t, roomID, e.bot)
	owner.WaitForMembership(t, roomID, e.bot, event.MembershipJoin, replyTimeout)
	return roomID
}

// replyTo matches message events that reply to eventID.
func replyTo(eventID id.EventID) func(*event.Event) bool {
	return func(evt *event.Event) bool {
		if evt.Type != event.EventMessage {
			return false
		}
		return evt.Content.AsMessage().RelatesTo.GetReplyTo() == eventID
	}
}

// replies returns the replies to eventID seen so far, in timeline order.
func replies(c *tesths.Client, roomID id.RoomID, eventID id.EventID) []*event.Event {
	var out []*event.Event
	match := replyTo(eventID)
	for _, evt := range c.Events(roomID) {
		if match(evt) {
			out = append(out, evt)
		}
	}
	return out
}

// waitReplies waits until n replies to eventID have arrived and returns them.
func waitReplies(t testing.TB, c *tesths.Client, roomID id.RoomID, eventID id.EventID, n int) []*event.Event {
	t.Helper()
	c.WaitFor(t, roomID, replyTimeout, func(*event.Event) bool {
		return len(replies(c, roomID, eventID)) >= n
	})
	return replies(c, roomID, eventID)
}

// commandAnswer sends a command and waits for the bot's notice that starts with want; command
// answers are not replies, so the notice is told apart by its text.
func (e *env) commandAnswer(t testing.TB, c *tesths.Client, roomID id.RoomID, command, want string) *event.MessageEventContent {
	t.Helper()
	c.SendText(t, roomID, command)
	return c.WaitFor(t, roomID, replyTimeout, func(evt *event.Event) bool {
		msg := evt.Content.AsMessage()
		return evt.Sender == e.bot && msg.MsgType == event.MsgNotice && strings.HasPrefix(msg.Body, want)
	}).Content.AsMessage()
}

// checkMedia asserts that a media event carries exactly the bytes the fake served at mediaURL.
func (e *env) checkMedia(t testing.TB, c *tesths.Client, evt *event.Event, mediaURL string) {
	t.Helper()
	want, ok := e.ig.Media(mediaURL)
	if !ok {
		t.Fatalf("the fake has no media at %s", mediaURL)
	}
	content := evt.Content.AsMessage()
	var got []byte
	if content.File != nil {
		got = c.DownloadMedia(t, content.File.URL)
		if err := content.File.DecryptInPlace(got); err != nil {
			t.Fatalf("failed to decrypt media: %v", err)
		}
	} else {
		got = c.DownloadMedia(t, content.URL)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("media bytes differ from what the fake served at %s: got %d bytes, want %d", mediaURL, len(got), len(want))
	}
	if content.Info == nil || content.Info.Size != len(want) {
		t.Fatalf("info.size = %+v, want %d", content.Info, len(want))
	}
}

func mustContain(t testing.TB, what, s, sub string) {
	t.Helper()
	if !strings.Contains(s, sub) {
		t.Fatalf("%s %q does not contain %q", what, s, sub)
	}
}

// sendAndWait sends a message and waits for n replies to it.
func sendAndWait(t testing.TB, c *tesths.Client, roomID id.RoomID, body string, n int) (id.EventID, []*event.Event) {
	t.Helper()
	eventID := c.SendText(t, roomID, body)
	return eventID, waitReplies(t, c, roomID, eventID, n)
}

func since(start time.Time) time.Duration { return time.Since(start).Round(time.Millisecond) }

// settle sends a status command and waits for its answer. The bridge handles a room's events in
// order, so every message sent before it has been handled (accepted or ignored) by then.
func (b *bridge) settle(t testing.TB, c *tesths.Client, roomID id.RoomID) *event.Event {
	t.Helper()
	statusID := c.SendText(t, roomID, "!ig status")
	var answer *event.Event
	c.WaitFor(t, roomID, replyTimeout, func(*event.Event) bool {
		answer = nil
		seen := false
		for _, evt := range c.Events(roomID) {
			if evt.ID == statusID {
				seen = true
			} else if seen && evt.Sender == b.bot && strings.Contains(evt.Content.AsMessage().Body, "Watched rooms") {
				answer = evt
				return true
			}
		}
		return false
	})
	return answer
}

// waitIdle asks for the status until the bridge says no link is waiting or in progress, and
// returns that answer: then every job has ended and its answers are recorded. Each round is a
// command and its answer.
func (b *bridge) waitIdle(t testing.TB, c *tesths.Client, roomID id.RoomID, timeout time.Duration) *event.Event {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		answer := b.settle(t, c, roomID)
		body := answer.Content.AsMessage().Body
		if strings.Contains(body, "waiting: 0, in progress: 0") {
			return answer
		}
		if time.Now().After(deadline) {
			t.Fatalf("links still waiting or in progress after %v:\n%s", timeout, body)
		}
	}
}

// redactionEvent is a redaction as a homeserver puts it in a transaction. Dendrite 0.13.8 does
// not push redactions to appservices (conduwuit does, like every other event of a room the bot
// is in), so the tests hand the bridge the transactions a homeserver would.
func redactionEvent(eventID id.EventID, roomID id.RoomID, sender id.UserID, redacts id.EventID) map[string]any {
	return map[string]any{
		"type": "m.room.redaction", "event_id": eventID, "room_id": roomID, "sender": sender,
		"redacts": redacts, "content": map[string]any{"redacts": redacts}, "origin_server_ts": time.Now().UnixMilli(),
	}
}

// redactAndPush redacts a message as c and hands the bridge the redaction.
func (b *bridge) redactAndPush(t testing.TB, c *tesths.Client, roomID id.RoomID, redacts id.EventID) {
	t.Helper()
	resp, err := c.RedactEvent(t.Context(), roomID, redacts)
	if err != nil {
		t.Fatal(err)
	}
	b.pushEvents(t, redactionEvent(resp.EventID, roomID, c.UserID, redacts))
}

// pushEvents sends the bridge a transaction as the homeserver would.
func (b *bridge) pushEvents(t testing.TB, events ...map[string]any) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"events": events})
	if err != nil {
		t.Fatal(err)
	}
	status, err := b.putTransaction(fmt.Sprintf("test-%d", time.Now().UnixNano()), "Bearer "+b.hsTok, body)
	if err != nil {
		t.Fatalf("failed to push a transaction: %v", err)
	}
	if status != http.StatusOK {
		t.Fatalf("pushed transaction got status %d", status)
	}
}

// putTransaction sends one transaction to the appservice port; auth is the whole Authorization
// header, "" for none.
func (b *bridge) putTransaction(txnID, auth string, body []byte) (int, error) {
	req, err := http.NewRequest(http.MethodPut, b.asURL+"/_matrix/app/v1/transactions/"+txnID, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
