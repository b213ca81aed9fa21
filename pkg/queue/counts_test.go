package queue

import (
	"slices"
	"testing"
	"time"

	"go.mau.fi/util/dbutil"
	"maunium.net/go/mautrix/id"

	"github.com/igbridge/igbridge/internal/fakeclock"
)

func TestCountsRecentWindow(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *dbutil.Database) {
		clock := fakeclock.New()
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

// TestRecentLinks: a repeat is counted apart from failures, and the recent links are distinct,
// newest first, without the repeats.
func TestRecentLinks(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *dbutil.Database) {
		clock := fakeclock.New()
		rec := newRecorder()
		q := newQueue(t, db, Config{Clock: clock}, rec.handle)
		start(t, q)
		// One room runs one job at a time, so each job starts once the one before is recorded.
		add := func(event, linkKey string) int64 {
			t.Helper()
			jobID := mustAdd(t, q, Job{RoomID: "!r:example.org", EventID: id.EventID(event), Sender: "@u:example.org", LinkKey: linkKey})
			if job := rec.next(t); job.ID != jobID {
				t.Fatalf("started job %d, want %d", job.ID, jobID)
			}
			return jobID
		}
		finish := func(event, linkKey string, res Result) {
			t.Helper()
			rec.finish(add(event, linkKey), res)
			clock.Advance(time.Second)
		}
		finish("$a", "post:A", Result{Outcome: Done})
		finish("$b", "post:B", Result{Outcome: Failed, ErrorClass: "network"})
		finish("$c", "post:B", Result{Outcome: Repeated, ErrorClass: "network"})
		finish("$d", "post:C", Result{Outcome: Failed, ErrorClass: "private"})
		finish("$e", "post:A", Result{Outcome: Failed, ErrorClass: "network"})
		add("$f", "post:D")
		want := Counts{Running: 1, Done: 1, Failed: 3, Repeated: 1, RecentFailures: 3, RecentTotal: 4}
		if c := mustCounts(t, q); c != want {
			t.Errorf("counts = %+v, want %+v", c, want)
		}
		links, err := q.RecentLinks(t.Context(), 10)
		if err != nil {
			t.Fatal(err)
		}
		wantLinks := []LinkOutcome{
			{LinkKey: "post:A", Failed: true, ErrorClass: "network"},
			{LinkKey: "post:C", Failed: true, ErrorClass: "private"},
			{LinkKey: "post:B", Failed: true, ErrorClass: "network"},
		}
		if !slices.Equal(links, wantLinks) {
			t.Errorf("recent links = %+v, want %+v", links, wantLinks)
		}
		if links, _ = q.RecentLinks(t.Context(), 2); len(links) != 2 {
			t.Errorf("%d links with n=2", len(links))
		}
	})
}
