package media

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// scratchHelperEnv makes the test binary a bridge that starts a worker pool with the cookies file
// it names, prints its scratch directory and waits to be killed (see runScratchHelper).
const scratchHelperEnv = "IGBRIDGE_TEST_SCRATCH_HELPER_COOKIES"

const scratchHelperPythonEnv = "IGBRIDGE_TEST_SCRATCH_HELPER_PYTHON"

func runScratchHelper() int {
	if os.Getenv(tempHelperEnv) != "" {
		return runTempHelper()
	}
	cfg := ExtractorConfig{Ytdlp: YtdlpConfig{Python: os.Getenv(scratchHelperPythonEnv), CookiesFile: os.Getenv(scratchHelperEnv)}}
	if _, err := NewWorkerPool(context.Background(), cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	dir, err := scratchDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(dir)
	// Until the test kills this process; the pool is never closed.
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// TestScratchOfKilledBridgeIsRemoved SIGKILLs a bridge process (this test binary, re-executed)
// whose worker has a cookies copy, then starts a pool: the dead bridge's copy is removed, the
// directories of live processes are not.
func TestScratchOfKilledBridgeIsRemoved(t *testing.T) {
	// Not parallel: TMPDIR is this test's own, so no other test's pool start sweeps it meanwhile.
	tmp := t.TempDir()
	dir := t.TempDir()
	const cookies = "# Netscape HTTP Cookie File\n"
	cookiesFile := filepath.Join(dir, "cookies.txt")
	if err := os.WriteFile(cookiesFile, []byte(cookies), 0o600); err != nil {
		t.Fatal(err)
	}
	python := writeInterpreter(t, dir, helloScript("2026.10.26")+"cat >/dev/null\n")
	t.Setenv("TMPDIR", tmp)

	bridge := exec.Command(os.Args[0], "-test.run=^$")
	bridge.Env = append(os.Environ(), scratchHelperEnv+"="+cookiesFile, scratchHelperPythonEnv+"="+python)
	bridge.Stderr = os.Stderr
	stdin, err := bridge.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := bridge.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := bridge.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		_ = bridge.Process.Kill()
		_ = bridge.Wait()
		t.Fatalf("the bridge did not start its pool: %v", err)
	}
	leftover := strings.TrimSpace(line)
	if filepath.Dir(leftover) != tmp || !strings.HasPrefix(filepath.Base(leftover), scratchPrefix+strconv.Itoa(bridge.Process.Pid)+"-") {
		t.Errorf("the bridge's scratch directory is %s, want %s%d-… in %s", leftover, scratchPrefix, bridge.Process.Pid, tmp)
	}
	if err := bridge.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = bridge.Wait()
	copies, _ := filepath.Glob(filepath.Join(leftover, "cookies-*.txt"))
	if len(copies) != 1 {
		t.Fatalf("the killed bridge left %v, want one cookies copy", copies)
	}
	if data, err := os.ReadFile(copies[0]); err != nil || string(data) != cookies {
		t.Fatalf("the leftover copy holds %q, %v", data, err)
	}
	// Live processes: this one and the go command that runs it.
	var live []string
	for _, pid := range []int{os.Getpid(), os.Getppid()} {
		d, err := os.MkdirTemp(tmp, scratchPrefix+strconv.Itoa(pid)+"-")
		if err != nil {
			t.Fatal(err)
		}
		live = append(live, d)
	}

	startPool(t, ExtractorConfig{Ytdlp: YtdlpConfig{Python: python}})
	if _, err := os.Stat(leftover); !os.IsNotExist(err) {
		t.Errorf("the killed bridge's scratch directory survived the next start: %v", err)
	}
	for _, d := range live {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("a live process's scratch directory was removed: %v", err)
		}
	}
}

// tempHelperEnv makes the test binary a bridge that makes its scratch directory the temporary
// directory, creates an upload buffer there as mautrix does, prints its path and waits: killed,
// it leaves the file behind; with its stdin closed, it stops cleanly (see runTempHelper).
const tempHelperEnv = "IGBRIDGE_TEST_TEMP_HELPER"

func runTempHelper() int {
	if err := UseScratchAsTemp(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	f, err := os.CreateTemp("", "mautrix-upload-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	_ = f.Close()
	fmt.Println(f.Name())
	_, _ = io.Copy(io.Discard, os.Stdin)
	if err = RemoveScratch(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// startTempHelper starts a runTempHelper bridge and returns it, its stdin and its upload buffer.
func startTempHelper(t *testing.T) (*exec.Cmd, io.WriteCloser, string) {
	t.Helper()
	bridge := exec.Command(os.Args[0], "-test.run=^$")
	bridge.Env = append(os.Environ(), tempHelperEnv+"=1")
	bridge.Stderr = os.Stderr
	stdin, err := bridge.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := bridge.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err = bridge.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = bridge.Process.Kill()
		_ = bridge.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("the bridge did not make its upload buffer: %v", err)
	}
	return bridge, stdin, strings.TrimSpace(line)
}

// TestUploadBufferOfKilledBridgeIsRemoved: a bridge killed mid-upload leaves its upload buffer in
// its scratch directory, which the next start removes; a clean stop removes its own.
func TestUploadBufferOfKilledBridgeIsRemoved(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	killed, _, buffer := startTempHelper(t)
	if dir := filepath.Dir(buffer); filepath.Dir(dir) != tmp || !strings.HasPrefix(filepath.Base(dir), scratchPrefix+strconv.Itoa(killed.Process.Pid)+"-") {
		t.Fatalf("the upload buffer %s is not in the bridge's scratch directory in %s", buffer, tmp)
	}
	if err := killed.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = killed.Wait()
	if _, err := os.Stat(buffer); err != nil {
		t.Fatalf("the killed bridge's upload buffer is not there to clean up: %v", err)
	}

	next, stdin, own := startTempHelper(t)
	if _, err := os.Stat(filepath.Dir(buffer)); !os.IsNotExist(err) {
		t.Fatalf("the killed bridge's scratch directory survived the next start: %v", err)
	}
	if _, err := os.Stat(own); err != nil {
		t.Fatalf("the running bridge's upload buffer is gone: %v", err)
	}
	_ = stdin.Close()
	if err := next.Wait(); err != nil {
		t.Fatalf("the bridge did not stop cleanly: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, scratchPrefix+"*")); len(left) != 0 {
		t.Fatalf("a clean stop left %v", left)
	}
}
