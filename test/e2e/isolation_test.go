package e2e

import (
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/igbridge/igbridge/internal/fakeig"
	"github.com/igbridge/igbridge/internal/tesths"
)

// isolationTimeout is yt-dlp's timeout in TestFaultIsolation: the hanging post holds its
// extraction this long per attempt, far longer than a normal answer takes.
const isolationTimeout = 15 * time.Second

// TestFaultIsolation floods room A with links that fail in every way Instagram fails (private,
// gone, login wall, 429s, a post that hangs) while room B's links are answered as usual: each of
// B's links is timed without the flood, during the failures and during the hang, and B must be
// answered while A's extraction still hangs. It runs with the default yt-dlp workers: with fewer
// than the queue's workers, B's link waited for A's hanging extraction.
func TestFaultIsolation(t *testing.T) {
	e := startEnv(t, envOptions{network: map[string]any{
		"ytdlp": map[string]any{"timeout": isolationTimeout.String()},
		"retry": map[string]any{"max_attempts": 2, "base_delay": "50ms", "max_delay": "200ms"},
	}})
	e.ig.SetDelay(fakeig.CodeSlow, time.Hour)
	burstCode := fakeig.BulkCode(0)
	e.ig.FailNext(burstCode, 1)

	alice := e.hs.RegisterUser(t, "alice")
	mallory := e.hs.RegisterUser(t, "mallory")
	bob := e.hs.RegisterUser(t, "bob")
	// Mallory may only post links (relay permission), so Bob brings the bot into her room.
	roomA := e.watchedRoom(t, bob, mallory.UserID)
	mallory.Join(t, roomA)
	roomB := e.watchedRoom(t, alice)

	// answerB posts the i-th bulk reel in room B and returns how long its answer took.
	answerB := func(i int) time.Duration {
		t.Helper()
		start := time.Now()
		_, got := sendAndWait(t, alice, roomB, "https://www.instagram.com/reel/"+fakeig.BulkCode(i)+"/", 1)
		took := since(start)
		if got[0].Sender != ghostID("instagram") || got[0].Content.AsMessage().MsgType != event.MsgVideo {
			t.Fatalf("room B: got %s %q from %s, want the reel from the ghost", got[0].Content.AsMessage().MsgType, got[0].Content.AsMessage().Body, got[0].Sender)
		}
		return took
	}
	// The first answer in a room also brings the ghost in; the second is the normal time.
	first, quiet := answerB(10), answerB(13)

	// The flood: every failure first, the hanging post last, so that A's failures and then its
	// hang are each under way while B posts. A's jobs run one at a time, in order.
	type flooded struct {
		sender   *tesths.Client
		code     string
		want     string // how the one line A gets starts (the rest names times and tries); "" for the reel itself
		eventID  id.EventID
		answered time.Time
	}
	flood := []*flooded{
		{sender: mallory, code: fakeig.CodePrivate, want: "This post is private;"},
		{sender: mallory, code: fakeig.CodeNotFound, want: "This post does not exist or was removed;"},
		{sender: mallory, code: fakeig.CodeLoginWall, want: "Instagram asks for a login for this post;"},
		{sender: mallory, code: fakeig.CodeRateLimited, want: "Instagram is limiting the bridge"},
		{sender: bob, code: burstCode},
	}
	slow := &flooded{sender: mallory, code: fakeig.CodeSlow, want: "Instagram took too long to answer"}
	floodStart := time.Now()
	for _, f := range append(flood, slow) {
		f.eventID = f.sender.SendText(t, roomA, "look https://www.instagram.com/p/"+f.code+"/")
	}
	duringFailures := answerB(11)

	for _, f := range flood {
		got := waitReplies(t, mallory, roomA, f.eventID, 1)
		checkFloodAnswer(t, e, got[0], f.code, f.want)
		f.answered = time.UnixMilli(got[0].Timestamp)
	}

	// A's hanging extraction has started; B's link must not wait for it.
	// yt-dlp's first request about a logged-out post is the ruling API, which hangs for it.
	slowPK := fakeig.CodeToPK(fakeig.CodeSlow)
	hang := e.ig.WaitForRequestFunc(t, "the ruling API for "+fakeig.CodeSlow, replyTimeout, func(r fakeig.Request) bool {
		return strings.HasPrefix(r.Path, "/api/v1/web/get_ruling_for_content") && strings.Contains(r.RawQuery, "target_id="+slowPK)
	})
	duringHang := answerB(12)
	if held := time.Since(hang.Time); held >= isolationTimeout {
		t.Fatalf("room B was answered %v after A's hanging request began, not before its %v timeout", held.Round(time.Millisecond), isolationTimeout)
	}
	if n := len(replies(mallory, roomA, slow.eventID)); n != 0 {
		t.Fatalf("the hanging post got %d answers before room B's link", n)
	}

	// Both attempts at the hanging post time out; then it gets its one line.
	mallory.WaitFor(t, roomA, 2*isolationTimeout+replyTimeout, func(*event.Event) bool {
		return len(replies(mallory, roomA, slow.eventID)) > 0
	})
	answer := replies(mallory, roomA, slow.eventID)[0]
	checkFloodAnswer(t, e, answer, slow.code, slow.want)
	slow.answered = time.UnixMilli(answer.Timestamp)

	t.Logf("room B link→reply: %v without the flood (%v for the room's first), %v during A's failures, %v during A's hang", quiet, first, duringFailures, duringHang)
	for _, f := range append(flood, slow) {
		t.Logf("room A %s answered %v after the flood began", f.code, f.answered.Sub(floodStart).Round(time.Millisecond))
	}
	settled := e.waitIdle(t, bob, roomA, replyTimeout)
	for _, f := range append(flood, slow) {
		if n := len(replies(bob, roomA, f.eventID)); n != 1 {
			t.Errorf("%s got %d answers, want 1", f.code, n)
		}
	}
	mustContain(t, "status", settled.Content.AsMessage().Body, "failed: 5,")
	if n := e.queryInt("SELECT COUNT(*) FROM igbridge_queue_job WHERE room_id = $1 AND state = 'failed'", roomA); n != 5 {
		t.Fatalf("room A has %d failed jobs, want 5 (all but the 429 burst)", n)
	}
	if n := e.ig.CountRequests("www.instagram.com", "/p/"+fakeig.CodeLoginWall); n != 1 {
		t.Fatalf("the login-walled post was requested %d times, want once", n)
	}
}

// checkFloodAnswer checks the answer to one of the flood's links: the reel from its ghost when
// want is empty, else want as a notice from the bot.
func checkFloodAnswer(t *testing.T, e *env, evt *event.Event, code, want string) {
	t.Helper()
	content := evt.Content.AsMessage()
	if want == "" {
		if evt.Sender != ghostID("instagram") || content.MsgType != event.MsgVideo {
			t.Fatalf("%s: got %s %q from %s, want the reel from the ghost", code, content.MsgType, content.Body, evt.Sender)
		}
		return
	}
	if evt.Sender != e.bot || content.MsgType != event.MsgNotice || !strings.HasPrefix(content.Body, want) || strings.Contains(content.Body, "\n") {
		t.Fatalf("%s: got %s %q from %s, want a one-line notice from the bot starting %q", code, content.MsgType, content.Body, evt.Sender, want)
	}
}
