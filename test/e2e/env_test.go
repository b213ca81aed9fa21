package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/lib/pq"
	"gopkg.in/yaml.v3"
	"maunium.net/go/mautrix/id"
	_ "modernc.org/sqlite"

	"github.com/igbridge/igbridge/internal/fakeig"
	"github.com/igbridge/igbridge/internal/tesths"
	"github.com/igbridge/igbridge/internal/testpg"
)

// replyTimeout bounds every wait for the bridge: Dendrite sometimes delivers appservice
// transactions seconds late (homeserver.md, D1).
const replyTimeout = 30 * time.Second

// env is one running set-up: Dendrite, the fake Instagram, and igbridge.
type env struct {
	t       testing.TB
	dir     string
	cfgPath string
	regPath string
	environ []string
	hs      *tesths.Homeserver
	ig      *fakeig.Server
	bot     id.UserID
	asURL   string
	config  map[string]any
	hsTok   string
	proc    *exec.Cmd
	exited  chan struct{}
	logBuf  *lockedBuffer
	// dbDriver and dbURI reach the bridge's database, for assertions on its rows.
	dbDriver, dbURI string
}

// envOptions change the bridge config of one set-up.
type envOptions struct {
	// network holds network.* keys to override, e.g. {"ytdlp": {"timeout": "2s"}}.
	network map[string]any
	// cookies gives the bridge a valid Instagram session (stories need one).
	cookies bool
	// proxyFromEnv leaves network.proxy empty and hands the fake's proxy to the bridge in the
	// standard HTTPS_PROXY/HTTP_PROXY variables instead.
	proxyFromEnv bool
}

func ghostID(username string) id.UserID {
	return id.NewUserID("ig_"+username, "localhost")
}

// startEnv generates the bridge's config and registration with the real binary, starts Dendrite
// with that registration and then the bridge, and waits until the bridge is ready.
func startEnv(t testing.TB, opts envOptions) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), bot: id.NewUserID("ig-bot", "localhost"), logBuf: &lockedBuffer{}}
	e.ig = fakeig.Start(t)
	asPort := freePort(t)
	e.asURL = fmt.Sprintf("http://127.0.0.1:%d", asPort)
	e.cfgPath = filepath.Join(e.dir, "config.yaml")
	e.regPath = filepath.Join(e.dir, "registration.yaml")
	cfgPath, regPath := e.cfgPath, e.regPath
	e.run("-e", "-c", cfgPath)
	e.editConfig(cfgPath, func(cfg map[string]any) {
		set(cfg, "localhost", "homeserver", "domain")
		set(cfg, e.asURL, "appservice", "address")
		set(cfg, asPort, "appservice", "port")
	})
	e.run("-g", "-c", cfgPath, "-r", regPath)
	registration, err := os.ReadFile(regPath)
	if err != nil {
		t.Fatalf("failed to read registration: %v", err)
	}
	e.hs = tesths.Start(t, tesths.Options{Registration: registration})
	e.editConfig(cfgPath, func(cfg map[string]any) {
		set(cfg, e.hs.URL, "homeserver", "address")
		dbType := "sqlite"
		if os.Getenv(databaseEnv) == "postgres" {
			dbType, e.dbDriver, e.dbURI = "postgres", "postgres", testpg.Shared(t).NewDatabase(t)
		} else {
			e.dbDriver, e.dbURI = "sqlite", "file:"+filepath.Join(e.dir, "igbridge.db")+"?mode=ro&_pragma=busy_timeout(5000)"
			set(cfg, "file:"+filepath.Join(e.dir, "igbridge.db")+
				"?_txlock=immediate&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"+
				"&_pragma=busy_timeout(5000)&_time_format=sqlite", "database", "uri")
		}
		set(cfg, dbType, "database", "type")
		if dbType == "postgres" {
			set(cfg, e.dbURI, "database", "uri")
		}
		set(cfg, map[string]any{
			"*":                  "relay",
			"localhost":          "user",
			"@admin:localhost":   "admin",
			"@mallory:localhost": "relay",
		}, "bridge", "permissions")
		set(cfg, []any{map[string]any{"type": "stdout", "format": "json"}}, "logging", "writers")
		if !opts.proxyFromEnv {
			set(cfg, e.ig.ProxyURL, "network", "proxy")
		}
		set(cfg, e.ig.CAFile, "network", "ca_file")
		if opts.cookies {
			set(cfg, e.ig.WriteCookies(t), "network", "cookies_file")
		}
		// Tests post many links: pace and back off in milliseconds, not seconds.
		for key, value := range fastPacing {
			set(cfg, value, "network", key)
		}
		for key, value := range opts.network {
			set(cfg, value, "network", key)
		}
		e.hsTok = get(cfg, "appservice", "hs_token").(string)
		e.config = cfg
	})
	environ := []string{"HOME=" + e.dir}
	if opts.proxyFromEnv {
		environ = append(environ, "HTTPS_PROXY="+e.ig.ProxyURL, "HTTP_PROXY="+e.ig.ProxyURL, "NO_PROXY=127.0.0.1,localhost")
	}
	e.environ = environ
	e.start()
	return e
}

// logDirEnv names a directory that receives the whole log of every bridge the tests start.
const logDirEnv = "IGBRIDGE_E2E_LOG_DIR"

// fastPacing replaces the production pacing and retry delays in tests.
var fastPacing = map[string]any{
	"rate_limit": map[string]any{"requests_per_minute": 60000, "min_interval": "1ms", "cooldown": "100ms", "max_cooldown": "400ms"},
	"retry":      map[string]any{"max_attempts": 3, "base_delay": "50ms", "max_delay": "200ms"},
}

// start starts the bridge with the set-up's config and waits until it is ready.
func (e *env) start() {
	t := e.t
	e.proc = exec.Command(bridgeBinary, "-c", e.cfgPath, "-r", e.regPath, "--ignore-unsupported-server")
	e.proc.Dir = e.dir
	e.proc.Env = append(withoutProxyVars(os.Environ()), e.environ...)
	var out io.Writer = e.logBuf
	if dir := os.Getenv(logDirEnv); dir != "" {
		// Whole logs of every bridge run, for debugging a failure: the test only prints a tail.
		f, err := os.OpenFile(filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			t.Fatalf("failed to open the bridge log file: %v", err)
		}
		t.Cleanup(func() { _ = f.Close() })
		out = io.MultiWriter(e.logBuf, f)
	}
	e.proc.Stdout, e.proc.Stderr = out, out
	if err := e.proc.Start(); err != nil {
		t.Fatalf("failed to start igbridge: %v", err)
	}
	e.exited = make(chan struct{})
	go func() {
		_ = e.proc.Wait()
		close(e.exited)
	}()
	t.Cleanup(func() {
		e.stop()
		if t.Failed() {
			t.Logf("igbridge log (tail):\n%s", tail(e.logBuf.String(), 80))
		}
	})
	e.waitReady()
}

// crash kills the bridge without warning, as a power cut or the OOM killer would.
func (e *env) crash() {
	_ = e.proc.Process.Kill()
	<-e.exited
}

func (e *env) stop() {
	select {
	case <-e.exited:
		return
	default:
	}
	_ = e.proc.Process.Signal(syscall.SIGTERM)
	select {
	case <-e.exited:
	case <-time.After(10 * time.Second):
		_ = e.proc.Process.Kill()
		<-e.exited
	}
}

// waitReady polls the appservice's readiness endpoint; the bridge answers it once it has
// connected to the homeserver and started its connectors.
func (e *env) waitReady() {
	e.t.Helper()
	deadline := time.After(60 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := http.Get(e.asURL + "/_matrix/mau/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-e.exited:
			e.t.Fatalf("igbridge exited during start-up:\n%s", tail(e.logBuf.String(), 60))
		case <-deadline:
			e.t.Fatalf("igbridge was not ready within 60s:\n%s", tail(e.logBuf.String(), 60))
		case <-tick.C:
		}
	}
}

// run runs the igbridge binary with arguments and fails the test if it fails.
func (e *env) run(args ...string) string {
	e.t.Helper()
	cmd := exec.Command(bridgeBinary, args...)
	cmd.Dir = e.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		e.t.Fatalf("igbridge %s failed: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (e *env) editConfig(path string, edit func(map[string]any)) {
	e.t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		e.t.Fatalf("failed to read config: %v", err)
	}
	var cfg map[string]any
	if err = yaml.Unmarshal(data, &cfg); err != nil {
		e.t.Fatalf("failed to parse config: %v", err)
	}
	edit(cfg)
	if data, err = yaml.Marshal(cfg); err != nil {
		e.t.Fatalf("failed to write config: %v", err)
	}
	if err = os.WriteFile(path, data, 0o600); err != nil {
		e.t.Fatalf("failed to write config: %v", err)
	}
}

func set(cfg map[string]any, value any, path ...string) {
	for _, key := range path[:len(path)-1] {
		next, ok := cfg[key].(map[string]any)
		if !ok {
			next = map[string]any{}
			cfg[key] = next
		}
		cfg = next
	}
	cfg[path[len(path)-1]] = value
}

func get(cfg map[string]any, path ...string) any {
	var cur any = cfg
	for _, key := range path {
		cur = cur.(map[string]any)[key]
	}
	return cur
}

// databaseEnv selects the bridge's database for the whole suite: unset for SQLite, "postgres" for
// a real PostgreSQL (make test runs the suite both ways).
const databaseEnv = "IGBRIDGE_E2E_DB"

// db opens the bridge's database, for assertions on its rows.
func (e *env) db() *sql.DB {
	e.t.Helper()
	db, err := sql.Open(e.dbDriver, e.dbURI)
	if err != nil {
		e.t.Fatalf("failed to open bridge database: %v", err)
	}
	e.t.Cleanup(func() { _ = db.Close() })
	return db
}

func (e *env) queryInt(query string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.db().QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		e.t.Fatalf("query %q failed: %v", query, err)
	}
	return n
}

// withoutProxyVars drops the machine's proxy settings, so the bridge only ever reaches the fake.
func withoutProxyVars(environ []string) []string {
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		switch strings.ToUpper(name) {
		case "HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY":
			continue
		}
		out = append(out, kv)
	}
	return out
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("failed to find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

// lockedBuffer collects the bridge's output from its two pipes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
