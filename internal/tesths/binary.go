package tesths

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// EnvBinary names the environment variable that overrides the dendrite binary.
const EnvBinary = "IGBRIDGE_DENDRITE"

// Binary returns the dendrite binary: $IGBRIDGE_DENDRITE, else
// <repo root>/.tools/bin/dendrite, where the repo root is the nearest
// directory above this package (or the working directory) holding go.mod.
func Binary() (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		return checkBinary(p, "$"+EnvBinary)
	}
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	return checkBinary(filepath.Join(root, ".tools", "bin", "dendrite"), "the set-up script's output")
}

func checkBinary(path, origin string) (string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("dendrite binary not found at %s (%s): %w; run `make test` or scripts/setup.sh to build it", path, origin, err)
	}
	if info.IsDir() || info.Mode().Perm()&0o111 == 0 {
		return "", fmt.Errorf("dendrite binary at %s (%s) is not an executable file; run `make test` or scripts/setup.sh to rebuild it", path, origin)
	}
	return path, nil
}

// repoRoot walks up to go.mod. It starts from the working directory (go test
// runs in the package directory) and falls back to this source file's
// directory for callers that run elsewhere.
func repoRoot() (string, error) {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if _, file, _, ok := runtime.Caller(0); ok {
		starts = append(starts, filepath.Dir(file))
	}
	for _, dir := range starts {
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				return dir, nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", errors.New("failed to find the repository root (no go.mod above the working directory); set " + EnvBinary)
}
