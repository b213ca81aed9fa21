package testpg

import (
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	// The driver mautrix's dbutil uses for postgres URIs.
	_ "github.com/lib/pq"

	"github.com/igbridge/igbridge/internal/testproc"
)

// portAttempts is how often start picks a new port when another process
// took the free one first.
const portAttempts = 3

// Server is a throwaway PostgreSQL cluster for tests.
type Server struct {
	dir     string // holds data/, postgres.log and the unix socket
	port    int
	logFile *os.File
	proc    *postmaster
	admin   *sql.DB // the "postgres" database, for creating others
	shared  bool    // databases are dropped after each test
	lastDB  atomic.Int64
	ready   time.Duration // how long start took
}

// Start initialises and starts a cluster in a temp dir and stops it (SIGINT
// fast shutdown, then SIGKILL) in t.Cleanup; it prints the server log tail
// on failure. It fails the test, never skips it, when PostgreSQL is missing.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := start()
	if err != nil {
		t.Fatalf("testpg: %v", err)
	}
	t.Cleanup(func() {
		// Read before stopping: shutdown lines would push the interesting
		// ones out.
		if t.Failed() {
			s.logTail(t)
		}
		if err := s.close(); err != nil {
			t.Errorf("testpg: %v", err)
		}
	})
	t.Logf("testpg: PostgreSQL ready on 127.0.0.1:%d after %v (dir %s)", s.port, s.ready.Round(time.Millisecond), s.dir)
	return s
}

// start creates and starts a cluster; on error nothing is left behind and
// the error carries the server log's tail.
func start() (s *Server, err error) {
	began := time.Now()
	binDir, err := Binaries()
	if err != nil {
		return nil, err
	}
	r, err := serverUser()
	if err != nil {
		return nil, err
	}
	dir, err := makeBaseDir(r)
	if err != nil {
		return nil, err
	}
	s = &Server{dir: dir}
	defer func() {
		if err != nil {
			err = errors.Join(err, s.close())
			s = nil
		}
	}()
	if err := initdb(binDir, s.dataDir(), r); err != nil {
		return nil, err
	}
	// Opened by us, so it needs no particular owner; postgres inherits it.
	s.logFile, err = os.OpenFile(s.LogPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("failed to create the server log: %w", err)
	}
	for attempt := 1; ; attempt++ {
		port, err := testproc.FreePort()
		if err != nil {
			return nil, err
		}
		err = s.startPostmaster(binDir, r, port)
		if err == nil {
			break
		}
		if attempt < portAttempts && errors.Is(err, errPortTaken) {
			continue
		}
		return nil, err
	}
	s.ready = time.Since(began)
	return s, nil
}

// errPortTaken marks a start that failed only because the port was taken.
var errPortTaken = errors.New("port taken")

// startPostmaster runs postgres on port and waits until it serves queries.
func (s *Server) startPostmaster(binDir string, r runAs, port int) error {
	logStart, err := s.logFile.Seek(0, io.SeekEnd)
	if err != nil {
		return fmt.Errorf("failed to find the end of the server log: %w", err)
	}
	p, err := spawnPostmaster(binDir, s.dataDir(), s.dir, port, r, s.logFile)
	if err != nil {
		return err
	}
	// lib/pq ignores the context during the start-up handshake; only
	// connect_timeout stops a ping hanging on a stranger holding the port.
	admin, err := sql.Open("postgres", uri(port, "postgres")+"&connect_timeout=5")
	if err != nil {
		return errors.Join(fmt.Errorf("failed to open the admin connection: %w", err), p.stop())
	}
	if err := p.waitReady(admin); err != nil {
		err = errors.Join(err, admin.Close(), p.stop())
		tail, tailErr := fileTail(s.LogPath(), logStart, logTailLines)
		if tailErr != nil {
			return errors.Join(err, fmt.Errorf("failed to read the server log: %w", tailErr))
		}
		// Postgres's own words when another process holds the port.
		if strings.Contains(tail, "could not create any TCP/IP sockets") {
			err = fmt.Errorf("%w: %w", errPortTaken, err)
		}
		return fmt.Errorf("%w\nlast lines of %s:\n%s", err, s.LogPath(), tail)
	}
	s.port, s.proc, s.admin = port, p, admin
	return nil
}

// close stops the server and deletes the cluster. It tolerates a
// half-started server, for start's error path.
func (s *Server) close() error {
	var errs []error
	if s.admin != nil {
		errs = append(errs, s.admin.Close())
		s.admin = nil
	}
	if s.proc != nil {
		errs = append(errs, s.proc.stop())
		s.proc = nil
	}
	if s.logFile != nil {
		errs = append(errs, s.logFile.Close())
		s.logFile = nil
	}
	if err := os.RemoveAll(s.dir); err != nil {
		errs = append(errs, fmt.Errorf("failed to delete the cluster: %w", err))
	}
	return errors.Join(errs...)
}

// LogPath is the file the server's output goes to.
func (s *Server) LogPath() string { return filepath.Join(s.dir, "postgres.log") }

func (s *Server) dataDir() string { return filepath.Join(s.dir, "data") }

// logTail prints the end of the server log, where failed statements and
// server-side errors show up.
func (s *Server) logTail(t testing.TB) {
	t.Helper()
	tail, err := fileTail(s.LogPath(), 0, logTailLines)
	if err != nil {
		t.Logf("testpg: failed to read the server log: %v", err)
		return
	}
	t.Logf("testpg: last lines of %s:\n%s", s.LogPath(), tail)
}

// uri is a lib/pq connection URI for database on the cluster at port.
func uri(port int, database string) string {
	return "postgres://postgres@127.0.0.1:" + strconv.Itoa(port) + "/" + database + "?sslmode=disable"
}
