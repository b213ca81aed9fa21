package queue

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"go.mau.fi/util/dbutil"
	"maunium.net/go/mautrix/id"

	"github.com/igbridge/igbridge/internal/fakeclock"
)

func inboxEvent(eventID id.EventID) InboxEvent {
	return InboxEvent{EventID: eventID, RoomID: "!r:example.org", Raw: json.RawMessage(`{"event_id":"` + eventID + `"}`)}
}

func mustReceive(t testing.TB, q *Queue, events ...InboxEvent) []id.EventID {
	t.Helper()
	added, err := q.Receive(testCtx(t), events)
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	return added
}

func mustUnhandled(t testing.TB, q *Queue) ([]id.EventID, int) {
	t.Helper()
	events, abandoned, err := q.Unhandled(testCtx(t))
	if err != nil {
		t.Fatalf("Unhandled: %v", err)
	}
	var ids []id.EventID
	for _, evt := range events {
		if want := inboxEvent(evt.EventID); string(evt.Raw) != string(want.Raw) || evt.RoomID != want.RoomID {
			t.Errorf("replayed %+v, want %+v", evt, want)
		}
		ids = append(ids, evt.EventID)
	}
	return ids, abandoned
}

// TestInbox: events are kept once however often a transaction comes, handled ones are not
// replayed, unhandled ones are replayed in the order received, and at most MaxReplays times.
func TestInbox(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *dbutil.Database) {
		ctx := testCtx(t)
		q := newQueue(t, db, Config{Clock: fakeclock.New()}, newRecorder().handle)
		if added := mustReceive(t, q, inboxEvent("$b"), inboxEvent("$a"), inboxEvent("$c")); !slices.Equal(added, []id.EventID{"$b", "$a", "$c"}) {
			t.Fatalf("first transaction added %v", added)
		}
		if err := q.Handled(ctx, "$a"); err != nil {
			t.Fatal(err)
		}
		// The homeserver sends the transaction again, with one more event: only that one is new,
		// and the handled event stays handled.
		if added := mustReceive(t, q, inboxEvent("$b"), inboxEvent("$a"), inboxEvent("$c"), inboxEvent("$d")); !slices.Equal(added, []id.EventID{"$d"}) {
			t.Fatalf("resent transaction added %v, want only $d", added)
		}
		ids, abandoned := mustUnhandled(t, q)
		if !slices.Equal(ids, []id.EventID{"$b", "$c", "$d"}) || abandoned != 0 {
			t.Fatalf("first start replays %v (abandoned %d), want $b $c $d in order", ids, abandoned)
		}
		for _, eventID := range []id.EventID{"$c", "$c"} { // twice is no error
			if err := q.Handled(ctx, eventID); err != nil {
				t.Fatal(err)
			}
		}
		for start := 2; start <= MaxReplays; start++ {
			if ids, abandoned = mustUnhandled(t, q); !slices.Equal(ids, []id.EventID{"$b", "$d"}) || abandoned != 0 {
				t.Fatalf("start %d replays %v (abandoned %d), want $b $d", start, ids, abandoned)
			}
		}
		// $b and $d never got handled: the next start gives them up.
		if ids, abandoned = mustUnhandled(t, q); len(ids) != 0 || abandoned != 2 {
			t.Fatalf("start %d replays %v (abandoned %d), want none and 2 given up", MaxReplays+1, ids, abandoned)
		}
		if added := mustReceive(t, q, inboxEvent("$b")); len(added) != 0 {
			t.Fatalf("a given-up event was taken again: %v", added)
		}
	})
}

// TestInboxForgetsHandled: handled events are deleted a day after, when later transactions come.
func TestInboxForgetsHandled(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *dbutil.Database) {
		ctx := testCtx(t)
		clock := fakeclock.New()
		q := newQueue(t, db, Config{Clock: clock}, newRecorder().handle)
		mustReceive(t, q, inboxEvent("$old"), inboxEvent("$open"))
		if err := q.Handled(ctx, "$old"); err != nil {
			t.Fatal(err)
		}
		clock.Advance(inboxKeep + time.Minute)
		mustReceive(t, q, inboxEvent("$new"))
		var n int
		if err := q.db.QueryRow(ctx, "SELECT COUNT(*) FROM igbridge_queue_inbox").Scan(&n); err != nil {
			t.Fatal(err)
		} else if n != 2 {
			t.Fatalf("%d inbox rows, want 2 ($open and $new)", n)
		}
		// Forgotten, the event would be taken again if the homeserver sent it now.
		if added := mustReceive(t, q, inboxEvent("$old")); !slices.Equal(added, []id.EventID{"$old"}) {
			t.Fatalf("added %v", added)
		}
	})
}
