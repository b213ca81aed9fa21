package testpg

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// makeBaseDir creates the directory that holds a cluster's data directory
// and log, owned by r. t.TempDir is no use as root: its parent is 0700, so
// the postgres user could not reach it. When the server runs as another
// user, every parent must let that user through; $TMPDIR is tried first,
// then /tmp.
func makeBaseDir(r runAs) (string, error) {
	roots := []string{os.TempDir()}
	if r.switches() && roots[0] != "/tmp" {
		roots = append(roots, "/tmp")
	}
	var errs []error
	for _, root := range roots {
		if r.switches() {
			if err := checkTraversable(root, r); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		dir, err := os.MkdirTemp(root, "igbridge-testpg-")
		if err != nil {
			return "", fmt.Errorf("failed to create a cluster directory: %w", err)
		}
		if r.switches() {
			if err := os.Chown(dir, r.uid, r.gid); err != nil {
				_ = os.RemoveAll(dir)
				return "", fmt.Errorf("failed to hand %s to the %s user: %w", dir, systemUser, err)
			}
		}
		return dir, nil
	}
	return "", fmt.Errorf("failed to find a temporary directory the %s user can reach (set TMPDIR to one): %w", systemUser, errors.Join(errs...))
}

// checkTraversable checks that r may search dir and each of its parents.
// It reads only the mode bits: enough for the usual /tmp, and ACLs are rare.
func checkTraversable(dir string, r runAs) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("failed to resolve %s: %w", dir, err)
	}
	for {
		info, err := os.Stat(dir)
		if err != nil {
			return fmt.Errorf("failed to inspect %s: %w", dir, err)
		}
		if !searchable(info, r) {
			return fmt.Errorf("%s (mode %v) is not searchable by %s", dir, info.Mode().Perm(), systemUser)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil
		}
		dir = parent
	}
}

func searchable(info os.FileInfo, r runAs) bool {
	perm := info.Mode().Perm()
	st, ok := info.Sys().(*syscall.Stat_t)
	switch {
	case !ok:
		return perm&0o001 != 0
	case int(st.Uid) == r.uid:
		return perm&0o100 != 0
	case int(st.Gid) == r.gid:
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}
