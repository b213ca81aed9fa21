package testpg

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"
)

// queryTimeout bounds each statement run on the tests' behalf.
const queryTimeout = 30 * time.Second

// NewDatabase creates a fresh, empty database and returns its connection
// URI for lib/pq, e.g.
// "postgres://postgres@127.0.0.1:PORT/db_N?sslmode=disable". On a Shared
// cluster the database is dropped when t ends.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	name := "db_" + strconv.FormatInt(s.lastDB.Add(1), 10)
	if err := s.exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("testpg: failed to create database %s: %v", name, err)
	}
	if s.shared {
		t.Cleanup(func() {
			if t.Failed() {
				s.logTail(t)
			}
			// FORCE ends sessions the test left open, which would
			// otherwise block the drop.
			if err := s.exec("DROP DATABASE " + name + " WITH (FORCE)"); err != nil {
				t.Errorf("testpg: failed to drop database %s: %v", name, err)
			}
		})
	}
	return uri(s.port, name)
}

func (s *Server) exec(query string) error {
	ctx, cancel := context.WithTimeout(context.Background(), queryTimeout)
	defer cancel()
	if _, err := s.admin.ExecContext(ctx, query); err != nil {
		return fmt.Errorf("failed to run %q: %w", query, err)
	}
	return nil
}
