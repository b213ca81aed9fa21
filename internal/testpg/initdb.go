package testpg

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// initdbTimeout bounds initdb, which takes well under a second.
const initdbTimeout = time.Minute

// initdb creates a cluster in dataDir. The superuser is "postgres" whoever
// runs the server, so URIs look the same as root and as a developer.
// Authentication is trust: the cluster listens only on loopback, lives
// for one test run and holds only test data.
func initdb(binDir, dataDir string, r runAs) error {
	ctx, cancel := context.WithTimeout(context.Background(), initdbTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "initdb"),
		"-D", dataDir,
		"-U", "postgres",
		"-A", "trust",
		"-E", "UTF8",
		// The C locale exists everywhere and sorts the same everywhere.
		"--no-locale",
		// Nothing survives a crash anyway; skipping the fsyncs saves time.
		"--no-sync",
	)
	cmd.Dir = filepath.Dir(dataDir)
	// With TZ set, initdb skips scanning the zoneinfo files for the system
	// zone, and every cluster runs in UTC.
	cmd.Env = append(os.Environ(), "TZ=UTC")
	// No parent-death signal: it fires when the forking OS thread exits,
	// which only the postmaster's start pins down; the timeout bounds initdb.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: r.cred}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("failed to run initdb: %w\n%s", err, strings.TrimSpace(string(out)))
	}
	return nil
}
