package health

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestDecide(t *testing.T) {
	now := time.Now()
	limits := Limits{MaxFailureRate: 0.5, MinJobs: 10}
	reachable := Homeserver{Reachable: true, CheckedAt: now, LastOKAt: now}
	worker := &Extractor{Mode: "worker", Version: "2026.10.26"}
	idle := NewQueue(0, 0, 0, 0, 15*time.Minute)
	healthy := func() Report {
		return Report{Started: true, Homeserver: reachable, Extractor: worker, Queue: idle}
	}
	with := func(change func(*Report)) Report {
		r := healthy()
		change(&r)
		return r
	}
	cases := []struct {
		name    string
		report  Report
		status  Status
		code    int
		reasons []string // substrings, one per expected reason, in order
	}{
		{"all well", healthy(), Healthy, http.StatusOK, nil},
		{"busy queue", with(func(r *Report) { r.Queue = NewQueue(8, 2, 0, 30, 15*time.Minute) }), Healthy, http.StatusOK, nil},
		{"starting, homeserver away", Report{Homeserver: Homeserver{CheckedAt: now, LastError: "connection refused"}},
			Unhealthy, http.StatusServiceUnavailable, []string{"not started", "unreachable: connection refused"}},
		{"starting, not checked yet", Report{}, Unhealthy, http.StatusServiceUnavailable,
			[]string{"not started", "not been checked"}},
		{"homeserver away", with(func(r *Report) {
			r.Homeserver = Homeserver{CheckedAt: now, LastOKAt: now.Add(-time.Minute), LastError: "dial tcp: connection refused", LastErrorAt: now}
		}), Unhealthy, http.StatusServiceUnavailable, []string{"homeserver is unreachable: dial tcp: connection refused"}},
		{"yt-dlp cannot run", with(func(r *Report) {
			r.Extractor = &Extractor{Mode: "cli", Problem: "exec: yt-dlp: not found"}
		}), Unhealthy, http.StatusServiceUnavailable, []string{"yt-dlp cannot run: exec: yt-dlp: not found"}},
		{"worker unavailable, CLI works", with(func(r *Report) {
			r.Extractor = &Extractor{Mode: "cli", Version: "2026.10.26", Problem: "worker unavailable: no python"}
		}), Degraded, http.StatusOK, []string{"yt-dlp: worker unavailable"}},
		{"database error", with(func(r *Report) { r.Queue = &Queue{Error: "database is locked"} }),
			Unhealthy, http.StatusServiceUnavailable, []string{"database did not answer: database is locked"}},
		{"most links fail", with(func(r *Report) { r.Queue = NewQueue(0, 0, 6, 10, 15*time.Minute) }),
			Degraded, http.StatusOK, []string{"6 of the last 10 links failed within 15m0s"}},
		{"half the links fail", with(func(r *Report) { r.Queue = NewQueue(0, 0, 5, 10, 15*time.Minute) }),
			Healthy, http.StatusOK, nil},
		{"all of too few links fail", with(func(r *Report) { r.Queue = NewQueue(0, 0, 9, 9, 15*time.Minute) }),
			Healthy, http.StatusOK, nil},
		{"Instagram unreachable", with(func(r *Report) {
			r.Instagram = &Instagram{Problem: "Instagram could not be reached for 3 of the last 3 links"}
		}), Degraded, http.StatusOK, []string{"Instagram could not be reached for 3 of the last 3 links"}},
		{"Instagram answers", with(func(r *Report) { r.Instagram = &Instagram{} }), Healthy, http.StatusOK, nil},
		{"cool-down", with(func(r *Report) { r.Cooldown = Cooldown{Active: true, Until: now.Add(time.Minute)} }),
			Degraded, http.StatusOK, []string{"rate-limiting the bridge; paused until"}},
		{"cool-down and homeserver away", with(func(r *Report) {
			r.Cooldown = Cooldown{Active: true, Until: now.Add(time.Minute)}
			r.Homeserver.Reachable = false
		}), Unhealthy, http.StatusServiceUnavailable, []string{"unreachable", "rate-limiting"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.report
			r.Decide(limits)
			if r.Status != tc.status || r.HTTPStatus() != tc.code {
				t.Errorf("status %s (%d), want %s (%d); reasons %q", r.Status, r.HTTPStatus(), tc.status, tc.code, r.Reasons)
			}
			if r.Reasons == nil {
				t.Errorf("reasons are nil, which would be null in JSON")
			}
			if len(r.Reasons) != len(tc.reasons) {
				t.Fatalf("reasons %q, want %d matching %q", r.Reasons, len(tc.reasons), tc.reasons)
			}
			for i, want := range tc.reasons {
				if !strings.Contains(r.Reasons[i], want) {
					t.Errorf("reason %d is %q, want it to contain %q", i, r.Reasons[i], want)
				}
			}
		})
	}
}

func TestNewQueue(t *testing.T) {
	q := NewQueue(3, 1, 2, 8, 15*time.Minute)
	if q.Depth != 4 || q.RecentFailureRate != 0.25 || q.RecentWindow != "15m0s" {
		t.Errorf("got %+v", q)
	}
	if q = NewQueue(0, 0, 0, 0, time.Minute); q.RecentFailureRate != 0 {
		t.Errorf("rate without jobs: %v", q.RecentFailureRate)
	}
}
