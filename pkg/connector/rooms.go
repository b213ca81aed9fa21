package connector

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.mau.fi/util/dbutil"
	"maunium.net/go/mautrix/id"
)

// watchedRoom is a room the bot was invited to and is in.
type watchedRoom struct {
	RoomID   id.RoomID
	Inviter  id.UserID
	JoinedAt time.Time
	Enabled  bool
	// Settings are the settings the room's moderators changed, by name, in stored form.
	Settings map[string]string
}

// maxNotWatched bounds the cache of rooms that are not watched. Watched rooms are bounded by the
// table; any room ID in a transaction could add a room that is not, so past this many that part
// of the cache starts over.
const maxNotWatched = 4096

// roomStore keeps the watched rooms in the database with a read-through cache, because every
// message in every room the bot is in asks whether its room is watched.
type roomStore struct {
	db         *dbutil.Database
	lock       sync.RWMutex
	cache      map[id.RoomID]*watchedRoom
	notWatched map[id.RoomID]struct{}
}

func newRoomStore(db *dbutil.Database) *roomStore {
	return &roomStore{db: db, cache: make(map[id.RoomID]*watchedRoom), notWatched: make(map[id.RoomID]struct{})}
}

// Get returns the watched room, or nil when the room is not watched.
func (rs *roomStore) Get(ctx context.Context, roomID id.RoomID) (*watchedRoom, error) {
	rs.lock.RLock()
	room, ok := rs.cache[roomID]
	_, known := rs.notWatched[roomID]
	rs.lock.RUnlock()
	if ok || known {
		return room, nil
	}
	var r watchedRoom
	var joinedAt int64
	err := rs.db.QueryRow(ctx,
		"SELECT room_id, inviter, joined_at, enabled FROM igbridge_room WHERE room_id=$1", roomID,
	).Scan(&r.RoomID, &r.Inviter, &joinedAt, &r.Enabled)
	if errors.Is(err, sql.ErrNoRows) {
		room = nil
	} else if err != nil {
		return nil, fmt.Errorf("failed to get watched room: %w", err)
	} else {
		r.JoinedAt = time.UnixMilli(joinedAt)
		if r.Settings, err = rs.settings(ctx, roomID); err != nil {
			return nil, err
		}
		room = &r
	}
	rs.lock.Lock()
	if room != nil {
		rs.cache[roomID] = room
	} else {
		if len(rs.notWatched) >= maxNotWatched {
			clear(rs.notWatched)
		}
		rs.notWatched[roomID] = struct{}{}
	}
	rs.lock.Unlock()
	return room, nil
}

// Watch starts watching a room the bot joined; an existing row keeps its settings.
func (rs *roomStore) Watch(ctx context.Context, roomID id.RoomID, inviter id.UserID) error {
	_, err := rs.db.Exec(ctx, `
		INSERT INTO igbridge_room (room_id, inviter, joined_at, enabled) VALUES ($1, $2, $3, true)
		ON CONFLICT (room_id) DO NOTHING
	`, roomID, inviter, time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("failed to watch room: %w", err)
	}
	rs.forget(roomID)
	return nil
}

// Unwatch stops watching a room the bot left or was removed from.
func (rs *roomStore) Unwatch(ctx context.Context, roomID id.RoomID) error {
	_, err := rs.db.Exec(ctx, "DELETE FROM igbridge_room WHERE room_id=$1", roomID)
	if err != nil {
		return fmt.Errorf("failed to unwatch room: %w", err)
	}
	rs.forget(roomID)
	return nil
}

// SetEnabled turns answering in a watched room on or off.
func (rs *roomStore) SetEnabled(ctx context.Context, roomID id.RoomID, enabled bool) error {
	_, err := rs.db.Exec(ctx, "UPDATE igbridge_room SET enabled=$2 WHERE room_id=$1", roomID, enabled)
	if err != nil {
		return fmt.Errorf("failed to update room: %w", err)
	}
	rs.forget(roomID)
	return nil
}

func (rs *roomStore) settings(ctx context.Context, roomID id.RoomID) (map[string]string, error) {
	rows, err := rs.db.Query(ctx, "SELECT name, value FROM igbridge_room_setting WHERE room_id=$1", roomID)
	settings, err := dbutil.RowIterAsMap(dbutil.NewRowIterWithError(rows, func(row dbutil.Scannable) (kv [2]string, err error) {
		err = row.Scan(&kv[0], &kv[1])
		return
	}, err), func(kv [2]string) (string, string) { return kv[0], kv[1] })
	if err != nil {
		return nil, fmt.Errorf("failed to get room settings: %w", err)
	}
	return settings, nil
}

// SetSetting stores a room's value of a setting; the value "" removes it, so the default applies.
func (rs *roomStore) SetSetting(ctx context.Context, roomID id.RoomID, name, value string) error {
	var err error
	if value == "" {
		_, err = rs.db.Exec(ctx, "DELETE FROM igbridge_room_setting WHERE room_id=$1 AND name=$2", roomID, name)
	} else {
		_, err = rs.db.Exec(ctx, `
			INSERT INTO igbridge_room_setting (room_id, name, value) VALUES ($1, $2, $3)
			ON CONFLICT (room_id, name) DO UPDATE SET value=excluded.value
		`, roomID, name, value)
	}
	if err != nil {
		return fmt.Errorf("failed to save room setting: %w", err)
	}
	rs.forget(roomID)
	return nil
}

// Count returns how many rooms are watched and how many of them have answering enabled.
func (rs *roomStore) Count(ctx context.Context) (watched, enabled int, err error) {
	err = rs.db.QueryRow(ctx,
		"SELECT COUNT(*), COUNT(CASE WHEN enabled THEN 1 END) FROM igbridge_room",
	).Scan(&watched, &enabled)
	if err != nil {
		err = fmt.Errorf("failed to count rooms: %w", err)
	}
	return
}

func (rs *roomStore) forget(roomID id.RoomID) {
	rs.lock.Lock()
	delete(rs.cache, roomID)
	delete(rs.notWatched, roomID)
	rs.lock.Unlock()
}
