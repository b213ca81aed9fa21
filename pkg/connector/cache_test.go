package connector

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"go.mau.fi/util/dbutil"

	"github.com/igbridge/igbridge/internal/sqliteuri"
	"github.com/igbridge/igbridge/pkg/connector/upgrades"
)

// A failure cache entry keeps its class and when it was checked; entries of a v1 database, which
// lack that time, are dropped by the upgrade rather than shown as checked in 1970.
func TestFailureCacheRemembersWhen(t *testing.T) {
	ctx := context.Background()
	raw, err := dbutil.NewWithDialect(sqliteuri.File(filepath.Join(t.TempDir(), "bridge.db")), "sqlite")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = raw.Close() })
	v1 := raw.Child("igbridge_version", upgrades.Table[:1], nil)
	if err = v1.Upgrade(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err = v1.Exec(ctx, "INSERT INTO igbridge_fetch_failure (post_key, error_class, expires_at) VALUES ('post:Old', 'private', $1)",
		time.Now().Add(time.Hour).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	db := raw.Child("igbridge_version", upgrades.Table, nil)
	if err = db.Upgrade(ctx); err != nil {
		t.Fatal(err)
	}
	mc := &mediaCache{db: db}
	if cf, err := mc.Failure(ctx, "post:Old"); err != nil || cf != nil {
		t.Fatalf("the v1 entry after the upgrade: %+v, %v; want none", cf, err)
	}

	before := time.Now().Truncate(time.Millisecond)
	if err = mc.PutFailure(ctx, "share:X", classShareUnresolved, time.Hour); err != nil {
		t.Fatal(err)
	}
	cf, err := mc.Failure(ctx, "share:X")
	if err != nil || cf == nil {
		t.Fatalf("Failure = %+v, %v", cf, err)
	}
	if cf.class != classShareUnresolved || cf.checkedAt.Before(before) || cf.checkedAt.After(time.Now()) || cf.expiresAt.Sub(cf.checkedAt) != time.Hour {
		t.Fatalf("cached failure %+v, want share_unresolved checked now for an hour", cf)
	}
}
