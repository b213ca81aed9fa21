package queue

import (
	"errors"
	"testing"

	"go.mau.fi/util/dbutil"
	"maunium.net/go/mautrix/id"

	"github.com/igbridge/igbridge/internal/fakeclock"
)

func TestAddDuplicate(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *dbutil.Database) {
		q := newQueue(t, db, Config{Clock: fakeclock.New()}, newRecorder().handle)
		job := Job{RoomID: "!r:example.org", EventID: "$e", Sender: "@u:example.org", LinkKey: "post:A", LinkURL: "https://www.instagram.com/p/A/"}
		first := mustAdd(t, q, job)
		jobID, added, err := q.Add(testCtx(t), job)
		if err != nil || added || jobID != first {
			t.Errorf("second Add = %d, %v, %v; want %d, false, nil", jobID, added, err, first)
		}
		// Another link in the same message is another job.
		other := job
		other.LinkKey = "post:B"
		if second := mustAdd(t, q, other); second == first {
			t.Errorf("second link got the first link's job %d", first)
		}
		if c := mustCounts(t, q); c.Pending != 2 {
			t.Errorf("%d pending jobs, want 2", c.Pending)
		}
	})
}

func TestAddCaps(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *dbutil.Database) {
		clock := fakeclock.New()
		rec := newRecorder()
		q := newQueue(t, db, Config{MaxPendingPerRoom: 3, MaxPendingPerUser: 2, Clock: clock}, rec.handle)
		const room, otherRoom id.RoomID = "!r:example.org", "!s:example.org"
		n := 0
		add := func(room id.RoomID, sender id.UserID) (int64, error) {
			n++
			jobID, _, err := q.Add(testCtx(t), Job{
				RoomID: room, EventID: id.EventID("$" + string(rune('a'+n))), Sender: sender,
				LinkKey: "post:A", LinkURL: "https://www.instagram.com/p/A/",
			})
			return jobID, err
		}
		mustNot := func(err, want error) {
			t.Helper()
			if !errors.Is(err, want) {
				t.Fatalf("Add over the cap: error %v, want %v", err, want)
			}
		}
		first, err := add(room, "@u:example.org")
		if err != nil {
			t.Fatal(err)
		}
		if _, err = add(room, "@u:example.org"); err != nil {
			t.Fatal(err)
		}
		_, err = add(room, "@u:example.org")
		mustNot(err, ErrUserFull)
		// The user cap counts all rooms.
		_, err = add(otherRoom, "@u:example.org")
		mustNot(err, ErrUserFull)
		if _, err = add(room, "@v:example.org"); err != nil {
			t.Fatal(err)
		}
		_, err = add(room, "@w:example.org")
		mustNot(err, ErrRoomFull)
		// A duplicate is reported as one, not as over the cap.
		if jobID, added, err := q.Add(testCtx(t), Job{RoomID: room, EventID: "$b", Sender: "@u:example.org", LinkKey: "post:A"}); err != nil || added || jobID != first {
			t.Errorf("duplicate Add at the cap = %d, %v, %v; want %d, false, nil", jobID, added, err, first)
		}

		// A running job still counts; a finished one does not.
		start(t, q)
		running := rec.next(t)
		_, err = add(room, "@w:example.org")
		mustNot(err, ErrRoomFull)
		rec.finish(running.ID, Result{Outcome: Done})
		next := rec.next(t) // the first job's outcome is recorded before the next starts
		if _, err = add(room, "@w:example.org"); err != nil {
			t.Errorf("Add after a job finished: %v", err)
		}
		rec.finish(next.ID, Result{Outcome: Done})
		rec.next(t)
		if _, err = add(otherRoom, "@u:example.org"); err != nil {
			t.Errorf("Add after the user's jobs finished: %v", err)
		}
	})
}
