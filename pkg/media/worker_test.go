package media

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/igbridge/igbridge/internal/fakeig"
)

// writeInterpreter writes an executable shell script dir/python to stand in for the worker's
// interpreter and returns its path. A child process writes it: a file this process had open for
// writing could be inherited by a parallel test's fork, and exec'ing it would fail with ETXTBSY.
func writeInterpreter(t *testing.T, dir, body string) string {
	t.Helper()
	path := filepath.Join(dir, "python")
	cmd := exec.Command("/bin/sh", "-c", `cat >"$1" && chmod 755 "$1"`, "sh", path)
	cmd.Stdin = strings.NewReader("#!/bin/sh\n" + body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("failed to write %s: %v %s", path, err, out)
	}
	return path
}

// helloScript is the start of a fake worker: it reads the options, keeps the marker in $marker
// and says hello.
func helloScript(version string) string {
	return "read init\n" + `marker=$(printf '%s' "$init" | sed 's/.*"marker":"\([^"]*\)".*/\1/')` + "\n" + helloLine(version)
}

// beginRequest makes a fake worker read a request and mark its start on stderr, as worker.py does.
const beginRequest = "read req\necho \"$marker\" >&2\n"

func helloLine(version string) string {
	return fmt.Sprintf("echo '{\"op\":\"hello\",\"version\":\"%s\",\"python\":\"3.11.2\"}'\n", version)
}

func startTestWorker(t *testing.T, cfg YtdlpConfig) *worker {
	t.Helper()
	w, err := startWorker(context.Background(), cfg.withDefaults(), DefaultWorkerStartTimeout)
	if err != nil {
		t.Fatalf("startWorker: %v", err)
	}
	return w
}

func TestWorkerReportsErrorFacts(t *testing.T) {
	t.Parallel()
	requireYtdlp(t)
	srv := fakeig.Start(t)
	w := startTestWorker(t, fakeYtdlp(srv, "").cfg)
	defer w.stop()
	tests := []struct {
		code     string
		status   int
		cause    string
		expected bool
	}{
		{fakeig.CodeRateLimited, 429, "HTTPError", true},
		{fakeig.CodeNotFound, 404, "HTTPError", true},
		{fakeig.CodePrivate, 0, "", true},
	}
	for _, tt := range tests {
		target, err := extractURL(fetchLink(tt.code))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := w.extract(context.Background(), target, false)
		if err != nil {
			t.Fatalf("%s: %v", tt.code, err)
		}
		if resp.OK || resp.Error == nil {
			t.Fatalf("%s: response %+v, want an error", tt.code, resp)
		}
		e := resp.Error
		if e.Type != "ExtractorError" || e.Status != tt.status || e.Expected != tt.expected ||
			(tt.cause != "" && !slices.Contains(e.Causes, tt.cause)) || !strings.Contains(e.Message, tt.code) {
			t.Errorf("%s: error %+v, want an ExtractorError with status %d, cause %q, expected %v",
				tt.code, e, tt.status, tt.cause, tt.expected)
		}
	}
	if w.dead {
		t.Error("errors reported by yt-dlp killed the worker")
	}
}

// TestWorkerStdoutIsNotTheProtocol makes the worker's Python print to sys.stdout and write to
// fd 1 in the middle of a real extraction, through an audit hook on socket.connect installed by a
// sitecustomize module that only this test puts on the path.
func TestWorkerStdoutIsNotTheProtocol(t *testing.T) {
	t.Parallel()
	requireYtdlp(t)
	srv := fakeig.Start(t)
	dir := t.TempDir()
	const hook = `import os, sys

def noise(event, args):
    if event == "socket.connect":
        print('{"id": 1, "ok": false, "error": {"type": "Noise"}}', flush=True)
        os.write(1, b"noise on fd 1\n")

sys.addaudithook(noise)
`
	if err := os.WriteFile(filepath.Join(dir, "sitecustomize.py"), []byte(hook), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := fakeYtdlp(srv, "").cfg
	cfg.Python = writeInterpreter(t, dir, fmt.Sprintf("PYTHONPATH=%s exec %s \"$@\"\n", dir, systemPython))
	w := startTestWorker(t, cfg)
	pid := w.cmd.Process.Pid

	// fd 1 is the stderr pipe; the protocol has a descriptor of its own.
	out, errOut := fdTarget(t, pid, 1), fdTarget(t, pid, 2)
	if out != errOut {
		t.Errorf("fd 1 is %s, fd 2 is %s; want both on the stderr pipe", out, errOut)
	}
	target, _ := extractURL(fetchLink(fakeig.CodeReel))
	resp, err := w.extract(context.Background(), target, false)
	if err != nil {
		t.Fatal(err)
	}
	if !resp.OK {
		t.Fatalf("extraction failed: %+v", resp.Error)
	}
	if _, err := ParseInfo(resp.Info, 0); err != nil {
		t.Errorf("ParseInfo: %v", err)
	}
	w.stop()
	stderr := string(w.stderrTail.buf)
	if !strings.Contains(stderr, `"type": "Noise"`) || !strings.Contains(stderr, "noise on fd 1") {
		t.Errorf("the noise did not go to stderr (was the hook installed?):\n%s", stderr)
	}
}

func fdTarget(t *testing.T, pid, fd int) string {
	t.Helper()
	target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", pid, fd))
	if err != nil {
		t.Fatal(err)
	}
	return target
}

// TestWorkerOptions checks that the worker gets the command line's options, with a private
// copy of the cookies file that is removed when the worker exits.
func TestWorkerOptions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const cookies = "# Netscape HTTP Cookie File\n"
	cookiesFile := filepath.Join(dir, "cookies.txt")
	if err := os.WriteFile(cookiesFile, []byte(cookies), 0o600); err != nil {
		t.Fatal(err)
	}
	// Record the options, and the copy's content while the worker runs.
	script := strings.ReplaceAll(`read init
echo "$init" >DIR/init
copy=$(echo "$init" | sed 's/.*"--cookies","\([^"]*\)".*/\1/')
cp "$copy" DIR/copy-content
`, "DIR", dir) + helloLine("2026.10.26") + "cat >/dev/null\n"
	cfg := YtdlpConfig{Python: writeInterpreter(t, dir, script), CookiesFile: cookiesFile, Proxy: "http://127.0.0.1:3128", CAFile: "/ca.pem"}
	w := startTestWorker(t, cfg)
	w.stop()

	data, err := os.ReadFile(filepath.Join(dir, "init"))
	if err != nil {
		t.Fatal(err)
	}
	var init workerInit
	if err := json.Unmarshal(data, &init); err != nil {
		t.Fatal(err)
	}
	post := init.Options["post"]
	i := slices.Index(post, "--cookies")
	if i < 0 || i+1 >= len(post) {
		t.Fatalf("no --cookies in %q", post)
	}
	copyPath := post[i+1]
	if copyPath == cookiesFile {
		t.Error("the worker got the operator's cookies file, not a copy")
	}
	if dir, err := scratchDir(); err != nil || filepath.Dir(copyPath) != dir {
		t.Errorf("the cookies copy %s is not in the scratch directory %s (%v)", copyPath, dir, err)
	}
	for kind, story := range map[string]bool{"post": false, "story": true} {
		if want := append(cfg.options(story), "--cookies", copyPath, "--proxy", cfg.Proxy); !slices.Equal(init.Options[kind], want) {
			t.Errorf("%s options\n%q\nwant\n%q", kind, init.Options[kind], want)
		}
	}
	if content, err := os.ReadFile(filepath.Join(dir, "copy-content")); err != nil || string(content) != cookies {
		t.Errorf("the worker saw cookies %q, %v", content, err)
	}
	if _, err := os.Stat(copyPath); !os.IsNotExist(err) {
		t.Errorf("the cookies copy outlived the worker: %v", err)
	}
}

func TestVersionAtLeast(t *testing.T) {
	t.Parallel()
	tests := []struct {
		version string
		want    bool
	}{
		{"2026.10.26", true},
		{"2026.07", true},
		{"2026.07.01", true},
		{"2026.10.26.232815", true},
		{"2027.01.02", true},
		{"2026.06.30", false},
		{"2025.04.30", false},
		{"2023.03.04", false},
		{"2026", false},
	}
	for _, tt := range tests {
		if got := versionAtLeast(tt.version, MinVersion); got != tt.want {
			t.Errorf("versionAtLeast(%q, %q) = %v, want %v", tt.version, MinVersion, got, tt.want)
		}
	}
}
