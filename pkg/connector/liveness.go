package connector

import (
	"context"
	"errors"
	"fmt"
)

// Alive is the liveness check behind the systemd watchdog: the database answers a query, and the
// appservice's event loop takes the events the homeserver delivers. The event channel being full
// at two checks in a row means the loop has been stuck for a whole check interval; a burst of
// events fills it only for moments. A homeserver that is away does not fail the check, since
// restarting the bridge would not bring it back.
func (ic *Connector) Alive(ctx context.Context) error {
	var one int
	if err := ic.Bridge.DB.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("failed to query the database: %w", err)
	}
	events := ic.mc.AS.Events
	full := len(events) == cap(events)
	if wasFull := ic.eventsFull.Swap(full); wasFull && full {
		return errors.New("the appservice event loop is stuck: its channel stayed full")
	}
	return nil
}
