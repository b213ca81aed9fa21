package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/id"
)

// Errors of Add for a link that would take a room or a sender over its cap; the connector tells
// the sender to wait.
var (
	ErrRoomFull = errors.New("too many links waiting in this room")
	ErrUserFull = errors.New("too many links waiting from this user")
)

// Add queues a job. It reports added=false with the existing job's ID when the same link of the
// same message is already queued (the homeserver sent a transaction twice); a duplicate is
// reported as such even when the caps are reached. Only RoomID, EventID, ThreadRoot, Sender,
// LinkKey and LinkURL of job are used.
//
// On PostgreSQL two concurrent Adds may both pass a cap by one; the caps are limits against
// abuse, not invariants.
func (q *Queue) Add(ctx context.Context, job Job) (jobID int64, added bool, err error) {
	err = q.db.DoTxn(ctx, nil, func(ctx context.Context) error {
		var found bool
		jobID, found, err = q.find(ctx, job.EventID, job.LinkKey)
		if err != nil || found {
			return err
		}
		if err = q.checkCaps(ctx, job.RoomID, job.Sender); err != nil {
			return err
		}
		err = q.db.QueryRow(ctx, `
			INSERT INTO igbridge_queue_job
				(room_id, event_id, thread_root, sender, link_key, link_url, state, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7)
			ON CONFLICT (event_id, link_key) DO NOTHING
			RETURNING id
		`, job.RoomID, job.EventID, job.ThreadRoot, job.Sender, job.LinkKey, job.LinkURL,
			q.nowMilli()).Scan(&jobID)
		if errors.Is(err, sql.ErrNoRows) {
			// A concurrent Add of the same link won.
			jobID, _, err = q.find(ctx, job.EventID, job.LinkKey)
			return err
		} else if err != nil {
			return fmt.Errorf("failed to insert job: %w", err)
		}
		added = true
		return nil
	})
	if err != nil {
		if !errors.Is(err, ErrRoomFull) && !errors.Is(err, ErrUserFull) {
			err = fmt.Errorf("failed to queue job: %w", err)
		}
		return 0, false, err
	}
	if added {
		zerolog.Ctx(ctx).Debug().Int64("job_id", jobID).Str("link_key", job.LinkKey).Msg("Queued job")
		q.poke()
	}
	return jobID, added, nil
}

func (q *Queue) find(ctx context.Context, eventID id.EventID, linkKey string) (int64, bool, error) {
	var jobID int64
	err := q.db.QueryRow(ctx,
		"SELECT id FROM igbridge_queue_job WHERE event_id=$1 AND link_key=$2", eventID, linkKey,
	).Scan(&jobID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	} else if err != nil {
		return 0, false, fmt.Errorf("failed to look for a duplicate job: %w", err)
	}
	return jobID, true, nil
}

func (q *Queue) checkCaps(ctx context.Context, roomID id.RoomID, sender id.UserID) error {
	var inRoom, fromSender int
	err := q.db.QueryRow(ctx, `
		SELECT
			(SELECT COUNT(*) FROM igbridge_queue_job WHERE room_id=$1 AND state IN ('pending', 'running')),
			(SELECT COUNT(*) FROM igbridge_queue_job WHERE sender=$2 AND state IN ('pending', 'running'))
	`, roomID, sender).Scan(&inRoom, &fromSender)
	if err != nil {
		return fmt.Errorf("failed to count waiting jobs: %w", err)
	} else if inRoom >= q.cfg.MaxPendingPerRoom {
		return ErrRoomFull
	} else if fromSender >= q.cfg.MaxPendingPerUser {
		return ErrUserFull
	}
	return nil
}

// Cancel cancels the pending jobs of a message, typically because it was redacted, and returns
// how many there were. A job already running is left to finish; the answers it sends can be
// found with RepliesTo.
func (q *Queue) Cancel(ctx context.Context, roomID id.RoomID, eventID id.EventID) (int, error) {
	var n int
	err := q.db.DoTxn(ctx, nil, func(ctx context.Context) error {
		res, err := q.db.Exec(ctx, `
			UPDATE igbridge_queue_job SET state='cancelled', finished_at=$3
			WHERE room_id=$1 AND event_id=$2 AND state='pending'
		`, roomID, eventID, q.nowMilli())
		if err != nil {
			return err
		}
		if n, err = rowsAffected(res); err != nil {
			return err
		}
		return q.countEnded(ctx, stateCancelled, n)
	})
	if err != nil {
		return 0, fmt.Errorf("failed to cancel jobs: %w", err)
	}
	if n > 0 {
		// The next job of the room may be able to start now.
		q.poke()
	}
	return n, nil
}
