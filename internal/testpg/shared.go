package testpg

import (
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

// shared is the package-wide cluster behind Shared. A sync.Once would not
// do: a failed start must fail every later caller too, and Main must know
// whether anything started.
var shared struct {
	mu      sync.Mutex
	inMain  bool
	started bool
	server  *Server
	err     error
}

// Main runs the tests and then stops the cluster Shared started, if any.
// Packages that use Shared call it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testpg.Main(m)) }
func Main(m *testing.M) int {
	shared.mu.Lock()
	shared.inMain = true
	shared.mu.Unlock()
	code := m.Run()
	shared.mu.Lock()
	s := shared.server
	shared.server = nil
	shared.mu.Unlock()
	if s != nil {
		if err := s.close(); err != nil {
			fmt.Fprintf(os.Stderr, "testpg: failed to stop the shared cluster: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}

// Shared returns the cluster shared by all tests of the package, starting
// it on first use; it saves a start (about a second) per test. Its
// databases are dropped when their test ends. It needs TestMain to call
// Main, which stops the cluster.
func Shared(t testing.TB) *Server {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.inMain {
		t.Fatal("testpg: Shared needs `func TestMain(m *testing.M) { os.Exit(testpg.Main(m)) }` in the package, to stop the cluster; or use Start")
	}
	if !shared.started {
		shared.started = true
		shared.server, shared.err = start()
		if shared.err == nil {
			shared.server.shared = true
			t.Logf("testpg: shared PostgreSQL ready on 127.0.0.1:%d after %v (dir %s)", shared.server.port, shared.server.ready.Round(time.Millisecond), shared.server.dir)
		}
	}
	if shared.err != nil {
		t.Fatalf("testpg: failed to start the shared cluster: %v", shared.err)
	}
	if shared.server == nil {
		t.Fatal("testpg: Shared called after Main stopped the shared cluster")
	}
	return shared.server
}
