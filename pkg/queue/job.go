package queue

import (
	"context"
	"time"

	"maunium.net/go/mautrix/id"
)

// Job is one accepted Instagram link, to be answered in the room it was posted in.
type Job struct {
	ID         int64
	RoomID     id.RoomID
	EventID    id.EventID // the message being answered
	ThreadRoot id.EventID // its thread, "" when none
	Sender     id.UserID
	LinkKey    string // dedup key of the link, e.g. "post:Abc"
	LinkURL    string
	Attempts   int // attempts already started, including the current one
	// LastAttempt is set on the attempt after which a Retry becomes Failed: the queue decides,
	// so that a handler can answer for good instead of asking for a retry that will not come.
	LastAttempt bool
	Retries     int // times a user had the job tried again after it failed (see Reopen)
	CreatedAt   time.Time
}

// Outcome is what became of one attempt at a job.
type Outcome int

// Outcomes start at 1 so that a forgotten Outcome is not mistaken for Done.
const (
	Done Outcome = iota + 1
	// Retry tries again later, unless this was the last attempt, which makes it Failed.
	Retry
	Failed
	// Cancelled means the job should no longer be answered (the message is gone, answering was
	// turned off).
	Cancelled
	// Repeated means the job failed as another job for the same link did a moment ago, without
	// trying again; it is kept apart from Failed so that the failure is counted once.
	Repeated
)

func (o Outcome) String() string {
	switch o {
	case Done:
		return "done"
	case Retry:
		return "retry"
	case Failed:
		return "failed"
	case Cancelled:
		return "cancelled"
	case Repeated:
		return "repeated"
	default:
		return "invalid"
	}
}

// Error classes the queue sets itself.
const (
	// ErrorClassInternal marks a job whose handler panicked or returned no valid outcome.
	ErrorClassInternal = "internal"
	// ErrorClassInterrupted marks a job that was running when the bridge died on its last
	// attempt: resuming it again could crash the bridge again.
	ErrorClassInterrupted = "interrupted"
)

// Result is what a handler reports for one attempt.
type Result struct {
	Outcome    Outcome
	ErrorClass string // why it failed or will be retried, e.g. "rate_limited"; kept with the job
	// RetryAfter is the wait before the next attempt of a Retry; 0 means the queue's backoff.
	RetryAfter time.Duration
	// Err is why the attempt did not succeed, for the one log line of its outcome.
	Err error
}

// Handler answers one job. Its context is cancelled when the queue stops.
type Handler func(ctx context.Context, job *Job) Result

// Job states as stored.
const (
	statePending   = "pending"
	stateRunning   = "running"
	stateDone      = "done"
	stateFailed    = "failed"
	stateCancelled = "cancelled"
	stateRepeated  = "repeated"
)
