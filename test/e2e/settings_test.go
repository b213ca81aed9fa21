package e2e

import (
	"strings"
	"testing"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/igbridge/igbridge/internal/fakeig"
	"github.com/igbridge/igbridge/internal/tesths"
)

// answerTo sends a command and returns the bot's answer to it: the first notice from the bot
// after the command that is not a reply (link answers and failure notices are replies).
func (e *env) answerTo(t testing.TB, c *tesths.Client, roomID id.RoomID, command string) string {
	t.Helper()
	commandID := c.SendText(t, roomID, command)
	var body string
	c.WaitFor(t, roomID, replyTimeout, func(*event.Event) bool {
		seen := false
		for _, evt := range c.Events(roomID) {
			msg := evt.Content.AsMessage()
			switch {
			case evt.ID == commandID:
				seen = true
			case seen && evt.Sender == e.bot && msg.MsgType == event.MsgNotice && msg.RelatesTo.GetReplyTo() == "":
				body = msg.Body
				return true
			}
		}
		return false
	})
	return body
}

// welcomedRoom is a watched room of owner and the bot, once the bot's welcome (which a room of
// two gets) is in, so that it cannot be taken for a command's answer.
func (e *env) welcomedRoom(t testing.TB, owner *tesths.Client) id.RoomID {
	t.Helper()
	roomID := e.watchedRoom(t, owner)
	owner.WaitFor(t, roomID, replyTimeout, func(evt *event.Event) bool {
		return evt.Sender == e.bot && strings.HasPrefix(evt.Content.AsMessage().Body, "Hello! I answer Instagram links.")
	})
	return roomID
}

// mustAnswer checks that a command's answer is the one line want.
func (e *env) mustAnswer(t testing.TB, c *tesths.Client, roomID id.RoomID, command, want string) {
	t.Helper()
	if got := e.answerTo(t, c, roomID, command); got != want {
		t.Fatalf("%q answered %q, want %q", command, got, want)
	}
}

// setting is a room's stored value of a setting, "" when it has none (the default applies).
func (e *env) setting(roomID id.RoomID, name string) string {
	e.t.Helper()
	return queryValue[string](e.bridge, "SELECT COALESCE(MAX(value), '') FROM igbridge_room_setting WHERE room_id=$1 AND name=$2", roomID, name)
}

// TestRoomSettings: each setting changes the next answer in its room and only there, is stored in
// the database and shown by `settings`; members below the room's state level cannot change them,
// bridge admins can; `get` answers one link where links are not answered as posted, for members
// at network.get_power_level.
func TestRoomSettings(t *testing.T) {
	e := startEnv(t, envOptions{network: map[string]any{"get_power_level": 10}})
	alice := e.hs.RegisterUser(t, "alice") // creates the rooms: power 100
	bob := e.hs.RegisterUser(t, "bob")     // power 0
	carol := e.hs.RegisterUser(t, "carol") // power 10, the level `get` needs here
	admin := e.hs.RegisterUser(t, "admin") // a bridge admin, power 0
	reel := "https://www.instagram.com/reel/" + fakeig.CodeReel + "/"
	const reelText = "Reel caption with #hashtag"

	t.Run("Captions", func(t *testing.T) {
		roomID := e.welcomedRoom(t, alice)
		e.mustAnswer(t, alice, roomID, "!ig set captions off",
			"`captions` is now off: answers carry the account and link, not the post's text.")
		if got := e.setting(roomID, "captions"); got != "off" {
			t.Fatalf("stored captions = %q, want off", got)
		}
		_, got := sendAndWait(t, alice, roomID, reel, 1)
		content := got[0].Content.AsMessage()
		mustContain(t, "body", content.Body, "Instagram (@instagram)")
		mustContain(t, "body", content.Body, reel)
		if strings.Contains(content.Body, reelText) || strings.Contains(content.FormattedBody, reelText) {
			t.Fatalf("captions off, but the answer has the post's text: %q / %q", content.Body, content.FormattedBody)
		}
		// Another room keeps the default.
		other := e.welcomedRoom(t, alice)
		_, got = sendAndWait(t, alice, other, reel, 1)
		mustContain(t, "other room's body", got[0].Content.AsMessage().Body, reelText)

		e.mustAnswer(t, alice, roomID, "!ig set captions default",
			"`captions` is back to the default, on: answers carry the post's text.")
		if got := e.setting(roomID, "captions"); got != "" {
			t.Fatalf("stored captions = %q after the reset, want no row", got)
		}
		_, got = sendAndWait(t, alice, roomID, reel, 1)
		mustContain(t, "body after the reset", got[0].Content.AsMessage().Body, reelText)
	})

	t.Run("MediaOnly", func(t *testing.T) {
		roomID := e.welcomedRoom(t, alice)
		e.mustAnswer(t, alice, roomID, "!ig set mode media", "`mode` is now media: answers are the media alone, without any text.")
		_, got := sendAndWait(t, alice, roomID, reel, 1)
		content := got[0].Content.AsMessage()
		if content.MsgType != event.MsgVideo || content.FileName == "" || content.Body != content.FileName ||
			content.FormattedBody != "" || strings.Contains(content.Body, "instagram") {
			t.Fatalf("media mode answer: %s body %q filename %q formatted %q, want the video with only its file name",
				content.MsgType, content.Body, content.FileName, content.FormattedBody)
		}
		// Without the media, the link is all a too-large answer has.
		_, got = sendAndWait(t, alice, roomID, "https://www.instagram.com/reel/"+fakeig.CodeHuge+"/", 1)
		content = got[0].Content.AsMessage()
		want := "https://www.instagram.com/reel/" + fakeig.CodeHuge + "/"
		if content.MsgType != event.MsgText || !strings.HasPrefix(content.Body, "Too large to upload here: ") ||
			!strings.HasSuffix(content.Body, "\n"+want) || strings.Contains(content.Body, "(@instagram)") {
			t.Fatalf("media mode too-large answer: %s %q", content.MsgType, content.Body)
		}
	})

	t.Run("MaxItems", func(t *testing.T) {
		roomID := e.welcomedRoom(t, alice)
		e.mustAnswer(t, alice, roomID, "!ig set max-items 2", "`max-items` is now 2: at most 2 items of a carousel are posted.")
		carouselID := alice.SendText(t, roomID, "https://www.instagram.com/p/"+fakeig.CodeCarousel+"/")
		// A room's links are answered one after the other: once the next one is, the carousel is done.
		sendAndWait(t, alice, roomID, "https://www.instagram.com/p/"+fakeig.CodeImage+"/", 1)
		got := replies(alice, roomID, carouselID)
		if len(got) != 2 {
			t.Fatalf("%d items of the 3-item carousel posted with max-items 2", len(got))
		}
		mustContain(t, "first item", got[0].Content.AsMessage().Body, "1/3")
		mustContain(t, "second item", got[1].Content.AsMessage().Body, "2/3")
		if n := e.queryInt("SELECT COUNT(*) FROM igbridge_room_setting WHERE room_id=$1 AND name='max-items' AND value='2'", roomID); n != 1 {
			t.Fatalf("max-items rows = %d, want 1", n)
		}
	})

	t.Run("Show", func(t *testing.T) {
		roomID := e.welcomedRoom(t, alice)
		e.answerTo(t, alice, roomID, "!ig set max-items 4")
		e.answerTo(t, alice, roomID, "!ig set auto off")
		got := e.answerTo(t, alice, roomID, "!ig settings")
		for _, line := range []string{
			"* `auto` off (set here): links are answered only with `get <link>`",
			"* `captions` on (default): answers carry the post's text",
			"* `mode` full (default): answers are the media with account, text and link",
			"* `max-items` 4 (set here): at most 4 items of a carousel are posted",
		} {
			mustContain(t, "settings", got, line)
		}
		t.Logf("settings: %q", got)
	})

	t.Run("BadValues", func(t *testing.T) {
		roomID := e.welcomedRoom(t, alice)
		for command, want := range map[string]string{
			"!ig set max-items 11":   "`max-items` is a number from 1 to 10 (or `default`).",
			"!ig set max-items zero": "`max-items` is a number from 1 to 10 (or `default`).",
			"!ig set captions maybe": "`captions` is `on` or `off` (or `default`).",
			"!ig set mode text":      "`mode` is `full` or `media` (or `default`).",
			"!ig set volume 11":      "There is no setting `volume`; the settings are `auto`, `captions`, `mode`, `max-items`.",
			"!ig set captions":       "Usage: `set <setting> <value>`, e.g. `set captions off`; the settings are `auto`, `captions`, `mode`, `max-items`.",
		} {
			e.mustAnswer(t, alice, roomID, command, want)
		}
		if n := e.queryInt("SELECT COUNT(*) FROM igbridge_room_setting WHERE room_id=$1", roomID); n != 0 {
			t.Fatalf("bad values stored %d rows", n)
		}
	})

	t.Run("Permission", func(t *testing.T) {
		roomID := e.roomWithLevels(t, alice, map[*tesths.Client]int{bob: 0, admin: 0})
		e.mustAnswer(t, bob, roomID, "!ig set captions off", "Only room moderators (power level 50 here) and bridge admins can change this.")
		e.mustAnswer(t, bob, roomID, "!ig disable", "Only room moderators (power level 50 here) and bridge admins can change this.")
		if n := e.queryInt("SELECT COUNT(*) FROM igbridge_room_setting WHERE room_id=$1", roomID); n != 0 {
			t.Fatalf("a refused change stored %d rows", n)
		}
		// Anyone may look.
		mustContain(t, "bob's settings", e.answerTo(t, bob, roomID, "!ig settings"), "`captions` on (default)")
		e.mustAnswer(t, admin, roomID, "!ig set captions off", "`captions` is now off: answers carry the account and link, not the post's text.")
		_, got := sendAndWait(t, bob, roomID, reel, 1)
		if body := got[0].Content.AsMessage().Body; strings.Contains(body, reelText) {
			t.Fatalf("the admin's setting did not apply: %q", body)
		}
	})

	t.Run("Get", func(t *testing.T) {
		roomID := e.roomWithLevels(t, alice, map[*tesths.Client]int{bob: 0, carol: 10})
		e.mustAnswer(t, alice, roomID, "!ig set auto off", "`auto` is now off: links are answered only with `get <link>`.")
		plainID := alice.SendText(t, roomID, reel)
		// Asked for with `get`, a link is answered as a reply to the command, from the ghost.
		getID := carol.SendText(t, roomID, "!ig get <https://www.instagram.com/p/"+fakeig.CodeImage+"/>")
		got := waitReplies(t, alice, roomID, getID, 1)
		if got[0].Sender != ghostID("nasa") || got[0].Content.AsMessage().MsgType != event.MsgImage {
			t.Fatalf("get answered with %s from %s, want an image from the ghost", got[0].Content.AsMessage().MsgType, got[0].Sender)
		}
		// The plain link was posted before the command and its room is answered in order, yet
		// it was never queued nor answered.
		e.settle(t, alice, roomID)
		if n := e.queryInt("SELECT COUNT(*) FROM igbridge_queue_job WHERE event_id=$1", plainID); n != 0 {
			t.Fatalf("a plain link in an auto-off room was queued (%d jobs)", n)
		}
		if n := len(replies(alice, roomID, plainID)); n != 0 {
			t.Fatalf("a plain link in an auto-off room got %d replies", n)
		}

		e.mustAnswer(t, bob, roomID, "!ig get "+reel, "Only members with power level 10 or more and bridge admins can use `get` here.")
		e.mustAnswer(t, carol, roomID, "!ig get https://example.com/p/"+fakeig.CodeReel+"/", "That is not a link to an Instagram post.")
		e.mustAnswer(t, carol, roomID, "!ig get", "Usage: `get <link>`, with one Instagram link.")
		// get follows the room's other settings too.
		e.mustAnswer(t, alice, roomID, "!ig set mode media", "`mode` is now media: answers are the media alone, without any text.")
		_, got = sendAndWait(t, alice, roomID, "!ig get "+reel, 1)
		if content := got[0].Content.AsMessage(); content.Body != content.FileName {
			t.Fatalf("get in a media-only room answered with the caption %q", content.Body)
		}
		// The room's jobs run in order, so the first get's job has finished by now.
		if n := e.queryInt("SELECT COUNT(*) FROM igbridge_queue_job WHERE event_id=$1 AND sender=$2 AND state='done'", getID, carol.UserID); n != 1 {
			t.Fatalf("the get command's job rows = %d, want 1 done", n)
		}
	})
}
