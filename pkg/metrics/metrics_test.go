package metrics

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/igbridge/igbridge/internal/promtext"
)

type fakeState struct {
	depthErr error
}

func (fs *fakeState) QueueDepth(context.Context) (int, error) { return 3, fs.depthErr }
func (fs *fakeState) WorkerRestarts() int64                   { return 2 }
func (fs *fakeState) CooldownActive() bool                    { return true }

func TestServeMetrics(t *testing.T) {
	state := &fakeState{}
	m := New(state)
	m.LinksSeen(2)
	m.JobAttempt("done", "")
	m.JobAttempt("retry", "rate_limited")
	m.JobAttempt("retry", "rate_limited")
	m.Fetched(1500 * time.Millisecond)
	m.Replied(2 * time.Second)
	m.CacheHit()
	m.CacheMiss()
	m.CacheMiss()

	addr := freeAddr(t)
	server, err := m.Listen(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = server.Close() })
	if _, err = m.Listen(context.Background(), addr); err == nil {
		t.Errorf("a second listener on %s was started", addr)
	}

	got := scrape(t, "http://"+addr+"/metrics")
	for name, want := range map[string]float64{
		"igbridge_links_seen_total":                                       2,
		`igbridge_jobs_total{error_class="",outcome="done"}`:              1,
		`igbridge_jobs_total{error_class="rate_limited",outcome="retry"}`: 2,
		"igbridge_fetch_duration_seconds_count":                           1,
		"igbridge_fetch_duration_seconds_sum":                             1.5,
		`igbridge_fetch_duration_seconds_bucket{le="2"}`:                  1,
		`igbridge_fetch_duration_seconds_bucket{le="1"}`:                  0,
		"igbridge_reply_latency_seconds_count":                            1,
		"igbridge_cache_hits_total":                                       1,
		"igbridge_cache_misses_total":                                     2,
		"igbridge_queue_depth":                                            3,
		"igbridge_ytdlp_worker_restarts_total":                            2,
		"igbridge_cooldown_active":                                        1,
		`promhttp_metric_handler_errors_total{cause="gathering"}`:         0,
	} {
		if got[name] != want {
			t.Errorf("%s = %v, want %v", name, got[name], want)
		}
	}
	if _, ok := got["go_goroutines"]; !ok {
		t.Errorf("the Go runtime metrics are missing")
	}

	// A state that cannot be read leaves out its metric, not the others.
	state.depthErr = errors.New("database is locked")
	got = scrape(t, "http://"+addr+"/metrics")
	if _, ok := got["igbridge_queue_depth"]; ok {
		t.Errorf("queue depth served although it could not be read")
	}
	if got["igbridge_links_seen_total"] != 2 {
		t.Errorf("the other metrics were not served with the failed one: %v", got)
	}
}

// scrape fetches a metrics page and returns its samples by name and labels.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	samples, err := promtext.Scrape(url)
	if err != nil {
		t.Fatal(err)
	}
	return samples
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
