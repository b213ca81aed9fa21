package connector

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"go.mau.fi/util/dbutil"
	"maunium.net/go/mautrix/id"

	"github.com/igbridge/igbridge/pkg/media"
)

// Job states.
const (
	jobPending = "pending"
	jobDone    = "done"
	jobFailed  = "failed"
)

// jobStore records every accepted link and its outcome.
type jobStore struct {
	db *dbutil.Database
}

// Add records an accepted link; it reports false when the same link of the same event was already
// accepted (a transaction the homeserver sent twice).
func (js *jobStore) Add(ctx context.Context, roomID id.RoomID, eventID id.EventID, link media.Link) (int64, bool, error) {
	var jobID int64
	err := js.db.QueryRow(ctx, `
		INSERT INTO igbridge_job (room_id, event_id, link_key, link_url, state, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (event_id, link_key) DO NOTHING
		RETURNING id
	`, roomID, eventID, link.Key(), link.URL(), jobPending, time.Now().UnixMilli()).Scan(&jobID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	} else if err != nil {
		return 0, false, fmt.Errorf("failed to record job: %w", err)
	}
	return jobID, true, nil
}

// Finish records the outcome of a job; errorClass is empty on success.
func (js *jobStore) Finish(ctx context.Context, jobID int64, errorClass string) error {
	state := jobDone
	if errorClass != "" {
		state = jobFailed
	}
	_, err := js.db.Exec(ctx,
		"UPDATE igbridge_job SET state=$2, error_class=$3, finished_at=$4 WHERE id=$1",
		jobID, state, errorClass, time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("failed to finish job: %w", err)
	}
	return nil
}

type jobCounts struct {
	Pending, Done, Failed int
}

// Counts returns how many links are pending, answered and failed.
func (js *jobStore) Counts(ctx context.Context) (counts jobCounts, err error) {
	err = js.db.QueryRow(ctx, `
		SELECT COUNT(CASE WHEN state=$1 THEN 1 END), COUNT(CASE WHEN state=$2 THEN 1 END),
		       COUNT(CASE WHEN state=$3 THEN 1 END)
		FROM igbridge_job
	`, jobPending, jobDone, jobFailed).Scan(&counts.Pending, &counts.Done, &counts.Failed)
	if err != nil {
		err = fmt.Errorf("failed to count jobs: %w", err)
	}
	return
}
