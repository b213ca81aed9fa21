package queue

import (
	"testing"

	"go.mau.fi/util/dbutil"

	"github.com/igbridge/igbridge/internal/fakeclock"
)

func TestMessageJobs(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *dbutil.Database) {
		ctx := testCtx(t)
		q := newQueue(t, db, Config{Clock: fakeclock.New()}, newRecorder().handle)
		const room = "!r:example.org"
		first := mustAdd(t, q, Job{RoomID: room, EventID: "$m", ThreadRoot: "$t", Sender: "@u:example.org", LinkKey: "post:A", LinkURL: "a"})
		mustAdd(t, q, Job{RoomID: room, EventID: "$other", Sender: "@v:example.org", LinkKey: "post:A"})
		second := mustAdd(t, q, Job{RoomID: room, EventID: "$m", ThreadRoot: "$t", Sender: "@u:example.org", LinkKey: "post:B", LinkURL: "b"})
		if _, err := q.Cancel(ctx, room, "$m"); err != nil {
			t.Fatal(err)
		}
		jobs, err := q.MessageJobs(ctx, room, "$m")
		if err != nil {
			t.Fatal(err)
		}
		// Cancelled jobs count: their links were taken.
		if len(jobs) != 2 || jobs[0].ID != first || jobs[1].ID != second ||
			jobs[0].Sender != "@u:example.org" || jobs[0].ThreadRoot != "$t" || jobs[1].LinkKey != "post:B" || jobs[1].LinkURL != "b" {
			t.Errorf("MessageJobs = %+v", jobs)
		}
		if jobs, err = q.MessageJobs(ctx, "!elsewhere:example.org", "$m"); err != nil || len(jobs) != 0 {
			t.Errorf("MessageJobs in another room = %+v, %v; want none", jobs, err)
		}
	})
}
