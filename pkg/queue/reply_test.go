package queue

import (
	"slices"
	"testing"

	"go.mau.fi/util/dbutil"
	"maunium.net/go/mautrix/id"

	"github.com/igbridge/igbridge/internal/fakeclock"
)

func TestReplies(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *dbutil.Database) {
		ctx := testCtx(t)
		q := newQueue(t, db, Config{Clock: fakeclock.New()}, newRecorder().handle)
		const room id.RoomID = "!r:example.org"
		add := func(eventID id.EventID, linkKey string) *Job {
			return &Job{ID: mustAdd(t, q, Job{RoomID: room, EventID: eventID, Sender: "@u:example.org", LinkKey: linkKey}), RoomID: room, EventID: eventID}
		}
		first, second, other := add("$e", "post:A"), add("$e", "post:B"), add("$f", "post:A")
		record := func(job *Job, part int, eventID id.EventID, sender id.UserID) Reply {
			t.Helper()
			if err := q.RecordReply(ctx, job, part, eventID, sender); err != nil {
				t.Fatalf("RecordReply: %v", err)
			}
			return Reply{JobID: job.ID, Part: part, RoomID: room, ReplyTo: job.EventID, EventID: eventID, Sender: sender}
		}
		// Recorded out of order; the failure notice is part -1.
		r1 := record(first, 1, "$a1", "@ghost:example.org")
		r0 := record(first, 0, "$a0", "@ghost:example.org")
		rn := record(second, -1, "$bn", "@bot:example.org")
		record(other, 0, "$c0", "@ghost:example.org")

		if err := q.RecordReply(ctx, first, 0, "$again", "@ghost:example.org"); err == nil {
			t.Error("recording part 0 of a job twice succeeded")
		}
		got, err := q.JobReplies(ctx, first.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := []Reply{r0, r1}; !slices.Equal(got, want) {
			t.Errorf("JobReplies = %+v, want %+v", got, want)
		}
		got, err = q.RepliesTo(ctx, room, "$e")
		if err != nil {
			t.Fatal(err)
		}
		if want := []Reply{r0, r1, rn}; !slices.Equal(got, want) {
			t.Errorf("RepliesTo = %+v, want %+v", got, want)
		}
		if got, err = q.RepliesTo(ctx, "!elsewhere:example.org", "$e"); err != nil || len(got) != 0 {
			t.Errorf("RepliesTo in another room = %+v, %v; want none", got, err)
		}
	})
}
