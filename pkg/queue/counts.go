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
	// Repeated counts the jobs answered with a recent failure of the same link, not counted in Failed.
	Repeated int
	// RecentFailures and RecentTotal count the jobs that ended failed, and failed or done, in
	// the last 15 minutes; cancelled jobs say nothing about Instagram and repeated ones were counted
	// with the job they repeat, so both are left out.
	RecentFailures, RecentTotal int
}

// Counts counts the active jobs, the totals of finished ones and the recent outcomes. Every query
// reads an index range or the totals table, never all jobs: health calls this unauthenticated.
func (q *Queue) Counts(ctx context.Context) (Counts, error) {
	var counts Counts
	states := map[string]*int{
		statePending: &counts.Pending, stateRunning: &counts.Running,
		stateDone: &counts.Done, stateFailed: &counts.Failed, stateCancelled: &counts.Cancelled,
		stateRepeated: &counts.Repeated,
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

// LinkOutcome is how the latest job for a link ended.
type LinkOutcome struct {
	LinkKey    string
	Failed     bool
	ErrorClass string
}

// recentLinkRows bounds the finished jobs RecentLinks reads to find its distinct links.
const recentLinkRows = 200

// RecentLinks returns how the last jobs of up to n different links ended within RecentWindow,
// newest first: one entry per link, so that retries and repeats of one link count once.
// Repeated and cancelled jobs are left out, as in Counts.
func (q *Queue) RecentLinks(ctx context.Context, n int) ([]LinkOutcome, error) {
	rows, err := q.db.Query(ctx, `
		SELECT link_key, state, error_class FROM igbridge_queue_job
		WHERE state IN ('done', 'failed') AND finished_at >= $1
		ORDER BY finished_at DESC, id DESC LIMIT $2
	`, q.clock.Now().Add(-RecentWindow).UnixMilli(), recentLinkRows)
	if err != nil {
		return nil, fmt.Errorf("failed to list recent jobs: %w", err)
	}
	defer rows.Close()
	var out []LinkOutcome
	seen := make(map[string]bool)
	for rows.Next() && len(out) < n {
		var lo LinkOutcome
		var state string
		if err = rows.Scan(&lo.LinkKey, &state, &lo.ErrorClass); err != nil {
			return nil, fmt.Errorf("failed to scan recent job: %w", err)
		}
		if seen[lo.LinkKey] {
			continue
		}
		seen[lo.LinkKey] = true
		lo.Failed = state == stateFailed
		out = append(out, lo)
	}
	if err = rows.Err(); err != nil {
		return nil, fmt.Errorf("failed to list recent jobs: %w", err)
	}
	return out, nil
}
