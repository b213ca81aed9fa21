package e2e

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"

	"github.com/igbridge/igbridge/internal/fakeig"
)

// TestBridge runs the user-visible scenarios on one set-up; each subtest uses its own rooms.
func TestBridge(t *testing.T) {
	e := startEnv(t, envOptions{})
	alice := e.hs.RegisterUser(t, "alice")
	mallory := e.hs.RegisterUser(t, "mallory")

	t.Run("InviteAllowed", func(t *testing.T) {
		roomID := e.watchedRoom(t, alice)
		e.settle(t, alice, roomID)
		if n := e.queryInt("SELECT COUNT(*) FROM igbridge_room WHERE room_id=$1 AND inviter=$2 AND enabled", roomID, alice.UserID); n != 1 {
			t.Fatalf("room rows = %d, want 1", n)
		}
	})

	t.Run("InviteRefused", func(t *testing.T) {
		roomID := mallory.NewRoom(t)
		mallory.Invite(t, roomID, e.bot)
		mallory.WaitForMembership(t, roomID, e.bot, event.MembershipLeave, replyTimeout)
		if n := e.queryInt("SELECT COUNT(*) FROM igbridge_room WHERE room_id=$1", roomID); n != 0 {
			t.Fatalf("a refused room is watched (%d rows)", n)
		}
	})

	t.Run("Reel", func(t *testing.T) {
		roomID := e.watchedRoom(t, alice)
		fixture, _ := e.ig.Fixture(fakeig.CodeReel)
		origID, got := sendAndWait(t, alice, roomID,
			"look at this https://www.instagram.com/reel/"+fakeig.CodeReel+"/?igsh=abc123 !", 1)
		evt := got[0]
		if evt.Sender != ghostID("instagram") {
			t.Fatalf("reply sender = %s, want the ghost %s", evt.Sender, ghostID("instagram"))
		}
		content := evt.Content.AsMessage()
		if content.MsgType != event.MsgVideo {
			t.Fatalf("msgtype = %s, want m.video", content.MsgType)
		}
		if content.RelatesTo.GetReplyTo() != origID {
			t.Fatalf("not a reply to the link message")
		}
		e.checkMedia(t, alice, evt, fixture.Items[0].MediaURL)
		info := content.Info
		if info.MimeType != "video/mp4" || info.Width != 320 || info.Height != 240 || info.Duration != 2000 {
			t.Fatalf("info = %+v, want video/mp4 320x240 2000 ms", info)
		}
		if info.ThumbnailURL == "" || info.ThumbnailInfo == nil || info.ThumbnailInfo.MimeType != "image/jpeg" {
			t.Fatalf("video has no JPEG thumbnail: %+v", info)
		}
		thumb, _ := e.ig.Media(fixture.Items[0].ThumbURL)
		if got := alice.DownloadMedia(t, info.ThumbnailURL); string(got) != string(thumb) {
			t.Fatalf("thumbnail bytes differ from the fake's")
		}
		mustContain(t, "body", content.Body, "Instagram (@instagram)")
		mustContain(t, "body", content.Body, "Reel caption with #hashtag")
		mustContain(t, "body", content.Body, "https://www.instagram.com/reel/"+fakeig.CodeReel+"/")
		mustContain(t, "formatted_body", content.FormattedBody, "second line")
		profile, err := alice.GetDisplayName(t.Context(), ghostID("instagram"))
		if err != nil || profile.DisplayName != "Instagram (Instagram)" {
			t.Fatalf("ghost display name = %+v (%v), want %q", profile, err, "Instagram (Instagram)")
		}
	})

	t.Run("Image", func(t *testing.T) {
		roomID := e.watchedRoom(t, alice)
		fixture, _ := e.ig.Fixture(fakeig.CodeImage)
		_, got := sendAndWait(t, alice, roomID, "https://instagram.com/p/"+fakeig.CodeImage, 1)
		content := got[0].Content.AsMessage()
		if got[0].Sender != ghostID(fixture.Username) || content.MsgType != event.MsgImage {
			t.Fatalf("got %s from %s, want m.image from the ghost", content.MsgType, got[0].Sender)
		}
		e.checkMedia(t, alice, got[0], fixture.Items[0].MediaURL)
		if content.Info.MimeType != "image/jpeg" || content.Info.Width != fixture.Items[0].Width {
			t.Fatalf("info = %+v", content.Info)
		}
		// The caption has HTML-special characters: escaped in HTML, verbatim in the body.
		mustContain(t, "body", content.Body, `<b>"Tom & Jerry"</b>`)
		mustContain(t, "formatted_body", content.FormattedBody, "&lt;b&gt;&#34;Tom &amp; Jerry&#34;&lt;/b&gt;")
	})

	t.Run("Carousel", func(t *testing.T) {
		roomID := e.watchedRoom(t, alice)
		fixture, _ := e.ig.Fixture(fakeig.CodeCarousel)
		_, got := sendAndWait(t, alice, roomID, "https://www.instagram.com/"+fixture.Username+"/p/"+fakeig.CodeCarousel+"/", 3)
		wantTypes := []event.MessageType{event.MsgImage, event.MsgVideo, event.MsgImage}
		for i, evt := range got {
			content := evt.Content.AsMessage()
			if content.MsgType != wantTypes[i] || evt.Sender != ghostID(fixture.Username) {
				t.Fatalf("item %d: %s from %s, want %s from the ghost", i+1, content.MsgType, evt.Sender, wantTypes[i])
			}
			mustContain(t, "body", content.Body, fmt.Sprintf("%d/3", i+1))
			e.checkMedia(t, alice, evt, fixture.Items[i].MediaURL)
		}
	})

	t.Run("CarouselCap", func(t *testing.T) {
		roomID := e.watchedRoom(t, alice)
		origID, got := sendAndWait(t, alice, roomID, "https://www.instagram.com/p/"+fakeig.CodeBigCarousel+"/", 10)
		// A status command arrives after the link, so once it is answered the link's job is done.
		statusID := alice.SendText(t, roomID, "!ig status")
		waitReplies(t, alice, roomID, statusID, 0)
		alice.WaitFor(t, roomID, replyTimeout, func(evt *event.Event) bool {
			return evt.Sender == e.bot && strings.Contains(evt.Content.AsMessage().Body, "Watched rooms")
		})
		if n := len(replies(alice, roomID, origID)); n != 10 || len(got) != 10 {
			t.Fatalf("%d items posted, want the cap of 10", n)
		}
	})

	t.Run("Thread", func(t *testing.T) {
		roomID := e.watchedRoom(t, alice)
		rootID := alice.SendText(t, roomID, "thread root")
		content := &event.MessageEventContent{MsgType: event.MsgText, Body: "https://www.instagram.com/tv/" + fakeig.CodeReel + "/"}
		content.RelatesTo = (&event.RelatesTo{}).SetThread(rootID, rootID)
		origID := alice.SendContent(t, roomID, content)
		got := waitReplies(t, alice, roomID, origID, 1)
		rel := got[0].Content.AsMessage().RelatesTo
		if rel.GetThreadParent() != rootID || rel.GetReplyTo() != origID || rel.IsFallingBack {
			t.Fatalf("relation = %+v, want in thread %s replying to %s", rel, rootID, origID)
		}
	})

	t.Run("TooLarge", func(t *testing.T) {
		roomID := e.watchedRoom(t, alice)
		_, got := sendAndWait(t, alice, roomID, "https://www.instagram.com/reel/"+fakeig.CodeHuge+"/", 1)
		content := got[0].Content.AsMessage()
		if content.MsgType != event.MsgText || content.URL != "" || content.File != nil {
			t.Fatalf("got %s with media, want a text reply", content.MsgType)
		}
		mustContain(t, "body", content.Body, "11.0 MiB")
		mustContain(t, "body", content.Body, "10.0 MiB")
		mustContain(t, "body", content.Body, "https://www.instagram.com/reel/"+fakeig.CodeHuge+"/")
		if n := e.ig.CountRequests("cdninstagram.com", "/o1/v/t16/f2/m86/"+fakeig.CodeHuge); n > 1 {
			t.Fatalf("the too-large video was requested %d times", n)
		}
	})

	t.Run("Failures", func(t *testing.T) {
		roomID := e.watchedRoom(t, alice)
		cases := []struct{ code, want string }{
			{fakeig.CodePrivate, "This post is private; the bridge can only fetch public posts."},
			{fakeig.CodeNotFound, "This post does not exist or was removed; check the link."},
			{fakeig.CodeRateLimited, "Instagram is limiting the bridge (tried 3 times)"},
			{fakeig.CodeLoginWall, "Instagram asks for a login for this post"},
			{fakeig.CodeRestricted, "Instagram asks for a login for this post"},
			{fakeig.CodeHostile, "outside its CDN"},
		}
		for _, tc := range cases {
			_, got := sendAndWait(t, alice, roomID, "https://www.instagram.com/p/"+tc.code+"/", 1)
			content := got[0].Content.AsMessage()
			if got[0].Sender != e.bot || content.MsgType != event.MsgNotice || strings.Contains(content.Body, "\n") {
				t.Fatalf("%s: got %s %q from %s, want a one-line notice from the bot", tc.code, content.MsgType, content.Body, got[0].Sender)
			}
			mustContain(t, tc.code+" notice", content.Body, tc.want)
		}
		if n := e.ig.CountRequests("evil.example", "/"); n != 0 {
			t.Fatalf("the bridge requested a non-Instagram host %d times", n)
		}
	})

	t.Run("DisabledRoom", func(t *testing.T) {
		roomID := e.watchedRoom(t, alice)
		alice.SendText(t, roomID, "!ig disable")
		alice.WaitFor(t, roomID, replyTimeout, func(evt *event.Event) bool {
			return evt.Sender == e.bot && strings.Contains(evt.Content.AsMessage().Body, "now ignored")
		})
		linkID := alice.SendText(t, roomID, "https://www.instagram.com/reel/"+fakeig.CodeReel+"/")
		mustContain(t, "status", e.settle(t, alice, roomID).Content.AsMessage().Body, "links are ignored")
		if n := e.queryInt("SELECT COUNT(*) FROM igbridge_queue_job WHERE event_id=$1", linkID); n != 0 {
			t.Fatalf("a link in a disabled room was accepted (%d jobs)", n)
		}
		if n := len(replies(alice, roomID, linkID)); n != 0 {
			t.Fatalf("a link in a disabled room got %d replies", n)
		}
		// Someone without moderator rights cannot turn it back on.
		bob := e.hs.RegisterUser(t, "bob")
		alice.Invite(t, roomID, bob.UserID)
		bob.Join(t, roomID)
		bob.SendText(t, roomID, "!ig enable")
		alice.WaitFor(t, roomID, replyTimeout, func(evt *event.Event) bool {
			return evt.Sender == e.bot && strings.Contains(evt.Content.AsMessage().Body, "Only room moderators")
		})
	})

	t.Run("ManagementRoom", func(t *testing.T) {
		// carol's first room with just the bot becomes her management room.
		carol := e.hs.RegisterUser(t, "carol")
		roomID := e.watchedRoom(t, carol)
		welcome := carol.WaitFor(t, roomID, replyTimeout, func(evt *event.Event) bool {
			return evt.Sender == e.bot && evt.Type == event.EventMessage
		}).Content.AsMessage()
		if welcome.MsgType != event.MsgNotice || !strings.HasPrefix(welcome.Body, "Hello! I answer Instagram links.") ||
			strings.Contains(welcome.Body, "login") {
			t.Fatalf("welcome is %s %q, want a notice saying what the link bot does", welcome.MsgType, welcome.Body)
		}
		mustContain(t, "welcome", welcome.Body, "management room")
		mustContain(t, "welcome", welcome.Body, "`help`")
		t.Logf("welcome (%d chars): %q", len(welcome.Body), welcome.Body)

		_, got := sendAndWait(t, carol, roomID, "https://www.instagram.com/reel/"+fakeig.CodeReel+"/", 1)
		if got[0].Sender != ghostID("instagram") {
			t.Fatalf("the link in the management room was answered by %s", got[0].Sender)
		}
		// Another room with just carol and the bot is not her management room: the prefix is needed there.
		other := e.watchedRoom(t, carol)
		second := carol.WaitFor(t, other, replyTimeout, func(evt *event.Event) bool {
			return evt.Sender == e.bot && evt.Type == event.EventMessage
		}).Content.AsMessage()
		if !strings.HasPrefix(second.Body, "Hello! I answer Instagram links.") || !strings.HasSuffix(second.Body, "Type `!ig help` for the commands.") {
			t.Fatalf("welcome outside the management room is %q", second.Body)
		}

		e.commandAnswer(t, carol, roomID, "what can you do?", "Not a command. Post an Instagram link, or type `help`.")
		// bridgev2 answers the commands passed on to it without a reply relation.
		carol.SendText(t, roomID, "status")
		carol.WaitFor(t, roomID, replyTimeout, func(evt *event.Event) bool {
			return evt.Sender == e.bot && strings.HasPrefix(evt.Content.AsMessage().Body, "* Watched rooms")
		})
	})

	t.Run("NoLoops", func(t *testing.T) {
		roomID := e.watchedRoom(t, alice)
		sendAndWait(t, alice, roomID, "https://www.instagram.com/reel/"+fakeig.CodeReel+"/", 1)
		e.settle(t, alice, roomID)
		// The ghost's caption carries the link; had it been answered, there would be a second job.
		if n := e.queryInt("SELECT COUNT(*) FROM igbridge_queue_job WHERE room_id=$1", roomID); n != 1 {
			t.Fatalf("%d jobs in the room, want 1 (the bridge answered its own message?)", n)
		}
	})

	t.Run("Ignored", func(t *testing.T) {
		roomID := e.watchedRoom(t, alice)
		link := "https://www.instagram.com/reel/" + fakeig.CodeReel + "/"
		alice.SendContent(t, roomID, &event.MessageEventContent{MsgType: event.MsgNotice, Body: link})
		alice.SendText(t, roomID, "opted out: <"+link+">")
		alice.SendText(t, roomID, "in code: `"+link+"`")
		alice.SendText(t, roomID, "https://www.instagram.com/explore/ and https://www.instagram.com/nasa/")
		e.settle(t, alice, roomID)
		if n := e.queryInt("SELECT COUNT(*) FROM igbridge_queue_job WHERE room_id=$1", roomID); n != 0 {
			t.Fatalf("%d links accepted from messages that must be ignored", n)
		}
	})

	t.Run("BotRemoved", func(t *testing.T) {
		roomID := e.watchedRoom(t, alice)
		if _, err := alice.KickUser(t.Context(), roomID, &mautrix.ReqKickUser{UserID: e.bot, Reason: "test"}); err != nil {
			t.Fatal(err)
		}
		// The homeserver hands the appservice its events in order, so once a later event in
		// another room is handled, the kick has been too.
		other := e.watchedRoom(t, alice)
		e.settle(t, alice, other)
		if n := e.queryInt("SELECT COUNT(*) FROM igbridge_room WHERE room_id=$1", roomID); n != 0 {
			t.Fatalf("the room is still watched after the bot was kicked")
		}
	})

	t.Run("Help", func(t *testing.T) {
		// A third member keeps the room from becoming alice's management room, where no prefix is needed.
		roomID := e.watchedRoom(t, alice, e.hs.RegisterUser(t, "dan").UserID)
		help := e.commandAnswer(t, alice, roomID, "!ig help", "I answer Instagram links.")
		chars := utf8.RuneCountInString(help.Body)
		if chars >= 1000 {
			t.Fatalf("help (%d characters) must start with what the bot does and stay under 1000: %q", chars, help.Body)
		}
		for _, command := range []string{"`help`", "`status`", "`version`", "`enable`", "`disable`", "`cache purge [link]`",
			"`get <link>`", "`settings`", "`set captions on|off`", "`set mode full|media`", "`set max-items N`", "`set auto on|off`"} {
			mustContain(t, "help", help.Body, command)
		}
		for _, who := range []string{"anyone", "room moderators", "bridge admins", "🔁 on a failure notice tries again", "🗑️ on an answer deletes it"} {
			mustContain(t, "help", help.Body, who)
		}
		for _, builtin := range []string{"login", "logout", "create-portal", "delete-portal", "delete-all-portals",
			"set-relay", "unset-relay", "sudo", "start-chat", "resolve-identifier", "sync-portal", "set-pl"} {
			if strings.Contains(help.Body, builtin) {
				t.Fatalf("help offers the built-in %q: %q", builtin, help.Body)
			}
		}
		t.Logf("help (%d characters): %q", chars, help.Body)

		for command, want := range map[string]string{
			"login":              "`login` is not used by this bridge: there is nothing to log in to. Post an Instagram link instead.",
			"delete-all-portals": "`delete-all-portals` is not used by this bridge: there are no bridged chats: I answer links in the rooms I'm invited to. Post an Instagram link instead.",
			"frobnicate":         "Not a command. Post an Instagram link, or type `!ig help`.",
		} {
			if body := e.commandAnswer(t, alice, roomID, "!ig "+command, want).Body; body != want {
				t.Fatalf("%s got %q, want %q", command, body, want)
			}
		}
	})

	t.Run("LinkToReplyTime", func(t *testing.T) {
		roomID := e.watchedRoom(t, alice)
		var times []time.Duration
		for range 10 {
			start := time.Now()
			sendAndWait(t, alice, roomID, "https://www.instagram.com/reel/"+fakeig.CodeReel+"/", 1)
			times = append(times, since(start))
		}
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		t.Logf("link→reply over 10 links: median %v, min %v, max %v", times[4], times[0], times[9])
	})

	t.Run("CommandNotInOtherLogLines", func(t *testing.T) {
		// Earlier subtests ran commands, then invites and links: only a command's own lines,
		// which carry its event, may name it.
		for _, line := range strings.Split(e.logBuf.String(), "\n") {
			var fields map[string]any
			if json.Unmarshal([]byte(line), &fields) != nil || fields["mx_command"] == nil {
				continue
			}
			if fields["event_id"] == nil {
				t.Fatalf("a log line outside a command names the command: %s", line)
			}
		}
	})

	t.Run("NoDuplicateLogKeys", func(t *testing.T) {
		// zerolog writes a key as often as it is added; a JSON reader keeps only one of them.
		for _, line := range strings.Split(e.logBuf.String(), "\n") {
			if key := repeatedKey(line); key != "" {
				t.Fatalf("the key %s appears twice in a log line: %s", key, line)
			}
		}
	})

	t.Run("TokensNotLogged", func(t *testing.T) {
		logs := e.logBuf.String()
		for _, key := range []string{"as_token", "hs_token"} {
			if token := get(e.config, "appservice", key).(string); strings.Contains(logs, token) {
				t.Fatalf("the %s appears in the bridge's log", key)
			}
		}
	})
}

// TestStoryAndShareLinks: a story needs the session cookies; share and instagr.am links resolve
// to the post.
func TestStoryAndShareLinks(t *testing.T) {
	e := startEnv(t, envOptions{cookies: true})
	alice := e.hs.RegisterUser(t, "alice")
	roomID := e.watchedRoom(t, alice)

	_, got := sendAndWait(t, alice, roomID, "https://www.instagram.com/stories/"+fakeig.StoryUser+"/"+fakeig.StoryID+"/", 1)
	if got[0].Sender != ghostID(fakeig.StoryUser) || got[0].Content.AsMessage().MsgType != event.MsgVideo {
		t.Fatalf("story: got %s from %s", got[0].Content.AsMessage().MsgType, got[0].Sender)
	}

	for _, link := range []string{
		"https://www.instagram.com/share/reel/" + fakeig.ShareCode + "/",
		"https://instagr.am/p/" + fakeig.CodeReel + "/",
		"m.instagram.com/reel/" + fakeig.CodeReel,
	} {
		_, got = sendAndWait(t, alice, roomID, link, 1)
		if got[0].Sender != ghostID("instagram") || got[0].Content.AsMessage().MsgType != event.MsgVideo {
			t.Fatalf("%s: got %q from %s", link, got[0].Content.AsMessage().Body, got[0].Sender)
		}
	}
}

// TestProxyFromEnvironment: with no network.proxy, the standard proxy variables carry both yt-dlp
// and the bridge's own media downloads.
func TestProxyFromEnvironment(t *testing.T) {
	e := startEnv(t, envOptions{proxyFromEnv: true})
	alice := e.hs.RegisterUser(t, "alice")
	roomID := e.watchedRoom(t, alice)
	fixture, _ := e.ig.Fixture(fakeig.CodeReel)
	_, got := sendAndWait(t, alice, roomID, "https://www.instagram.com/reel/"+fakeig.CodeReel+"/", 1)
	e.checkMedia(t, alice, got[0], fixture.Items[0].MediaURL)
}

// TestThreeInstances: three bridges on one homeserver, each with its own bot, ghosts and database,
// answer only in the rooms their own bot was invited to.
func TestThreeInstances(t *testing.T) {
	e := startEnvN(t, envOptions{}, 3)
	alice := e.hs.RegisterUser(t, "alice")
	for i, b := range e.bridges {
		roomID := alice.NewRoom(t)
		alice.Invite(t, roomID, b.bot)
		alice.WaitForMembership(t, roomID, b.bot, event.MembershipJoin, replyTimeout)
		origID, got := sendAndWait(t, alice, roomID, "https://www.instagram.com/reel/"+fakeig.CodeReel+"/", 1)
		if got[0].Sender != b.ghost("instagram") {
			t.Fatalf("instance %d: answered by %s, want its ghost %s", i, got[0].Sender, b.ghost("instagram"))
		}
		b.settle(t, alice, roomID)
		if n := len(replies(alice, roomID, origID)); n != 1 {
			t.Fatalf("instance %d: %d answers in its room, want 1", i, n)
		}
		for j, other := range e.bridges {
			if n := other.queryInt("SELECT COUNT(*) FROM igbridge_queue_job WHERE event_id=$1", origID); (n == 1) != (i == j) {
				t.Fatalf("instance %d has %d jobs for a link in instance %d's room", j, n, i)
			}
		}
	}
}

// repeatedKey returns a key that a JSON log line has twice at its top level, or "".
func repeatedKey(line string) string {
	dec := json.NewDecoder(strings.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return ""
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		key, _ := tok.(string)
		if seen[key] {
			return key
		}
		seen[key] = true
		var value json.RawMessage
		if dec.Decode(&value) != nil {
			return ""
		}
	}
	return ""
}
