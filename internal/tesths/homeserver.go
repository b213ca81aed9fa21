package tesths

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/igbridge/igbridge/internal/testproc"
)

const (
	// startTimeout bounds the wait for /versions; a fresh start takes < 0.5 s.
	startTimeout = 30 * time.Second
	// stopGrace is how long SIGTERM gets before SIGKILL.
	stopGrace = 3 * time.Second
	// logTailLines is how much of dendrite.log a failure prints.
	logTailLines = 60
)

// Options configures a test homeserver.
type Options struct {
	// Registrations are the appservice registration YAMLs the homeserver loads
	// (written to DataDir/appservice-N.yaml). May be empty (no appservice).
	Registrations [][]byte
	// MaxUploadBytes sets media_api.max_file_size_bytes (default 10 MiB).
	MaxUploadBytes int64
}

// Homeserver is a running Dendrite on 127.0.0.1 with server name
// "localhost", a fresh data dir, federation off and registration by shared
// secret only.
type Homeserver struct {
	URL        string // http://127.0.0.1:PORT
	ServerName string // "localhost"
	DataDir    string

	binary     string
	configPath string
	port       int
	opts       Options

	mu   sync.Mutex
	proc *testproc.Process // nil while stopped
}

// Start writes the signing key and config into a fresh t.TempDir(), starts
// dendrite on a free loopback port, waits until /_matrix/client/versions
// answers and registers cleanup. It fails the test (never skips) when the
// binary is missing.
func Start(t testing.TB, opts Options) *Homeserver {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		t.Fatalf("tesths: %v", err)
	}
	dataDir := t.TempDir()
	if err := writeKey(filepath.Join(dataDir, "matrix_key.pem")); err != nil {
		t.Fatalf("tesths: %v", err)
	}
	cfg, err := writeConfig(dataDir, opts)
	if err != nil {
		t.Fatalf("tesths: %v", err)
	}
	port, err := testproc.FreePort()
	if err != nil {
		t.Fatalf("tesths: %v", err)
	}
	hs := &Homeserver{
		URL:        "http://127.0.0.1:" + strconv.Itoa(port),
		ServerName: ServerName,
		DataDir:    dataDir,
		binary:     bin,
		configPath: cfg,
		port:       port,
		opts:       opts,
	}
	// Registered before any client's cleanup, so it runs after them (LIFO):
	// clients stop syncing before the server goes away.
	t.Cleanup(func() {
		// The tail is read before stopping: shutdown lines would push the
		// interesting ones out.
		if t.Failed() {
			hs.logTail(t)
		}
		if err := hs.stop(); err != nil {
			t.Logf("tesths: %v", err)
		}
	})
	hs.start(t)
	return hs
}

// Stop stops the process (SIGTERM, then SIGKILL after 3 s), for tests of the
// homeserver going away. Stopping a stopped homeserver does nothing.
func (hs *Homeserver) Stop(t testing.TB) {
	t.Helper()
	if err := hs.stop(); err != nil {
		t.Fatalf("tesths: %v", err)
	}
}

// Restart starts the homeserver again on the same port and data dir and
// waits until it is ready. It stops it first if it is running.
func (hs *Homeserver) Restart(t testing.TB) {
	t.Helper()
	if err := hs.stop(); err != nil {
		t.Fatalf("tesths: %v", err)
	}
	hs.start(t)
}

// LogPath is the file dendrite's output goes to.
func (hs *Homeserver) LogPath() string {
	return filepath.Join(hs.DataDir, "dendrite.log")
}

func (hs *Homeserver) start(t testing.TB) {
	t.Helper()
	began := time.Now()
	p, err := hs.spawn()
	if err != nil {
		t.Fatalf("tesths: %v", err)
	}
	hs.mu.Lock()
	hs.proc = p
	hs.mu.Unlock()
	if err := hs.waitReady(p); err != nil {
		// Start's cleanup prints the log's tail, since the test has failed.
		t.Fatalf("tesths: %v (log: %s)", err, hs.LogPath())
	}
	t.Logf("tesths: dendrite ready at %s after %v (data %s)", hs.URL, time.Since(began).Round(time.Millisecond), hs.DataDir)
}

func (hs *Homeserver) spawn() (*testproc.Process, error) {
	logFile, err := os.OpenFile(hs.LogPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("failed to open dendrite log: %w", err)
	}
	// The child has its own copy of the descriptor.
	defer logFile.Close()
	cmd := exec.Command(hs.binary,
		"-config", hs.configPath,
		"-http-bind-address", "127.0.0.1:"+strconv.Itoa(hs.port))
	cmd.Dir = hs.DataDir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	return testproc.Spawn(cmd)
}

// waitReady polls /versions: the process gives no other readiness signal.
func (hs *Homeserver) waitReady(p *testproc.Process) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(startTimeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := client.Get(hs.URL + "/_matrix/client/versions")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("dendrite did not answer %s/_matrix/client/versions within %v (last error: %v)", hs.URL, startTimeout, err)
		}
		select {
		case <-p.Done():
			return fmt.Errorf("dendrite exited during start-up: %v", p.Err())
		case <-tick.C:
		}
	}
}

func (hs *Homeserver) stop() error {
	hs.mu.Lock()
	p := hs.proc
	hs.proc = nil
	hs.mu.Unlock()
	if p == nil {
		return nil
	}
	if err := p.Stop(syscall.SIGTERM, stopGrace); err != nil && !errors.Is(err, testproc.ErrKilled) {
		return fmt.Errorf("failed to stop dendrite: %w", err)
	}
	return nil
}

// MediaFileCount returns how many media files the homeserver stores (regular
// files under DataDir/media, excluding upload temp files), for tests that
// must prove that nothing new was uploaded.
func (hs *Homeserver) MediaFileCount(t testing.TB) int {
	t.Helper()
	root := filepath.Join(hs.DataDir, "media")
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path == root {
				return fs.SkipAll // nothing uploaded yet
			}
			return err
		}
		if d.IsDir() && d.Name() == "tmp" && filepath.Dir(path) == root {
			return fs.SkipDir
		}
		if d.Type().IsRegular() {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatalf("tesths: failed to count media files: %v", err)
	}
	return n
}

// requestContext bounds one HTTP call made on behalf of a test.
func requestContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}
