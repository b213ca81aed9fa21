package tesths

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// Appservice deliveries can be seconds late on Dendrite (D1): wait long, but
// never sleep.
const waitTimeout = 15 * time.Second

func TestMessagingMediaAndRestart(t *testing.T) {
	t.Parallel()
	hs := Start(t, Options{})
	alice := hs.RegisterUser(t, "alice")
	bob := hs.RegisterUser(t, "bob")
	if alice.UserID != "@alice:localhost" || bob.UserID != "@bob:localhost" {
		t.Fatalf("unexpected user IDs %s, %s", alice.UserID, bob.UserID)
	}

	room := alice.NewRoom(t, bob.UserID)
	bob.WaitForMembership(t, room, bob.UserID, event.MembershipInvite, waitTimeout)
	bob.Join(t, room)
	alice.WaitForMembership(t, room, bob.UserID, event.MembershipJoin, waitTimeout)

	sent := alice.SendText(t, room, "hello bob")
	got := bob.WaitFor(t, room, waitTimeout, IsText(alice.UserID, "hello bob"))
	if got.ID != sent || got.Sender != alice.UserID {
		t.Fatalf("bob saw %s from %s, want %s from %s", got.ID, got.Sender, sent, alice.UserID)
	}
	if n := len(bob.Events(room)); n < 2 {
		t.Fatalf("bob's log of the room has %d events, want the join and the message at least", n)
	}

	before := hs.MediaFileCount(t)
	data := bytes.Repeat([]byte("igbridge media "), 1000)
	uri := alice.Upload(t, data, "application/octet-stream", "blob.bin")
	if after := hs.MediaFileCount(t); after != before+1 {
		t.Fatalf("media file count went from %d to %d after one upload", before, after)
	}
	if back := bob.DownloadMedia(t, uri); !bytes.Equal(back, data) {
		t.Fatalf("downloaded %d bytes, want the %d uploaded", len(back), len(data))
	}

	// A second device of alice sees the room's history too.
	alice2 := hs.LoginUser(t, "alice")
	if alice2.DeviceID == alice.DeviceID {
		t.Fatalf("second login reused device %s", alice.DeviceID)
	}
	alice2.WaitFor(t, room, waitTimeout, IsText(alice.UserID, "hello bob"))

	hs.Stop(t)
	hs.Restart(t)
	alice.SendText(t, room, "after restart")
	bob.WaitFor(t, room, waitTimeout, IsText(alice.UserID, "after restart"))
	bob.SendText(t, room, "still here")
	alice.WaitFor(t, room, waitTimeout, IsText(bob.UserID, "still here"))
	if back := alice.DownloadMedia(t, uri); !bytes.Equal(back, data) {
		t.Fatal("media changed across the restart")
	}
}

func TestEncryptedRoom(t *testing.T) {
	t.Parallel()
	hs := Start(t, Options{})
	alice := hs.RegisterUser(t, "alice")
	bob := hs.RegisterUser(t, "bob")
	alice.EnableCrypto(t)
	bob.EnableCrypto(t)

	room := alice.CreateEncryptedRoom(t, bob.UserID)
	bob.WaitForMembership(t, room, bob.UserID, event.MembershipInvite, waitTimeout)
	bob.Join(t, room)
	alice.WaitForMembership(t, room, bob.UserID, event.MembershipJoin, waitTimeout)

	sent := alice.SendText(t, room, "secret")
	got := bob.WaitFor(t, room, waitTimeout, IsText(alice.UserID, "secret"))
	if got.ID != sent || !got.Mautrix.WasEncrypted {
		t.Fatalf("bob saw %s (was encrypted: %v), want decrypted %s", got.ID, got.Mautrix.WasEncrypted, sent)
	}
	for _, evt := range bob.Events(room) {
		if evt.Type == event.EventEncrypted {
			t.Fatalf("an undecrypted event is left in bob's log: %s", describeEvent(evt))
		}
	}

	// A client without crypto sees only ciphertext, which proves that the
	// message really went out encrypted.
	eve := hs.RegisterUser(t, "eve")
	alice.Invite(t, room, eve.UserID)
	eve.WaitForMembership(t, room, eve.UserID, event.MembershipInvite, waitTimeout)
	eve.Join(t, room)
	alice.WaitForMembership(t, room, eve.UserID, event.MembershipJoin, waitTimeout)
	alice.SendText(t, room, "for eve too")
	eve.WaitFor(t, room, waitTimeout, func(evt *event.Event) bool {
		return evt.Type == event.EventEncrypted && evt.Sender == alice.UserID
	})
	bob.WaitFor(t, room, waitTimeout, IsText(alice.UserID, "for eve too"))
}

const testRegistration = `id: ig-bridge
url: @URL@
as_token: as_token_for_tests_0123456789
hs_token: hs_token_for_tests_0123456789
sender_localpart: ig-bot
rate_limited: false
namespaces:
  users:
    - exclusive: true
      regex: "^@ig_.*:localhost$"
    - exclusive: true
      regex: "^@ig-bot:localhost$"
  aliases: []
  rooms: []
`

func TestAppserviceRegistrationLoaded(t *testing.T) {
	t.Parallel()
	txns := make(chan []*event.Event, 16)
	// The AS listener is up before the homeserver starts: Dendrite backs off
	// for a long time after a failed delivery (D2).
	as := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut || !strings.HasPrefix(r.URL.Path, "/_matrix/app/v1/transactions/") {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"errcode":"M_NOT_FOUND"}`))
			return
		}
		if r.Header.Get("Authorization") != "Bearer hs_token_for_tests_0123456789" {
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"errcode":"M_FORBIDDEN"}`))
			return
		}
		var body struct {
			Events []*event.Event `json:"events"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		txns <- body.Events
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(as.Close)

	hs := Start(t, Options{Registrations: [][]byte{[]byte(strings.ReplaceAll(testRegistration, "@URL@", as.URL))}})
	alice := hs.RegisterUser(t, "alice")
	bot := id.NewUserID("ig-bot", hs.ServerName)
	room := alice.NewRoom(t, bot)

	timeout := time.NewTimer(waitTimeout)
	defer timeout.Stop()
	var seen []string
	for {
		select {
		case events := <-txns:
			for _, evt := range events {
				seen = append(seen, describeEvent(evt))
				if evt.RoomID == room && evt.Type == event.StateMember && evt.GetStateKey() == bot.String() {
					return
				}
			}
		case <-timeout.C:
			t.Fatalf("no transaction with the invite of %s reached the appservice within %v; events seen: %q", bot, waitTimeout, seen)
		}
	}
}

func TestBinaryMissing(t *testing.T) {
	t.Setenv(EnvBinary, "/nonexistent/dendrite")
	_, err := Binary()
	if err == nil || !strings.Contains(err.Error(), "make test") {
		t.Fatalf("Binary() error = %v, want one pointing to `make test`", err)
	}
}
