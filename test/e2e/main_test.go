// Package e2e drives the real igbridge binary against a real Dendrite homeserver, with the real
// yt-dlp fetching from a fake Instagram served over a local HTTPS-intercepting proxy.
package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/igbridge/igbridge/internal/testpg"
)

// bridgeBinary is the igbridge built once for the whole package.
var bridgeBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "igbridge-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "failed to create temp dir:", err)
		os.Exit(1)
	}
	bridgeBinary = filepath.Join(dir, "igbridge")
	build := exec.Command("go", "build", "-tags", "goolm", "-o", bridgeBinary, "../../cmd/igbridge")
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err = build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "failed to build igbridge:", err)
		os.Exit(1)
	}
	code := testpg.Main(m)
	_ = os.RemoveAll(dir)
	os.Exit(code)
}
