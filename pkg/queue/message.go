package queue

import (
	"context"
	"fmt"

	"go.mau.fi/util/dbutil"
	"maunium.net/go/mautrix/id"
)

// MessageJobs returns the jobs of one message in the order they were added, whatever their state:
// who posted the message and which of its links were already taken, to check its edits and
// redactions. Only ID, RoomID, EventID, ThreadRoot, Sender, LinkKey and LinkURL are set.
func (q *Queue) MessageJobs(ctx context.Context, roomID id.RoomID, eventID id.EventID) ([]Job, error) {
	rows, err := q.db.Query(ctx, `
		SELECT id, room_id, event_id, thread_root, sender, link_key, link_url
		FROM igbridge_queue_job WHERE event_id=$1 AND room_id=$2 ORDER BY id
	`, eventID, roomID)
	jobs, err := dbutil.NewRowIterWithError(rows, func(row dbutil.Scannable) (j Job, err error) {
		err = row.Scan(&j.ID, &j.RoomID, &j.EventID, &j.ThreadRoot, &j.Sender, &j.LinkKey, &j.LinkURL)
		return
	}, err).AsList()
	if err != nil {
		return nil, fmt.Errorf("failed to get jobs of message: %w", err)
	}
	return jobs, nil
}

// OtherActiveJobs counts the jobs of a message, other than except, that are still waiting or
// running: while there are some, the message is not fully answered.
func (q *Queue) OtherActiveJobs(ctx context.Context, roomID id.RoomID, eventID id.EventID, except int64) (int, error) {
	var n int
	err := q.db.QueryRow(ctx, `
		SELECT COUNT(*) FROM igbridge_queue_job
		WHERE event_id=$1 AND room_id=$2 AND id<>$3 AND state IN ('pending', 'running')
	`, eventID, roomID, except).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("failed to count active jobs of message: %w", err)
	}
	return n, nil
}
