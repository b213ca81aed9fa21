package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
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
	"github.com/igbridge/igbridge/internal/sqliteuri"
	"github.com/igbridge/igbridge/internal/tesths"
	"github.com/igbridge/igbridge/internal/testpg"
	"github.com/igbridge/igbridge/internal/testproc"
)

// replyTimeout bounds every wait for the bridge: Dendrite sometimes delivers appservice
// transactions seconds late (homeserver.md, D1).
const replyTimeout = 30 * time.Second

// env is one running set-up: Dendrite, the fake Instagram, and one or more igbridge instances.
// The first instance is embedded: most tests have just that one.
type env struct {
	*bridge
	t       testing.TB
	hs      *tesths.Homeserver
	ig      *fakeig.Server
	bridges []*bridge
}

// bridge is one igbridge instance of a set-up, with its own config, registration, database,
// appservice port, bot and ghost namespace.
type bridge struct {
	t           testing.TB
	dir         string
	cfgPath     string
	regPath     string
	environ     []string
	bot         id.UserID
	ghostPrefix string
	asURL       string
	config      map[string]any
	hsTok       string
	proc        *exec.Cmd
	exited      chan struct{}
	logBuf      *lockedBuffer
	// dbDriver and dbURI reach the bridge's database, for assertions on its rows; sqlDB is the
	// pool opened on first use.
	dbDriver, dbURI string
	sqlDB           *sql.DB
}

type envOptions struct {
	// network holds network.* keys to override, e.g. {"ytdlp": {"timeout": "2s"}}.
	network map[string]any
	// cookies gives the bridge a valid Instagram session (stories need one).
	cookies bool
	// proxyFromEnv leaves network.proxy empty and hands the fake's proxy to the bridge in the
	// standard HTTPS_PROXY/HTTP_PROXY variables instead.
	proxyFromEnv bool
	// maxUpload is Dendrite's upload limit (m.upload.size); 0 keeps tesths' default.
	maxUpload int64
}

// ghostID is the ghost of an Instagram account on the first bridge.
func ghostID(username string) id.UserID {
	return id.NewUserID("ig_"+username, "localhost")
}

// ghost is the ghost of an Instagram account on this bridge.
func (b *bridge) ghost(username string) id.UserID {
	return id.NewUserID(b.ghostPrefix+username, "localhost")
}

// startEnv starts a set-up with one bridge; see startEnvN.
func startEnv(t testing.TB, opts envOptions) *env {
	t.Helper()
	return startEnvN(t, opts, 1)
}

// startEnvN generates each bridge's config and registration with the real binary, starts Dendrite
// with all the registrations and then the bridges, and waits until they are ready.
func startEnvN(t testing.TB, opts envOptions, instances int) *env {
	t.Helper()
	e := &env{t: t, ig: fakeig.Start(t)}
	var registrations [][]byte
	for i := range instances {
		b := newBridge(t, i)
		registrations = append(registrations, b.generate())
		e.bridges = append(e.bridges, b)
	}
	e.bridge = e.bridges[0]
	e.hs = tesths.Start(t, tesths.Options{Registrations: registrations, MaxUploadBytes: opts.maxUpload})
	for _, b := range e.bridges {
		b.configure(e.hs.URL, e.ig, opts)
		b.start()
	}
	return e
}

// newBridge names instance i: the first is the product's defaults (igbridge, @ig-bot, ig_), the
// others get their own id, bot and ghost prefix, as an operator running several would.
func newBridge(t testing.TB, i int) *bridge {
	b := &bridge{t: t, dir: t.TempDir(), logBuf: &lockedBuffer{}, ghostPrefix: "ig_"}
	botName, appserviceID := "ig-bot", "igbridge"
	if i > 0 {
		botName, appserviceID, b.ghostPrefix = fmt.Sprintf("ig%d-bot", i), fmt.Sprintf("igbridge%d", i), fmt.Sprintf("ig%d_", i)
	}
	b.bot = id.NewUserID(botName, "localhost")
	asPort := freePort(t)
	b.asURL = fmt.Sprintf("http://127.0.0.1:%d", asPort)
	b.cfgPath = filepath.Join(b.dir, "config.yaml")
	b.regPath = filepath.Join(b.dir, "registration.yaml")
	b.run("-e", "-c", b.cfgPath)
	b.editConfig(func(cfg map[string]any) {
		set(cfg, "localhost", "homeserver", "domain")
		set(cfg, b.asURL, "appservice", "address")
		set(cfg, asPort, "appservice", "port")
		set(cfg, appserviceID, "appservice", "id")
		set(cfg, botName, "appservice", "bot", "username")
		set(cfg, b.ghostPrefix+"{{.}}", "appservice", "username_template")
	})
	return b
}

// generate writes the registration with `igbridge -g` and returns it.
func (b *bridge) generate() []byte {
	b.run("-g", "-c", b.cfgPath, "-r", b.regPath)
	registration, err := os.ReadFile(b.regPath)
	if err != nil {
		b.t.Fatalf("failed to read registration: %v", err)
	}
	return registration
}

// configure points the bridge at the homeserver, its database and the fake Instagram.
func (b *bridge) configure(hsURL string, ig *fakeig.Server, opts envOptions) {
	t := b.t
	b.editConfig(func(cfg map[string]any) {
		set(cfg, hsURL, "homeserver", "address")
		if os.Getenv(databaseEnv) == "postgres" {
			b.dbDriver, b.dbURI = "postgres", testpg.Shared(t).NewDatabase(t)
			set(cfg, "postgres", "database", "type")
			set(cfg, b.dbURI, "database", "uri")
		} else {
			file := filepath.Join(b.dir, "igbridge.db")
			b.dbDriver, b.dbURI = "sqlite", "file:"+file+"?mode=ro&_pragma=busy_timeout(5000)"
			set(cfg, "sqlite", "database", "type")
			set(cfg, sqliteuri.File(file), "database", "uri")
		}
		set(cfg, map[string]any{
			"*":                  "relay",
			"localhost":          "user",
			"@admin:localhost":   "admin",
			"@mallory:localhost": "relay",
		}, "bridge", "permissions")
		set(cfg, []any{map[string]any{"type": "stdout", "format": "json"}}, "logging", "writers")
		if !opts.proxyFromEnv {
			set(cfg, ig.ProxyURL, "network", "proxy")
		}
		set(cfg, ig.CAFile, "network", "ca_file")
		if opts.cookies {
			set(cfg, ig.WriteCookies(t), "network", "cookies_file")
		}
		// Tests post many links: pace and back off in milliseconds, not seconds.
		for key, value := range fastPacing {
			set(cfg, value, "network", key)
		}
		for key, value := range opts.network {
			set(cfg, value, "network", key)
		}
		b.hsTok = get(cfg, "appservice", "hs_token").(string)
		b.config = cfg
	})
	b.environ = []string{"HOME=" + b.dir}
	if opts.proxyFromEnv {
		b.environ = append(b.environ, "HTTPS_PROXY="+ig.ProxyURL, "HTTP_PROXY="+ig.ProxyURL, "NO_PROXY=127.0.0.1,localhost")
	}
}

// logDirEnv names a directory that receives the whole log of every bridge the tests start.
const logDirEnv = "IGBRIDGE_E2E_LOG_DIR"

// fastPacing replaces the production pacing and retry delays in tests.
var fastPacing = map[string]any{
	"rate_limit": map[string]any{"requests_per_minute": 60000, "min_interval": "1ms", "cooldown": "100ms", "max_cooldown": "400ms"},
	"retry":      map[string]any{"max_attempts": 3, "base_delay": "50ms", "max_delay": "200ms"},
}

// start starts the bridge with the set-up's config and waits until it is ready.
func (b *bridge) start() {
	t := b.t
	b.proc = exec.Command(bridgeBinary, "-c", b.cfgPath, "-r", b.regPath, "--ignore-unsupported-server")
	b.proc.Dir = b.dir
	// Its own process group, so that a crash test can kill it with everything it started; killed
	// by the kernel should the test binary die without its cleanups.
	b.proc.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	b.proc.Env = append(withoutProxyVars(os.Environ()), b.environ...)
	var out io.Writer = b.logBuf
	if dir := os.Getenv(logDirEnv); dir != "" {
		// Whole logs of every bridge run, for debugging a failure: the test only prints a tail.
		f, err := os.OpenFile(filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			t.Fatalf("failed to open the bridge log file: %v", err)
		}
		t.Cleanup(func() { _ = f.Close() })
		out = io.MultiWriter(b.logBuf, f)
	}
	b.proc.Stdout, b.proc.Stderr = out, out
	if err := b.proc.Start(); err != nil {
		t.Fatalf("failed to start igbridge: %v", err)
	}
	b.exited = make(chan struct{})
	go func() {
		_ = b.proc.Wait()
		close(b.exited)
	}()
	t.Cleanup(func() {
		b.stop()
		if t.Failed() {
			t.Logf("igbridge log (tail):\n%s", tail(b.logBuf.String(), 80))
		}
	})
	b.waitReady()
}

// crash kills the bridge without warning, as a power cut or the OOM killer would.
func (b *bridge) crash() {
	_ = b.proc.Process.Kill()
	<-b.exited
}

func (b *bridge) stop() {
	select {
	case <-b.exited:
		return
	default:
	}
	if err := testproc.Stop(b.proc.Process, b.exited, syscall.SIGTERM, 10*time.Second); err != nil {
		b.t.Errorf("igbridge did not stop on SIGTERM: %v", err)
	}
}

// waitReady polls the appservice's readiness endpoint; the bridge answers it once it has
// connected to the homeserver and started its connectors.
func (b *bridge) waitReady() {
	b.t.Helper()
	deadline := time.After(60 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := http.Get(b.asURL + "/_matrix/mau/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-b.exited:
			b.t.Fatalf("igbridge exited during start-up:\n%s", tail(b.logBuf.String(), 60))
		case <-deadline:
			b.t.Fatalf("igbridge was not ready within 60s:\n%s", tail(b.logBuf.String(), 60))
		case <-tick.C:
		}
	}
}

// run runs the igbridge binary with arguments and fails the test if it fails.
func (b *bridge) run(args ...string) string {
	b.t.Helper()
	cmd := exec.Command(bridgeBinary, args...)
	cmd.Dir = b.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.t.Fatalf("igbridge %s failed: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (b *bridge) editConfig(edit func(map[string]any)) {
	path := b.cfgPath
	b.t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		b.t.Fatalf("failed to read config: %v", err)
	}
	var cfg map[string]any
	if err = yaml.Unmarshal(data, &cfg); err != nil {
		b.t.Fatalf("failed to parse config: %v", err)
	}
	edit(cfg)
	if data, err = yaml.Marshal(cfg); err != nil {
		b.t.Fatalf("failed to write config: %v", err)
	}
	if err = os.WriteFile(path, data, 0o600); err != nil {
		b.t.Fatalf("failed to write config: %v", err)
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
func (b *bridge) db() *sql.DB {
	b.t.Helper()
	if b.sqlDB == nil {
		db, err := sql.Open(b.dbDriver, b.dbURI)
		if err != nil {
			b.t.Fatalf("failed to open bridge database: %v", err)
		}
		b.t.Cleanup(func() { _ = db.Close() })
		b.sqlDB = db
	}
	return b.sqlDB
}

func (b *bridge) queryInt(query string, args ...any) int {
	b.t.Helper()
	return queryValue[int](b, query, args...)
}

// queryValue reads the one value a query selects from the bridge's database.
func queryValue[T any](b *bridge, query string, args ...any) T {
	b.t.Helper()
	var v T
	if err := b.db().QueryRowContext(context.Background(), query, args...).Scan(&v); err != nil {
		b.t.Fatalf("query %q failed: %v", query, err)
	}
	return v
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
	port, err := testproc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
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
