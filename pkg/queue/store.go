package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"go.mau.fi/util/dbutil"
	"maunium.net/go/mautrix/id"
)

// The queries spell the active states out as literals: SQLite only uses a partial index when the
// query repeats the index's condition word for word, which a bound parameter does not.

// resume turns the jobs a crash left running back into pending ones, except those that were on
// their last attempt, which fail: a job that kills the bridge must not do so at every start.
func (q *Queue) resume(ctx context.Context) (resumed, abandoned int, err error) {
	err = q.db.DoTxn(ctx, nil, func(ctx context.Context) error {
		res, err := q.db.Exec(ctx, `
			UPDATE igbridge_queue_job SET state='failed', error_class=$2, finished_at=$3
			WHERE state='running' AND attempts >= $1
		`, q.cfg.MaxAttempts, ErrorClassInterrupted, q.nowMilli())
		if err != nil {
			return err
		}
		abandoned, err = rowsAffected(res)
		if err != nil {
			return err
		}
		if err = q.countEnded(ctx, stateFailed, abandoned); err != nil {
			return err
		}
		res, err = q.db.Exec(ctx, "UPDATE igbridge_queue_job SET state='pending' WHERE state='running'")
		if err != nil {
			return err
		}
		resumed, err = rowsAffected(res)
		return err
	})
	if err != nil {
		err = fmt.Errorf("failed to resume interrupted jobs: %w", err)
	}
	return
}

// head is the oldest active job of a room that has no job running: the only one of the room that
// may start, once notBefore has passed.
type head struct {
	id        int64
	roomID    id.RoomID
	notBefore int64
}

// heads lists the head of every room with active jobs. It runs at every pick, so it walks the
// active rooms through the partial index (a loose index scan: from each room to the next) rather
// than every active job, which keeps a pick's cost independent of the backlog.
func (q *Queue) heads(ctx context.Context) ([]head, error) {
	rows, err := q.db.Query(ctx, `
		WITH RECURSIVE active_room(room_id) AS (
			SELECT MIN(room_id) FROM igbridge_queue_job WHERE state IN ('pending', 'running')
			UNION ALL
			SELECT (
				SELECT MIN(room_id) FROM igbridge_queue_job
				WHERE state IN ('pending', 'running') AND room_id > active_room.room_id
			) FROM active_room WHERE active_room.room_id IS NOT NULL
		)
		SELECT j.id, j.room_id, j.not_before
		FROM active_room
		JOIN igbridge_queue_job AS j ON j.id=(
			SELECT MIN(id) FROM igbridge_queue_job
			WHERE room_id=active_room.room_id AND state IN ('pending', 'running')
		)
		WHERE j.state='pending'
	`)
	heads, err := dbutil.NewRowIterWithError(rows, func(row dbutil.Scannable) (h head, err error) {
		err = row.Scan(&h.id, &h.roomID, &h.notBefore)
		return
	}, err).AsList()
	if err != nil {
		return nil, fmt.Errorf("failed to list waiting jobs: %w", err)
	}
	return heads, nil
}

// claim marks a pending job running and returns it, or nil when it is no longer pending (it was
// cancelled since it was listed).
func (q *Queue) claim(ctx context.Context, jobID int64) (*Job, error) {
	var job Job
	var threadRoot string
	var createdAt int64
	err := q.db.QueryRow(ctx, `
		UPDATE igbridge_queue_job SET state='running', attempts=attempts+1, started_at=$2
		WHERE id=$1 AND state='pending'
		RETURNING id, room_id, event_id, thread_root, sender, link_key, link_url, attempts, retries, created_at
	`, jobID, q.nowMilli()).Scan(
		&job.ID, &job.RoomID, &job.EventID, &threadRoot, &job.Sender, &job.LinkKey, &job.LinkURL,
		&job.Attempts, &job.Retries, &createdAt,
	)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("failed to start job: %w", err)
	}
	job.ThreadRoot = id.EventID(threadRoot)
	job.LastAttempt = job.Attempts >= q.cfg.MaxAttempts
	job.CreatedAt = time.UnixMilli(createdAt)
	return &job, nil
}

// finish records the final state of a job.
func (q *Queue) finish(ctx context.Context, jobID int64, state, errorClass string) error {
	err := q.db.DoTxn(ctx, nil, func(ctx context.Context) error {
		res, err := q.db.Exec(ctx,
			"UPDATE igbridge_queue_job SET state=$2, error_class=$3, finished_at=$4 WHERE id=$1",
			jobID, state, errorClass, q.nowMilli())
		if err != nil {
			return err
		}
		n, err := rowsAffected(res)
		if err != nil {
			return err
		}
		return q.countEnded(ctx, state, n)
	})
	if err != nil {
		return fmt.Errorf("failed to finish job: %w", err)
	}
	return nil
}

// retryAt puts a job back in line for another attempt at notBefore.
func (q *Queue) retryAt(ctx context.Context, jobID int64, errorClass string, notBefore time.Time) error {
	_, err := q.db.Exec(ctx,
		"UPDATE igbridge_queue_job SET state='pending', error_class=$2, not_before=$3 WHERE id=$1",
		jobID, errorClass, notBefore.UnixMilli())
	if err != nil {
		return fmt.Errorf("failed to schedule job retry: %w", err)
	}
	return nil
}

// requeue puts back a job that Stop interrupted, giving back the attempt it was on.
func (q *Queue) requeue(ctx context.Context, jobID int64) error {
	_, err := q.db.Exec(ctx,
		"UPDATE igbridge_queue_job SET state='pending', attempts=attempts-1 WHERE id=$1", jobID)
	if err != nil {
		return fmt.Errorf("failed to requeue job: %w", err)
	}
	return nil
}

func rowsAffected(res sql.Result) (int, error) {
	n, err := res.RowsAffected()
	return int(n), err
}
