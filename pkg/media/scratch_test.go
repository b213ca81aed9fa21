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
