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

const (
	// alertInterval limits how often bridge admins hear about a broken extractor.
	alertInterval = time.Hour
	kvLastAlert   = database.Key("igbridge_extractor_alert")
)

// alertExtractorBroken tells the bridge admins, in their management rooms, that yt-dlp no longer
// understands Instagram: every link fails until yt-dlp is updated, which only they can do.
func (ic *Connector) alertExtractorBroken(ctx context.Context, cause error) {
	log := zerolog.Ctx(ctx)
	ic.alertLock.Lock()
	defer ic.alertLock.Unlock()
	last, _ := strconv.ParseInt(ic.Bridge.DB.KV.Get(ctx, kvLastAlert), 10, 64)
	if time.Since(time.UnixMilli(last)) < alertInterval {
		return
	}
	ic.Bridge.DB.KV.Set(ctx, kvLastAlert, strconv.FormatInt(time.Now().UnixMilli(), 10))
	rooms, err := ic.adminManagementRooms(ctx)
	if err != nil {
		log.Err(err).Msg("Failed to find admin management rooms")
		return
	}
	message := fmt.Sprintf("⚠️ Instagram links are failing: yt-dlp (%s) cannot read Instagram's pages any more (%s). "+
		"Update yt-dlp; until then every link fails.", ic.extractorStatus.Version, cause)
	for _, roomID := range rooms {
		_, err = ic.Bridge.Bot.SendMessage(ctx, roomID, event.EventMessage, &event.Content{
			Parsed: &event.MessageEventContent{MsgType: event.MsgNotice, Body: message},
		}, nil)
		if err != nil {
			log.Err(err).Stringer("room_id", roomID).Msg("Failed to alert an admin")
		}
	}
	log.Warn().Int("rooms", len(rooms)).Msg("Told bridge admins that the extractor is broken")
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
