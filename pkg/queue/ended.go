package queue

import (
	"context"
	"fmt"
)

// endWaiters are the callers of WaitEnded, by job: run closes their channels once an attempt's
// outcome is recorded.
type endWaiters map[int64][]chan struct{}

// WaitEnded returns once the job is not running: at once if it is not, else when its attempt's
// outcome is recorded. A user's retry of a failure comes here when it is quicker than the queue:
// the failure notice is sent before the attempt is recorded as failed.
func (q *Queue) WaitEnded(ctx context.Context, jobID int64) error {
	ended := make(chan struct{})
	q.lock.Lock()
	if q.waiters == nil {
		q.waiters = make(endWaiters)
	}
	q.waiters[jobID] = append(q.waiters[jobID], ended)
	q.lock.Unlock()
	defer q.dropWaiter(jobID, ended)
	// Registered before looking, so an outcome recorded in between is not missed.
	if running, err := q.IsRunning(ctx, jobID); err != nil || !running {
		return err
	}
	select {
	case <-ended:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// IsRunning reports whether an attempt at the job is under way (false for a job that is gone).
func (q *Queue) IsRunning(ctx context.Context, jobID int64) (bool, error) {
	var n int
	err := q.db.QueryRow(ctx, "SELECT COUNT(*) FROM igbridge_queue_job WHERE id=$1 AND state=$2", jobID, stateRunning).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("failed to check the job's state: %w", err)
	}
	return n > 0, nil
}

func (q *Queue) dropWaiter(jobID int64, ended chan struct{}) {
	q.lock.Lock()
	defer q.lock.Unlock()
	waiting := q.waiters[jobID]
	for i, ch := range waiting {
		if ch == ended {
			waiting = append(waiting[:i], waiting[i+1:]...)
			break
		}
	}
	if len(waiting) == 0 {
		delete(q.waiters, jobID)
	} else {
		q.waiters[jobID] = waiting
	}
}

// attemptEnded wakes the callers of WaitEnded for a job whose attempt's outcome was recorded.
func (q *Queue) attemptEnded(jobID int64) {
	q.lock.Lock()
	defer q.lock.Unlock()
	for _, ch := range q.waiters[jobID] {
		close(ch)
	}
	delete(q.waiters, jobID)
}
