package e2e

import (
	"testing"

	"maunium.net/go/mautrix/event"

	"github.com/igbridge/igbridge/internal/fakeig"
)

// TestEncryptedRoom: the bridge decrypts the link and answers with encrypted media.
func TestEncryptedRoom(t *testing.T) {
	e := startEnv(t, envOptions{})
	alice := e.hs.RegisterUser(t, "alice")
	alice.EnableCrypto(t)
	roomID := alice.CreateEncryptedRoom(t)
	alice.Invite(t, roomID, e.bot)
	alice.WaitForMembership(t, roomID, e.bot, event.MembershipJoin, replyTimeout)
	fixture, _ := e.ig.Fixture(fakeig.CodeReel)
	_, got := sendAndWait(t, alice, roomID, "https://www.instagram.com/reel/"+fakeig.CodeReel+"/", 1)
	evt := got[0]
	if !evt.Mautrix.WasEncrypted {
		t.Fatalf("the answer in an encrypted room was not encrypted")
	}
	content := evt.Content.AsMessage()
	if evt.Sender != ghostID("instagram") || content.MsgType != event.MsgVideo || content.File == nil {
		t.Fatalf("got %s from %s (file %v), want an encrypted m.video from the ghost", content.MsgType, evt.Sender, content.File)
	}
	e.checkMedia(t, alice, evt, fixture.Items[0].MediaURL)
}
