// Package health decides whether the bridge can answer links, for GET /_igbridge/v1/health on the
// appservice listener, and keeps watch on the homeserver for that answer. A report carries counts,
// states and error messages only: never tokens, room IDs or user IDs, since it needs no login.
package health

import (
	"fmt"
	"net/http"
	"time"
)

// Status is the verdict of a report.
type Status string

const (
	// Healthy: links are being answered as usual.
	Healthy Status = "healthy"
	// Degraded: links are answered, but later or more expensively than usual (a rate-limit
	// cool-down, the yt-dlp command line instead of the worker). Restarting would not help, so
	// the endpoint still answers 200.
	Degraded Status = "degraded"
	// Unhealthy: links are not being answered (the homeserver is away, the bridge is still
	// starting, yt-dlp cannot run, the database does not answer, most links fail); 503.
	Unhealthy Status = "unhealthy"
)

// Limits decide when failing links make the bridge unhealthy.
type Limits struct {
	// MaxFailureRate is the largest share of failed links in the recent window that is still
	// healthy, from 0 to 1.
	MaxFailureRate float64
	// MinJobs is how many links must have ended in the window before their failure rate counts,
	// so that one private post in a quiet hour does not make the bridge unhealthy.
	MinJobs int
}

// Report is the health endpoint's answer. The bridge fills in what it observed and Decide adds
// the verdict.
type Report struct {
	Status  Status   `json:"status"`
	Reasons []string `json:"reasons"`
	// Started is false until the bridge has connected to the homeserver and started answering
	// links. (A stopping bridge closes the listener first, so there is no "stopping".)
	Started    bool       `json:"started"`
	Homeserver Homeserver `json:"homeserver"`
	// Extractor and Queue are known once the bridge has started.
	Extractor *Extractor `json:"extractor,omitempty"`
	Queue     *Queue     `json:"queue,omitempty"`
	Instagram *Instagram `json:"instagram,omitempty"`
	Cooldown  Cooldown   `json:"cooldown"`
}

// Instagram is what the most recent links say about Instagram.
type Instagram struct {
	// Problem says why Instagram seems unreachable or to be blocking the bridge; "" when the
	// recent links do not say so.
	Problem string `json:"problem,omitzero"`
}

// Homeserver is what the last checks of the homeserver's /_matrix/client/versions found.
type Homeserver struct {
	Reachable   bool      `json:"reachable"`
	CheckedAt   time.Time `json:"checked_at,omitzero"`
	LastOKAt    time.Time `json:"last_ok_at,omitzero"`
	LastError   string    `json:"last_error,omitzero"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
}

// Extractor is the state of yt-dlp.
type Extractor struct {
	Mode    string `json:"mode"`
	Version string `json:"version"`
	Problem string `json:"problem,omitzero"`
	// WorkerRestarts counts worker processes replaced, recycled ones included.
	WorkerRestarts int64 `json:"worker_restarts"`
}

// Queue is the state of the link queue; Error is set instead when the database did not answer.
type Queue struct {
	Pending int `json:"pending"`
	Running int `json:"running"`
	// Depth is Pending + Running.
	Depth int `json:"depth"`
	// RecentFailed and RecentTotal count the links that ended failed, and failed or answered,
	// within RecentWindow.
	RecentWindow      string  `json:"recent_window"`
	RecentFailed      int     `json:"recent_failed"`
	RecentTotal       int     `json:"recent_total"`
	RecentFailureRate float64 `json:"recent_failure_rate"`
	Error             string  `json:"error,omitzero"`
}

// NewQueue is the queue part of a report, with its depth and failure rate worked out.
func NewQueue(pending, running, recentFailed, recentTotal int, window time.Duration) *Queue {
	q := &Queue{
		Pending:      pending,
		Running:      running,
		Depth:        pending + running,
		RecentWindow: window.String(),
		RecentFailed: recentFailed,
		RecentTotal:  recentTotal,
	}
	if recentTotal > 0 {
		q.RecentFailureRate = float64(recentFailed) / float64(recentTotal)
	}
	return q
}

// Cooldown is the pause Instagram's rate limiting imposed.
type Cooldown struct {
	Active bool      `json:"active"`
	Until  time.Time `json:"until,omitzero"`
}

// Decide sets Status and Reasons from what the report holds.
func (r *Report) Decide(limits Limits) {
	var unhealthy, degraded []string
	if !r.Started {
		unhealthy = append(unhealthy, "the bridge has not started yet")
	}
	switch {
	case r.Homeserver.CheckedAt.IsZero():
		unhealthy = append(unhealthy, "the homeserver has not been checked yet")
	case !r.Homeserver.Reachable:
		unhealthy = append(unhealthy, "the homeserver is unreachable: "+r.Homeserver.LastError)
	}
	if ex := r.Extractor; ex != nil && ex.Problem != "" {
		// Without a version yt-dlp could not even run; with one, links are still answered
		// (through the command line, or by a yt-dlp that is older than it should be).
		if ex.Version == "" {
			unhealthy = append(unhealthy, "yt-dlp cannot run: "+ex.Problem)
		} else {
			degraded = append(degraded, "yt-dlp: "+ex.Problem)
		}
	}
	if q := r.Queue; q != nil {
		switch {
		case q.Error != "":
			unhealthy = append(unhealthy, "the database did not answer: "+q.Error)
		case q.RecentTotal >= limits.MinJobs && q.RecentFailureRate > limits.MaxFailureRate:
			// Degraded, not unhealthy: failing links are Instagram's doing (a block, expired
			// cookies) far more often than the bridge's, and restarting it would not help.
			degraded = append(degraded, fmt.Sprintf("%d of the last %d links failed within %s",
				q.RecentFailed, q.RecentTotal, q.RecentWindow))
		}
	}
	if ig := r.Instagram; ig != nil && ig.Problem != "" {
		// Degraded: links fail until Instagram answers again, which no restart brings about.
		degraded = append(degraded, ig.Problem)
	}
	if r.Cooldown.Active {
		degraded = append(degraded, "Instagram is rate-limiting the bridge; paused until "+
			r.Cooldown.Until.UTC().Format(time.RFC3339))
	}
	r.Reasons = append(unhealthy, degraded...)
	switch {
	case len(unhealthy) > 0:
		r.Status = Unhealthy
	case len(degraded) > 0:
		r.Status = Degraded
	default:
		r.Status, r.Reasons = Healthy, []string{}
	}
}

// HTTPStatus is the response code for the report: 503 when unhealthy, else 200.
func (r *Report) HTTPStatus() int {
	if r.Status == Unhealthy {
		return http.StatusServiceUnavailable
	}
	return http.StatusOK
}
