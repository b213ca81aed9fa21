package connector

import (
	"testing"
	"time"

	"maunium.net/go/mautrix/id"
)

func TestOverCapNoticesOncePerMinute(t *testing.T) {
	var n overCapNotices
	start := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	room, other := id.RoomID("!a:localhost"), id.RoomID("!b:localhost")
	alice, bob := id.UserID("@alice:localhost"), id.UserID("@bob:localhost")
	steps := []struct {
		room   id.RoomID
		sender id.UserID
		after  time.Duration
		want   bool
	}{
		{room, alice, 0, true},
		{room, alice, time.Second, false},
		{room, alice, 59 * time.Second, false},
		{room, bob, 59 * time.Second, true},
		{other, alice, 59 * time.Second, true},
		{room, alice, time.Minute, true},
		{room, alice, time.Minute + time.Second, false},
	}
	for i, step := range steps {
		if got := n.allow(step.room, step.sender, start.Add(step.after)); got != step.want {
			t.Fatalf("step %d (%s in %s at +%s): allowed %v, want %v", i, step.sender, step.room, step.after, got, step.want)
		}
	}
	// Only the last minute's senders are kept: alice's first entries in other rooms expired.
	n.allow(room, bob, start.Add(3*time.Minute))
	if len(n.last) != 1 {
		t.Fatalf("%d entries kept after every other one expired, want 1", len(n.last))
	}
}
