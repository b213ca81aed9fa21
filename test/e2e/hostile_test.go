package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/igbridge/igbridge/internal/fakeig"
	"github.com/igbridge/igbridge/internal/tesths"
)

// hostileTxn is one transaction of TestHostileLoad: what goes to the appservice port, and the
// statuses it may get.
type hostileTxn struct {
	kind   string
	txnID  string
	auth   string // the Authorization header; "" for none
	body   []byte
	status []int
}

// TestHostileLoad sends the appservice port 1000 transactions no homeserver should send, or that
// a hostile member can make one send: bad or missing tokens, malformed JSON, 64 KiB bodies,
// messages with 500 links, edits and redactions by another member, unknown event types, huge and
// repeated transaction ids. The bridge must stay up with bounded memory and answer only what it
// should: nothing behind a bad token, at most max_links_per_message links of a message, no edit
// or redaction by someone who may not make it, no room it does not watch.
func TestHostileLoad(t *testing.T) {
	e := startEnv(t, envOptions{})
	alice := e.hs.RegisterUser(t, "alice")
	mallory := e.hs.RegisterUser(t, "mallory")
	roomID := e.watchedRoom(t, alice, mallory.UserID)
	mallory.Join(t, roomID)
	unwatched := alice.NewRoom(t)
	answeredID, answers := sendAndWait(t, alice, roomID, "https://www.instagram.com/p/"+fakeig.CodeImage+"/", 1)
	plainID := alice.SendText(t, roomID, "no links here")
	e.settle(t, alice, roomID)
	baseJobs := e.queryInt("SELECT COUNT(*) FROM igbridge_queue_job")

	h := hostileSet{e: e, roomID: roomID, client: alice, alice: alice.UserID, mallory: mallory.UserID, bob: id.NewUserID("bob", "localhost")}
	txns := h.build(answeredID, answers[0].ID, plainID, unwatched)
	if len(txns) != 1000 {
		t.Fatalf("built %d transactions, want 1000", len(txns))
	}

	pid := e.proc.Process.Pid
	rssBefore := rssKiB(t, pid)
	start := time.Now()
	bad := h.send(t, txns)
	sent := since(start)
	rssSent := rssKiB(t, pid)
	for _, msg := range bad {
		t.Error(msg)
	}

	// Pushed events are handled in order with the homeserver's: once the bridge has answered a
	// command sent after them, it has handled them all. Then let every accepted job end.
	e.waitIdle(t, alice, roomID, 3*replyTimeout)
	rssAfter := rssKiB(t, pid)
	workers := 0
	for _, child := range childPIDs(t, pid) {
		workers += rssKiB(t, child)
	}
	t.Logf("%d transactions sent in %v", len(txns), sent)
	t.Logf("bridge RSS: %d KiB before, %d KiB after sending, %d KiB after the jobs ended (peak %d KiB); yt-dlp workers %d KiB",
		rssBefore, rssSent, rssAfter, procStatusKiB(t, pid, "VmHWM:"), workers)

	select {
	case <-e.exited:
		t.Fatalf("igbridge exited under the hostile load")
	default:
	}
	if code, body := e.getHealth(); code != http.StatusOK {
		t.Fatalf("health answered %d %s after the hostile load", code, body)
	}
	// Bounded: a bridge that kept what it was sent would hold several times the 6.4 MB of 64 KiB
	// bodies, and one that expanded the 500-link messages far more.
	if grew := rssAfter - rssBefore; grew > 100<<10 {
		t.Errorf("RSS grew by %d KiB under the hostile load", grew)
	}

	h.checkJobs(t, baseJobs, answeredID, start)
	// The edits and redactions were refused by their checks, not lost on the way.
	for _, line := range []string{"Ignoring an edit of someone else's message", "Ignoring someone who is neither the link's sender nor allowed to redact others' messages"} {
		n := strings.Count(e.logBuf.String(), line)
		if n == 0 {
			t.Errorf("the log has no %q: the hostile events did not reach their check", line)
		}
		t.Logf("%q logged %d times", line, n)
	}
	// And it still answers.
	sendAndWait(t, alice, roomID, "https://www.instagram.com/reel/"+fakeig.CodeReel+"/", 1)
}

// hostileSet builds and checks the hostile transactions against one watched room.
type hostileSet struct {
	e              *env
	roomID         id.RoomID
	client         *tesths.Client // alice's, whose timeline is checked
	alice, mallory id.UserID
	bob            id.UserID // a member who posts no link but the duplicated one
}

// Counts of the transactions that carry real links, which the checks need.
const (
	hostileManyLinks = 20 // messages with 500 links each
	hostileDuplicate = 40 // copies of one transaction with one link
)

func (h hostileSet) build(answeredID, answerID, plainID id.EventID, unwatched id.RoomID) []hostileTxn {
	var txns []hostileTxn
	add := func(kind string, n int, makeTxn func(i int) hostileTxn) {
		for i := range n {
			txn := makeTxn(i)
			txn.kind = kind
			if txn.txnID == "" {
				txn.txnID = fmt.Sprintf("hostile-%s-%d", strings.ReplaceAll(kind, " ", "-"), i)
			}
			txns = append(txns, txn)
		}
	}
	token := "Bearer " + h.e.hsTok
	ok := []int{http.StatusOK}
	valid := func(events ...map[string]any) hostileTxn {
		return hostileTxn{auth: token, body: eventsBody(events...), status: ok}
	}
	link := func(i int) string { return "https://www.instagram.com/p/" + fakeig.BulkCode(i%fakeig.BulkCount) + "/" }

	// A real-looking link from a member behind a wrong, missing or misspelt token.
	add("wrong token", 100, func(i int) hostileTxn {
		return hostileTxn{auth: "Bearer wrong-" + strconv.Itoa(i), body: eventsBody(h.text("bad-token", i, h.alice, link(i))), status: []int{http.StatusForbidden}}
	})
	add("no token", 100, func(i int) hostileTxn {
		return hostileTxn{body: eventsBody(h.text("no-token", i, h.alice, link(i))), status: []int{http.StatusUnauthorized, http.StatusForbidden}}
	})
	misspelt := []string{"Basic " + h.e.hsTok, "Bearer " + h.e.hsTok + "x", "Bearer " + h.e.hsTok[1:], "bearer", "Bearer " + strings.Repeat("A", 8<<10)}
	add("misspelt token", 50, func(i int) hostileTxn {
		return hostileTxn{auth: misspelt[i%len(misspelt)], body: eventsBody(h.text("misspelt", i, h.alice, link(i))), status: []int{http.StatusUnauthorized, http.StatusForbidden}}
	})
	malformed := [][]byte{
		[]byte(`{"events":[`), []byte(`nul`), []byte(``), []byte(`{"events":"x"}`), []byte(`{"events":[1,"a"]}`),
		[]byte(`{"events":[{"type":5}]}`), []byte("\xff\xfe{\x00"), bytes.Repeat([]byte("["), 100000),
		[]byte(`{"events":[{"type":"m.room.message","content":` + strings.Repeat(`{"a":`, 20000) + `1` + strings.Repeat(`}`, 20000) + `}]}`),
		[]byte(`{"events":[{"type":"m.room.message","room_id":"` + string(h.roomID) + `","content":{"body":"` + link(0) + `"`),
	}
	add("malformed JSON", 120, func(i int) hostileTxn {
		return hostileTxn{auth: token, body: malformed[i%len(malformed)], status: []int{http.StatusBadRequest}}
	})
	// 64 KiB of text with look-alike hosts only, and 64 KiB of garbage.
	lookalikes := strings.Repeat("https://www.instagram.com.evil.example/p/Abcdef/ https://wwwinstagram.com/reel/Abcdef/ ", 64<<10/88)
	add("64 KiB body", 100, func(i int) hostileTxn {
		if i%2 == 1 {
			return hostileTxn{auth: token, body: bytes.Repeat([]byte{'{', 0x80, '"'}, 64<<10/3), status: []int{http.StatusBadRequest}}
		}
		return valid(h.text("big", i, h.alice, lookalikes))
	})
	add("500 links", hostileManyLinks, func(i int) hostileTxn {
		var many strings.Builder
		for j := range 500 {
			fmt.Fprintf(&many, "https://www.instagram.com/p/Hostile%02dx%03d/ ", i, j)
		}
		return valid(h.text("many", i, h.alice, many.String()))
	})
	add("edit by another member", 100, func(i int) hostileTxn {
		of := answeredID
		if i%3 == 0 {
			of = plainID // no job yet: the bridge asks the homeserver who sent it
		}
		return valid(h.edit(i, h.mallory, of, link(i)))
	})
	add("edit of an unknown event", 30, func(i int) hostileTxn {
		return valid(h.edit(i, h.alice, id.EventID(fmt.Sprintf("$nonexistent-%d", i)), link(i)))
	})
	add("redaction by another member", 100, func(i int) hostileTxn {
		redacts := answeredID
		if i%2 == 1 {
			redacts = answerID
		}
		return valid(h.event("redaction", i, h.mallory, "m.room.redaction", map[string]any{"redacts": redacts}, map[string]any{"redacts": redacts}))
	})
	unknown := []func(i int) map[string]any{
		func(i int) map[string]any {
			return h.event("unknown", i, h.alice, "com.evil.type", map[string]any{"body": link(i)}, nil)
		},
		func(i int) map[string]any {
			return h.event("msgtype", i, h.alice, "m.room.message", map[string]any{"msgtype": "m.evil", "body": link(i)}, nil)
		},
		func(i int) map[string]any {
			return h.event("sticker", i, h.alice, "m.sticker", map[string]any{"body": link(i), "url": "mxc://localhost/x"}, nil)
		},
		func(i int) map[string]any {
			return h.event("reaction", i, h.alice, "m.reaction", map[string]any{"m.relates_to": map[string]any{"rel_type": "m.annotation", "event_id": answeredID, "key": link(i)}}, nil)
		},
		func(i int) map[string]any {
			return h.event("state", i, h.alice, "com.evil.state", map[string]any{"body": link(i)}, map[string]any{"state_key": ""})
		},
		func(i int) map[string]any {
			return h.event("badcontent", i, h.alice, "m.room.message", map[string]any{"msgtype": 7, "body": []int{1}}, nil)
		},
	}
	add("unknown event type", 80, func(i int) hostileTxn { return valid(unknown[i%len(unknown)](i)) })
	add("invite to a room that does not exist", 10, func(i int) hostileTxn {
		bot := string(h.e.bot)
		return valid(h.in(id.RoomID(fmt.Sprintf("!nowhere-%d:localhost", i)), h.event("invite", i, h.alice, "m.room.member", map[string]any{"membership": "invite"}, map[string]any{"state_key": bot})))
	})
	add("message from the bridge's own users", 30, func(i int) hostileTxn {
		sender := h.e.bot
		if i%2 == 1 {
			sender = ghostID("nasa")
		}
		return valid(h.text("own", i, sender, link(i)))
	})
	add("unwatched room", 50, func(i int) hostileTxn {
		room := unwatched
		if i%2 == 1 {
			room = id.RoomID(fmt.Sprintf("!fake-%d:localhost", i))
		}
		return valid(h.in(room, h.text("unwatched", i, h.alice, link(i))))
	})
	add("huge transaction id", 60, func(i int) hostileTxn {
		txn := valid(h.event("hugetxn", i, h.alice, "com.evil.type", map[string]any{}, nil))
		txn.txnID = fmt.Sprintf("%d-%s", i, strings.Repeat("x", 16<<10+i*512))
		if i%6 == 0 {
			// An escaped slash makes it a path the appservice does not serve.
			txn.txnID = fmt.Sprintf("%d-%%2E%%2E%%2F..%%00ünï", i)
			txn.status = []int{http.StatusOK, http.StatusNotFound}
		}
		return txn
	})
	// From Bob, whose links are not over the per-user cap that Alice's 500-link messages fill.
	dup := eventsBody(h.text("duplicate", 0, h.bob, "https://www.instagram.com/p/"+fakeig.CodeCarousel+"/"))
	add("duplicate transaction", hostileDuplicate, func(int) hostileTxn {
		return hostileTxn{txnID: "hostile-duplicate", auth: token, body: dup, status: ok}
	})
	add("many events", 10, func(i int) hostileTxn {
		var events []map[string]any
		for j := range 200 {
			events = append(events, h.event(fmt.Sprintf("many%d", i), j, h.alice, "com.evil.type", map[string]any{"body": link(j)}, nil))
		}
		return valid(events...)
	})
	return txns
}

// event is a room event as the homeserver would push it, with id $hostile-<tag>-<i>.
func (h hostileSet) event(tag string, i int, sender id.UserID, evtType string, content, extra map[string]any) map[string]any {
	evt := map[string]any{
		"type": evtType, "event_id": fmt.Sprintf("$hostile-%s-%d", tag, i), "room_id": h.roomID,
		"sender": sender, "content": content, "origin_server_ts": time.Now().UnixMilli(),
	}
	for k, v := range extra {
		evt[k] = v
	}
	return evt
}

func (h hostileSet) text(tag string, i int, sender id.UserID, body string) map[string]any {
	return h.event(tag, i, sender, "m.room.message", map[string]any{"msgtype": "m.text", "body": body}, nil)
}

func (h hostileSet) edit(i int, sender id.UserID, of id.EventID, link string) map[string]any {
	return h.event("edit-"+sender.Localpart(), i, sender, "m.room.message", map[string]any{
		"msgtype": "m.text", "body": "* " + link,
		"m.new_content": map[string]any{"msgtype": "m.text", "body": link},
		"m.relates_to":  map[string]any{"rel_type": "m.replace", "event_id": of},
	}, nil)
}

func (h hostileSet) in(roomID id.RoomID, evt map[string]any) map[string]any {
	evt["room_id"] = roomID
	return evt
}

func eventsBody(events ...map[string]any) []byte {
	body, err := json.Marshal(map[string]any{"events": events})
	if err != nil {
		panic(err) // only maps of strings and numbers
	}
	return body
}

// send puts the transactions from 8 connections at once and returns what answered unexpectedly.
func (h hostileSet) send(t *testing.T, txns []hostileTxn) []string {
	var (
		mu   sync.Mutex
		bad  []string
		wg   sync.WaitGroup
		next = make(chan hostileTxn)
	)
	for range 8 {
		wg.Go(func() {
			for txn := range next {
				status, err := h.e.putTransaction(txn.txnID, txn.auth, txn.body)
				if err == nil && containsInt(txn.status, status) {
					continue
				}
				mu.Lock()
				bad = append(bad, fmt.Sprintf("%s (%d bytes): status %d, err %v; want %v", txn.kind, len(txn.body), status, err, txn.status))
				mu.Unlock()
			}
		})
	}
	for _, txn := range txns {
		next <- txn
	}
	close(next)
	wg.Wait()
	return bad
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// checkJobs checks the bridge's rows and the room after the load: the jobs are the original
// link, the duplicated transaction's link once, and at most max_links_per_message of each 500-link
// message; every bot or ghost message in the room is the recorded answer to one of them or an
// over-cap notice, and nothing was redacted.
func (h hostileSet) checkJobs(t *testing.T, baseJobs int, answeredID id.EventID, start time.Time) {
	t.Helper()
	e := h.e
	if n := e.queryInt("SELECT COUNT(*) FROM igbridge_queue_job WHERE sender NOT IN ($1, $2)", h.alice, h.bob); n != 0 {
		t.Errorf("%d jobs from someone other than alice and bob (an edit by mallory or the bridge's own users)", n)
	}
	if n := e.queryInt("SELECT COUNT(*) FROM igbridge_queue_job WHERE room_id <> $1", h.roomID); n != 0 {
		t.Errorf("%d jobs in rooms the bridge does not watch", n)
	}
	if n := e.queryInt("SELECT COUNT(*) FROM igbridge_queue_job WHERE event_id = $1", answeredID); n != 1 {
		t.Errorf("the answered message has %d jobs after mallory's edits, want 1", n)
	}
	if n := e.queryInt("SELECT COUNT(*) FROM igbridge_queue_job WHERE event_id = '$hostile-duplicate-0'"); n != 1 {
		t.Errorf("the link sent in %d copies of one transaction has %d jobs, want 1", hostileDuplicate, n)
	}
	most := e.queryInt("SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM igbridge_queue_job GROUP BY event_id) AS per_message")
	if maxLinks := 3; most > maxLinks {
		t.Errorf("a message got %d jobs, want at most max_links_per_message=%d", most, maxLinks)
	}
	many := e.queryInt("SELECT COUNT(*) FROM igbridge_queue_job WHERE event_id LIKE '$hostile-many-%'")
	other := e.queryInt("SELECT COUNT(*) FROM igbridge_queue_job") - baseJobs - many
	if other != 1 {
		t.Errorf("%d jobs came from transactions other than the 500-link messages, want 1 (the duplicated one)", other)
	}
	if rooms := e.queryInt("SELECT COUNT(*) FROM igbridge_room"); rooms != 1 {
		t.Errorf("the bridge has %d rooms, want 1 (no invite to a room that does not exist took)", rooms)
	}
	replyRows := e.queryInt("SELECT COUNT(*) FROM igbridge_queue_reply WHERE room_id = $1", h.roomID)
	jobs := e.queryInt("SELECT COUNT(*) FROM igbridge_queue_job")

	// The room as alice sees it: every bridge message is a recorded answer or an over-cap notice.
	var recorded = make(map[id.EventID]bool)
	rows, err := e.db().Query("SELECT event_id FROM igbridge_queue_reply WHERE room_id = $1", h.roomID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var eventID id.EventID
		if err := rows.Scan(&eventID); err != nil {
			t.Fatal(err)
		}
		recorded[eventID] = true
	}
	_ = rows.Close()
	overCap := 0
	events := h.client.Events(h.roomID)
	progressReactions := make(map[id.EventID]bool)
	for _, evt := range events {
		if evt.Type == event.EventReaction && evt.Sender == e.bot {
			progressReactions[evt.ID] = true
		}
	}
	for _, evt := range events {
		fromBridge := evt.Sender == e.bot || strings.HasPrefix(evt.Sender.Localpart(), e.ghostPrefix)
		switch {
		case !fromBridge:
		case evt.Type == event.EventRedaction && !progressReactions[evt.Redacts]:
			t.Errorf("the bridge redacted %s", evt.Redacts)
		case evt.Type != event.EventMessage || recorded[evt.ID]:
		case strings.Contains(evt.Content.AsMessage().Body, "too many links") || strings.HasPrefix(evt.Content.AsMessage().Body, "Too many links"):
			overCap++
		case strings.Contains(evt.Content.AsMessage().Body, "Watched rooms"):
			// settle's status answers
		default:
			t.Errorf("the bridge sent %s %q, which answers no job", evt.ID, evt.Content.AsMessage().Body)
		}
	}
	// One over-cap notice per sender and room a minute.
	if allowed := 1 + int(time.Since(start)/time.Minute); overCap > allowed {
		t.Errorf("%d over-cap notices, want at most %d", overCap, allowed)
	}
	t.Logf("jobs: %d (%d from the 500-link messages), replies recorded: %d, over-cap notices: %d", jobs, many, replyRows, overCap)
}
