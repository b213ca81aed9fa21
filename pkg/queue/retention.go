package queue

import (
	"context"
	"fmt"
)

// pruneBatch bounds one DELETE, so pruning a large backlog never holds the write lock for long.
const pruneBatch = 1000

// Prune deletes the jobs that ended more than Config.Retention ago, with their recorded replies,
// and returns how many it deleted. Their outcomes stay in the totals behind Counts. A redaction
// of a message older than the retention no longer finds the bridge's answers.
func (q *Queue) Prune(ctx context.Context) (int, error) {
	cutoff := q.clock.Now().Add(-q.cfg.Retention).UnixMilli()
	total := 0
	for {
		// The replies go by ON DELETE CASCADE.
		res, err := q.db.Exec(ctx, `
			DELETE FROM igbridge_queue_job WHERE id IN (
				SELECT id FROM igbridge_queue_job
				WHERE finished_at < $1 AND state IN ('done', 'failed', 'cancelled')
				LIMIT $2
			)
		`, cutoff, pruneBatch)
		if err != nil {
			return total, fmt.Errorf("failed to prune finished jobs: %w", err)
		}
		n, err := rowsAffected(res)
		if err != nil {
			return total, fmt.Errorf("failed to prune finished jobs: %w", err)
		}
		total += n
		if n < pruneBatch {
			return total, nil
		}
	}
}
