package tesths

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/crypto/cryptohelper"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// Client is a real Matrix client (mautrix.Client) with a background /sync
// loop that records every room timeline event and membership it sees.
type Client struct {
	*mautrix.Client

	logPath string

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced whenever something is recorded
	rooms    map[id.RoomID]*roomLog
	members  map[id.RoomID]map[id.UserID]event.Membership
	problems []string // sync and decryption failures, shown when a wait times out
	syncStop func()   // stops the running sync loop and waits for it; nil if none
	crypto   *cryptohelper.CryptoHelper
}

// newClient wraps an access token in a Client and starts its sync loop; the
// loop stops at cleanup.
func newClient(t testing.TB, hs *Homeserver, userID id.UserID, deviceID id.DeviceID, token string) *Client {
	t.Helper()
	cli, err := mautrix.NewClient(hs.URL, userID, token)
	if err != nil {
		t.Fatalf("tesths: failed to create client for %s: %v", userID, err)
	}
	cli.DeviceID = deviceID
	logPath := filepath.Join(hs.DataDir, fmt.Sprintf("client-%s-%s.log", userID.Localpart(), deviceID))
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatalf("tesths: failed to open client log: %v", err)
	}
	// mautrix logs go to a file: too noisy for t.Log, but its tail is
	// printed when the test fails.
	cli.Log = zerolog.New(logFile).With().Timestamp().Str("user_id", userID.String()).Logger()
	c := &Client{
		Client:  cli,
		logPath: logPath,
		changed: make(chan struct{}),
		rooms:   make(map[id.RoomID]*roomLog),
		members: make(map[id.RoomID]map[id.UserID]event.Membership),
	}
	s := newSyncer()
	s.OnEvent(c.record)
	cli.Syncer = s
	t.Cleanup(func() {
		c.stopSync()
		if t.Failed() {
			if tail, err := fileTail(logPath, 30); err == nil && tail != "" {
				t.Logf("tesths: last lines of %s:\n%s", logPath, tail)
			}
		}
		_ = logFile.Close()
	})
	c.startSync()
	return c
}

// startSync runs the mautrix sync loop in the background until stopSync.
func (c *Client) startSync() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := c.Client.SyncWithContext(ctx)
		if err != nil && ctx.Err() == nil {
			c.addProblem(fmt.Sprintf("sync loop stopped: %v", err))
		}
	}()
	c.mu.Lock()
	c.syncStop = func() {
		cancel()
		<-done
	}
	c.mu.Unlock()
}

// stopSync stops the sync loop, if any, and waits until it has returned, so
// that no handler runs afterwards.
func (c *Client) stopSync() {
	c.mu.Lock()
	stop := c.syncStop
	c.syncStop = nil
	c.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// LogPath is the file this client's mautrix log goes to.
func (c *Client) LogPath() string {
	return c.logPath
}

func (c *Client) addProblem(msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.problems = append(c.problems, msg)
	c.broadcastLocked()
}

// broadcastLocked wakes every waiter; c.mu must be held.
func (c *Client) broadcastLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}
