// Package sqliteuri builds the URIs of igbridge's SQLite databases: the one place that knows the
// parameters they need with modernc's driver. Text copies elsewhere (the NixOS module, the
// runbook) are checked against it by this package's tests.
package sqliteuri

import "strings"

// params: immediate write transactions (else concurrent writers fail with "database is locked"),
// the settings mattn's sqlite3-fk-wal driver would set, and SQLite's own time format, which the
// crypto store's unixepoch() queries rely on.
var params = []string{
	"_txlock=immediate",
	"_pragma=foreign_keys(1)",
	"_pragma=journal_mode(WAL)",
	"_pragma=synchronous(NORMAL)",
	"_pragma=busy_timeout(5000)",
	"_time_format=sqlite",
}

// Query returns the parameters as a URI query, without the leading "?".
func Query() string { return strings.Join(params, "&") }

// File returns the URI of the database file at path, with every parameter.
func File(path string) string { return "file:" + path + "?" + Query() }

// Missing returns the parameters uri lacks, in their usual order.
func Missing(uri string) []string {
	var missing []string
	for _, p := range params {
		if !strings.Contains(uri, p) {
			missing = append(missing, p)
		}
	}
	return missing
}
