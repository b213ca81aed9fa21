package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"maunium.net/go/mautrix/id"
)

// Reopen puts a failed job (or one that failed again like the link's last job) back in line to be
// tried now, with all its attempts, because a user asked for it; the room's and sender's caps hold
// as for a new link (ErrRoomFull, ErrUserFull). The replies of dropParts (the failure notice) are
// forgotten in the same transaction, so the new round sends them afresh. It reports false when
// the job did not fail: pending, running (IsRunning and WaitEnded tell when that ends), done or
// already reopened.
func (q *Queue) Reopen(ctx context.Context, jobID int64, dropParts ...int) (reopened bool, err error) {
	err = q.db.DoTxn(ctx, nil, func(ctx context.Context) error {
		var roomID id.RoomID
		var sender id.UserID
		var state string
		err := q.db.QueryRow(ctx,
			"SELECT room_id, sender, state FROM igbridge_queue_job WHERE id=$1", jobID,
		).Scan(&roomID, &sender, &state)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return nil
		case err != nil:
			return err
		case state != stateFailed && state != stateRepeated:
			return nil
		}
		if err = q.checkCaps(ctx, roomID, sender); err != nil {
			return err
		}
		_, err = q.db.Exec(ctx, `
			UPDATE igbridge_queue_job
			SET state='pending', attempts=0, retries=retries+1, not_before=0, error_class='',
				started_at=NULL, finished_at=NULL
			WHERE id=$1
		`, jobID)
		if err != nil {
			return err
		}
		// The job no longer ended failed: the totals count how jobs ended, and it has not yet.
		if err = q.countEnded(ctx, state, -1); err != nil {
			return err
		}
		for _, part := range dropParts {
			if err = q.ForgetReply(ctx, jobID, part); err != nil {
				return err
			}
		}
		reopened = true
		return nil
	})
	if err != nil {
		if !errors.Is(err, ErrRoomFull) && !errors.Is(err, ErrUserFull) {
			err = fmt.Errorf("failed to reopen job: %w", err)
		}
		return false, err
	}
	if reopened {
		q.poke()
	}
	return reopened, nil
}
