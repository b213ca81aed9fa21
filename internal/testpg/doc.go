// Package testpg runs throwaway PostgreSQL clusters for tests.
//
// Start initialises a fresh cluster in a temporary directory, listening only
// on 127.0.0.1, and stops and deletes it when the test ends; NewDatabase
// hands out empty databases in it. Clusters run with fsync off: they are
// fast and lose everything on a crash, which is all a test needs.
//
// A package whose tests all need PostgreSQL can share one cluster: call
// Main from TestMain and Shared instead of Start.
//
// The binaries come from the newest /usr/lib/postgresql/*/bin (Debian's
// postgresql package, installed by scripts/setup.sh, which `make test`
// runs), else from $PATH; $IGBRIDGE_POSTGRES_BIN overrides both. As root,
// the server runs as the postgres system user, since PostgreSQL refuses to
// run as root.
package testpg
