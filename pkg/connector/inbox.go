package connector

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/appservice"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/igbridge/igbridge/pkg/media"
	"github.com/igbridge/igbridge/pkg/queue"
)

// The appservice answers a transaction before its events reach the handlers (they wait in a
// channel), so a crash or a stop in between would lose links the homeserver will never send
// again. The inbox closes that gap: the events of a transaction that may carry a link are written
// to the database before the transaction is answered (a failed write answers 500, and the
// homeserver sends it again), marked handled once their handler has run, and replayed at the
// next start if they never were.

// inboxWait is how long a transaction that arrives while the bridge is starting waits for the
// inbox to open before it is answered 503 (the homeserver retries; its own timeout is 30 s or more).
const inboxWait = 20 * time.Second

// maxTransactionSize bounds the transaction bodies read into memory: homeservers send at most 50
// events of at most 64 KiB each, and some hundred small ephemeral and to-device events.
const maxTransactionSize = 16 << 20

// transactionPath is the prefix of the appservice API's transaction endpoint.
const transactionPath = "/_matrix/app/v1/transactions/"

type inbox struct {
	// ours reports whether a user is the bot or one of its ghosts, whose events carry no links to take.
	ours func(id.UserID) bool
	// open is closed once the queue's tables are up to date and the events a crash left are
	// replayed: transactions wait for it, so that the replay comes before anything newer.
	open chan struct{}
	// pending holds the events stored by this process and not handled yet, so that handling the
	// many events that were never stored costs no database write.
	pending sync.Map
}

func newInbox(ours func(id.UserID) bool) *inbox {
	return &inbox{ours: ours, open: make(chan struct{})}
}

// inboxMiddleware stores the events of a transaction that may carry a link before mautrix's
// handler acknowledges it. Everything but a transaction with a valid token goes straight through.
func (ic *Connector) inboxMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut || !strings.HasPrefix(r.URL.Path, transactionPath) {
			next.ServeHTTP(w, r)
			return
		}
		// Checked here too, so that only the homeserver can put anything in the inbox.
		if !ic.mc.AS.CheckServerToken(w, r) {
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxTransactionSize))
		_ = r.Body.Close()
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			ic.Bridge.Log.Warn().Int64("limit", tooLarge.Limit).Msg("Refused a transaction larger than any homeserver sends")
			mautrix.MTooLarge.WithMessage("Transaction too large").Write(w)
			return
		} else if err != nil {
			mautrix.MNotJSON.WithMessage("Failed to read request body").Write(w)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		events, err := ic.inbox.eventsOf(body)
		if err != nil {
			next.ServeHTTP(w, r) // mautrix answers a malformed transaction
			return
		}
		log := ic.Bridge.Log.With().Str("transaction_id", strings.TrimPrefix(r.URL.Path, transactionPath)).Logger()
		if !ic.waitInboxOpen(r.Context()) {
			log.Warn().Msg("Transaction came before the bridge was ready; asking the homeserver to send it again")
			mautrix.MUnknown.WithStatus(http.StatusServiceUnavailable).WithMessage("The bridge is starting").Write(w)
			return
		}
		added, err := ic.queue.Receive(log.WithContext(r.Context()), events)
		if err != nil {
			log.Err(err).Msg("Failed to store a transaction's events; asking the homeserver to send it again")
			mautrix.MUnknown.WithStatus(http.StatusInternalServerError).WithMessage("Failed to store events").Write(w)
			return
		}
		for _, eventID := range added {
			ic.inbox.pending.Store(eventID, struct{}{})
		}
		next.ServeHTTP(w, r)
	})
}

func (ic *Connector) waitInboxOpen(ctx context.Context) bool {
	timer := time.NewTimer(inboxWait)
	defer timer.Stop()
	select {
	case <-ic.inbox.open:
		return true
	case <-ctx.Done():
	case <-timer.C:
	}
	return false
}

// eventsOf returns the events of a transaction body that may carry a link. A body mautrix could
// not parse is an error.
func (in *inbox) eventsOf(body []byte) ([]queue.InboxEvent, error) {
	var txn struct {
		Events []json.RawMessage `json:"events"`
	}
	if err := json.Unmarshal(body, &txn); err != nil {
		return nil, err
	}
	var events []queue.InboxEvent
	for _, raw := range txn.Events {
		var evt event.Event
		if err := json.Unmarshal(raw, &evt); err != nil {
			return nil, err
		}
		if in.mayCarryLink(&evt) {
			events = append(events, queue.InboxEvent{EventID: evt.ID, RoomID: evt.RoomID, Raw: raw})
		}
	}
	return events, nil
}

// mayCarryLink reports whether an event is one whose loss would lose or wrongly answer a link:
// a message or edit with a link, a redaction (it may cancel one), a reaction (it may retry or delete an answer), or an encrypted event (its
// content is known only once decrypted). The bridge's own events never are.
func (in *inbox) mayCarryLink(evt *event.Event) bool {
	if evt.StateKey != nil || evt.ID == "" || in.ours(evt.Sender) {
		return false
	}
	switch evt.Type {
	case event.EventEncrypted, event.EventRedaction:
		return true
	case event.EventMessage, event.EventReaction:
	default:
		return false
	}
	if err := evt.Content.ParseRaw(evt.Type); err != nil {
		return false // not an event the handler could read either
	}
	if evt.Type == event.EventReaction {
		return evt.Content.AsReaction().RelatesTo.Key != ""
	}
	content := evt.Content.AsMessage()
	return hasLinks(content) || (content.NewContent != nil && hasLinks(content.NewContent))
}

func hasLinks(content *event.MessageEventContent) bool {
	var formatted string
	if content.Format == event.FormatHTML {
		formatted = content.FormattedBody
	}
	return len(media.FindLinks(content.Body, formatted)) > 0
}

// inboxed wraps an event handler so that the event is marked handled once the handler returns.
// A handler that panics leaves it for the next start.
func (ic *Connector) inboxed(handler appservice.EventHandler) appservice.EventHandler {
	return func(ctx context.Context, evt *event.Event) {
		handler(ctx, evt)
		ic.markHandled(ctx, evt)
	}
}

// markHandled marks an event of the inbox handled. Decrypted events of other types than those
// the bridge handles come here directly, to mark the encrypted event they came in.
func (ic *Connector) markHandled(ctx context.Context, evt *event.Event) {
	if _, ok := ic.inbox.pending.LoadAndDelete(evt.ID); !ok {
		return
	}
	if err := ic.queue.Handled(ctx, evt.ID); err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Stringer("event_id", evt.ID).
			Msg("Failed to mark an event handled; it is handled again at the next start")
	}
}

// replayInbox hands the events a crash or a stop left unhandled to the event loop again, in the
// order they came, and then opens the inbox to new transactions.
func (ic *Connector) replayInbox(ctx context.Context) error {
	events, abandoned, err := ic.queue.Unhandled(ctx)
	if err != nil {
		return err
	}
	log := zerolog.Ctx(ctx)
	if abandoned > 0 {
		log.Warn().Int("events", abandoned).Int("replays", queue.MaxReplays).
			Msg("Giving up events that were never handled in several starts")
	}
	if len(events) > 0 {
		log.Info().Int("events", len(events)).Msg("Handling events that came before the bridge stopped")
	}
	for _, stored := range events {
		evt, err := replayedEvent(stored.Raw)
		if err != nil {
			log.Warn().Err(err).Stringer("event_id", stored.EventID).Msg("Failed to parse a stored event, skipping it")
			continue
		}
		ic.inbox.pending.Store(evt.ID, struct{}{})
		select {
		case ic.mc.AS.Events <- evt:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	close(ic.inbox.open)
	return nil
}

// replayedEvent rebuilds a stored timeline event as the appservice would have handed it over.
func replayedEvent(raw json.RawMessage) (*event.Event, error) {
	var evt event.Event
	if err := json.Unmarshal(raw, &evt); err != nil {
		return nil, err
	}
	evt.Type.Class = event.MessageEventType
	evt.Mautrix.EventSource = event.SourceTimeline
	evt.Mautrix.ReceivedAt = time.Now()
	if err := evt.Content.ParseRaw(evt.Type); err != nil && !errors.Is(err, event.ErrUnsupportedContentType) {
		return nil, err
	}
	return &evt, nil
}

// decryptGiveUp is how long after its handler an encrypted event may still be waiting for its
// keys: bridgev2 waits 3 s and then 22 s more before it gives up decrypting.
const decryptGiveUp = 30 * time.Second

// giveUpDecrypting runs after bridgev2's handler of an encrypted event. Decrypted, the event was
// marked handled as what it turned out to be; still waiting for keys, it is marked handled once
// bridgev2 has given up on it, so that undecryptable events do not pile up (a stop before that
// leaves it to be replayed).
func (ic *Connector) giveUpDecrypting(ctx context.Context, evt *event.Event) {
	if _, ok := ic.inbox.pending.Load(evt.ID); !ok {
		return
	}
	time.AfterFunc(decryptGiveUp, func() { ic.markHandled(ctx, evt) })
}

// inboxMarkerTypes are the types besides messages, redactions and reactions an encrypted event may decrypt
// to in practice; their handler only marks the encrypted event handled.
var inboxMarkerTypes = []event.Type{event.EventSticker}
