package queue

import "time"

// Backoff returns how long to wait before retrying after the given attempt (1 for the first):
// base doubled for each attempt after the first, capped at maxDelay, with "equal jitter": the
// wait is at least half that and less than all of it, so retries of jobs that failed together
// spread out but never come back almost at once. rnd returns a number in [0, 1), like
// rand.Float64.
func Backoff(base, maxDelay time.Duration, attempt int, rnd func() float64) time.Duration {
	d := base
	for i := 1; i < attempt && d < maxDelay; i++ {
		d *= 2
	}
	d = min(d, maxDelay)
	half := d / 2
	return half + time.Duration(rnd()*float64(d-half))
}
