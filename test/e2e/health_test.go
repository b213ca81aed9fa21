package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/igbridge/igbridge/internal/fakeig"
	"github.com/igbridge/igbridge/internal/promtext"
	"github.com/igbridge/igbridge/pkg/health"
)

// TestHealthAcrossHomeserverRestart stops the homeserver under a running bridge: the health
// report turns 503 while it is away and 200 once it is back, and the bridge answers links again
// without being restarted.
func TestHealthAcrossHomeserverRestart(t *testing.T) {
	e := startEnv(t, envOptions{network: map[string]any{"health": map[string]any{"check_interval": "200ms"}}})
	alice := e.hs.RegisterUser(t, "alice")
	roomID := e.watchedRoom(t, alice)

	report, body := e.waitHealth(t, http.StatusOK)
	t.Logf("health while running: %s", body)
	if report.Status != health.Healthy || !report.Started || !report.Homeserver.Reachable ||
		report.Extractor == nil || report.Extractor.Version == "" || report.Queue == nil {
		t.Fatalf("unexpected report while running: %s", body)
	}
	for _, secret := range []string{e.hsTok, get(e.config, "appservice", "as_token").(string), roomID.String(), e.bot.String(), "@"} {
		if strings.Contains(body, secret) {
			t.Fatalf("the health report reveals %q: %s", secret, body)
		}
	}

	e.hs.Stop(t)
	stopped := time.Now()
	report, body = e.waitHealth(t, http.StatusServiceUnavailable)
	t.Logf("health %v after stopping the homeserver: %s", since(stopped), body)
	if report.Status != health.Unhealthy || report.Homeserver.Reachable || report.Homeserver.LastError == "" ||
		len(report.Reasons) != 1 || !strings.Contains(report.Reasons[0], "homeserver is unreachable") {
		t.Fatalf("unexpected report while the homeserver is away: %s", body)
	}

	e.hs.Restart(t)
	restarted := time.Now()
	report, body = e.waitHealth(t, http.StatusOK)
	t.Logf("health %v after restarting the homeserver: %s", since(restarted), body)
	if !report.Homeserver.Reachable || !report.Homeserver.LastOKAt.After(report.Homeserver.LastErrorAt) {
		t.Fatalf("unexpected report after the homeserver is back: %s", body)
	}

	fixture, _ := e.ig.Fixture(fakeig.CodeReel)
	_, got := sendAndWait(t, alice, roomID, fakeig.ReelURL(fakeig.CodeReel), 1)
	e.checkMedia(t, alice, got[0], fixture.Items[0].MediaURL)
	t.Logf("link answered %v after the homeserver restart", since(restarted))
}

// TestHomeserverDownAtStart starts the bridge while the homeserver is away: it waits, reporting
// 503 meanwhile, and starts by itself once the homeserver is back.
func TestHomeserverDownAtStart(t *testing.T) {
	e := startEnv(t, envOptions{network: map[string]any{"health": map[string]any{"check_interval": "200ms"}}})
	alice := e.hs.RegisterUser(t, "alice")
	roomID := e.watchedRoom(t, alice)
	// An answered link shows the bridge has recorded the room before it is stopped.
	sendAndWait(t, alice, roomID, fakeig.ReelURL(fakeig.CodeReel), 1)
	e.stop()
	e.hs.Stop(t)

	began := time.Now()
	e.startInBackground()
	report, body := e.waitHealth(t, http.StatusServiceUnavailable)
	t.Logf("health %v after starting without a homeserver: %s", since(began), body)
	if report.Started || report.Homeserver.Reachable || report.Queue != nil {
		t.Fatalf("unexpected report while waiting for the homeserver: %s", body)
	}

	e.hs.Restart(t)
	restarted := time.Now()
	e.waitReady()
	report, body = e.waitHealth(t, http.StatusOK)
	t.Logf("health %v after the homeserver came up: %s", since(restarted), body)
	if !report.Started {
		t.Fatalf("not started: %s", body)
	}
	sendAndWait(t, alice, roomID, fakeig.PostURL(fakeig.CodeImage), 1)
}

// startInBackground starts the bridge like start, but does not wait until it is ready: without a
// homeserver it is not. The cleanup start registered stops this process too.
func (b *bridge) startInBackground() {
	b.t.Helper()
	b.proc = exec.Command(bridgeBinary, "-c", b.cfgPath, "-r", b.regPath, "--ignore-unsupported-server")
	b.proc.Dir = b.dir
	b.proc.Env = append(withoutProxyVars(os.Environ()), b.environ...)
	b.proc.Stdout, b.proc.Stderr = b.logBuf, b.logBuf
	if err := b.proc.Start(); err != nil {
		b.t.Fatalf("failed to start igbridge: %v", err)
	}
	b.exited = make(chan struct{})
	go func() {
		_ = b.proc.Wait()
		close(b.exited)
	}()
}

// TestSystemdNotify runs the bridge under a fake service manager: READY=1 once it has started,
// watchdog pings at half of WATCHDOG_USEC, and STOPPING=1 on SIGTERM, after the last ping.
func TestSystemdNotify(t *testing.T) {
	e := startEnv(t, envOptions{})
	e.stop()
	socket, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(t.TempDir(), "notify"), Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer socket.Close()
	e.environ = append(e.environ, "NOTIFY_SOCKET="+socket.LocalAddr().String(), "WATCHDOG_USEC=200000")
	e.start()

	next := func() string {
		t.Helper()
		_ = socket.SetReadDeadline(time.Now().Add(replyTimeout))
		buf := make([]byte, 4096)
		n, err := socket.Read(buf)
		if err != nil {
			t.Fatalf("no notification: %v", err)
		}
		return string(buf[:n])
	}
	// Start-up time extensions may come first.
	for state := next(); state != "READY=1"; state = next() {
		if !strings.HasPrefix(state, "EXTEND_TIMEOUT_USEC=") {
			t.Fatalf("got %q before READY=1", state)
		}
	}
	pings := time.Now()
	for range 3 {
		if state := next(); state != "WATCHDOG=1" {
			t.Fatalf("got %q, want WATCHDOG=1", state)
		}
	}
	t.Logf("3 watchdog pings took %v (WATCHDOG_USEC=200ms)", since(pings))
	e.stop()
	state := next()
	for state == "WATCHDOG=1" {
		state = next()
	}
	if state != "STOPPING=1" {
		t.Fatalf("got %q, want STOPPING=1", state)
	}
	_ = socket.SetReadDeadline(time.Now())
	if n, err := socket.Read(make([]byte, 4096)); err == nil {
		t.Fatalf("a notification of %d bytes after STOPPING=1", n)
	}
}

// TestMetrics scrapes the metrics listener around a link answered by fetching and again from the
// media cache.
func TestMetrics(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	e := startEnv(t, envOptions{network: map[string]any{"metrics": map[string]any{"enabled": true, "listen": addr}}})
	url := "http://" + addr + "/metrics"
	alice := e.hs.RegisterUser(t, "alice")
	roomID := e.watchedRoom(t, alice)
	link := fakeig.ReelURL(fakeig.CodeReel)

	// The bridge reports ready when its Matrix side is; the metrics listener follows a moment later.
	before := waitMetrics(t, url, func(map[string]float64) bool { return true })
	for _, name := range []string{"igbridge_links_seen_total", "igbridge_cache_misses_total", "igbridge_fetch_duration_seconds_count"} {
		if before[name] != 0 {
			t.Fatalf("%s = %v before any link", name, before[name])
		}
	}
	for _, name := range []string{"igbridge_queue_depth", "igbridge_ytdlp_worker_restarts_total", "igbridge_cooldown_active", "go_goroutines", "process_resident_memory_bytes"} {
		if _, ok := before[name]; !ok {
			t.Errorf("%s is missing", name)
		}
	}

	sendAndWait(t, alice, roomID, link, 1)
	// The outcome is counted once the last part is sent, just after the room sees it; the job
	// leaves the queue once its progress reaction is taken back.
	after := waitMetrics(t, url, func(m map[string]float64) bool {
		return m[`igbridge_jobs_total{error_class="",outcome="done"}`] >= 1 && m["igbridge_queue_depth"] == 0
	})
	for name, want := range map[string]float64{
		"igbridge_links_seen_total":             1,
		"igbridge_cache_misses_total":           1,
		"igbridge_cache_hits_total":             0,
		"igbridge_fetch_duration_seconds_count": 1,
		"igbridge_reply_latency_seconds_count":  1,
		"igbridge_queue_depth":                  0,
		"igbridge_cooldown_active":              0,
	} {
		if after[name] != want {
			t.Errorf("after the first link: %s = %v, want %v", name, after[name], want)
		}
	}
	if after["igbridge_fetch_duration_seconds_sum"] <= 0 {
		t.Errorf("the fetch took no time: %v", after["igbridge_fetch_duration_seconds_sum"])
	}

	sendAndWait(t, alice, roomID, link, 1)
	again := waitMetrics(t, url, func(m map[string]float64) bool {
		return m[`igbridge_jobs_total{error_class="",outcome="done"}`] >= 2
	})
	for name, want := range map[string]float64{
		"igbridge_links_seen_total":             2,
		"igbridge_cache_hits_total":             1,
		"igbridge_cache_misses_total":           1,
		"igbridge_fetch_duration_seconds_count": 1,
		"igbridge_reply_latency_seconds_count":  2,
	} {
		if again[name] != want {
			t.Errorf("after the cached link: %s = %v, want %v", name, again[name], want)
		}
	}
	t.Logf("fetch took %.3fs; reply latencies sum %.3fs", again["igbridge_fetch_duration_seconds_sum"], again["igbridge_reply_latency_seconds_sum"])
}

// waitHealth polls the health endpoint until it answers want, and returns the report with its
// raw body.
func (b *bridge) waitHealth(t *testing.T, want int) (health.Report, string) {
	t.Helper()
	deadline := time.After(replyTimeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last string
	for {
		code, body := b.getHealth()
		if code == want {
			var report health.Report
			if err := json.Unmarshal([]byte(body), &report); err != nil {
				t.Fatalf("health report is not JSON: %v\n%s", err, body)
			}
			return report, body
		}
		last = fmt.Sprintf("%d %s", code, body)
		select {
		case <-deadline:
			t.Fatalf("health did not answer %d within %v; last: %s", want, replyTimeout, last)
		case <-b.exited:
			t.Fatalf("igbridge exited; last health: %s", last)
		case <-tick.C:
		}
	}
}

// getHealth fetches the health report; the code is 0 when there was no answer (the bridge is not
// listening yet).
func (b *bridge) getHealth() (int, string) {
	resp, err := http.Get(b.asURL + health.Path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err.Error()
	}
	return resp.StatusCode, strings.TrimSpace(string(body))
}

// waitMetrics scrapes until a scrape succeeds and ready accepts its samples.
func waitMetrics(t *testing.T, url string, ready func(map[string]float64) bool) map[string]float64 {
	t.Helper()
	deadline := time.After(replyTimeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		samples, err := promtext.Scrape(url)
		if err == nil && ready(samples) {
			return samples
		}
		select {
		case <-deadline:
			t.Fatalf("metrics did not reach the expected state within %v: %v %v", replyTimeout, err, samples)
		case <-tick.C:
		}
	}
}
