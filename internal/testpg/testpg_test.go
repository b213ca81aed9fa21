package testpg_test

import (
	"context"
	"database/sql"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/lib/pq"

	"github.com/igbridge/igbridge/internal/testpg"
)

func TestMain(m *testing.M) { os.Exit(testpg.Main(m)) }

func TestBinaries(t *testing.T) {
	dir, err := testpg.Binaries()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"initdb", "postgres"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("Binaries() = %s, which lacks %s: %v", dir, name, err)
		}
	}
}

func TestBinariesMissingPointsToSetup(t *testing.T) {
	t.Setenv(testpg.EnvBinaries, filepath.Join(t.TempDir(), "nowhere"))
	_, err := testpg.Binaries()
	if err == nil || !strings.Contains(err.Error(), "scripts/setup.sh") {
		t.Fatalf("Binaries() with a bad %s: error %v, want one naming scripts/setup.sh", testpg.EnvBinaries, err)
	}
}

func TestStartAndDatabases(t *testing.T) {
	began := time.Now()
	s := testpg.Start(t)
	t.Logf("Start took %v", time.Since(began).Round(time.Millisecond))

	first, second := s.NewDatabase(t), s.NewDatabase(t)
	if first == second {
		t.Fatalf("NewDatabase returned %s twice", first)
	}
	db1, db2 := open(t, first), open(t, second)
	ctx := context.Background()

	mustExec(t, db1, `CREATE TABLE items (id SERIAL PRIMARY KEY, name TEXT NOT NULL)`)
	mustExec(t, db1, `INSERT INTO items (name) VALUES ($1)`, "héllo")
	var name string
	if err := db1.QueryRowContext(ctx, `SELECT name FROM items WHERE id = 1`).Scan(&name); err != nil {
		t.Fatalf("failed to read back: %v", err)
	}
	if name != "héllo" {
		t.Errorf("read back %q, want %q", name, "héllo")
	}

	var table sql.NullString
	if err := db2.QueryRowContext(ctx, `SELECT to_regclass('items')::text`).Scan(&table); err != nil {
		t.Fatalf("failed to look for the table in the second database: %v", err)
	}
	if table.Valid {
		t.Errorf("the second database sees the first one's table %q", table.String)
	}
}

func TestListensOnlyOnLoopback(t *testing.T) {
	s := testpg.Start(t)
	uri := s.NewDatabase(t)
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatalf("failed to parse %s: %v", uri, err)
	}
	if u.Hostname() != "127.0.0.1" {
		t.Errorf("URI host is %q, want 127.0.0.1", u.Hostname())
	}
	var listen string
	if err := open(t, uri).QueryRow(`SHOW listen_addresses`).Scan(&listen); err != nil {
		t.Fatalf("failed to read listen_addresses: %v", err)
	}
	if listen != "127.0.0.1" {
		t.Errorf("listen_addresses = %q, want 127.0.0.1", listen)
	}
	// The setting aside, nothing may answer on the machine's other
	// addresses.
	others := nonLoopbackAddrs(t)
	t.Logf("checking that port %s is closed on %v", u.Port(), others)
	for _, ip := range others {
		addr := net.JoinHostPort(ip.String(), u.Port())
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			_ = conn.Close()
			t.Errorf("postgres answers on %s", addr)
		}
	}
}

func TestShared(t *testing.T) {
	var uris []string
	var first *testpg.Server
	for _, name := range []string{"a", "b"} {
		t.Run(name, func(t *testing.T) {
			s := testpg.Shared(t)
			if first == nil {
				first = s
			} else if s != first {
				t.Errorf("Shared returned a second cluster")
			}
			uri := s.NewDatabase(t)
			mustExec(t, open(t, uri), `CREATE TABLE t (x INT)`)
			uris = append(uris, uri)
		})
	}
	if len(uris) != 2 || uris[0] == uris[1] {
		t.Fatalf("shared databases %v, want two distinct ones", uris)
	}
	// Each subtest's database is dropped when the subtest ends.
	admin, err := url.Parse(uris[0])
	if err != nil {
		t.Fatal(err)
	}
	admin.Path = "/postgres"
	db := open(t, admin.String())
	for _, uri := range uris {
		u, _ := url.Parse(uri)
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM pg_database WHERE datname = $1`, strings.TrimPrefix(u.Path, "/")).Scan(&n); err != nil {
			t.Fatalf("failed to list databases: %v", err)
		}
		if n != 0 {
			t.Errorf("database of %s still exists after its test", uri)
		}
	}
}

func open(t *testing.T, uri string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", uri)
	if err != nil {
		t.Fatalf("failed to open %s: %v", uri, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Ping(); err != nil {
		t.Fatalf("failed to connect to %s: %v", uri, err)
	}
	return db
}

func mustExec(t *testing.T, db *sql.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatalf("failed to run %q: %v", query, err)
	}
}

// nonLoopbackAddrs lists the machine's other addresses; a machine with
// none (a network-less sandbox) still has ::1 to check against.
func nonLoopbackAddrs(t *testing.T) []net.IP {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatalf("failed to list interface addresses: %v", err)
	}
	ips := []net.IP{net.IPv6loopback}
	for _, a := range addrs {
		var ip net.IP
		switch v := a.(type) {
		case *net.IPNet:
			ip = v.IP
		case *net.IPAddr:
			ip = v.IP
		}
		if ip != nil && !ip.IsLoopback() && !ip.IsLinkLocalUnicast() {
			ips = append(ips, ip)
		}
	}
	return ips
}
