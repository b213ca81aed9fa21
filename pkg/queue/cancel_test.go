package queue

import (
	"testing"
	"time"

	"go.mau.fi/util/dbutil"

	"github.com/igbridge/igbridge/internal/fakeclock"
)

func TestCancel(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *dbutil.Database) {
		ctx := testCtx(t)
		clock := fakeclock.New()
		rec := newRecorder()
		q := newQueue(t, db, Config{Clock: clock}, rec.handle)
		const room = "!r:example.org"
		running := mustAdd(t, q, Job{RoomID: room, EventID: "$running", Sender: "@u:example.org", LinkKey: "post:A"})
		redacted1 := mustAdd(t, q, Job{RoomID: room, EventID: "$redacted", Sender: "@v:example.org", LinkKey: "post:B"})
		redacted2 := mustAdd(t, q, Job{RoomID: room, EventID: "$redacted", Sender: "@v:example.org", LinkKey: "post:C"})
		start(t, q)
		rec.next(t)

		if n, err := q.Cancel(ctx, room, "$running"); err != nil || n != 0 {
			t.Errorf("Cancel of a running job = %d, %v; want 0, nil", n, err)
		}
		if n, err := q.Cancel(ctx, "!other:example.org", "$redacted"); err != nil || n != 0 {
			t.Errorf("Cancel in another room = %d, %v; want 0, nil", n, err)
		}
		if n, err := q.Cancel(ctx, room, "$redacted"); err != nil || n != 2 {
			t.Errorf("Cancel = %d, %v; want 2, nil", n, err)
		}
		// The room's next job after the cancelled ones is the first to start.
		later := mustAdd(t, q, Job{RoomID: room, EventID: "$later", Sender: "@w:example.org", LinkKey: "post:D"})
		rec.finish(running, Result{Outcome: Done})
		if job := rec.next(t); job.ID != later {
			t.Errorf("job %d started after the cancelled ones, want %d", job.ID, later)
		}
		rec.finish(later, Result{Outcome: Done})
		stop(t, q)
		rec.none(t)
		for _, jobID := range []int64{redacted1, redacted2} {
			if j := getJob(t, q, jobID); j.state != stateCancelled || !j.finished {
				t.Errorf("cancelled job %d: %+v", jobID, j)
			}
		}
		if c := mustCounts(t, q); c.Cancelled != 2 || c.Done != 2 || c.RecentTotal != 2 || c.RecentFailures != 0 {
			t.Errorf("counts: %+v, want 2 cancelled and 2 done, 0 of 2 recently failed", c)
		}
	})
}

// Cancelling a job that waits for its retry unblocks its room at once.
func TestCancelWaitingRetry(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *dbutil.Database) {
		clock := fakeclock.New()
		rec := newRecorder()
		q := newQueue(t, db, Config{Clock: clock}, rec.handle)
		const room = "!r:example.org"
		waiting := mustAdd(t, q, Job{RoomID: room, EventID: "$waiting", Sender: "@u:example.org", LinkKey: "post:A"})
		behind := mustAdd(t, q, Job{RoomID: room, EventID: "$behind", Sender: "@u:example.org", LinkKey: "post:B"})
		start(t, q)
		rec.next(t)
		rec.finish(waiting, Result{Outcome: Retry, RetryAfter: time.Hour})
		clock.WaitForTimerAt(t, clock.Now().Add(time.Hour))
		if n, err := q.Cancel(testCtx(t), room, "$waiting"); err != nil || n != 1 {
			t.Fatalf("Cancel = %d, %v; want 1, nil", n, err)
		}
		if job := rec.next(t); job.ID != behind {
			t.Errorf("job %d started, want %d", job.ID, behind)
		}
		rec.finish(behind, Result{Outcome: Done})
	})
}
