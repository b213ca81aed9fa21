package tesths

import (
	"context"
	"fmt"
	"strings"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// roomLog is the timeline of one room as the client saw it, in sync order.
type roomLog struct {
	entries []*logEntry
	byID    map[id.EventID]*logEntry
}

type logEntry struct {
	evt *event.Event
	// pending marks an m.room.encrypted event that the crypto helper is still
	// working on: it is hidden from waiters so that they see the decrypted
	// event, not a transient ciphertext.
	pending bool
}

// record is the sync handler. It runs for every event the syncer
// dispatches, including decrypted events dispatched again by the crypto
// helper.
func (c *Client) record(_ context.Context, evt *event.Event) {
	if evt.RoomID == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	changed := false
	if evt.Type == event.StateMember && evt.StateKey != nil {
		changed = c.recordMembershipLocked(evt) || changed
	}
	if evt.Mautrix.EventSource&event.SourceTimeline != 0 && evt.ID != "" {
		changed = c.recordTimelineLocked(evt) || changed
	}
	if changed {
		c.broadcastLocked()
	}
}

func (c *Client) recordMembershipLocked(evt *event.Event) bool {
	membership := membershipOf(evt)
	if membership == "" {
		return false
	}
	room := c.members[evt.RoomID]
	if room == nil {
		room = make(map[id.UserID]event.Membership)
		c.members[evt.RoomID] = room
	}
	user := id.UserID(*evt.StateKey)
	if room[user] == membership {
		return false
	}
	room[user] = membership
	return true
}

func membershipOf(evt *event.Event) event.Membership {
	if mc, ok := evt.Content.Parsed.(*event.MemberEventContent); ok {
		return mc.Membership
	}
	if m, ok := evt.Content.Raw["membership"].(string); ok {
		return event.Membership(m)
	}
	return ""
}

func (c *Client) recordTimelineLocked(evt *event.Event) bool {
	log := c.rooms[evt.RoomID]
	if log == nil {
		log = &roomLog{byID: make(map[id.EventID]*logEntry)}
		c.rooms[evt.RoomID] = log
	}
	decrypted := evt.Mautrix.EventSource&event.SourceDecrypted != 0
	if old, ok := log.byID[evt.ID]; ok {
		// Seen before (a re-sync, or the ciphertext of this plaintext):
		// only a decryption replaces the entry, in place, keeping the order.
		if !decrypted || old.evt.Mautrix.WasEncrypted {
			return false
		}
		old.evt = evt
		old.pending = false
		return true
	}
	entry := &logEntry{
		evt:     evt,
		pending: c.crypto != nil && evt.Type == event.EventEncrypted,
	}
	log.entries = append(log.entries, entry)
	log.byID[evt.ID] = entry
	return true
}

// decryptFailed is the crypto helper's DecryptErrorCallback: the ciphertext
// becomes visible, and the error is listed when a wait times out.
func (c *Client) decryptFailed(evt *event.Event, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if log := c.rooms[evt.RoomID]; log != nil {
		if entry := log.byID[evt.ID]; entry != nil {
			if !entry.pending {
				return // already decrypted, e.g. seen again after a re-sync
			}
			entry.pending = false
		}
	}
	c.problems = append(c.problems, fmt.Sprintf("failed to decrypt %s in %s from %s: %v", evt.ID, evt.RoomID, evt.Sender, err))
	c.broadcastLocked()
}

// Events returns the timeline events seen so far in a room, oldest first.
// Decrypted events stand in place of their m.room.encrypted originals
// (evt.Mautrix.WasEncrypted is true for them).
func (c *Client) Events(roomID id.RoomID) []*event.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.eventsLocked(roomID)
}

func (c *Client) eventsLocked(roomID id.RoomID) []*event.Event {
	log := c.rooms[roomID]
	if log == nil {
		return nil
	}
	out := make([]*event.Event, 0, len(log.entries))
	for _, e := range log.entries {
		if !e.pending {
			out = append(out, e.evt)
		}
	}
	return out
}

// Membership returns the latest membership of user in roomID seen by the
// sync loop, or "" if none was seen.
func (c *Client) Membership(roomID id.RoomID, user id.UserID) event.Membership {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.members[roomID][user]
}

// describeLocked lists what the client saw in a room, for failure messages.
func (c *Client) describeLocked(roomID id.RoomID) string {
	var b strings.Builder
	fmt.Fprintf(&b, "timeline of %s as seen by %s:\n", roomID, c.UserID)
	log := c.rooms[roomID]
	if log == nil || len(log.entries) == 0 {
		b.WriteString("  (no events)\n")
	} else {
		for _, e := range log.entries {
			b.WriteString("  " + describeEvent(e.evt))
			if e.pending {
				b.WriteString(" [still decrypting]")
			} else if e.evt.Mautrix.WasEncrypted {
				b.WriteString(" [decrypted]")
			}
			b.WriteByte('\n')
		}
	}
	if members := c.members[roomID]; len(members) > 0 {
		b.WriteString("memberships:")
		for user, m := range members {
			fmt.Fprintf(&b, " %s=%s", user, m)
		}
		b.WriteByte('\n')
	}
	for _, p := range c.problems {
		b.WriteString("problem: " + p + "\n")
	}
	return b.String()
}

func describeEvent(evt *event.Event) string {
	s := fmt.Sprintf("%s %s from %s", evt.ID, evt.Type.Type, evt.Sender)
	if evt.StateKey != nil {
		s += fmt.Sprintf(" state_key=%q", *evt.StateKey)
	}
	if m, ok := evt.Content.Raw["membership"].(string); ok {
		s += " membership=" + m
	}
	if mt, ok := evt.Content.Raw["msgtype"].(string); ok {
		s += " " + mt
	}
	if body, ok := evt.Content.Raw["body"].(string); ok {
		if len(body) > 200 {
			body = body[:200] + "…"
		}
		s += fmt.Sprintf(" body=%q", body)
	}
	return s
}
