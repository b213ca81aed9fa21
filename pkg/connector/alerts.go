package connector

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/bridgev2/database"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// alertInterval limits how often bridge admins hear about the same problem.
const alertInterval = time.Hour

// adminAlert is a problem only a bridge admin can fix; rooms only get one line about it.
type adminAlert struct {
	key     database.Key
	message string
}

// alertKind is the admin alert a failure class raises, if any.
type alertKind int

const (
	alertNone alertKind = iota
	// alertExtractor: yt-dlp cannot read Instagram's pages.
	alertExtractor
	// alertCookies: Instagram rejects the configured session cookies.
	alertCookies
)

// alertFor returns the admin alert of a kind, for a failure caused by cause.
func (ic *Connector) alertFor(kind alertKind, cause error) (adminAlert, bool) {
	switch kind {
	case alertExtractor:
		return adminAlert{"igbridge_extractor_alert", fmt.Sprintf("⚠️ Instagram links are failing: yt-dlp (%s) "+
			"cannot read Instagram's pages any more (%s). Update yt-dlp; until then every link fails.",
			ic.extractorStatus.Version, cause)}, true
	case alertCookies:
		return adminAlert{"igbridge_cookies_alert", "⚠️ Instagram no longer accepts the bridge's login " +
			"(network.cookies_file): export fresh cookies of the account and restart the bridge. " +
			"Until then, stories and private posts fail."}, true
	}
	return adminAlert{}, false
}

// alertAdmins tells the bridge admins, in their management rooms, at most once an hour per kind.
func (ic *Connector) alertAdmins(ctx context.Context, alert adminAlert) {
	log := zerolog.Ctx(ctx).With().Str("alert", string(alert.key)).Logger()
	ic.alertLock.Lock()
	defer ic.alertLock.Unlock()
	last, _ := strconv.ParseInt(ic.Bridge.DB.KV.Get(ctx, alert.key), 10, 64)
	if time.Since(time.UnixMilli(last)) < alertInterval {
		return
	}
	ic.Bridge.DB.KV.Set(ctx, alert.key, strconv.FormatInt(time.Now().UnixMilli(), 10))
	rooms, err := ic.adminManagementRooms(ctx)
	if err != nil {
		log.Err(err).Msg("Failed to find admin management rooms")
		return
	}
	for _, roomID := range rooms {
		_, err = ic.Bridge.Bot.SendMessage(ctx, roomID, event.EventMessage, &event.Content{
			Parsed: &event.MessageEventContent{MsgType: event.MsgNotice, Body: alert.message},
		}, nil)
		if err != nil {
			log.Err(err).Stringer("room_id", roomID).Msg("Failed to alert an admin")
		}
	}
	log.Warn().Int("rooms", len(rooms)).Msg("Alerted bridge admins")
}

// adminManagementRooms lists the management rooms of users with admin permission.
func (ic *Connector) adminManagementRooms(ctx context.Context) ([]id.RoomID, error) {
	rows, err := ic.Bridge.DB.Query(ctx,
		`SELECT mxid, management_room FROM "user" WHERE bridge_id=$1 AND management_room<>''`, ic.Bridge.ID)
	if err != nil {
		return nil, fmt.Errorf("failed to query users: %w", err)
	}
	defer rows.Close()
	var rooms []id.RoomID
	for rows.Next() {
		var userID id.UserID
		var roomID id.RoomID
		if err = rows.Scan(&userID, &roomID); err != nil {
			return nil, fmt.Errorf("failed to scan user: %w", err)
		}
		if ic.Bridge.Config.Permissions.Get(userID).Admin {
			rooms = append(rooms, roomID)
		}
	}
	return rooms, rows.Err()
}
