package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// sampleTimeout bounds reading the state at a scrape.
const sampleTimeout = 5 * time.Second

// State is what the bridge reports at each scrape rather than counting as it happens.
type State interface {
	// QueueDepth is the number of links waiting or being answered.
	QueueDepth(ctx context.Context) (int, error)
	// WorkerRestarts counts yt-dlp worker processes replaced so far (recycled ones included).
	WorkerRestarts() int64
	// CooldownActive reports whether Instagram's rate limiting has paused the bridge.
	CooldownActive() bool
}

// stateCollector samples State when Prometheus scrapes, so that the values are current without a
// polling loop.
type stateCollector struct {
	state          State
	queueDepth     *prometheus.Desc
	workerRestarts *prometheus.Desc
	cooldownActive *prometheus.Desc
}

var _ prometheus.Collector = (*stateCollector)(nil)

func newStateCollector(state State) *stateCollector {
	return &stateCollector{
		state: state,
		queueDepth: prometheus.NewDesc("igbridge_queue_depth",
			"Links waiting in the queue or being answered.", nil, nil),
		workerRestarts: prometheus.NewDesc("igbridge_ytdlp_worker_restarts_total",
			"yt-dlp worker processes replaced (recycled, timed out, broken or dead).", nil, nil),
		cooldownActive: prometheus.NewDesc("igbridge_cooldown_active",
			"1 while Instagram's rate limiting has paused requests to it, else 0.", nil, nil),
	}
}

func (sc *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- sc.queueDepth
	ch <- sc.workerRestarts
	ch <- sc.cooldownActive
}

func (sc *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), sampleTimeout)
	defer cancel()
	if depth, err := sc.state.QueueDepth(ctx); err != nil {
		// Reported as a scrape error; the other metrics are still served.
		ch <- prometheus.NewInvalidMetric(sc.queueDepth, err)
	} else {
		ch <- prometheus.MustNewConstMetric(sc.queueDepth, prometheus.GaugeValue, float64(depth))
	}
	ch <- prometheus.MustNewConstMetric(sc.workerRestarts, prometheus.CounterValue, float64(sc.state.WorkerRestarts()))
	cooldown := 0.0
	if sc.state.CooldownActive() {
		cooldown = 1
	}
	ch <- prometheus.MustNewConstMetric(sc.cooldownActive, prometheus.GaugeValue, cooldown)
}
