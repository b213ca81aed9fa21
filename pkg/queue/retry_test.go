package queue

import (
	"testing"
	"time"

	"go.mau.fi/util/dbutil"

	"github.com/igbridge/igbridge/internal/fakeclock"
)

func TestRetry(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *dbutil.Database) {
		clock := fakeclock.New()
		rec := newRecorder()
		const base = 10 * time.Second
		q := newQueue(t, db, Config{BackoffBase: base, Clock: clock}, rec.handle)
		jobID := mustAdd(t, q, Job{RoomID: "!r:example.org", EventID: "$e", Sender: "@u:example.org", LinkKey: "post:A"})
		start(t, q)

		if job := rec.next(t); job.ID != jobID || job.Attempts != 1 {
			t.Fatalf("started job %d attempt %d, want job %d attempt 1", job.ID, job.Attempts, jobID)
		}
		failedAt := clock.Now()
		rec.finish(jobID, Result{Outcome: Retry, ErrorClass: "network"})
		// Backoff after attempt 1 is in [base/2, base).
		due := clock.WaitForTimer(t)
		if wait := due.Sub(failedAt); wait < base/2 || wait >= base {
			t.Errorf("first retry after %v, want [%v, %v)", wait, base/2, base)
		}
		if j := getJob(t, q, jobID); j.state != statePending || j.notBefore != due.UnixMilli() || j.errorClass != "network" || j.attempts != 1 {
			t.Errorf("job waiting for its retry: %+v", j)
		}

		// Just before not_before the job is not eligible, even when the dispatcher looks: a job
		// of another room starts instead.
		clock.AdvanceTo(due.Add(-time.Millisecond))
		otherID := mustAdd(t, q, Job{RoomID: "!s:example.org", EventID: "$f", Sender: "@v:example.org", LinkKey: "post:B"})
		if job := rec.next(t); job.ID != otherID {
			t.Fatalf("job %d started before its not_before, want job %d", job.ID, otherID)
		}
		rec.finish(otherID, Result{Outcome: Done})
		clock.WaitForTimerAt(t, due)
		rec.none(t)

		clock.AdvanceTo(due)
		if job := rec.next(t); job.ID != jobID || job.Attempts != 2 {
			t.Fatalf("started job %d attempt %d, want job %d attempt 2", job.ID, job.Attempts, jobID)
		}
		rec.finish(jobID, Result{Outcome: Retry, ErrorClass: "rate_limited", RetryAfter: time.Minute})
		clock.WaitForTimerAt(t, due.Add(time.Minute))
		rec.none(t)
		clock.Advance(time.Minute)
		if job := rec.next(t); job.ID != jobID || job.Attempts != 3 {
			t.Fatalf("started job %d attempt %d, want job %d attempt 3", job.ID, job.Attempts, jobID)
		}
		rec.finish(jobID, Result{Outcome: Done})
		stop(t, q)
		if j := getJob(t, q, jobID); j.state != stateDone || j.attempts != 3 || !j.finished {
			t.Errorf("job after its third attempt: %+v, want done after 3 attempts", j)
		}
	})
}

func TestRetryExhausted(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *dbutil.Database) {
		clock := fakeclock.New()
		rec := newRecorder()
		q := newQueue(t, db, Config{MaxAttempts: 3, Clock: clock}, rec.handle)
		jobID := mustAdd(t, q, Job{RoomID: "!r:example.org", EventID: "$e", Sender: "@u:example.org", LinkKey: "post:A"})
		start(t, q)
		for attempt := 1; attempt <= 3; attempt++ {
			if job := rec.next(t); job.Attempts != attempt || job.LastAttempt != (attempt == 3) {
				t.Fatalf("attempt %d started as attempt %d, last %v", attempt, job.Attempts, job.LastAttempt)
			}
			rec.finish(jobID, Result{Outcome: Retry, ErrorClass: "rate_limited", RetryAfter: time.Second})
			if attempt < 3 {
				clock.WaitForTimerAt(t, clock.Now().Add(time.Second))
				clock.Advance(time.Second)
			}
		}
		stop(t, q)
		rec.none(t)
		if j := getJob(t, q, jobID); j.state != stateFailed || j.errorClass != "rate_limited" || j.attempts != 3 || !j.finished {
			t.Errorf("job after its last attempt: %+v, want failed (rate_limited) after 3 attempts", j)
		}
		if c := mustCounts(t, q); c.Failed != 1 || c.RecentFailures != 1 || c.RecentTotal != 1 {
			t.Errorf("counts: %+v, want 1 failed, 1 of 1 recently", c)
		}
	})
}
