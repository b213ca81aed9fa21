package queue

import (
	"context"
	"errors"
	"testing"

	"go.mau.fi/util/dbutil"
	"maunium.net/go/mautrix/id"

	"github.com/igbridge/igbridge/internal/fakeclock"
)

// TestReopen: a failed job is tried again from its first attempt, as the next round, without its
// failure notice; a job that is not failed, or one over the caps, is not reopened.
func TestReopen(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *dbutil.Database) {
		ctx := testCtx(t)
		rec := newRecorder()
		q := newQueue(t, db, Config{MaxAttempts: 1, MaxPendingPerUser: 1, Clock: fakeclock.New()}, rec.handle)
		const room id.RoomID = "!r:example.org"
		jobID := mustAdd(t, q, Job{RoomID: room, EventID: "$e", Sender: "@u:example.org", LinkKey: "post:A"})
		if reopened, err := q.Reopen(ctx, jobID, -1); err != nil || reopened {
			t.Fatalf("Reopen of a pending job = %v, %v; want false", reopened, err)
		}
		start(t, q)
		job := rec.next(t)
		if err := q.RecordReply(ctx, job, -1, "$notice", "@bot:example.org"); err != nil {
			t.Fatal(err)
		}
		if err := q.RecordReply(ctx, job, 0, "$part0", "@ghost:example.org"); err != nil {
			t.Fatal(err)
		}
		rec.finish(jobID, Result{Outcome: Failed, ErrorClass: "rate_limited"})
		settleRoom(t, q, rec, room, "$m1")
		reply, err := q.ReplyByEvent(ctx, room, "$notice")
		if err != nil || reply == nil || reply.JobID != jobID || reply.Part != -1 || reply.ReplyTo != "$e" {
			t.Fatalf("ReplyByEvent = %+v, %v", reply, err)
		}
		if r, err := q.ReplyByEvent(ctx, "!elsewhere:example.org", "$notice"); err != nil || r != nil {
			t.Fatalf("ReplyByEvent in another room = %+v, %v; want nil", r, err)
		}

		// The sender has another link waiting: a reopened job would take them over their cap.
		otherID := mustAdd(t, q, Job{RoomID: room, EventID: "$f", Sender: "@u:example.org", LinkKey: "post:B"})
		if _, err := q.Reopen(ctx, jobID, -1); !errors.Is(err, ErrUserFull) {
			t.Fatalf("Reopen over the cap: %v, want ErrUserFull", err)
		}
		rec.next(t)
		rec.finish(otherID, Result{Outcome: Done})
		settleRoom(t, q, rec, room, "$m2")

		if c := mustCounts(t, q); c.Failed != 1 {
			t.Fatalf("counts before reopening: %+v, want 1 failed", c)
		}
		if reopened, err := q.Reopen(ctx, jobID, -1); err != nil || !reopened {
			t.Fatalf("Reopen of a failed job = %v, %v; want true", reopened, err)
		}
		if c := mustCounts(t, q); c.Failed != 0 {
			t.Fatalf("counts after reopening: %+v, want none failed", c)
		}
		if reopened, err := q.Reopen(ctx, jobID, -1); err != nil || reopened {
			t.Fatalf("second Reopen = %v, %v; want false", reopened, err)
		}
		job = rec.next(t)
		if job.ID != jobID || job.Attempts != 1 || job.Retries != 1 {
			t.Fatalf("reopened job started as %+v, want attempt 1 of round 1", job)
		}
		replies, err := q.JobReplies(ctx, jobID)
		if err != nil {
			t.Fatal(err)
		}
		if len(replies) != 1 || replies[0].Part != 0 {
			t.Fatalf("replies after reopening: %+v, want only part 0 (the notice is dropped)", replies)
		}
		if r, err := q.ReplyByEvent(ctx, room, "$notice"); err != nil || r != nil {
			t.Fatalf("ReplyByEvent of the dropped notice = %+v, %v; want nil", r, err)
		}
		rec.finish(jobID, Result{Outcome: Done})
		stop(t, q)
	})
}

// TestReopenWhileRunning: a retry asked for while the failing attempt is still being answered
// finds the job running and not reopened, WaitEnded returns once the outcome is recorded, and the
// job can be reopened then; a job that failed again like its link's last job can be reopened too.
func TestReopenWhileRunning(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *dbutil.Database) {
		ctx := testCtx(t)
		rec := newRecorder()
		q := newQueue(t, db, Config{MaxAttempts: 1, Clock: fakeclock.New()}, rec.handle)
		jobID := mustAdd(t, q, Job{RoomID: "!r:example.org", EventID: "$e", Sender: "@u:example.org", LinkKey: "post:A"})
		start(t, q)
		rec.next(t)
		if running, err := q.IsRunning(ctx, jobID); err != nil || !running {
			t.Fatalf("IsRunning of a running job = %v, %v; want true", running, err)
		}
		if reopened, err := q.Reopen(ctx, jobID, -1); err != nil || reopened {
			t.Fatalf("Reopen of a running job = %v, %v; want false", reopened, err)
		}
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if err := q.WaitEnded(cancelled, jobID); !errors.Is(err, context.Canceled) {
			t.Fatalf("WaitEnded of a running job returned %v before its outcome", err)
		}
		ended := make(chan error, 1)
		go func() { ended <- q.WaitEnded(ctx, jobID) }()
		rec.finish(jobID, Result{Outcome: Repeated, ErrorClass: "private"})
		select {
		case err := <-ended:
			if err != nil {
				t.Fatal(err)
			}
		case <-timeout():
			t.Fatal("WaitEnded did not return after the outcome was recorded")
		}
		if err := q.WaitEnded(ctx, jobID); err != nil {
			t.Fatalf("WaitEnded of an ended job: %v", err)
		}
		if reopened, err := q.Reopen(ctx, jobID, -1); err != nil || !reopened {
			t.Fatalf("Reopen of a repeated job = %v, %v; want true", reopened, err)
		}
		if c := mustCounts(t, q); c.Repeated != 0 {
			t.Fatalf("counts after reopening: %+v, want none repeated", c)
		}
		if job := rec.next(t); job.ID != jobID || job.Retries != 1 {
			t.Fatalf("started %+v, want job %d in round 1", job, jobID)
		}
		rec.finish(jobID, Result{Outcome: Done})
		stop(t, q)
	})
}

// TestOtherActiveJobs counts the unfinished jobs of a message besides the one asking.
func TestOtherActiveJobs(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *dbutil.Database) {
		ctx := testCtx(t)
		rec := newRecorder()
		q := newQueue(t, db, Config{Clock: fakeclock.New()}, rec.handle)
		const room id.RoomID = "!r:example.org"
		first := mustAdd(t, q, Job{RoomID: room, EventID: "$e", Sender: "@u:example.org", LinkKey: "post:A"})
		second := mustAdd(t, q, Job{RoomID: room, EventID: "$e", Sender: "@u:example.org", LinkKey: "post:B"})
		other := mustAdd(t, q, Job{RoomID: room, EventID: "$other", Sender: "@u:example.org", LinkKey: "post:A"})
		count := func(except int64) int {
			t.Helper()
			n, err := q.OtherActiveJobs(ctx, room, "$e", except)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count(first); n != 1 {
			t.Fatalf("other active jobs of the message = %d, want 1", n)
		}
		start(t, q)
		rec.next(t)
		rec.finish(first, Result{Outcome: Done})
		rec.next(t)
		if n := count(second); n != 0 {
			t.Fatalf("other active jobs while the last one runs = %d, want 0", n)
		}
		rec.finish(second, Result{Outcome: Done})
		rec.next(t)
		rec.finish(other, Result{Outcome: Done})
		stop(t, q)
	})
}

// settleRoom runs a job of another sender in a room and returns once it started: the room runs
// one job at a time, so every earlier job of the room has its outcome recorded by then.
func settleRoom(t *testing.T, q *Queue, rec *recorder, room id.RoomID, marker id.EventID) {
	t.Helper()
	markerID := mustAdd(t, q, Job{RoomID: room, EventID: marker, Sender: "@marker:example.org", LinkKey: "post:M"})
	if job := rec.next(t); job.ID != markerID {
		t.Fatalf("job %d started, want the marker %d", job.ID, markerID)
	}
	rec.finish(markerID, Result{Outcome: Done})
}

// TestRepliesOfFinished lists a part's replies only for messages with no job waiting or running.
func TestRepliesOfFinished(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *dbutil.Database) {
		ctx := testCtx(t)
		rec := newRecorder()
		q := newQueue(t, db, Config{Clock: fakeclock.New()}, rec.handle)
		const room id.RoomID = "!r:example.org"
		finished := &Job{ID: mustAdd(t, q, Job{RoomID: room, EventID: "$done", Sender: "@u:example.org", LinkKey: "post:A"}), RoomID: room, EventID: "$done"}
		waiting := &Job{ID: mustAdd(t, q, Job{RoomID: room, EventID: "$waiting", Sender: "@u:example.org", LinkKey: "post:A"}), RoomID: room, EventID: "$waiting"}
		for _, job := range []*Job{finished, waiting} {
			if err := q.RecordReply(ctx, job, -2, "$reaction"+job.EventID[1:], "@bot:example.org"); err != nil {
				t.Fatal(err)
			}
		}
		if err := q.RecordReply(ctx, finished, 0, "$answer", "@ghost:example.org"); err != nil {
			t.Fatal(err)
		}
		start(t, q)
		rec.next(t)
		rec.finish(finished.ID, Result{Outcome: Done})
		if job := rec.next(t); job.ID != waiting.ID {
			t.Fatalf("job %d started, want %d", job.ID, waiting.ID)
		}
		// $done is finished; $waiting's job is running.
		got, err := q.RepliesOfFinished(ctx, -2)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].EventID != "$reactiondone" {
			t.Fatalf("RepliesOfFinished = %+v, want the reaction on $done only", got)
		}
		rec.finish(waiting.ID, Result{Outcome: Done})
		stop(t, q)
	})
}
