package fakeig

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const ytdlpPath = "/usr/bin/yt-dlp"

// ytdlpMinVersion is the first yt-dlp with the 2026 Instagram extractor the fake speaks to.
const ytdlpMinVersion = "2026.07"

var recordInfo = flag.Bool("record-info", false,
	"write yt-dlp -J outputs to pkg/media/testdata/info and error stderr to pkg/media/testdata/errors")

var (
	ytdlpOnce    sync.Once
	ytdlpProblem string
)

// requireYtdlp fails (never skips) when the real yt-dlp is missing or too old.
func requireYtdlp(t *testing.T) {
	t.Helper()
	ytdlpOnce.Do(func() {
		out, err := exec.Command(ytdlpPath, "--version").Output()
		v := strings.TrimSpace(string(out))
		switch {
		case err != nil:
			ytdlpProblem = "yt-dlp not usable at " + ytdlpPath + ": " + err.Error()
		case v < ytdlpMinVersion:
			ytdlpProblem = "yt-dlp " + v + " at " + ytdlpPath + " is older than " + ytdlpMinVersion
		}
	})
	if ytdlpProblem != "" {
		t.Fatalf("%s; run scripts/setup.sh to install a current yt-dlp", ytdlpProblem)
	}
}

type ytdlpResult struct {
	stdout, stderr []byte
	rc             int
	elapsed        time.Duration
}

// info decodes stdout as yt-dlp's -J output.
func (r ytdlpResult) info(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.stdout, &m); err != nil {
		t.Fatalf("failed to decode yt-dlp output (rc %d): %v\nstdout: %.500s\nstderr: %s", r.rc, err, r.stdout, r.stderr)
	}
	return m
}

// ytdlpEnv is a minimal environment: no user config, no inherited proxies.
func ytdlpEnv(t *testing.T) []string {
	home := t.TempDir()
	return []string{
		"PATH=/usr/bin:/bin", "HOME=" + home, "LANG=C.UTF-8", "PYTHONIOENCODING=utf-8",
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
	}
}

// runYtdlp runs the real yt-dlp -J against the fake, trusting it via SSL_CERT_FILE.
func runYtdlp(t *testing.T, s *Server, url string, extra ...string) ytdlpResult {
	t.Helper()
	return runYtdlpEnv(t, s, s.YtdlpEnv(ytdlpEnv(t)), url, extra...)
}

func runYtdlpEnv(t *testing.T, s *Server, env []string, url string, extra ...string) ytdlpResult {
	t.Helper()
	requireYtdlp(t)
	args := []string{"-J", "-f", "b", "--ignore-no-formats-error", "--no-playlist", "--ignore-config", "--no-cache-dir"}
	args = append(args, s.YtdlpArgs()...)
	args = append(args, extra...)
	args = append(args, "--", url)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, ytdlpPath, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	res := ytdlpResult{stdout: stdout.Bytes(), stderr: stderr.Bytes(), elapsed: time.Since(start)}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		res.rc = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("failed to run yt-dlp: %v", err)
	}
	t.Logf("yt-dlp %s: rc %d in %v", url, res.rc, res.elapsed.Round(time.Millisecond))
	return res
}

// goldenDir is where other packages' unit tests read recorded yt-dlp output.
var goldenDir = filepath.Join("..", "..", "pkg", "media", "testdata")

// recordGolden writes data under goldenDir/<kind>/<name> when -record-info is set.
func recordGolden(t *testing.T, kind, name string, data []byte) {
	t.Helper()
	if !*recordInfo {
		return
	}
	if kind == "info" {
		var buf bytes.Buffer
		if err := json.Indent(&buf, bytes.TrimSpace(data), "", "  "); err != nil {
			t.Fatalf("failed to indent %s: %v", name, err)
		}
		buf.WriteByte('\n')
		data = buf.Bytes()
	}
	dir := filepath.Join(goldenDir, kind)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %s", path)
}
