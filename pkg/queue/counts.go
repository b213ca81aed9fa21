package queue

import (
	"context"
	"fmt"
	"time"
)

// RecentWindow is how far back Counts looks for RecentFailures and RecentTotal.
const RecentWindow = 15 * time.Minute

// Counts is a snapshot of the queue for `status` and health checks.
type Counts struct {
	Pending, Running, Done, Failed, Cancelled int
	// RecentFailures and RecentTotal count the jobs that ended failed, and failed or done, in
	// the last 15 minutes; cancelled jobs say nothing about Instagram and are left out.
	RecentFailures, RecentTotal int
}

// Counts counts the active jobs, the totals of finished ones and the recent outcomes. Every query
// reads an index range or the totals table, never all jobs: health calls this unauthenticated.
func (q *Queue) Counts(ctx context.Context) (Counts, error) {
	var counts Counts
	states := map[string]*int{
		statePending: &counts.Pending, stateRunning: &counts.Running,
		stateDone: &counts.Done, stateFailed: &counts.Failed, stateCancelled: &counts.Cancelled,
	}
	rows, err := q.db.Query(ctx, `
		SELECT state, COUNT(*) FROM igbridge_queue_job WHERE state IN ('pending', 'running') GROUP BY state
		UNION ALL
		SELECT state, jobs FROM igbridge_queue_total
	`)
	if err != nil {
		return counts, fmt.Errorf("failed to count jobs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var state string
		var n int
		if err = rows.Scan(&state, &n); err != nil {
			return counts, fmt.Errorf("failed to scan job count: %w", err)
		}
		if field, ok := states[state]; ok {
			*field = n
		}
	}
	if err = rows.Err(); err != nil {
		return counts, fmt.Errorf("failed to count jobs: %w", err)
	}
	err = q.db.QueryRow(ctx, `
		SELECT COUNT(CASE WHEN state='failed' THEN 1 END), COUNT(*) FROM igbridge_queue_job
		WHERE finished_at >= $1 AND state IN ('done', 'failed')
	`, q.clock.Now().Add(-RecentWindow).UnixMilli()).Scan(&counts.RecentFailures, &counts.RecentTotal)
	if err != nil {
		return counts, fmt.Errorf("failed to count recent jobs: %w", err)
	}
	return counts, nil
}
