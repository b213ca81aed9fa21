package testpg

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// EnvBinaries names the environment variable that overrides the directory
// holding initdb and postgres.
const EnvBinaries = "IGBRIDGE_POSTGRES_BIN"

// debianBinaries is where Debian's postgresql-NN packages put the server
// binaries; they are not on $PATH there.
const debianBinaries = "/usr/lib/postgresql/*/bin"

// setupHint ends every "PostgreSQL is missing" error.
const setupHint = "run scripts/setup.sh (or `make test`) to install the postgresql package"

// Binaries returns the directory of the PostgreSQL server binaries:
// $IGBRIDGE_POSTGRES_BIN, else the newest /usr/lib/postgresql/*/bin, else
// the directory of initdb on $PATH.
func Binaries() (string, error) {
	if dir := os.Getenv(EnvBinaries); dir != "" {
		if err := checkBinaries(dir); err != nil {
			return "", fmt.Errorf("$%s: %w", EnvBinaries, err)
		}
		return dir, nil
	}
	if dir := newestDebianBinaries(); dir != "" {
		return dir, nil
	}
	if initdb, err := exec.LookPath("initdb"); err == nil {
		dir := filepath.Dir(initdb)
		if checkBinaries(dir) == nil {
			return dir, nil
		}
	}
	return "", fmt.Errorf("PostgreSQL server binaries not found in %s or $PATH; %s", debianBinaries, setupHint)
}

// newestDebianBinaries picks the highest major version, compared as numbers
// so that 10 beats 9.6.
func newestDebianBinaries() string {
	dirs, _ := filepath.Glob(debianBinaries) // the pattern is valid
	best, bestVersion := "", -1.0
	for _, dir := range dirs {
		version, err := strconv.ParseFloat(filepath.Base(filepath.Dir(dir)), 64)
		if err != nil || version <= bestVersion || checkBinaries(dir) != nil {
			continue
		}
		best, bestVersion = dir, version
	}
	return best
}

func checkBinaries(dir string) error {
	var missing []string
	for _, name := range []string{"initdb", "postgres"} {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil || info.IsDir() || info.Mode().Perm()&0o111 == 0 {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return errors.New(strings.Join(missing, " and ") + " missing from " + dir + "; " + setupHint)
	}
	return nil
}
