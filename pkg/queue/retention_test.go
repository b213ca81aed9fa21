package queue

import (
	"testing"
	"time"

	"go.mau.fi/util/dbutil"
	mxid "maunium.net/go/mautrix/id"

	"github.com/igbridge/igbridge/internal/fakeclock"
)

func TestPruneKeepsTotals(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *dbutil.Database) {
		clock := fakeclock.New()
		rec := newRecorder()
		q := newQueue(t, db, Config{Clock: clock, Retention: time.Hour}, rec.handle)
		ctx := testCtx(t)
		roomR, roomS := Job{RoomID: "!r:example.org", Sender: "@u:example.org"}, Job{RoomID: "!s:example.org", Sender: "@v:example.org"}
		job := func(room Job, eventID, linkKey string) int64 {
			room.EventID, room.LinkKey = mxid.EventID(eventID), linkKey
			return mustAdd(t, q, room)
		}
		done := job(roomR, "$done", "post:A")
		failed := job(roomS, "$failed", "post:B")
		start(t, q)
		rec.next(t)
		rec.next(t)
		if err := q.RecordReply(ctx, &Job{ID: done, RoomID: roomR.RoomID, EventID: "$done"}, 0, "$answer", "@ig_a:example.org"); err != nil {
			t.Fatal(err)
		}
		job(roomR, "$cancelled", "post:C")
		if n, err := q.Cancel(ctx, roomR.RoomID, "$cancelled"); err != nil || n != 1 {
			t.Fatalf("Cancel = %d, %v; want 1 job", n, err)
		}
		// A room's next job starts once the outcome of the one before is recorded.
		recentR, recentS := job(roomR, "$recent1", "post:D"), job(roomS, "$recent2", "post:E")
		rec.finish(done, Result{Outcome: Done})
		rec.finish(failed, Result{Outcome: Failed, ErrorClass: "not_found"})
		rec.next(t)
		rec.next(t)
		clock.Advance(time.Hour)
		rec.finish(recentR, Result{Outcome: Done})
		rec.finish(recentS, Result{Outcome: Done})
		stop(t, q)
		clock.Advance(time.Millisecond)

		n, err := q.Prune(ctx)
		if err != nil || n != 3 {
			t.Fatalf("Prune = %d, %v; want the 3 jobs that ended over an hour ago", n, err)
		}
		var jobs, replies int
		if err = db.QueryRow(ctx, "SELECT COUNT(*) FROM igbridge_queue_job").Scan(&jobs); err != nil {
			t.Fatal(err)
		}
		if err = db.QueryRow(ctx, "SELECT COUNT(*) FROM igbridge_queue_reply").Scan(&replies); err != nil {
			t.Fatal(err)
		}
		if jobs != 2 || replies != 0 {
			t.Errorf("after Prune: %d jobs and %d replies, want the 2 recent jobs and no replies", jobs, replies)
		}
		want := Counts{Done: 3, Failed: 1, Cancelled: 1, RecentTotal: 2}
		if c := mustCounts(t, q); c != want {
			t.Errorf("counts after Prune = %+v, want %+v", c, want)
		}
	})
}
