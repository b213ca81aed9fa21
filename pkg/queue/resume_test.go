package queue

import (
	"context"
	"slices"
	"testing"
	"time"

	"go.mau.fi/util/dbutil"

	"github.com/igbridge/igbridge/internal/fakeclock"
)

// A job left running by a crash runs again at the next start, and its handler sees the parts it
// sent before the crash; one that crashed on its last attempt fails instead.
func TestResumeAfterCrash(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *dbutil.Database) {
		ctx := testCtx(t)
		crashed := newQueue(t, db, Config{MaxAttempts: 3, Clock: fakeclock.New()}, newRecorder().handle)
		jobID := mustAdd(t, crashed, Job{RoomID: "!r:example.org", EventID: "$e", Sender: "@u:example.org", LinkKey: "post:A"})
		poisonID := mustAdd(t, crashed, Job{RoomID: "!s:example.org", EventID: "$f", Sender: "@u:example.org", LinkKey: "post:B"})
		// What a worker had done when the bridge died: claimed the jobs and sent a part of one.
		for jobID, attempts := range map[int64]int{jobID: 1, poisonID: 3} {
			_, err := db.Exec(ctx, "UPDATE igbridge_queue_job SET state='running', attempts=$2 WHERE id=$1", jobID, attempts)
			if err != nil {
				t.Fatal(err)
			}
		}
		job := &Job{ID: jobID, RoomID: "!r:example.org", EventID: "$e"}
		if err := crashed.RecordReply(ctx, job, 0, "$reply0", "@ghost:example.org"); err != nil {
			t.Fatal(err)
		}

		rec := newRecorder()
		q := newQueue(t, db, Config{MaxAttempts: 3, Clock: fakeclock.New()}, rec.handle)
		start(t, q)
		resumed := rec.next(t)
		if resumed.ID != jobID || resumed.Attempts != 2 {
			t.Fatalf("resumed job %d attempt %d, want job %d attempt 2", resumed.ID, resumed.Attempts, jobID)
		}
		replies, err := q.JobReplies(ctx, jobID)
		if err != nil {
			t.Fatal(err)
		}
		want := []Reply{{JobID: jobID, Part: 0, RoomID: "!r:example.org", ReplyTo: "$e", EventID: "$reply0", Sender: "@ghost:example.org"}}
		if !slices.Equal(replies, want) {
			t.Errorf("replies of the resumed job: %+v, want %+v", replies, want)
		}
		rec.finish(jobID, Result{Outcome: Done})
		stop(t, q)
		rec.none(t)
		if j := getJob(t, q, poisonID); j.state != stateFailed || j.errorClass != ErrorClassInterrupted || !j.finished {
			t.Errorf("job that crashed on its last attempt: %+v, want failed (%s)", j, ErrorClassInterrupted)
		}
	})
}

// Stop waits for running handlers; past StopTimeout it cancels them, and the job they give up goes
// back to pending with its attempt given back.
func TestStop(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *dbutil.Database) {
		clock := fakeclock.New()
		started := make(chan struct{}, 2)
		release := make(chan struct{})
		cancelledAt := make(chan time.Time, 1)
		q := newQueue(t, db, Config{StopTimeout: 20 * time.Second, Clock: clock}, func(ctx context.Context, job *Job) Result {
			started <- struct{}{}
			if job.LinkKey == "post:A" {
				<-release
				return Result{Outcome: Done}
			}
			<-ctx.Done()
			cancelledAt <- clock.Now()
			return Result{Outcome: Failed, ErrorClass: "network"}
		})
		finishing := mustAdd(t, q, Job{RoomID: "!r:example.org", EventID: "$e", Sender: "@u:example.org", LinkKey: "post:A"})
		hanging := mustAdd(t, q, Job{RoomID: "!s:example.org", EventID: "$f", Sender: "@v:example.org", LinkKey: "post:B"})
		start(t, q)
		for range 2 {
			select {
			case <-started:
			case <-timeout():
				t.Fatal("timed out waiting for the jobs to start")
			}
		}

		stopped := make(chan struct{})
		go func() {
			q.Stop()
			close(stopped)
		}()
		graceEnd := clock.Now().Add(20 * time.Second)
		clock.WaitForTimerAt(t, graceEnd)
		close(release)
		clock.AdvanceTo(graceEnd)
		select {
		case <-stopped:
		case <-timeout():
			t.Fatal("Stop did not return after cancelling the handlers")
		}
		if at := <-cancelledAt; !at.Equal(graceEnd) {
			t.Errorf("handler cancelled at %v, want at the end of StopTimeout %v", at, graceEnd)
		}
		if j := getJob(t, q, finishing); j.state != stateDone {
			t.Errorf("job that finished during Stop: %+v, want done", j)
		}
		if j := getJob(t, q, hanging); j.state != statePending || j.attempts != 0 {
			t.Errorf("job cancelled by Stop: %+v, want pending with 0 attempts", j)
		}

		rec := newRecorder()
		q2 := newQueue(t, db, Config{Clock: clock}, rec.handle)
		start(t, q2)
		if job := rec.next(t); job.ID != hanging || job.Attempts != 1 {
			t.Errorf("after restart job %d attempt %d started, want job %d attempt 1", job.ID, job.Attempts, hanging)
		}
	})
}

// A panicking handler fails its job and the worker goes on with the next.
func TestHandlerPanic(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *dbutil.Database) {
		ran := make(chan int64, 2)
		q := newQueue(t, db, Config{Workers: 1, Clock: fakeclock.New()}, func(ctx context.Context, job *Job) Result {
			ran <- job.ID
			if job.LinkKey == "post:panic" {
				panic("boom")
			}
			return Result{Outcome: Done}
		})
		panicking := mustAdd(t, q, Job{RoomID: "!r:example.org", EventID: "$e", Sender: "@u:example.org", LinkKey: "post:panic"})
		next := mustAdd(t, q, Job{RoomID: "!r:example.org", EventID: "$f", Sender: "@u:example.org", LinkKey: "post:B"})
		start(t, q)
		for _, want := range []int64{panicking, next} {
			select {
			case got := <-ran:
				if got != want {
					t.Fatalf("job %d ran, want %d", got, want)
				}
			case <-timeout():
				t.Fatalf("timed out waiting for job %d", want)
			}
		}
		stop(t, q)
		if j := getJob(t, q, panicking); j.state != stateFailed || j.errorClass != ErrorClassInternal {
			t.Errorf("job whose handler panicked: %+v, want failed (%s)", j, ErrorClassInternal)
		}
		if j := getJob(t, q, next); j.state != stateDone {
			t.Errorf("job after the panic: %+v, want done", j)
		}
	})
}
