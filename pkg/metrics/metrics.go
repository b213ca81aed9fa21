// Package metrics keeps igbridge's Prometheus metrics in a registry of their own, served on a
// listener of its own (network.metrics), apart from the appservice port.
package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the bridge's counters and histograms. They count whether or not they are served.
type Metrics struct {
	registry *prometheus.Registry

	linksSeen     prometheus.Counter
	jobs          *prometheus.CounterVec
	fetchDuration prometheus.Histogram
	replyLatency  prometheus.Histogram
	cacheHits     prometheus.Counter
	cacheMisses   prometheus.Counter
}

// New registers the bridge's metrics, the ones sampled from state at each scrape, and the Go
// runtime and process metrics in a new registry.
func New(state State) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		linksSeen: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "igbridge_links_seen_total",
			Help: "Instagram links found in messages (and edits) in rooms where the bridge answers links, " +
				"counting those over the per-message limit.",
		}),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "igbridge_jobs_total",
			Help: "Attempts at answering a link, by outcome (done, failed and cancelled end the link; " +
				"retry means another attempt follows; repeated is a link answered with its recent failure " +
				"without asking Instagram, not counted as failed again) and error class.",
		}, []string{"outcome", "error_class"}),
		fetchDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "igbridge_fetch_duration_seconds",
			Help: "Time to fetch a post that was not cached: waiting for the rate limit, extracting " +
				"it with yt-dlp, downloading its media and uploading it to the homeserver. Successful fetches only.",
			Buckets: []float64{0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120, 300},
		}),
		replyLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "igbridge_reply_latency_seconds",
			Help: "Time from the bridge receiving a link to the last part of its answer being sent, " +
				"including waiting in the queue and retries. Answered links only.",
			Buckets: []float64{0.5, 1, 2, 4, 8, 15, 30, 60, 120, 300, 900, 3600},
		}),
		cacheHits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "igbridge_cache_hits_total",
			Help: "Links answered with media uploaded before, from the media cache.",
		}),
		cacheMisses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "igbridge_cache_misses_total",
			Help: "Links whose post was not in the media cache and had to be fetched.",
		}),
	}
	m.registry.MustRegister(
		m.linksSeen, m.jobs, m.fetchDuration, m.replyLatency, m.cacheHits, m.cacheMisses,
		newStateCollector(state),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// LinksSeen counts links found in a message.
func (m *Metrics) LinksSeen(n int) { m.linksSeen.Add(float64(n)) }

// JobAttempt counts the outcome of one attempt at a link.
func (m *Metrics) JobAttempt(outcome, errorClass string) {
	m.jobs.WithLabelValues(outcome, errorClass).Inc()
}

// Fetched records how long a successful fetch took.
func (m *Metrics) Fetched(d time.Duration) { m.fetchDuration.Observe(d.Seconds()) }

// Replied records how long answering a link took.
func (m *Metrics) Replied(d time.Duration) { m.replyLatency.Observe(d.Seconds()) }

// CacheHit counts a post answered from the media cache.
func (m *Metrics) CacheHit() { m.cacheHits.Inc() }

// CacheMiss counts a post that had to be fetched.
func (m *Metrics) CacheMiss() { m.cacheMisses.Inc() }
