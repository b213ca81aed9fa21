package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/igbridge/igbridge/internal/fakeig"
	"github.com/igbridge/igbridge/internal/sqliteuri"
	"github.com/igbridge/igbridge/internal/tesths"
)

// campaign is the crash campaign's set-up: one Dendrite and one fake Instagram for the whole run,
// one bridge that is killed and started again at every kill point, with the homeserver behind
// hsProxy so that requests to it can be held.
type campaign struct {
	*env
	t     *testing.T
	proxy *hsProxy // the bridge's requests to Dendrite
	// asProxy is Dendrite's way to the bridge, where a transaction is seen answered.
	asProxy *hsProxy
	alice   *tesths.Client
	room    id.RoomID
	tmp     string // the bridge's TMPDIR, where its scratch directories are
	bulk    int    // the next unused bulk reel
	links   []*sentLink
	rows    []killRow
	// problems are what check found wrong, by point.
	problems map[string][]string
}

// sentLink is a message with one link and what it must get: parts answers, exactly once.
type sentLink struct {
	point   string
	roomID  id.RoomID
	eventID id.EventID // the message answered (for an edit, the original)
	stored  id.EventID // the event that carries the link, when not eventID (an edit)
	parts   int
	failure bool // answered with a failure notice, not media
	// cancelled: the message was redacted before it was answered, so it gets no answer.
	cancelled bool
	// due is false while the link's answer is held back on purpose past the next restart.
	due bool
}

// killRow is one line of the printed table.
type killRow struct {
	point   string
	atKill  string // the database's state of the point's links when the bridge was killed
	outcome string
}

// crashUploadThreshold makes mautrix buffer every upload in a temporary file, so that a kill
// mid-download leaves one behind for the next start to remove.
const crashUploadThreshold = 1024

func startCampaign(t *testing.T) *campaign {
	e := startEnv(t, envOptions{})
	c := &campaign{env: e, t: t, proxy: startHSProxy(t, "127.0.0.1:0", e.hs.URL), tmp: t.TempDir(), problems: map[string][]string{}}
	// The first start generated the config; the campaign's bridge talks to Dendrite through a
	// proxy, Dendrite to the bridge through another (on the registered address, the bridge moves
	// to a new port), and the bridge has a TMPDIR of its own.
	e.stop()
	asPort := freePort(t)
	c.asProxy = startHSProxy(t, strings.TrimPrefix(e.asURL, "http://"), fmt.Sprintf("http://127.0.0.1:%d", asPort))
	e.editConfig(func(cfg map[string]any) {
		set(cfg, c.proxy.URL, "homeserver", "address")
		set(cfg, asPort, "appservice", "port")
		set(cfg, crashUploadThreshold, "matrix", "upload_file_threshold")
	})
	e.environ = append(e.environ, "TMPDIR="+c.tmp)
	e.start()
	c.alice = e.hs.RegisterUser(t, "alice")
	c.room = e.watchedRoom(t, c.alice)
	return c
}

// nextBulk returns a bulk reel no point has linked yet.
func (c *campaign) nextBulk() string {
	code := fakeig.BulkCode(c.bulk)
	c.bulk++
	return code
}

// send posts a link for the current point and returns its message.
func (c *campaign) send(point string, roomID id.RoomID, code string, parts int) *sentLink {
	c.t.Helper()
	link := &sentLink{point: point, roomID: roomID, eventID: c.alice.SendText(c.t, roomID, postURL(code)), parts: parts, due: true}
	c.links = append(c.links, link)
	return link
}

// blockEventLoop makes the bridge's event loop wait on the homeserver: an edit that adds a link
// to a message without links makes the bridge fetch the original, and that request is held. The
// events that come meanwhile are acknowledged but wait in mautrix's channel. The edit's link is
// answered after the hold is released.
func (c *campaign) blockEventLoop(point string, roomID id.RoomID) *hsHold {
	c.t.Helper()
	hold := c.proxy.hold(`^GET /_matrix/client/v3/rooms/[^/]+/event/`, false)
	plain := c.alice.SendText(c.t, roomID, "no link in here")
	edit := sendEdit(c.t, c.alice, roomID, plain, postURL(c.nextBulk()))
	c.links = append(c.links, &sentLink{point: point, roomID: roomID, eventID: plain, stored: edit, parts: 1, due: true})
	hold.wait(c.t)
	return hold
}

// waitFor polls the bridge's database until cond holds; the database has no way to notify.
func (c *campaign) waitFor(what string, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(replyTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			c.t.Fatalf("%s did not happen within %v", what, replyTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitAcknowledged waits until the bridge has answered 200 to the transaction with an event.
func (c *campaign) waitAcknowledged(eventID id.EventID) {
	c.t.Helper()
	c.asProxy.waitPassed(c.t, "PUT", "/_matrix/app/v1/transactions/", eventID.String(), 200)
}

// waitJob waits until a job of the message has a row matching the condition (SQL on its columns).
func (c *campaign) waitJob(eventID id.EventID, cond string) {
	c.t.Helper()
	c.waitFor("a job of "+eventID.String()+" with "+cond, func() bool {
		return c.queryInt("SELECT COUNT(*) FROM igbridge_queue_job WHERE event_id=$1 AND "+cond, eventID) > 0
	})
}

// waitRequests waits until the fake has seen at least n requests to a path.
func (c *campaign) waitRequests(hostSuffix, pathPrefix string, n int) {
	c.t.Helper()
	c.waitFor(fmt.Sprintf("%d requests to %s%s", n, hostSuffix, pathPrefix), func() bool {
		return c.ig.CountRequests(hostSuffix, pathPrefix) >= n
	})
}

// stateOf describes what the database holds for a link: the inbox row of its event, its jobs and
// the parts of their answers recorded.
func (c *campaign) stateOf(link *sentLink) string {
	var parts []string
	stored := link.eventID
	if link.stored != "" {
		stored = link.stored
	}
	switch c.queryInt("SELECT COUNT(*) FROM igbridge_queue_inbox WHERE event_id=$1 AND handled_at IS NULL", stored) {
	case 0:
		if c.queryInt("SELECT COUNT(*) FROM igbridge_queue_inbox WHERE event_id=$1", stored) == 0 {
			parts = append(parts, "not in inbox")
		}
	default:
		parts = append(parts, "inbox unhandled")
	}
	rows, err := c.db().QueryContext(context.Background(), `
		SELECT j.state, (SELECT COUNT(*) FROM igbridge_queue_reply AS r WHERE r.job_id=j.id)
		FROM igbridge_queue_job AS j WHERE j.event_id=$1 ORDER BY j.id`, link.eventID)
	if err != nil {
		c.t.Fatalf("failed to read jobs: %v", err)
	}
	defer rows.Close()
	for rows.Next() {
		var state string
		var replies int
		if err = rows.Scan(&state, &replies); err != nil {
			c.t.Fatal(err)
		}
		parts = append(parts, fmt.Sprintf("job %s, %d sent", state, replies))
	}
	if len(parts) == 0 || (len(parts) == 1 && parts[0] == "not in inbox") {
		parts = append(parts, "no job")
	}
	return strings.Join(parts, ", ")
}

// kill SIGKILLs the bridge's process group at a point, undoes the point's holds, starts the
// bridge again and waits for the answers that are due. Each kill also checks that the killed
// bridge's temporary files did not survive the start.
func (c *campaign) kill(point string, release func()) {
	c.t.Helper()
	var states []string
	for _, link := range c.links {
		if link.point == point {
			states = append(states, c.stateOf(link))
		}
	}
	pid := c.proc.Process.Pid
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil {
		c.t.Fatalf("failed to kill the bridge's process group: %v", err)
	}
	<-c.exited
	c.start()
	// Only now: a request held before the homeserver must die with the bridge, not go on when
	// released, and by now the proxy has seen the connection close.
	if release != nil {
		release()
	}
	// The scratch sweep runs in the connector's start, which the readiness check does not wait for.
	c.waitFor("removing the killed bridge's temporary files", func() bool {
		return len(scratchDirs(c.tmp, pid)) == 0
	})
	start := time.Now()
	answered := c.waitAnswers(point)
	outcome := "held past the restart"
	if answered != "" {
		outcome = fmt.Sprintf("answered %s, %v after the restart was ready", answered, since(start))
	}
	c.rows = append(c.rows, killRow{point: point, atKill: strings.Join(states, "; "), outcome: outcome})
}

// waitAnswers waits until every due link has its answers and its jobs are over (a job may still
// be sending after the answers arrived, if the killed bridge's request got through), and says
// what the point's links got.
func (c *campaign) waitAnswers(point string) string {
	c.t.Helper()
	var answered []string
	for _, link := range c.links {
		if !link.due {
			continue
		}
		got := waitReplies(c.t, c.alice, link.roomID, link.eventID, link.parts)
		c.waitFor("the jobs of "+link.point+" to end", func() bool {
			return c.queryInt("SELECT COUNT(*) FROM igbridge_queue_job WHERE event_id=$1 AND state IN ('pending', 'running')", link.eventID) == 0
		})
		if link.point == point {
			answered = append(answered, fmt.Sprintf("%d/%d", len(got), link.parts))
		}
	}
	return strings.Join(answered, " ")
}

// check asserts that every link was answered exactly once with its parts, each part once, and
// that no job or inbox event was left behind.
func (c *campaign) check() {
	t := c.t
	t.Helper()
	rooms := map[id.RoomID]bool{}
	for _, link := range c.links {
		rooms[link.roomID] = true
	}
	for roomID := range rooms {
		c.settle(t, c.alice, roomID)
	}
	for _, link := range c.links {
		got := replies(c.alice, link.roomID, link.eventID)
		if len(got) != link.parts {
			c.problem(link.point, "%d answers, want %d", len(got), link.parts)
		}
		seen := map[string]bool{}
		for _, evt := range got {
			content := evt.Content.AsMessage()
			if link.failure != (content.MsgType == event.MsgNotice) {
				c.problem(link.point, "answer %s %q", content.MsgType, content.Body)
			}
			key := string(content.MsgType) + "|" + content.FileName + "|" + content.Body
			if seen[key] {
				c.problem(link.point, "part %q sent twice", key)
			}
			seen[key] = true
		}
		want := "done"
		switch {
		case link.failure:
			want = "failed"
		case link.cancelled:
			want = "cancelled"
		}
		// A failure whose notice was sent but not recorded is found in the failure cache when the
		// job runs again, so its job ends as a repeat of itself; the room still sees one notice.
		alsoOK := want
		if link.failure {
			alsoOK = "repeated"
		}
		if n := c.queryInt("SELECT COUNT(*) FROM igbridge_queue_job WHERE event_id=$1 AND state<>$2 AND state<>$3", link.eventID, want, alsoOK); n != 0 {
			c.problem(link.point, "%d jobs not %s: %s", n, want, c.stateOf(link))
		}
		if n := c.queryInt(`SELECT COUNT(*) FROM igbridge_queue_reply AS r JOIN igbridge_queue_job AS j ON j.id=r.job_id
			WHERE j.event_id=$1`, link.eventID); n != link.parts {
			c.problem(link.point, "%d answers recorded, want %d", n, link.parts)
		}
	}
	if n := c.queryInt("SELECT COUNT(*) FROM igbridge_queue_job WHERE state IN ('pending', 'running')"); n != 0 {
		t.Errorf("%d jobs left pending or running", n)
	}
	if n := c.queryInt("SELECT COUNT(*) FROM igbridge_queue_inbox WHERE handled_at IS NULL"); n != 0 {
		t.Errorf("%d inbox events left unhandled", n)
	}
}

// problem records and reports something wrong with a point's links.
func (c *campaign) problem(point, format string, args ...any) {
	c.t.Helper()
	msg := fmt.Sprintf(format, args...)
	c.problems[point] = append(c.problems[point], msg)
	c.t.Errorf("%s: %s", point, msg)
}

func (c *campaign) table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-3s %-62s | %-48s | %-14s | %s\n", "#", "kill point", "state at the kill", "exactly once", "outcome")
	for i, row := range c.rows {
		once := "yes"
		if problems := c.problems[row.point]; len(problems) > 0 {
			once = "NO: " + strings.Join(problems, "; ")
		}
		fmt.Fprintf(&b, "%-3d %-62s | %-48s | %-14s | %s\n", i+1, row.point, row.atKill, once, row.outcome)
	}
	return b.String()
}

// pathOf is the path of a URL, for holds.
func pathOf(t testing.TB, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}

func (c *campaign) fixture(code string) fakeig.Fixture {
	c.t.Helper()
	f, ok := c.ig.Fixture(code)
	if !ok {
		c.t.Fatalf("no fixture %s", code)
	}
	return f
}

// sendPart matches the bridge's send of one part of an answer (-1 is the failure notice).
func sendPart(part int) string {
	return fmt.Sprintf(`^PUT /_matrix/client/v3/rooms/[^/]+/send/m\.room\.message/igbridge-job-\d+-%d$`, part)
}

const uploadRequest = `^POST /_matrix/media/v3/upload`

// writableDB opens the bridge's database for writing; the assertions' pool is read-only on SQLite.
func (c *campaign) writableDB() *sql.DB {
	c.t.Helper()
	if c.dbDriver != "sqlite" {
		return c.db()
	}
	db, err := sql.Open("sqlite", sqliteuri.File(filepath.Join(c.dir, "igbridge.db")))
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { _ = db.Close() })
	return db
}

// exec runs a statement on the bridge's database.
func (c *campaign) exec(db *sql.DB, query string) {
	c.t.Helper()
	if _, err := db.ExecContext(context.Background(), query); err != nil {
		c.t.Fatalf("%s: %v", query, err)
	}
}

// lockMediaCache takes a lock that makes the bridge's next media cache write wait. It returns the
// transaction holding it and a check that the bridge's write is waiting.
func (c *campaign) lockMediaCache() (*sql.Tx, func() bool) {
	t := c.t
	t.Helper()
	tx, err := c.writableDB().BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatalf("failed to lock the database: %v", err)
	}
	// With _txlock=immediate the transaction holds SQLite's write lock from its start. SQLite
	// shows no sign of a writer waiting for it, so there the kill comes once the last upload is
	// answered: the next write after it is the cache entry.
	waiting := func() bool { return true }
	if c.dbDriver != "sqlite" {
		if _, err = tx.Exec("LOCK TABLE igbridge_media_cache IN EXCLUSIVE MODE"); err != nil {
			t.Fatalf("failed to lock the media cache: %v", err)
		}
		waiting = func() bool {
			return c.queryInt(`SELECT COUNT(*) FROM pg_stat_activity WHERE datname=current_database()
				AND wait_event_type='Lock' AND query LIKE '%INSERT INTO igbridge_media_cache%'`) > 0
		}
	}
	return tx, waiting
}

// TestCrashCampaign kills the bridge (SIGKILL to its process group) at 22 points across the life
// of a job, starting it again each time, makes the inbox write fail once, then stops the bridge
// with SIGTERM while links are in flight: every link is answered exactly once (a redacted one not
// at all), no part twice, no job or stored event is left behind, and no temporary file of a
// killed bridge survives the next start. It prints the table of kill points and outcomes.
func TestCrashCampaign(t *testing.T) {
	begin := time.Now()
	c := startCampaign(t)
	other := c.watchedRoom(t, c.alice)
	ig := c.ig

	// 1: the event loop is busy, so a link's transaction is acknowledged (and stored) but waits
	// in mautrix's channel: the very gap that lost links before the inbox.
	p := "acknowledged, waiting in the event channel"
	hold := c.blockEventLoop(p, c.room)
	c.waitAcknowledged(c.send(p, c.room, c.nextBulk(), 1).eventID)
	c.kill(p, hold.release)

	// 2: extraction under way; the room's next link is queued behind it.
	p = "extracting (post page requested), next link queued"
	code := c.nextBulk()
	release := ig.Hold("/p/"+code, false)
	c.send(p, c.room, code, 1)
	ig.WaitForRequest(t, "www.instagram.com", "/p/"+code, replyTimeout)
	c.waitJob(c.send(p, c.room, c.nextBulk(), 1).eventID, "state='pending'")
	c.kill(p, release)

	// 3: a share link being resolved.
	p = "resolving a share link"
	release = ig.Hold("/share/reel/"+fakeig.ShareCode, false)
	c.links = append(c.links, &sentLink{point: p, roomID: c.room, parts: 1, due: true,
		eventID: c.alice.SendText(t, c.room, "https://www.instagram.com/share/reel/"+fakeig.ShareCode+"/")})
	ig.WaitForRequest(t, "www.instagram.com", "/share/reel/"+fakeig.ShareCode, replyTimeout)
	c.kill(p, release)

	// 4: the video requested from the CDN, no byte back yet.
	p = "downloading: CDN request sent, no answer yet"
	code = c.nextBulk()
	c.killDuringCDNRequest(p, code, 1, pathOf(t, c.fixture(code).Items[0].MediaURL))

	// 5: the download stalled halfway while it streams into its upload (no buffer file: above
	// upload_file_threshold the bridge streams), which waits at the homeserver's door.
	p = "downloading: half the video streamed into its upload"
	code = c.nextBulk()
	video := pathOf(t, c.fixture(code).Items[0].MediaURL)
	release = ig.Hold(video, true)
	hold = c.proxy.hold(uploadRequest, false)
	c.send(p, c.room, code, 1)
	ig.WaitForRequest(t, "cdninstagram.com", video, replyTimeout)
	hold.wait(t)
	for _, dir := range scratchDirs(c.tmp, c.proc.Process.Pid) {
		if found, _ := filepath.Glob(filepath.Join(dir, "mautrix-upload-*")); len(found) > 0 {
			c.problem(p, "the video went through an upload buffer file: %v", found)
		}
	}
	c.kill(p, func() {
		release()
		hold.release()
	})

	// 6: between two uploads of one item: the video is on the homeserver, its cover (which
	// downloads alongside the video) is held.
	p = "video uploaded, cover download held"
	code = c.nextBulk()
	cover := pathOf(t, c.fixture(code).Items[0].ThumbURL)
	release = ig.Hold(cover, false)
	c.send(p, c.room, code, 1)
	ig.WaitForRequest(t, "cdninstagram.com", cover, replyTimeout)
	c.waitUploaded(code)
	c.kill(p, release)

	// 7, 8: an upload on its way to the homeserver, then one the homeserver stored unanswered.
	p = "uploading: request not yet at the homeserver"
	hold = c.proxy.hold(uploadRequest, false)
	c.send(p, c.room, c.nextBulk(), 1)
	hold.wait(t)
	c.kill(p, hold.release)

	p = "uploading: stored by the homeserver, answer lost"
	hold = c.proxy.hold(uploadRequest, true)
	c.send(p, c.room, c.nextBulk(), 1)
	hold.wait(t)
	c.kill(p, hold.release)

	// 9, 10: between upload and send, then between send and recording the sent part.
	p = "uploaded and cached, send not yet at the homeserver"
	cached := c.nextBulk()
	hold = c.proxy.hold(sendPart(0), false)
	c.send(p, c.room, cached, 1)
	hold.wait(t)
	c.kill(p, hold.release)

	p = "sent by the homeserver, answer lost (not recorded)"
	hold = c.proxy.hold(sendPart(0), true)
	c.send(p, c.room, c.nextBulk(), 1)
	hold.wait(t)
	c.kill(p, hold.release)

	// 11, 12: between the parts of a carousel, fetched, then from the cache.
	p = "carousel: part 1 recorded, part 2 not yet at the homeserver"
	hold = c.proxy.hold(sendPart(1), false)
	c.send(p, c.room, fakeig.CodeCarousel, 3)
	hold.wait(t)
	c.kill(p, hold.release)

	p = "cached carousel: part 2 sent, answer lost"
	hold = c.proxy.hold(sendPart(1), true)
	c.send(p, other, fakeig.CodeCarousel, 3)
	hold.wait(t)
	c.kill(p, hold.release)

	// 13: a 10-item carousel, killed while its third item downloads.
	p = "big carousel: third item downloading"
	c.killDuringCDNRequest(p, fakeig.CodeBigCarousel, 10, pathOf(t, c.fixture(fakeig.CodeBigCarousel).Items[2].MediaURL))

	// 14: the media cache write, made to wait on a lock the test holds.
	p = "writing the media cache (waiting on a lock)"
	code = c.nextBulk()
	cover = pathOf(t, c.fixture(code).Items[0].ThumbURL)
	release = ig.Hold(cover, false)
	c.send(p, c.room, code, 1)
	ig.WaitForRequest(t, "cdninstagram.com", cover, replyTimeout)
	c.waitUploaded(code)
	// The cover's upload is the last before the cache write.
	hold = c.proxy.hold(uploadRequest, true)
	release()
	hold.wait(t)
	lock, waiting := c.lockMediaCache()
	send := c.proxy.hold(sendPart(0), false)
	hold.release()
	hold.waitAnswered(t)
	c.waitFor("the cache write waiting on the lock", waiting)
	c.kill(p, func() {
		_ = lock.Rollback()
		send.release()
	})

	// 15: a link answered from the cache, killed before its send reaches the homeserver.
	p = "cache hit, send not yet at the homeserver"
	pages := ig.CountRequests("www.instagram.com", "/p/"+cached)
	hold = c.proxy.hold(sendPart(0), false)
	c.send(p, other, cached, 1)
	hold.wait(t)
	c.kill(p, hold.release)
	if n := ig.CountRequests("www.instagram.com", "/p/"+cached); n != pages {
		c.problem(p, "the cached post was fetched again %d times", n-pages)
	}

	// 16: a failure notice the homeserver took but whose answer was lost.
	p = "failure notice sent, answer lost"
	hold = c.proxy.hold(sendPart(-1), true)
	c.send(p, c.room, fakeig.CodeNotFound, 1).failure = true
	hold.wait(t)
	c.kill(p, hold.release)

	// 17: a job that met a 429 and waits for its retry.
	p = "rate limited, waiting for the retry"
	code = c.nextBulk()
	ig.FailNext(code, 1)
	c.waitJob(c.send(p, c.room, code, 1).eventID, "error_class='rate_limited'")
	c.kill(p, nil)

	// 18: the ghost of a new account joining the room.
	p = "ghost joining the room"
	hold = c.proxy.hold(`^POST /_matrix/client/v3/(join/|rooms/[^/]+/join)`, false)
	c.send(p, c.room, fakeig.CodeImage, 1)
	hold.wait(t)
	c.kill(p, hold.release)

	// 19, 20: killed during extraction, and again during the resumed extraction after the restart.
	p = "extracting"
	code = c.nextBulk()
	release = ig.Hold("/p/"+code, false)
	twice := c.send(p, c.room, code, 1)
	ig.WaitForRequest(t, "www.instagram.com", "/p/"+code, replyTimeout)
	twice.due = false
	c.kill(p, nil)
	p = "extracting again after the restart (resumed job)"
	twice.point, twice.due = p, true
	c.waitRequests("www.instagram.com", "/p/"+code, 2)
	c.kill(p, release)

	// 21: an encrypted link acknowledged behind a busy event loop: stored encrypted, decrypted
	// after the restart.
	p = "encrypted link acknowledged, waiting in the event channel"
	c.alice.EnableCrypto(t)
	secret := c.alice.CreateEncryptedRoom(t)
	c.alice.Invite(t, secret, c.bot)
	c.alice.WaitForMembership(t, secret, c.bot, event.MembershipJoin, replyTimeout)
	hold = c.blockEventLoop(p, c.room)
	c.waitAcknowledged(c.send(p, secret, c.nextBulk(), 1).eventID)
	c.kill(p, hold.release)

	// 22: a redaction acknowledged behind a busy event loop, of a message whose job is running: once
	// the redaction is handled after the restart, the job gives up instead of answering.
	p = "redaction acknowledged, waiting in the event channel"
	code = c.nextBulk()
	release = ig.Hold("/p/"+code, false)
	redacted := c.send(p, c.room, code, 0)
	redacted.cancelled = true
	ig.WaitForRequest(t, "www.instagram.com", "/p/"+code, replyTimeout)
	hold = c.blockEventLoop(p, c.room)
	// Pushed as a homeserver would (see redactionEvent); acknowledged once pushEvents returns.
	redaction := id.EventID("$redact-" + string(redacted.eventID[1:]))
	c.pushEvents(t, redactionEvent(redaction, c.room, c.alice.UserID, redacted.eventID))
	c.kill(p, func() {
		hold.release()
		c.waitFor("handling the redaction", func() bool {
			return c.queryInt("SELECT COUNT(*) FROM igbridge_queue_inbox WHERE event_id=$1 AND handled_at IS NOT NULL", redaction) > 0
		})
		release()
	})

	// Not a kill: the inbox cannot be written (its table is gone for a moment), so the transaction
	// is answered 500 and the homeserver sends it again.
	p = "inbox write failing (no kill)"
	db := c.writableDB()
	c.exec(db, "ALTER TABLE igbridge_queue_inbox RENAME TO igbridge_queue_inbox_away")
	refused := c.send(p, c.room, c.nextBulk(), 1)
	c.asProxy.waitPassed(t, "PUT", "/_matrix/app/v1/transactions/", refused.eventID.String(), 500)
	c.exec(db, "ALTER TABLE igbridge_queue_inbox_away RENAME TO igbridge_queue_inbox")
	retried := time.Now()
	state := c.stateOf(refused)
	got := waitReplies(t, c.alice, c.room, refused.eventID, 1)
	c.rows = append(c.rows, killRow{point: p, atKill: state,
		outcome: fmt.Sprintf("answered 500, then %d/1 %v after the table was back", len(got), since(retried))})

	// The graceful stop: a job running (its download stalled), one queued behind it, a link
	// waiting in the event channel behind a busy event loop; SIGTERM, and the stalled download is
	// let go once the bridge is stopping.
	p = "SIGTERM with links in flight"
	code = c.nextBulk()
	video = pathOf(t, c.fixture(code).Items[0].MediaURL)
	release = ig.Hold(video, true)
	c.send(p, other, code, 1)
	ig.WaitForRequest(t, "cdninstagram.com", video, replyTimeout)
	c.waitJob(c.send(p, other, c.nextBulk(), 1).eventID, "state='pending'")
	hold = c.blockEventLoop(p, c.room)
	c.waitAcknowledged(c.send(p, c.room, c.nextBulk(), 1).eventID)
	c.stopInFlight(p, release, hold.release)

	c.check()
	t.Logf("crash campaign on %s, %v in all:\n%s", c.dbDriver, since(begin), c.table())
}

// stopInFlight sends SIGTERM, lets the running job go on once the bridge is stopping, checks the
// bridge exits by itself with status 0, and starts it again.
func (c *campaign) stopInFlight(point string, releaseRunning, releaseRest func()) {
	t := c.t
	t.Helper()
	var states []string
	for _, link := range c.links {
		if link.point == point {
			states = append(states, c.stateOf(link))
		}
	}
	if err := c.proc.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	c.waitFor("the bridge stopping", func() bool { return strings.Contains(c.logBuf.String(), `"Shutting down bridge"`) })
	stopping := time.Now()
	releaseRunning()
	select {
	case <-c.exited:
	case <-time.After(replyTimeout):
		t.Fatalf("the bridge did not stop within %v of SIGTERM", replyTimeout)
	}
	if code := c.proc.ProcessState.ExitCode(); code != 0 {
		c.problem(point, "the bridge exited with %d after SIGTERM, want 0", code)
	}
	stopped := since(stopping)
	c.start()
	releaseRest()
	answered := c.waitAnswers(point)
	c.rows = append(c.rows, killRow{point: point, atKill: strings.Join(states, "; "),
		outcome: fmt.Sprintf("stopped in %v with status 0; answered %s", stopped, answered)})
}

// killDuringCDNRequest posts code, which is answered in parts messages, and kills the bridge
// while the fake CDN holds its request for path, before any byte of the answer.
func (c *campaign) killDuringCDNRequest(point, code string, parts int, path string) {
	release := c.ig.Hold(path, false)
	c.send(point, c.room, code, parts)
	c.ig.WaitForRequest(c.t, "cdninstagram.com", path, replyTimeout)
	c.kill(point, release)
}

// waitUploaded waits until the homeserver has stored the video of the post code.
func (c *campaign) waitUploaded(code string) {
	c.t.Helper()
	video, _ := c.ig.Media(c.fixture(code).Items[0].MediaURL)
	c.proxy.waitPassed(c.t, "POST", "/_matrix/media/v3/upload", string(video[:64]), http.StatusOK)
}

// scratchDirs lists the scratch directories of the bridge process pid under tmp.
func scratchDirs(tmp string, pid int) []string {
	dirs, _ := filepath.Glob(filepath.Join(tmp, "igbridge-tmp-"+strconv.Itoa(pid)+"-*"))
	return dirs
}
