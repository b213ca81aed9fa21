package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.mau.fi/util/dbutil"
	"maunium.net/go/mautrix/id"
)

// InboxEvent is an event of a homeserver transaction, kept in the database from before the
// transaction is acknowledged until the connector has handled it.
type InboxEvent struct {
	EventID id.EventID
	RoomID  id.RoomID
	Raw     json.RawMessage // the event as the homeserver sent it
}

// MaxReplays is how many starts replay an event that was never handled before it is given up:
// an event whose handling kills the bridge must not do so at every start.
const MaxReplays = 3

// inboxKeep is how long handled events are remembered, to recognise a transaction the homeserver
// sends again (it does so within minutes, when it did not see the answer).
const inboxKeep = 24 * time.Hour

// Receive stores the events of one transaction, all or none, and returns those that were new:
// events already stored (a transaction sent again) are left as they are, handled or not.
func (q *Queue) Receive(ctx context.Context, events []InboxEvent) (added []id.EventID, err error) {
	if len(events) == 0 {
		return nil, nil
	}
	now := q.nowMilli()
	err = q.db.DoTxn(ctx, nil, func(ctx context.Context) error {
		added = added[:0]
		if err := q.forgetHandled(ctx, now); err != nil {
			return err
		}
		for _, evt := range events {
			res, err := q.db.Exec(ctx, `
				INSERT INTO igbridge_queue_inbox (event_id, room_id, event, received_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT (event_id) DO NOTHING
			`, evt.EventID, evt.RoomID, string(evt.Raw), now)
			if err != nil {
				return err
			}
			if n, err := rowsAffected(res); err != nil {
				return err
			} else if n > 0 {
				added = append(added, evt.EventID)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("failed to store received events: %w", err)
	}
	return added, nil
}

// Handled marks an event handled: its links are jobs now, or it had none to take.
func (q *Queue) Handled(ctx context.Context, eventID id.EventID) error {
	_, err := q.db.Exec(ctx,
		"UPDATE igbridge_queue_inbox SET handled_at=$2 WHERE event_id=$1 AND handled_at IS NULL",
		eventID, q.nowMilli())
	if err != nil {
		return fmt.Errorf("failed to mark event handled: %w", err)
	}
	return nil
}

// Unhandled returns, in the order they were received, the events a crash or a stop left
// unhandled, counting this start as one more replay of each. Events replayed MaxReplays times
// already are given up (marked handled) and only counted.
func (q *Queue) Unhandled(ctx context.Context) (events []InboxEvent, abandoned int, err error) {
	err = q.db.DoTxn(ctx, nil, func(ctx context.Context) error {
		now := q.nowMilli()
		res, err := q.db.Exec(ctx,
			"UPDATE igbridge_queue_inbox SET handled_at=$2 WHERE handled_at IS NULL AND replays >= $1",
			MaxReplays, now)
		if err != nil {
			return err
		}
		if abandoned, err = rowsAffected(res); err != nil {
			return err
		}
		_, err = q.db.Exec(ctx, "UPDATE igbridge_queue_inbox SET replays=replays+1 WHERE handled_at IS NULL")
		if err != nil {
			return err
		}
		rows, err := q.db.Query(ctx,
			"SELECT event_id, room_id, event FROM igbridge_queue_inbox WHERE handled_at IS NULL ORDER BY id")
		events, err = dbutil.NewRowIterWithError(rows, func(row dbutil.Scannable) (evt InboxEvent, err error) {
			var raw string
			err = row.Scan(&evt.EventID, &evt.RoomID, &raw)
			evt.Raw = json.RawMessage(raw)
			return
		}, err).AsList()
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("failed to read unhandled events: %w", err)
	}
	return events, abandoned, nil
}

// forgetHandled deletes the events handled longer than inboxKeep ago, at most once an hour: it
// rides on Receive, which runs whenever there is something to remember.
func (q *Queue) forgetHandled(ctx context.Context, now int64) error {
	last := q.inboxPruned.Load()
	if now-last < time.Hour.Milliseconds() || !q.inboxPruned.CompareAndSwap(last, now) {
		return nil
	}
	_, err := q.db.Exec(ctx, "DELETE FROM igbridge_queue_inbox WHERE handled_at < $1", now-inboxKeep.Milliseconds())
	return err
}
