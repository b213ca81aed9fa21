package connector

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"go.mau.fi/util/dbutil"
	"maunium.net/go/mautrix/id"
	_ "modernc.org/sqlite"

	"github.com/igbridge/igbridge/internal/sqliteuri"
	"github.com/igbridge/igbridge/pkg/connector/upgrades"
)

func newTestRoomStore(t *testing.T) *roomStore {
	t.Helper()
	db, err := dbutil.NewWithDialect(sqliteuri.File(filepath.Join(t.TempDir(), "bridge.db")), "sqlite")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	db = db.Child("igbridge_version", upgrades.Table, nil)
	if err := db.Upgrade(context.Background()); err != nil {
		t.Fatal(err)
	}
	return newRoomStore(db)
}

// Rooms that are not watched are cached, but no more than maxNotWatched of them, and watching
// one of them is seen at once.
func TestRoomStoreNotWatchedIsBounded(t *testing.T) {
	ctx := context.Background()
	rs := newTestRoomStore(t)
	for i := range maxNotWatched + 10 {
		room, err := rs.Get(ctx, id.RoomID(fmt.Sprintf("!r%d:localhost", i)))
		if err != nil || room != nil {
			t.Fatalf("unknown room %d: %v, %v", i, room, err)
		}
	}
	if n := len(rs.notWatched); n > maxNotWatched {
		t.Fatalf("%d rooms that are not watched are cached, want at most %d", n, maxNotWatched)
	}
	last := id.RoomID(fmt.Sprintf("!r%d:localhost", maxNotWatched+9))
	if err := rs.Watch(ctx, last, "@alice:localhost"); err != nil {
		t.Fatal(err)
	}
	room, err := rs.Get(ctx, last)
	if err != nil || room == nil || room.Inviter != "@alice:localhost" || !room.Enabled {
		t.Fatalf("a room watched after it was cached as not watched: %+v, %v", room, err)
	}
}
