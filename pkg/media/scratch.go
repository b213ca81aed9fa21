package media

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/rs/zerolog"
)

// scratchPrefix starts the name of a bridge process's directory for temporary files (cookies
// copies, upload buffers, yt-dlp's files), followed by the process id and a random suffix. The id
// lets a later start find the directories of bridges that died without removing theirs (SIGKILL,
// a crash).
const scratchPrefix = "igbridge-tmp-"

var scratch struct {
	mu  sync.Mutex
	dir string
	// base is the temporary directory scratch directories are made in, once UseScratchAsTemp has
	// pointed TMPDIR at the scratch directory itself; "" means os.TempDir().
	base string
}

// scratchDir returns this process's directory for temporary files, 0700 under the temporary
// directory, creating it on first use and again if something (tmpfiles cleaning) removed it.
func scratchDir() (string, error) {
	scratch.mu.Lock()
	defer scratch.mu.Unlock()
	if scratch.dir != "" {
		if _, err := os.Stat(scratch.dir); err == nil {
			return scratch.dir, nil
		}
	}
	// MkdirTemp's random suffix makes a name that no other user can have created in advance.
	dir, err := os.MkdirTemp(scratch.base, scratchPrefix+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return "", fmt.Errorf("failed to create a directory for temporary files: %w", err)
	}
	scratch.dir = dir
	if scratch.base != "" {
		err = os.Setenv("TMPDIR", dir)
	}
	return dir, err
}

// UseScratchAsTemp makes this process's scratch directory the temporary directory of the whole
// bridge (TMPDIR), after removing those of killed bridges: mautrix's upload buffers and whatever
// yt-dlp writes then go where the next start removes them should the bridge be killed mid-upload.
// Call it at start, before anything creates temporary files.
func UseScratchAsTemp(ctx context.Context) error {
	cleanStaleScratch(ctx)
	scratch.mu.Lock()
	if scratch.base == "" {
		scratch.base = os.TempDir()
	}
	scratch.mu.Unlock()
	_, err := scratchDir()
	return err
}

// RemoveScratch removes this process's scratch directory, at a clean stop once nothing uses it.
func RemoveScratch() error {
	scratch.mu.Lock()
	defer scratch.mu.Unlock()
	if scratch.dir == "" {
		return nil
	}
	if err := os.RemoveAll(scratch.dir); err != nil {
		return fmt.Errorf("failed to remove temporary files: %w", err)
	}
	scratch.dir = ""
	return nil
}

// tempBase is the directory scratch directories are made in.
func tempBase() string {
	scratch.mu.Lock()
	defer scratch.mu.Unlock()
	if scratch.base != "" {
		return scratch.base
	}
	return os.TempDir()
}

// removeStaleScratch removes the scratch directories of bridge processes that no longer run and
// returns how many it removed. Directories of other users' processes are left alone (and could
// not be removed from a sticky /tmp anyway).
func removeStaleScratch() (int, error) {
	tmp := tempBase()
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return 0, fmt.Errorf("failed to look for stale temporary files: %w", err)
	}
	removed := 0
	var errs []error
	for _, e := range entries {
		pid, ok := scratchOwner(e)
		if !ok || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(tmp, e.Name())); err != nil {
			errs = append(errs, err)
			continue
		}
		removed++
	}
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("failed to remove stale temporary files: %w", err)
	}
	return removed, nil
}

// scratchOwner returns the process id in the name of a scratch directory. A symlink with such
// a name is not one (ReadDir does not follow links).
func scratchOwner(e os.DirEntry) (int, bool) {
	rest, ok := strings.CutPrefix(e.Name(), scratchPrefix)
	if !ok || !e.IsDir() {
		return 0, false
	}
	digits, _, _ := strings.Cut(rest, "-")
	pid, err := strconv.Atoi(digits)
	return pid, err == nil && pid > 0
}

// processAlive reports whether a process with this id exists (possibly another user's).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// cleanStaleScratch removes the scratch directories of dead bridges, at start: those are what a
// SIGKILL left behind, cookies copies and upload buffers included.
func cleanStaleScratch(ctx context.Context) {
	log := zerolog.Ctx(ctx)
	removed, err := removeStaleScratch()
	if err != nil {
		log.Warn().Err(err).Msg("Failed to clean up after a bridge that was killed")
	}
	if removed > 0 {
		log.Info().Int("directories", removed).Msg("Removed temporary files left by a bridge that was killed")
	}
}
