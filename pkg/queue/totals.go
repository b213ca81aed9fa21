package queue

import (
	"context"
	"fmt"
)

// countEnded adds n jobs that reached the final state to the totals behind Counts. Call it in
// the transaction that changed their state, so the totals never drift from the jobs.
func (q *Queue) countEnded(ctx context.Context, state string, n int) error {
	if n == 0 {
		return nil
	}
	_, err := q.db.Exec(ctx, `
		INSERT INTO igbridge_queue_total (state, jobs) VALUES ($1, $2)
		ON CONFLICT (state) DO UPDATE SET jobs=igbridge_queue_total.jobs+excluded.jobs
	`, state, n)
	if err != nil {
		return fmt.Errorf("failed to count %s jobs: %w", state, err)
	}
	return nil
}
