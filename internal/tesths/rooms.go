package tesths

import (
	"testing"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// NewRoom creates a private, unencrypted room and invites the given users.
func (c *Client) NewRoom(t testing.TB, invite ...id.UserID) id.RoomID {
	t.Helper()
	return c.createRoom(t, &mautrix.ReqCreateRoom{Preset: "private_chat", Invite: invite})
}

func (c *Client) createRoom(t testing.TB, req *mautrix.ReqCreateRoom) id.RoomID {
	t.Helper()
	ctx, cancel := requestContext()
	defer cancel()
	resp, err := c.CreateRoom(ctx, req)
	if err != nil {
		t.Fatalf("tesths: %s failed to create a room: %v", c.UserID, err)
	}
	return resp.RoomID
}

// Join joins roomID (accepting an invite).
func (c *Client) Join(t testing.TB, roomID id.RoomID) {
	t.Helper()
	ctx, cancel := requestContext()
	defer cancel()
	if _, err := c.JoinRoomByID(ctx, roomID); err != nil {
		t.Fatalf("tesths: %s failed to join %s: %v", c.UserID, roomID, err)
	}
}

// Invite invites user to roomID.
func (c *Client) Invite(t testing.TB, roomID id.RoomID, user id.UserID) {
	t.Helper()
	ctx, cancel := requestContext()
	defer cancel()
	if _, err := c.InviteUser(ctx, roomID, &mautrix.ReqInviteUser{UserID: user}); err != nil {
		t.Fatalf("tesths: %s failed to invite %s to %s: %v", c.UserID, user, roomID, err)
	}
}

// SendText sends an m.text message (encrypted if crypto is enabled and the
// room is encrypted) and returns its event ID.
func (c *Client) SendText(t testing.TB, roomID id.RoomID, body string) id.EventID {
	t.Helper()
	return c.SendContent(t, roomID, &event.MessageEventContent{MsgType: event.MsgText, Body: body})
}

// SendContent sends an m.room.message with the given content and returns its
// event ID.
func (c *Client) SendContent(t testing.TB, roomID id.RoomID, content *event.MessageEventContent) id.EventID {
	t.Helper()
	ctx, cancel := requestContext()
	defer cancel()
	resp, err := c.SendMessageEvent(ctx, roomID, event.EventMessage, content)
	if err != nil {
		t.Fatalf("tesths: %s failed to send to %s: %v", c.UserID, roomID, err)
	}
	return resp.EventID
}
