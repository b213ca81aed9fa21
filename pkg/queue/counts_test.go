package queue

import (
	"testing"
	"time"

	"go.mau.fi/util/dbutil"
)

func TestCountsRecentWindow(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *dbutil.Database) {
		clock := newFakeClock()
		rec := newRecorder()
		q := newQueue(t, db, Config{Clock: clock}, rec.handle)
		done := mustAdd(t, q, Job{RoomID: "!r:example.org", EventID: "$e", Sender: "@u:example.org", LinkKey: "post:A"})
		failed := mustAdd(t, q, Job{RoomID: "!s:example.org", EventID: "$f", Sender: "@v:example.org", LinkKey: "post:B"})
		// A room's next job starts once the outcome of the one before is recorded.
		mustAdd(t, q, Job{RoomID: "!r:example.org", EventID: "$g", Sender: "@u:example.org", LinkKey: "post:C"})
		mustAdd(t, q, Job{RoomID: "!s:example.org", EventID: "$h", Sender: "@v:example.org", LinkKey: "post:D"})
		start(t, q)
		rec.finish(done, Result{Outcome: Done})
		rec.finish(failed, Result{Outcome: Failed, ErrorClass: "not_found"})
		for range 4 {
			rec.next(t)
		}
		want := Counts{Running: 2, Done: 1, Failed: 1, RecentFailures: 1, RecentTotal: 2}
		if c := mustCounts(t, q); c != want {
			t.Errorf("counts = %+v, want %+v", c, want)
		}
		clock.Advance(15 * time.Minute)
		if c := mustCounts(t, q); c != want {
			t.Errorf("counts 15 minutes later = %+v, want %+v", c, want)
		}
		clock.Advance(time.Millisecond)
		want.RecentFailures, want.RecentTotal = 0, 0
		if c := mustCounts(t, q); c != want {
			t.Errorf("counts over 15 minutes later = %+v, want %+v", c, want)
		}
	})
}
