package tesths

import (
	"fmt"
	"path/filepath"
	"testing"

	"go.mau.fi/util/dbutil"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/crypto/cryptohelper"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	// The crypto store uses the pure-Go SQLite driver, registered as "sqlite".
	_ "modernc.org/sqlite"

	"github.com/igbridge/igbridge/internal/sqliteuri"
)

// pickleKey encrypts the olm account in the store; a fixed key is fine for
// throw-away test stores.
var pickleKey = []byte("igbridge-tesths-pickle-key")

// EnableCrypto sets up end-to-end encryption for this client with mautrix's
// crypto helper (olm account, device keys, SQLite crypto and state stores in
// t.TempDir()). Afterwards, sending into an encrypted room encrypts, and
// WaitFor/Events see decrypted events in place of m.room.encrypted ones
// (evt.Mautrix.WasEncrypted tells them apart). Call it before the client
// joins or sends to encrypted rooms it should read.
func (c *Client) EnableCrypto(t testing.TB) {
	t.Helper()
	c.mu.Lock()
	already := c.crypto != nil
	c.mu.Unlock()
	if already {
		t.Fatalf("tesths: crypto is already enabled for %s", c.UserID)
	}
	// The helper registers sync handlers, which must not race with a
	// running sync loop, so the loop pauses while it is wired.
	c.stopSync()
	helper, err := c.initCrypto(filepath.Join(t.TempDir(), "crypto.db"))
	if err != nil {
		t.Fatalf("tesths: failed to enable crypto for %s: %v", c.UserID, err)
	}
	t.Cleanup(func() {
		// Cleanups run in reverse order, so this one runs before the sync
		// loop is stopped by newClient's: stop it here before closing the DB.
		c.stopSync()
		if err := helper.Close(); err != nil {
			t.Logf("tesths: failed to close crypto store of %s: %v", c.UserID, err)
		}
	})
	c.startSync()
}

func (c *Client) initCrypto(dbPath string) (*cryptohelper.CryptoHelper, error) {
	db, err := dbutil.NewWithDialect(sqliteuri.File(dbPath), "sqlite")
	if err != nil {
		return nil, fmt.Errorf("failed to open crypto database: %w", err)
	}
	// A fresh syncer puts our recorder after the helper's global state-store
	// handler, and before its m.room.encrypted handler: the ciphertext is
	// recorded first, then replaced by the decrypted event.
	s := newSyncer()
	c.Client.Syncer = s
	helper, err := cryptohelper.NewCryptoHelper(c.Client, pickleKey, db)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("failed to create crypto helper: %w", err)
	}
	helper.DecryptErrorCallback = c.decryptFailed
	ctx, cancel := requestContext()
	defer cancel()
	if err := helper.Init(ctx); err != nil {
		_ = helper.Close()
		return nil, fmt.Errorf("failed to initialise crypto helper: %w", err)
	}
	s.OnEvent(c.record)
	c.mu.Lock()
	c.crypto = helper
	c.mu.Unlock()
	c.Client.Crypto = helper
	return helper, nil
}

// CryptoHelper returns the client's crypto helper, or nil before EnableCrypto.
func (c *Client) CryptoHelper() *cryptohelper.CryptoHelper {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.crypto
}

// CreateEncryptedRoom creates a private room with m.room.encryption
// (megolm) in its initial state and invites the given users.
func (c *Client) CreateEncryptedRoom(t testing.TB, invite ...id.UserID) id.RoomID {
	t.Helper()
	return c.createRoom(t, &mautrix.ReqCreateRoom{
		Preset: "private_chat",
		Invite: invite,
		InitialState: []*event.Event{{
			Type: event.StateEncryption,
			Content: event.Content{Parsed: &event.EncryptionEventContent{
				Algorithm: id.AlgorithmMegolmV1,
			}},
		}},
	})
}
