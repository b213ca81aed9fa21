package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/igbridge/igbridge/internal/fakeig"
	"github.com/igbridge/igbridge/internal/tesths"
	"github.com/igbridge/igbridge/pkg/health"
)

// TestFailureLines posts a link for each way a post can fail and checks the bot's one line for
// each; repeats are answered from the failure cache, say when the post was checked, and are
// counted once in status and metrics.
func TestFailureLines(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	// One attempt, so that a rate limit is answered while its hour-long cool-down is active.
	e := startEnv(t, envOptions{network: map[string]any{
		"rate_limit": map[string]any{"requests_per_minute": 60000, "min_interval": "1ms", "cooldown": "1h", "max_cooldown": "1h"},
		"retry":      map[string]any{"max_attempts": 1, "base_delay": "50ms", "max_delay": "200ms"},
		"metrics":    map[string]any{"enabled": true, "listen": addr},
	}})
	alice := e.hs.RegisterUser(t, "alice")
	roomID := e.watchedRoom(t, alice)

	unknownShare := "https://www.instagram.com/share/reel/BAbcNoSuch1/"
	for _, tc := range []struct{ link, want string }{
		{fakeig.PostURL(fakeig.CodePrivate), "This post is private; the bridge can only fetch public posts."},
		{fakeig.PostURL(fakeig.CodeNotFound), "This post does not exist or was removed; check the link."},
		{fakeig.ReelURL(fakeig.CodeLoginWall), "Instagram asks for a login for this post; the bridge can only fetch public posts."},
		{unknownShare, "This share link does not lead to a public post; try the post's own link."},
		{fakeig.PostURL(fakeig.CodeHostile), "Instagram pointed to media outside its CDN, so it was not downloaded."},
		{fakeig.ReelURL(fakeig.CodeEmptyMedia), "Instagram does not show this post to the bridge; open the link in Instagram."},
	} {
		got := failureLine(t, e, alice, roomID, tc.link)
		if got != tc.want {
			t.Errorf("%s: %q, want %q", tc.link, got, tc.want)
		}
		t.Logf("%s: %s", tc.link, got)
	}

	// Repeats: the same failure from the cache, without asking Instagram again.
	privatePage := "/p/" + fakeig.CodePrivate
	asked := e.ig.CountRequests("www.instagram.com", privatePage)
	for _, tc := range []struct{ link, what string }{
		{fakeig.PostURL(fakeig.CodePrivate), "This post is private"},
		{unknownShare, "This share link does not lead to a public post"},
	} {
		got := failureLine(t, e, alice, roomID, tc.link)
		want := regexp.MustCompile(`^` + regexp.QuoteMeta(tc.what) +
			` \(checked less than a minute ago\); post it again after \d\d:\d\d UTC to check again\.$`)
		if !want.MatchString(got) {
			t.Errorf("repeat of %s: %q, want it to match %s", tc.link, got, want)
		}
		t.Logf("repeat of %s: %s", tc.link, got)
	}
	if n := e.ig.CountRequests("www.instagram.com", privatePage); n != asked {
		t.Errorf("the repeat asked Instagram for the private post: %d requests, %d before", n, asked)
	}

	// Last, since its cool-down holds every later request for an hour.
	got := failureLine(t, e, alice, roomID, fakeig.ReelURL(fakeig.CodeRateLimited))
	limited := regexp.MustCompile(`^Instagram is limiting the bridge; it waits until (\d\d:\d\d) UTC, post the link again after that\.$`)
	m := limited.FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("rate limited: %q, want it to match %s", got, limited)
	}
	t.Logf("rate limited: %s", got)
	if until := time.Now().UTC().Add(time.Hour); m[1] != until.Format("15:04") && m[1] != until.Add(-time.Minute).Format("15:04") {
		t.Errorf("the cool-down ends at %s, want about %s", m[1], until.Format("15:04"))
	}

	// Seven links failed; the two repeats are counted apart.
	status := e.waitStatus(t, alice, roomID, "failed: 7,")
	if !strings.HasPrefix(status, "⚠️ Instagram is rate-limiting the bridge: paused until ") {
		t.Errorf("status does not start with the rate limit:\n%s", status)
	}
	mustContain(t, "status", status, "Links answered: 0, failed: 7, waiting: 0, in progress: 0")
	mustContain(t, "status", status, "Repeats of recently failed links, answered without asking Instagram: 2")
	mustContain(t, "status", status, "Last 15 minutes: 7 of 7 links failed")
	t.Logf("status:\n%s", status)
	samples := waitMetrics(t, "http://"+addr+"/metrics", func(m map[string]float64) bool {
		return m[`igbridge_jobs_total{error_class="rate_limited",outcome="failed"}`] >= 1
	})
	for name, want := range map[string]float64{
		`igbridge_jobs_total{error_class="private",outcome="failed"}`:            1,
		`igbridge_jobs_total{error_class="private",outcome="repeated"}`:          1,
		`igbridge_jobs_total{error_class="share_unresolved",outcome="failed"}`:   1,
		`igbridge_jobs_total{error_class="share_unresolved",outcome="repeated"}`: 1,
	} {
		if samples[name] != want {
			t.Errorf("%s = %v, want %v", name, samples[name], want)
		}
	}
}

// TestInstagramUnreachable: on a small install (far fewer links than health.min_recent_jobs),
// three different links that cannot reach Instagram make health degraded and put the problem in
// status' first line; one link that goes through makes both healthy again.
func TestInstagramUnreachable(t *testing.T) {
	e := startEnv(t, envOptions{network: map[string]any{"health": map[string]any{"check_interval": "200ms"}}})
	alice := e.hs.RegisterUser(t, "alice")
	roomID := e.watchedRoom(t, alice)
	e.ig.SetUnreachable(true)

	const want = "The bridge could not reach Instagram (tried 3 times); try again in a few minutes."
	for i := range 3 {
		if got := failureLine(t, e, alice, roomID, fakeig.ReelURL(fakeig.BulkCode(i))); got != want {
			t.Fatalf("link %d: %q, want %q", i+1, got, want)
		}
		if i == 1 {
			// Two links are not enough to blame Instagram.
			if report := e.healthNow(t); report.Status != health.Healthy {
				t.Fatalf("health after 2 failed links: %s %q, want healthy", report.Status, report.Reasons)
			}
		}
	}
	t.Logf("unreachable: %s", want)
	const reason = "Instagram could not be reached or refused the bridge for 3 of the last 3 links (network)"
	report, body := e.waitHealthStatus(t, health.Degraded)
	t.Logf("health while Instagram is unreachable: %s", body)
	if len(report.Reasons) != 1 || report.Reasons[0] != reason || report.Instagram == nil || report.Instagram.Problem != reason {
		t.Fatalf("degraded report: %s, want the one reason %q", body, reason)
	}
	status := e.settle(t, alice, roomID).Content.AsMessage().Body
	t.Logf("status while Instagram is unreachable:\n%s", status)
	if first, _, _ := strings.Cut(status, "\n"); first != "⚠️ "+reason+"; new links will likely fail until it answers again." {
		t.Fatalf("status starts with %q, want the problem", first)
	}

	e.ig.SetUnreachable(false)
	_, got := sendAndWait(t, alice, roomID, fakeig.ReelURL(fakeig.BulkCode(3)), 1)
	if got[0].Sender != ghostID("instagram") || got[0].Content.AsMessage().MsgType != event.MsgVideo {
		t.Fatalf("after Instagram is back: %q from %s, want the reel from the ghost", got[0].Content.AsMessage().Body, got[0].Sender)
	}
	_, body = e.waitHealthStatus(t, health.Healthy)
	t.Logf("health after a link went through: %s", body)
	status = e.settle(t, alice, roomID).Content.AsMessage().Body
	if !strings.HasPrefix(status, "* Watched rooms") {
		t.Fatalf("status after Instagram is back starts with %q", status)
	}
}

// failureLine posts a link and returns the body of the bot's one-line notice in answer.
func failureLine(t *testing.T, e *env, c *tesths.Client, roomID id.RoomID, link string) string {
	t.Helper()
	_, got := sendAndWait(t, c, roomID, link, 1)
	content := got[0].Content.AsMessage()
	if got[0].Sender != e.bot || content.MsgType != event.MsgNotice || strings.Contains(content.Body, "\n") {
		t.Fatalf("%s: got %s %q from %s, want a one-line notice from the bot", link, content.MsgType, content.Body, got[0].Sender)
	}
	return content.Body
}

// waitStatus asks for status until its answer contains want: a job's outcome is recorded just
// after its answer is sent.
func (b *bridge) waitStatus(t *testing.T, c *tesths.Client, roomID id.RoomID, want string) string {
	t.Helper()
	deadline := time.Now().Add(replyTimeout)
	for {
		status := b.settle(t, c, roomID).Content.AsMessage().Body
		if strings.Contains(status, want) {
			return status
		}
		if time.Now().After(deadline) {
			t.Fatalf("status does not say %q within %v:\n%s", want, replyTimeout, status)
		}
	}
}

// healthNow fetches one health report.
func (b *bridge) healthNow(t *testing.T) health.Report {
	t.Helper()
	code, body := b.getHealth()
	report, err := parseReport(body)
	if code == 0 || err != nil {
		t.Fatalf("no health report: %d %s", code, body)
	}
	return report
}

// waitHealthStatus polls the health endpoint until its verdict is want. (Degraded and healthy
// both answer 200, so waitHealth cannot tell them apart.)
func (b *bridge) waitHealthStatus(t *testing.T, want health.Status) (health.Report, string) {
	t.Helper()
	deadline := time.After(replyTimeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		code, body := b.getHealth()
		if report, err := parseReport(body); code == http.StatusOK && err == nil && report.Status == want {
			return report, body
		}
		select {
		case <-deadline:
			t.Fatalf("health did not say %s within %v; last: %d %s", want, replyTimeout, code, body)
		case <-b.exited:
			t.Fatalf("igbridge exited; last health: %s", body)
		case <-tick.C:
		}
	}
}

func parseReport(body string) (health.Report, error) {
	var report health.Report
	err := json.Unmarshal([]byte(body), &report)
	return report, err
}
