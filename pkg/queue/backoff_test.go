package queue

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	const base, maxDelay = 5 * time.Second, 5 * time.Minute
	// The cap is the full delay, so from attempt 7 (5s·2⁶ = 320s) on the range stays [150s, 300s).
	cases := []struct {
		attempt       int
		low, mid, top time.Duration // rnd = 0, 0.5, 0.999
	}{
		{1, 2500 * time.Millisecond, 3750 * time.Millisecond, 4997500 * time.Microsecond},
		{2, 5 * time.Second, 7500 * time.Millisecond, 9995 * time.Millisecond},
		{3, 10 * time.Second, 15 * time.Second, 19990 * time.Millisecond},
		{4, 20 * time.Second, 30 * time.Second, 39980 * time.Millisecond},
		{5, 40 * time.Second, 60 * time.Second, 79960 * time.Millisecond},
		{6, 80 * time.Second, 120 * time.Second, 159920 * time.Millisecond},
		{7, 150 * time.Second, 225 * time.Second, 299850 * time.Millisecond},
		{1000, 150 * time.Second, 225 * time.Second, 299850 * time.Millisecond},
	}
	for _, c := range cases {
		for _, r := range []struct {
			rnd  float64
			want time.Duration
		}{{0, c.low}, {0.5, c.mid}, {0.999, c.top}} {
			got := Backoff(base, maxDelay, c.attempt, func() float64 { return r.rnd })
			if got != r.want {
				t.Errorf("Backoff(attempt %d, rnd %v) = %v, want %v", c.attempt, r.rnd, got, r.want)
			}
		}
	}
}
