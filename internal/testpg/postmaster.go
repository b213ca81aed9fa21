package testpg

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/igbridge/igbridge/internal/testproc"
)

const (
	// startTimeout bounds the wait for the first connection; it takes
	// about 0.1 s after initdb.
	startTimeout = 30 * time.Second
	// stopGrace is how long a fast shutdown (SIGINT) gets before SIGKILL.
	stopGrace = 10 * time.Second
)

// postmaster is one run of the postgres server process.
type postmaster struct{ *testproc.Process }

// spawnPostmaster starts postgres on 127.0.0.1:port with its socket in
// sockDir, writing its log to logFile, as r.
func spawnPostmaster(binDir, dataDir, sockDir string, port int, r runAs, logFile *os.File) (*postmaster, error) {
	cmd := exec.Command(filepath.Join(binDir, "postgres"),
		"-D", dataDir,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "port="+strconv.Itoa(port),
		"-c", "unix_socket_directories="+sockDir,
		// Durability is pointless for a cluster deleted after the test.
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
	)
	cmd.Dir = sockDir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: r.cred}
	p, err := testproc.Spawn(cmd)
	if err != nil {
		return nil, err
	}
	return &postmaster{p}, nil
}

// waitReady polls with a query: postgres accepts connections before it can
// serve them ("the database system is starting up").
func (p *postmaster) waitReady(db *sql.DB) error {
	deadline := time.Now().Add(startTimeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		// Checked first so that a postgres that could not bind its port is
		// noticed before pinging whoever holds it.
		select {
		case <-p.Done():
			return fmt.Errorf("postgres exited during start-up: %v", p.Err())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := db.PingContext(ctx)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres did not accept connections within %v (last error: %v)", startTimeout, err)
		}
		<-tick.C
	}
}

// stop asks for a fast shutdown (SIGINT: abort sessions, no waiting for
// clients), which returns once every backend has exited, and kills the
// postmaster if that takes too long. Killing its process group would not
// help: each backend calls setsid. They exit when they notice the
// postmaster is gone.
func (p *postmaster) stop() error {
	err := p.Stop(syscall.SIGINT, stopGrace)
	if errors.Is(err, testproc.ErrKilled) {
		return fmt.Errorf("postgres ignored a fast shutdown for %v and was killed", stopGrace)
	} else if err != nil {
		return fmt.Errorf("failed to stop postgres: %w", err)
	}
	return nil
}
