package e2e

import (
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/igbridge/igbridge/internal/fakeig"
)

// TestConcurrentLinksShareOneFetch: the same new post linked in two rooms at once is fetched and
// uploaded once.
func TestConcurrentLinksShareOneFetch(t *testing.T) {
	e := startEnv(t, envOptions{})
	alice := e.hs.RegisterUser(t, "alice")
	first, second := e.watchedRoom(t, alice), e.watchedRoom(t, alice)
	code := fakeig.BulkCode(20)
	// Slow enough that both jobs are running before the first fetch ends.
	e.ig.SetDelay(code, time.Second)
	mediaFiles := e.hs.MediaFileCount(t)
	firstID := alice.SendText(t, first, postURL(code))
	secondID := alice.SendText(t, second, postURL(code))
	a := waitReplies(t, alice, first, firstID, 1)
	b := waitReplies(t, alice, second, secondID, 1)
	if n := e.ig.CountRequests("www.instagram.com", "/p/"+code); n != 1 {
		t.Fatalf("the post page was fetched %d times, want once", n)
	}
	if urlA, urlB := a[0].Content.AsMessage().URL, b[0].Content.AsMessage().URL; urlA != urlB || urlA == "" {
		t.Fatalf("the rooms got different uploads: %s and %s", urlA, urlB)
	}
	// The reel and its thumbnail: two files.
	if n := e.hs.MediaFileCount(t) - mediaFiles; n != 2 {
		t.Fatalf("%d files uploaded, want 2 (video and thumbnail, once)", n)
	}
}

// TestQueueCaps: a user with too many links waiting gets one short notice for the link over the
// cap, and no more for further links within the minute; the others are answered.
func TestQueueCaps(t *testing.T) {
	e := startEnv(t, envOptions{network: map[string]any{
		"queue": map[string]any{"workers": 1, "max_pending_per_room": 10, "max_pending_per_user": 2},
	}})
	alice := e.hs.RegisterUser(t, "alice")
	roomID := e.watchedRoom(t, alice)
	e.ig.SetDelay(fakeig.BulkCode(21), time.Second)
	accepted := []string{fakeig.BulkCode(21), fakeig.BulkCode(22)}
	var acceptedIDs []id.EventID
	for _, code := range accepted {
		acceptedIDs = append(acceptedIDs, alice.SendText(t, roomID, postURL(code)))
	}
	overID, got := sendAndWait(t, alice, roomID, postURL(fakeig.BulkCode(23)), 1)
	content := got[0].Content.AsMessage()
	if got[0].Sender != e.bot || content.MsgType != event.MsgNotice || !strings.Contains(content.Body, "too many links waiting") {
		t.Fatalf("the link over the cap got %s %q from %s", content.MsgType, content.Body, got[0].Sender)
	}
	// More links over the cap within the minute get no more notices: one per sender and minute.
	moreIDs := []id.EventID{alice.SendText(t, roomID, postURL(fakeig.BulkCode(24))), alice.SendText(t, roomID, postURL(fakeig.BulkCode(25)))}
	e.bridge.settle(t, alice, roomID)
	for _, eventID := range acceptedIDs {
		waitReplies(t, alice, roomID, eventID, 1)
	}
	for _, eventID := range append(moreIDs, overID) {
		if n := e.queryInt("SELECT COUNT(*) FROM igbridge_queue_job WHERE event_id=$1", eventID); n != 0 {
			t.Fatalf("the link over the cap in %s was queued anyway", eventID)
		}
	}
	for _, eventID := range moreIDs {
		if got := replies(alice, roomID, eventID); len(got) != 0 {
			t.Fatalf("a second over-cap link within the minute got %q", got[0].Content.AsMessage().Body)
		}
	}
}

// TestOverCapEditAnswersOriginal: an edit that adds a link over the cap gets its notice as a
// reply to the original message, like the edit's answers, not to the edit event; a link in a
// thread gets its notice in the thread.
func TestOverCapEditAnswersOriginal(t *testing.T) {
	e := startEnv(t, envOptions{network: map[string]any{
		"queue": map[string]any{"max_pending_per_user": 1},
	}})
	alice := e.hs.RegisterUser(t, "alice")
	bob := e.hs.RegisterUser(t, "bob")
	roomID := e.watchedRoom(t, alice, bob.UserID)
	bob.Join(t, roomID)
	original := alice.SendText(t, roomID, "links follow")
	// Holds Alice's one allowed job while she edits.
	e.ig.SetDelay(fakeig.BulkCode(26), 3*time.Second)
	busy := alice.SendText(t, roomID, postURL(fakeig.BulkCode(26)))
	edit := sendEdit(t, alice, roomID, original, "links follow "+postURL(fakeig.BulkCode(27)))
	got := waitReplies(t, alice, roomID, original, 1)
	if body := got[0].Content.AsMessage().Body; got[0].Sender != e.bot || !strings.Contains(body, "too many links waiting") {
		t.Fatalf("the original got %q from %s, want the over-cap notice", body, got[0].Sender)
	}
	waitReplies(t, alice, roomID, busy, 1)
	if n := len(replies(alice, roomID, edit)); n != 0 {
		t.Fatalf("the edit event got %d replies, want none", n)
	}

	// Bob has a notice of his own to get (one a minute per sender): his link over the cap in a
	// thread gets it there.
	e.ig.SetDelay(fakeig.BulkCode(28), 3*time.Second)
	bobBusy := bob.SendText(t, roomID, postURL(fakeig.BulkCode(28)))
	e.ig.WaitForRequest(t, "www.instagram.com", "/p/"+fakeig.BulkCode(28), replyTimeout)
	rootID := bob.SendText(t, roomID, "thread root")
	content := &event.MessageEventContent{MsgType: event.MsgText, Body: postURL(fakeig.BulkCode(29))}
	content.RelatesTo = (&event.RelatesTo{}).SetThread(rootID, rootID)
	inThread := bob.SendContent(t, roomID, content)
	got = waitReplies(t, bob, roomID, inThread, 1)
	if rel := got[0].Content.AsMessage().RelatesTo; rel.GetThreadParent() != rootID || got[0].Sender != e.bot {
		t.Fatalf("the over-cap notice of a link in a thread came from %s with %+v, want in thread %s", got[0].Sender, rel, rootID)
	}
	waitReplies(t, bob, roomID, bobBusy, 1)
}
