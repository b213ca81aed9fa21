package e2e

import (
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/igbridge/igbridge/internal/fakeig"
)

func postURL(code string) string { return "https://www.instagram.com/p/" + code + "/" }

func median(times []time.Duration) time.Duration {
	sorted := slices.Clone(times)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	return sorted[len(sorted)/2]
}

// TestMediaCache: a post linked again is answered with no Instagram request and no new upload,
// in plain and in encrypted rooms alike, until an admin purges it.
func TestMediaCache(t *testing.T) {
	e := startEnv(t, envOptions{})
	alice := e.hs.RegisterUser(t, "alice")
	roomID := e.watchedRoom(t, alice)

	var misses []time.Duration
	for i := range 10 {
		start := time.Now()
		sendAndWait(t, alice, roomID, postURL(fakeig.BulkCode(i)), 1)
		misses = append(misses, since(start))
	}
	_, first := sendAndWait(t, alice, roomID, postURL(fakeig.CodeReel), 1)
	pageRequests := e.ig.CountRequests("www.instagram.com", "/")
	cdnRequests := e.ig.CountRequests("cdninstagram.com", "/")
	mediaFiles := e.hs.MediaFileCount(t)

	var hits []time.Duration
	other := e.watchedRoom(t, alice)
	for i := range 10 {
		target := roomID
		if i%2 == 1 {
			target = other
		}
		start := time.Now()
		_, again := sendAndWait(t, alice, target, "https://www.instagram.com/reel/"+fakeig.CodeReel+"/?igsh=again", 1)
		hits = append(hits, since(start))
		if got, want := again[0].Content.AsMessage().URL, first[0].Content.AsMessage().URL; got != want {
			t.Fatalf("cache hit posted %s, want the cached %s", got, want)
		}
		if again[0].Sender != ghostID("instagram") {
			t.Fatalf("cache hit answered by %s", again[0].Sender)
		}
	}
	if n := e.ig.CountRequests("www.instagram.com", "/"); n != pageRequests {
		t.Fatalf("cache hits made %d requests to Instagram", n-pageRequests)
	}
	if n := e.ig.CountRequests("cdninstagram.com", "/"); n != cdnRequests {
		t.Fatalf("cache hits downloaded %d media files", n-cdnRequests)
	}
	if n := e.hs.MediaFileCount(t); n != mediaFiles {
		t.Fatalf("cache hits uploaded %d files", n-mediaFiles)
	}
	t.Logf("link→reply: cache miss median %v, cache hit median %v", median(misses), median(hits))

	// An admin purges the post: the next link fetches it again.
	admin := e.hs.RegisterUser(t, "admin")
	adminRoom := e.watchedRoom(t, admin)
	admin.SendText(t, adminRoom, "!ig cache purge https://www.instagram.com/reel/"+fakeig.CodeReel+"/")
	admin.WaitFor(t, adminRoom, replyTimeout, func(evt *event.Event) bool {
		return evt.Sender == e.bot && strings.Contains(evt.Content.AsMessage().Body, "Forgot https://www.instagram.com/reel/"+fakeig.CodeReel)
	})
	sendAndWait(t, alice, roomID, postURL(fakeig.CodeReel), 1)
	if n := e.ig.CountRequests("www.instagram.com", "/p/"+fakeig.CodeReel); n < 2 {
		t.Fatalf("the purged post was not fetched again")
	}
	// Purging is for bridge admins only.
	alice.SendText(t, roomID, "!ig cache purge")
	alice.WaitFor(t, roomID, replyTimeout, func(evt *event.Event) bool {
		return evt.Sender == e.bot && strings.Contains(evt.Content.AsMessage().Body, "admin")
	})
}

// TestFailureCache: a private post is asked for once; linking it again is answered from memory.
func TestFailureCache(t *testing.T) {
	e := startEnv(t, envOptions{})
	alice := e.hs.RegisterUser(t, "alice")
	roomID := e.watchedRoom(t, alice)
	for range 2 {
		_, got := sendAndWait(t, alice, roomID, postURL(fakeig.CodePrivate), 1)
		mustContain(t, "notice", got[0].Content.AsMessage().Body, "private")
	}
	if n := e.ig.CountRequests("www.instagram.com", "/api/v1/web/get_ruling_for_content/"); n != 1 {
		t.Fatalf("the private post was asked for %d times, want 1", n)
	}
}

// TestCrashResume kills the bridge with SIGKILL while it fetches a link; after a restart the link
// is answered exactly once.
func TestCrashResume(t *testing.T) {
	e := startEnv(t, envOptions{})
	alice := e.hs.RegisterUser(t, "alice")
	roomID := e.watchedRoom(t, alice)
	e.ig.SetDelay(fakeig.CodeSlow, time.Minute)
	origID := alice.SendText(t, roomID, postURL(fakeig.CodeSlow))
	e.ig.WaitForRequest(t, "www.instagram.com", "/p/"+fakeig.CodeSlow, replyTimeout)
	e.crash()
	e.ig.SetDelay(fakeig.CodeSlow, 0)
	e.start()
	got := waitReplies(t, alice, roomID, origID, 1)
	if got[0].Content.AsMessage().MsgType != event.MsgVideo {
		t.Fatalf("after the restart the link got %q", got[0].Content.AsMessage().Body)
	}
	e.settle(t, alice, roomID)
	if n := len(replies(alice, roomID, origID)); n != 1 {
		t.Fatalf("%d answers after the crash, want exactly 1", n)
	}
	if n := e.queryInt("SELECT COUNT(*) FROM igbridge_queue_job WHERE event_id=$1 AND state='done'", origID); n != 1 {
		t.Fatalf("the job is not recorded as done once (%d)", n)
	}
}

// TestQueueFairnessAndPacing: 30 links from 5 rooms, one room first with 10: all are answered, in
// order within each room, the other rooms are served before the busy one is through, and the
// requests to Instagram keep the configured spacing.
func TestQueueFairnessAndPacing(t *testing.T) {
	const interval = 150 * time.Millisecond
	e := startEnv(t, envOptions{network: map[string]any{
		"rate_limit": map[string]any{"requests_per_minute": 6000, "min_interval": interval.String()},
		"queue":      map[string]any{"workers": 2, "max_pending_per_room": 20, "max_pending_per_user": 40},
	}})
	alice := e.hs.RegisterUser(t, "alice")
	rooms := make([]id.RoomID, 5)
	for i := range rooms {
		rooms[i] = e.watchedRoom(t, alice)
	}
	sent := map[id.RoomID][]id.EventID{}
	codeRoom := map[string]int{}
	send := func(room, code int) {
		codeRoom[fakeig.BulkCode(code)] = room
		sent[rooms[room]] = append(sent[rooms[room]], alice.SendText(t, rooms[room], postURL(fakeig.BulkCode(code))))
	}
	for i := range 10 {
		send(0, i)
	}
	for i := range 20 {
		send(1+i/5, 10+i)
	}
	for _, roomID := range rooms {
		alice.WaitFor(t, roomID, 2*replyTimeout, func(*event.Event) bool {
			for _, eventID := range sent[roomID] {
				if len(replies(alice, roomID, eventID)) == 0 {
					return false
				}
			}
			return true
		})
		var answered []id.EventID
		for _, evt := range alice.Events(roomID) {
			if replyTo := evt.Content.AsMessage().RelatesTo.GetReplyTo(); evt.Sender != alice.UserID && slices.Contains(sent[roomID], replyTo) {
				answered = append(answered, replyTo)
			}
		}
		if !slices.Equal(answered, sent[roomID]) {
			t.Fatalf("room %s answered out of order:\n%v\nwant\n%v", roomID, answered, sent[roomID])
		}
	}
	// Every extraction fetches the post page once: their order is the order posts were fetched.
	// Its first request, the ruling check, is what Instagram sees when the pacer lets it go.
	var order []int
	var times []time.Time
	for _, r := range e.ig.Requests() {
		if strings.HasPrefix(r.Path, "/p/Bulk") {
			order = append(order, codeRoom[strings.TrimPrefix(r.Path, "/p/")])
		} else if r.Path == "/api/v1/web/get_ruling_for_content/" {
			times = append(times, r.Time)
		}
	}
	if len(order) != 30 || len(times) != 30 {
		t.Fatalf("%d posts fetched with %d ruling checks, want 30", len(order), len(times))
	}
	busyFifth := -1
	for i, room := range order {
		if room == 0 {
			busyFifth++
			if busyFifth == 4 {
				busyFifth = i
				break
			}
		}
	}
	for room := 1; room < 5; room++ {
		if first := slices.Index(order, room); first > busyFifth {
			t.Fatalf("room %d waited until after the busy room's 5th link (fetch order %v)", room, order)
		}
	}
	// The fake logs arrival, which trails the pacer's release by a varying few tens of
	// milliseconds on a busy machine: single gaps jitter, the average spacing may not.
	minGap := time.Hour
	for i := 1; i < len(times); i++ {
		minGap = min(minGap, times[i].Sub(times[i-1]))
	}
	meanGap := times[len(times)-1].Sub(times[0]) / time.Duration(len(times)-1)
	if meanGap < interval*9/10 {
		t.Fatalf("requests to Instagram were on average %v apart, want at least %v", meanGap, interval)
	}
	t.Logf("fetch order by room %v; gaps between Instagram requests: mean %v, smallest %v (min_interval %v)", order, meanGap, minGap, interval)
}

// TestRateLimitBurst: Instagram answers 429 twice; the bridge pauses (cool-down), retries and
// answers with the media.
func TestRateLimitBurst(t *testing.T) {
	const cooldown = time.Second
	e := startEnv(t, envOptions{network: map[string]any{
		"rate_limit": map[string]any{"requests_per_minute": 6000, "min_interval": "1ms", "cooldown": cooldown.String(), "max_cooldown": "10s"},
		"retry":      map[string]any{"max_attempts": 4, "base_delay": "10ms", "max_delay": "50ms"},
	}})
	alice := e.hs.RegisterUser(t, "alice")
	roomID := e.watchedRoom(t, alice)
	code := fakeig.BulkCode(35)
	e.ig.FailNext(code, 2)
	_, got := sendAndWait(t, alice, roomID, postURL(code), 1)
	if got[0].Content.AsMessage().MsgType != event.MsgVideo {
		t.Fatalf("after the burst the link got %q", got[0].Content.AsMessage().Body)
	}
	var attempts []time.Time
	for _, r := range e.ig.Requests() {
		if r.Path == "/p/"+code {
			attempts = append(attempts, r.Time)
		}
	}
	if len(attempts) != 3 {
		t.Fatalf("%d attempts, want 3 (two 429s, then success)", len(attempts))
	}
	// The second cool-down is twice the first.
	if gap := attempts[1].Sub(attempts[0]); gap < cooldown {
		t.Fatalf("retried %v after a 429, before the %v cool-down ended", gap, cooldown)
	}
	if gap := attempts[2].Sub(attempts[1]); gap < 2*cooldown {
		t.Fatalf("retried %v after the second 429, want the doubled cool-down %v", gap, 2*cooldown)
	}
	t.Logf("attempt gaps: %v, %v", attempts[1].Sub(attempts[0]), attempts[2].Sub(attempts[1]))
}

// TestFollowRedactionsAndEdits: a redacted message takes its answers with it; an edit that adds a
// link is answered once, as a reply to the original.
func TestFollowRedactionsAndEdits(t *testing.T) {
	e := startEnv(t, envOptions{})
	alice := e.hs.RegisterUser(t, "alice")
	roomID := e.watchedRoom(t, alice)

	origID, got := sendAndWait(t, alice, roomID, postURL(fakeig.CodeCarousel), 3)
	e.redactAndPush(t, alice, roomID, origID)
	for _, reply := range got {
		alice.WaitFor(t, roomID, replyTimeout, func(evt *event.Event) bool {
			return evt.Type == event.EventRedaction && evt.Redacts == reply.ID && evt.Sender == reply.Sender
		})
	}

	editedID := alice.SendText(t, roomID, "look at this")
	edit := func(body string) {
		content := &event.MessageEventContent{MsgType: event.MsgText, Body: "* " + body}
		content.SetEdit(editedID)
		content.NewContent = &event.MessageEventContent{MsgType: event.MsgText, Body: body}
		alice.SendContent(t, roomID, content)
	}
	edit("look at this " + postURL(fakeig.CodeImage))
	waitReplies(t, alice, roomID, editedID, 1)
	edit("look at this " + postURL(fakeig.CodeImage) + " (fixed typo)")
	e.settle(t, alice, roomID)
	if n := len(replies(alice, roomID, editedID)); n != 1 {
		t.Fatalf("the edited message got %d answers, want 1", n)
	}
}

// TestExtractorBrokenAlert: when yt-dlp says it no longer understands Instagram, bridge admins
// hear it once in their management rooms, and users get one line.
func TestExtractorBrokenAlert(t *testing.T) {
	script := writeScript(t, "broken-ytdlp", "#!/bin/sh\n"+
		"echo 'ERROR: [Instagram] x: Unable to extract LSD token; please report this issue on  https://github.com/yt-dlp/yt-dlp/issues?q= , filling out the appropriate issue template.' >&2\nexit 1\n")
	e := startEnv(t, envOptions{network: map[string]any{"ytdlp": map[string]any{"command": []any{script}}}})
	admin := e.hs.RegisterUser(t, "admin")
	adminRoom := e.watchedRoom(t, admin)
	alice := e.hs.RegisterUser(t, "alice")
	roomID := e.watchedRoom(t, alice)
	for i := range 2 {
		_, got := sendAndWait(t, alice, roomID, postURL(fakeig.BulkCode(i)), 1)
		mustContain(t, "notice", got[0].Content.AsMessage().Body, "The bridge cannot read Instagram's pages at the moment; its operator has been told.")
	}
	e.settle(t, admin, adminRoom)
	var alerts int
	for _, evt := range admin.Events(adminRoom) {
		if evt.Sender == e.bot && strings.Contains(evt.Content.AsMessage().Body, "Update yt-dlp") {
			alerts++
		}
	}
	if alerts != 1 {
		t.Fatalf("the admin got %d alerts, want 1", alerts)
	}
}

// writeScript writes an executable script to a temp dir.
func writeScript(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := writeExecutable(path, content); err != nil {
		t.Fatal(err)
	}
	return path
}
