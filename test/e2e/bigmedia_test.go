package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/igbridge/igbridge/internal/fakeig"
	"github.com/igbridge/igbridge/internal/tesths"
)

// encryptedRoom makes an encrypted room that the bridge has joined.
func (e *env) encryptedRoom(t *testing.T, owner *tesths.Client) id.RoomID {
	t.Helper()
	owner.EnableCrypto(t)
	roomID := owner.CreateEncryptedRoom(t)
	owner.Invite(t, roomID, e.bot)
	owner.WaitForMembership(t, roomID, e.bot, event.MembershipJoin, replyTimeout)
	return roomID
}

// TestBigMediaStreams: files above upload_file_threshold go straight from the CDN (or the merged
// file) to the homeserver, encrypted on the way in encrypted rooms; the homeserver gets exactly
// the bytes, and a download cut short fails the link as Instagram's fault, not the homeserver's.
func TestBigMediaStreams(t *testing.T) {
	t.Run("Plain", func(t *testing.T) {
		e := startEnv(t, envOptions{maxUpload: 64 << 20})
		alice := e.hs.RegisterUser(t, "alice")
		roomID := e.watchedRoom(t, alice)
		fixture, _ := e.ig.Fixture(fakeig.BigVideoCode(0))
		_, got := sendAndWait(t, alice, roomID, fakeig.ReelURL(fakeig.BigVideoCode(0)), 1)
		e.checkMedia(t, alice, got[0], fixture.Items[0].MediaURL)
	})

	t.Run("Encrypted", func(t *testing.T) {
		e := startEnv(t, envOptions{maxUpload: 64 << 20})
		alice := e.hs.RegisterUser(t, "alice")
		roomID := e.encryptedRoom(t, alice)
		fixture, _ := e.ig.Fixture(fakeig.BigVideoCode(1))
		_, got := sendAndWait(t, alice, roomID, fakeig.ReelURL(fakeig.BigVideoCode(1)), 1)
		if content := got[0].Content.AsMessage(); !got[0].Mautrix.WasEncrypted || content.File == nil || content.MsgType != event.MsgVideo {
			t.Fatalf("got %s (file %v, encrypted %v), want an encrypted m.video", content.MsgType, content.File, got[0].Mautrix.WasEncrypted)
		}
		e.checkMedia(t, alice, got[0], fixture.Items[0].MediaURL)
	})

	t.Run("MergedEncrypted", func(t *testing.T) {
		sizes := fakeig.RealMediaOf(t, fakeig.CodeBigDash)
		pair := sizes["DashVideo"] + sizes["DashAudio"]
		limit := (pair + pair/20 + sizes["P720"]) / 2
		e := startEnv(t, envOptions{maxUpload: limit})
		alice := e.hs.RegisterUser(t, "alice")
		roomID := e.encryptedRoom(t, alice)
		_, got := sendAndWait(t, alice, roomID, fakeig.ReelURL(fakeig.CodeBigDash), 1)
		content := got[0].Content.AsMessage()
		if content.MsgType != event.MsgVideo || content.File == nil {
			t.Fatalf("got %s (%q, file %v), want an encrypted m.video", content.MsgType, content.Body, content.File)
		}
		data := alice.DownloadMedia(t, content.File.URL)
		if err := content.File.DecryptInPlace(data); err != nil {
			t.Fatalf("failed to decrypt the merged video: %v", err)
		}
		if int64(len(data)) < pair || int64(len(data)) > limit || content.Info.Size != len(data) {
			t.Fatalf("merged video of %d bytes (info %d), want the pair's %d and at most %d", len(data), content.Info.Size, pair, limit)
		}
		path := filepath.Join(t.TempDir(), "merged.mp4")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		p := ffprobe(t, path)
		p.check(t, 1280, 720)
		if d := p.duration(t); d < fakeig.BigRealDuration-0.5 || d > fakeig.BigRealDuration+0.5 {
			t.Fatalf("merged duration %.2f s, want %.0f s", d, fakeig.BigRealDuration)
		}
		assertNoTempFiles(t, e)
	})

	t.Run("DownloadCut", func(t *testing.T) {
		e := startEnv(t, envOptions{maxUpload: 64 << 20, network: map[string]any{"media": map[string]any{"timeout": "2s"}}})
		alice := e.hs.RegisterUser(t, "alice")
		roomID := e.watchedRoom(t, alice)
		fixture, _ := e.ig.Fixture(fakeig.BigVideoCode(2))
		mediaPath := pathOf(t, fixture.Items[0].MediaURL)
		// Half the file, then nothing: each attempt's download times out mid-upload.
		defer e.ig.Hold(mediaPath, true)()
		_, got := sendAndWait(t, alice, roomID, fakeig.ReelURL(fakeig.BigVideoCode(2)), 1)
		content := got[0].Content.AsMessage()
		if content.MsgType != event.MsgNotice || !strings.HasPrefix(content.Body, "Instagram took too long to answer") {
			t.Fatalf("got %s %q, want the timeout notice", content.MsgType, content.Body)
		}
		if n := e.ig.CountRequests("cdninstagram.com", mediaPath); n != 3 {
			t.Fatalf("the video was requested %d times, want once per attempt (3)", n)
		}
	})
}
