package queue

import (
	"context"
	"fmt"

	"go.mau.fi/util/dbutil"
	"maunium.net/go/mautrix/id"
)

// Reply is one message sent in answer to a job.
type Reply struct {
	JobID   int64
	Part    int // which part of the answer, numbered by the handler
	RoomID  id.RoomID
	ReplyTo id.EventID // the message answered, the job's EventID
	EventID id.EventID // the reply itself
	Sender  id.UserID  // who sent it, for redacting it as the same user
}

// RecordReply records a part of a job's answer right after it was sent, so that a resumed job
// does not send it again. Recording the same part twice is an error.
func (q *Queue) RecordReply(ctx context.Context, job *Job, part int, eventID id.EventID, sender id.UserID) error {
	_, err := q.db.Exec(ctx, `
		INSERT INTO igbridge_queue_reply (job_id, part, room_id, reply_to, event_id, sender)
		VALUES ($1, $2, $3, $4, $5, $6)
	`, job.ID, part, job.RoomID, job.EventID, eventID, sender)
	if err != nil {
		return fmt.Errorf("failed to record reply: %w", err)
	}
	return nil
}

const replyColumns = "job_id, part, room_id, reply_to, event_id, sender"

// JobReplies returns the parts of a job's answer sent so far, in part order.
func (q *Queue) JobReplies(ctx context.Context, jobID int64) ([]Reply, error) {
	rows, err := q.db.Query(ctx,
		"SELECT "+replyColumns+" FROM igbridge_queue_reply WHERE job_id=$1 ORDER BY part", jobID)
	replies, err := scanReplies(rows, err)
	if err != nil {
		return nil, fmt.Errorf("failed to get job replies: %w", err)
	}
	return replies, nil
}

// RepliesTo returns every reply to a message, of all its jobs, to follow its redaction.
func (q *Queue) RepliesTo(ctx context.Context, roomID id.RoomID, eventID id.EventID) ([]Reply, error) {
	rows, err := q.db.Query(ctx,
		"SELECT "+replyColumns+" FROM igbridge_queue_reply WHERE room_id=$1 AND reply_to=$2 ORDER BY job_id, part",
		roomID, eventID)
	replies, err := scanReplies(rows, err)
	if err != nil {
		return nil, fmt.Errorf("failed to get replies to message: %w", err)
	}
	return replies, nil
}

func scanReplies(rows dbutil.Rows, err error) ([]Reply, error) {
	return dbutil.NewRowIterWithError(rows, func(row dbutil.Scannable) (r Reply, err error) {
		err = row.Scan(&r.JobID, &r.Part, &r.RoomID, &r.ReplyTo, &r.EventID, &r.Sender)
		return
	}, err).AsList()
}

// ReplyByEvent returns the reply that is the event eventID of a room, or nil when the event is
// not one of the bridge's answers.
func (q *Queue) ReplyByEvent(ctx context.Context, roomID id.RoomID, eventID id.EventID) (*Reply, error) {
	rows, err := q.db.Query(ctx,
		"SELECT "+replyColumns+" FROM igbridge_queue_reply WHERE event_id=$1 AND room_id=$2", eventID, roomID)
	replies, err := scanReplies(rows, err)
	if err != nil {
		return nil, fmt.Errorf("failed to find reply: %w", err)
	} else if len(replies) == 0 {
		return nil, nil
	}
	return &replies[0], nil
}

// ForgetReply drops the record of a reply that was taken back (redacted).
func (q *Queue) ForgetReply(ctx context.Context, jobID int64, part int) error {
	_, err := q.db.Exec(ctx, "DELETE FROM igbridge_queue_reply WHERE job_id=$1 AND part=$2", jobID, part)
	if err != nil {
		return fmt.Errorf("failed to forget reply: %w", err)
	}
	return nil
}

// RepliesOfFinished returns the replies numbered part to messages that have no job waiting or
// running any more, oldest first: what is left of a message's progress after a job was given up
// without being answered.
func (q *Queue) RepliesOfFinished(ctx context.Context, part int) ([]Reply, error) {
	rows, err := q.db.Query(ctx, `
		SELECT `+replyColumns+` FROM igbridge_queue_reply AS r
		WHERE r.part=$1 AND NOT EXISTS (
			SELECT 1 FROM igbridge_queue_job AS j
			WHERE j.room_id=r.room_id AND j.event_id=r.reply_to AND j.state IN ('pending', 'running')
		)
		ORDER BY r.job_id
	`, part)
	replies, err := scanReplies(rows, err)
	if err != nil {
		return nil, fmt.Errorf("failed to get replies of finished messages: %w", err)
	}
	return replies, nil
}
