package connector

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.mau.fi/util/dbutil"
	"maunium.net/go/mautrix/appservice"
	"maunium.net/go/mautrix/bridgev2"
	"maunium.net/go/mautrix/bridgev2/matrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/igbridge/igbridge/internal/sqliteuri"
	"github.com/igbridge/igbridge/pkg/queue"
)

const testHSToken = "hs-token"

const bot = id.UserID("@ig-bot:localhost")

// newInboxConnector is a connector with just what the inbox needs: a queue on SQLite and an
// appservice with a token and an event channel. The inbox is not open yet.
func newInboxConnector(t *testing.T) (*Connector, *dbutil.Database) {
	t.Helper()
	db, err := dbutil.NewWithDialect(sqliteuri.File(filepath.Join(t.TempDir(), "bridge.db")), "sqlite")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	ic := &Connector{
		Bridge: &bridgev2.Bridge{Log: zerolog.Nop()},
		mc: &matrix.Connector{AS: &appservice.AppService{
			Registration: &appservice.Registration{ServerToken: testHSToken},
			Events:       make(chan *event.Event, 8),
		}},
		queue: queue.New(db, queue.Config{}, nil),
		inbox: newInbox(func(userID id.UserID) bool { return userID == bot }),
	}
	if err = ic.queue.Upgrade(context.Background()); err != nil {
		t.Fatal(err)
	}
	return ic, db
}

func message(eventID id.EventID, sender id.UserID, content map[string]any) map[string]any {
	return map[string]any{
		"type": "m.room.message", "event_id": eventID, "room_id": "!r:localhost", "sender": sender,
		"origin_server_ts": 1, "content": content,
	}
}

func text(body string) map[string]any { return map[string]any{"msgtype": "m.text", "body": body} }

const link = "https://www.instagram.com/p/Abc123/"

// put sends a transaction through the inbox middleware to a handler that answers 200 and
// records the body it got; it returns the status and whether the handler ran.
func put(t *testing.T, ic *Connector, ctx context.Context, token string, body string) (int, bool) {
	t.Helper()
	ran := false
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ := io.ReadAll(r.Body)
		if string(got) != body {
			t.Errorf("mautrix's handler got %q, want the body as sent", got)
		}
		ran = true
		w.WriteHeader(http.StatusOK)
	})
	req := httptest.NewRequestWithContext(ctx, http.MethodPut, transactionPath+"t1", strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	ic.inboxMiddleware(next).ServeHTTP(rec, req)
	return rec.Code, ran
}

func transaction(t *testing.T, events ...map[string]any) string {
	t.Helper()
	body, err := json.Marshal(map[string]any{"events": events})
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

func storedEvents(t *testing.T, db *dbutil.Database) []string {
	t.Helper()
	rows, err := db.Query(context.Background(), "SELECT event_id FROM igbridge_queue_inbox ORDER BY id")
	ids, err := dbutil.NewRowIterWithError(rows, dbutil.ScanSingleColumn[string], err).AsList()
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestInboxMiddleware: a transaction is passed on to mautrix only once the events that may carry a
// link are stored; before the inbox opens it is answered 503, when storing fails 500, over the
// size cap 413, and without the homeserver's token nothing is stored.
func TestInboxMiddleware(t *testing.T) {
	ic, db := newInboxConnector(t)
	edit := text("* " + link)
	edit["m.new_content"] = text(link)
	edit["m.relates_to"] = map[string]any{"rel_type": "m.replace", "event_id": "$plain"}
	body := transaction(t,
		message("$link", "@alice:localhost", text("look "+link)),
		message("$plain", "@alice:localhost", text("no link here")),
		message("$edit", "@alice:localhost", edit),
		message("$html", "@alice:localhost", map[string]any{"msgtype": "m.text", "body": "look", "format": "org.matrix.custom.html", "formatted_body": `<a href="` + link + `">look</a>`}),
		message("$ours", bot, text(link)),
		map[string]any{"type": "m.room.encrypted", "event_id": "$secret", "room_id": "!r:localhost", "sender": "@alice:localhost", "content": map[string]any{"algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "x"}},
		map[string]any{"type": "m.room.redaction", "event_id": "$redact", "room_id": "!r:localhost", "sender": "@alice:localhost", "redacts": "$link", "content": map[string]any{}},
		map[string]any{"type": "m.room.member", "event_id": "$member", "room_id": "!r:localhost", "sender": "@alice:localhost", "state_key": "@alice:localhost", "content": map[string]any{"membership": "join", "body": link}},
		map[string]any{"type": "m.reaction", "event_id": "$noreaction", "room_id": "!r:localhost", "sender": "@alice:localhost", "content": map[string]any{}},
		map[string]any{"type": "m.reaction", "event_id": "$reaction", "room_id": "!r:localhost", "sender": "@alice:localhost", "content": map[string]any{"m.relates_to": map[string]any{"rel_type": "m.annotation", "event_id": "$answer", "key": "🔁"}}},
	)

	if status, ran := put(t, ic, context.Background(), "wrong", body); status == http.StatusOK || ran {
		t.Fatalf("a wrong token got %d (passed on: %v)", status, ran)
	}
	starting, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if status, ran := put(t, ic, starting, testHSToken, body); status != http.StatusServiceUnavailable || ran {
		t.Fatalf("before the inbox opened: %d (passed on: %v), want 503", status, ran)
	}
	if ids := storedEvents(t, db); len(ids) != 0 {
		t.Fatalf("stored %v before the inbox opened or with a wrong token", ids)
	}

	if err := ic.replayInbox(context.Background()); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the homeserver may send a transaction again
		if status, ran := put(t, ic, context.Background(), testHSToken, body); status != http.StatusOK || !ran {
			t.Fatalf("transaction answered %d (passed on: %v)", status, ran)
		}
	}
	want := "$link $edit $html $secret $redact $reaction"
	if ids := strings.Join(storedEvents(t, db), " "); ids != want {
		t.Fatalf("stored %s, want %s", ids, want)
	}
	huge := transaction(t, message("$huge", "@alice:localhost", text(link+" "+strings.Repeat("x", maxTransactionSize))))
	if status, ran := put(t, ic, context.Background(), testHSToken, huge); status != http.StatusRequestEntityTooLarge || ran {
		t.Fatalf("a transaction over %d bytes: %d (passed on: %v), want 413", maxTransactionSize, status, ran)
	}
	if status, ran := put(t, ic, context.Background(), testHSToken, `{"events":[`); !ran {
		t.Fatalf("a malformed transaction was answered %d instead of being left to mautrix", status)
	}

	_ = db.Close()
	if status, ran := put(t, ic, context.Background(), testHSToken, body); status != http.StatusInternalServerError || ran {
		t.Fatalf("with the database gone: %d (passed on: %v), want 500", status, ran)
	}
}

// TestInboxReplay: events stored but never handled go back to the event loop at the next start,
// in the order they came and parsed as the appservice would; handled ones do not.
func TestInboxReplay(t *testing.T) {
	ic, db := newInboxConnector(t)
	if err := ic.replayInbox(context.Background()); err != nil {
		t.Fatal(err)
	}
	body := transaction(t,
		message("$first", "@alice:localhost", text(link)),
		message("$handled", "@alice:localhost", text(link)),
		map[string]any{"type": "m.room.encrypted", "event_id": "$secret", "room_id": "!r:localhost", "sender": "@alice:localhost", "content": map[string]any{"algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "x", "session_id": "s"}},
	)
	if status, _ := put(t, ic, context.Background(), testHSToken, body); status != http.StatusOK {
		t.Fatalf("transaction answered %d", status)
	}
	handled := false
	ic.inboxed(func(context.Context, *event.Event) { handled = true })(context.Background(), &event.Event{ID: "$handled"})
	if !handled {
		t.Fatal("the wrapped handler did not run")
	}

	// The next start, after a crash.
	next := &Connector{Bridge: ic.Bridge, mc: ic.mc, queue: queue.New(db, queue.Config{}, nil), inbox: newInbox(ic.inbox.ours)}
	if err := next.replayInbox(context.Background()); err != nil {
		t.Fatal(err)
	}
	var replayed []*event.Event
	for len(ic.mc.AS.Events) > 0 {
		replayed = append(replayed, <-ic.mc.AS.Events)
	}
	if len(replayed) != 2 || replayed[0].ID != "$first" || replayed[1].ID != "$secret" {
		t.Fatalf("replayed %v, want $first then $secret", replayed)
	}
	if body := replayed[0].Content.AsMessage().Body; body != link || replayed[0].Type.Class != event.MessageEventType {
		t.Errorf("replayed message %q of class %v", body, replayed[0].Type.Class)
	}
	if session := replayed[1].Content.AsEncrypted().SessionID; session != "s" {
		t.Errorf("replayed encrypted event has session %q", session)
	}
	select {
	case <-next.inbox.open:
	default:
		t.Fatal("the inbox did not open after the replay")
	}
	// Handled by the new process, a replayed event is not replayed again.
	next.markHandled(context.Background(), replayed[0])
	again := &Connector{Bridge: ic.Bridge, mc: ic.mc, queue: queue.New(db, queue.Config{}, nil), inbox: newInbox(ic.inbox.ours)}
	if err := again.replayInbox(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(ic.mc.AS.Events); n != 1 {
		t.Fatalf("%d events replayed at the third start, want only the encrypted one", n)
	}
}
