package tesths

import (
	"testing"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// WaitFor waits up to timeout for a timeline event in roomID for which
// match returns true, looking at events already seen too, and returns it.
// On timeout it fails the test, listing what was seen. match runs without
// the client's lock held, on the test's goroutine.
func (c *Client) WaitFor(t testing.TB, roomID id.RoomID, timeout time.Duration, match func(*event.Event) bool) *event.Event {
	t.Helper()
	var found *event.Event
	ok := c.waitUntil(timeout, func() bool {
		for _, evt := range c.Events(roomID) {
			if match(evt) {
				found = evt
				return true
			}
		}
		return false
	})
	if !ok {
		c.mu.Lock()
		desc := c.describeLocked(roomID)
		c.mu.Unlock()
		t.Fatalf("tesths: %s saw no matching event in %s within %v; %s", c.UserID, roomID, timeout, desc)
	}
	return found
}

// WaitForMembership waits until user has the given membership in roomID,
// as seen in the sync stream (state, timeline or invite state).
func (c *Client) WaitForMembership(t testing.TB, roomID id.RoomID, user id.UserID, membership event.Membership, timeout time.Duration) {
	t.Helper()
	ok := c.waitUntil(timeout, func() bool {
		return c.Membership(roomID, user) == membership
	})
	if !ok {
		c.mu.Lock()
		desc := c.describeLocked(roomID)
		c.mu.Unlock()
		t.Fatalf("tesths: %s did not see %s with membership %q in %s within %v; %s", c.UserID, user, membership, roomID, timeout, desc)
	}
}

// waitUntil re-evaluates cond each time the sync loop records something,
// until it holds or timeout passes.
func (c *Client) waitUntil(timeout time.Duration, cond func() bool) bool {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		// Take the channel before checking, so a change in between wakes us.
		c.mu.Lock()
		changed := c.changed
		c.mu.Unlock()
		if cond() {
			return true
		}
		select {
		case <-changed:
		case <-timer.C:
			return cond()
		}
	}
}

// IsText returns a matcher for an m.room.message from sender with this body.
func IsText(sender id.UserID, body string) func(*event.Event) bool {
	return func(evt *event.Event) bool {
		if evt.Type != event.EventMessage || evt.Sender != sender {
			return false
		}
		b, _ := evt.Content.Raw["body"].(string)
		return b == body
	}
}
