package contrib_test

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"maunium.net/go/mautrix/bridgev2/bridgeconfig"
	"maunium.net/go/mautrix/bridgev2/matrix/mxmain"
)

// The paths the units use on a real host; the tests point them at files in a temp dir.
const (
	bridgeBinary      = "/usr/local/bin/igbridge"
	healthcheckScript = "/usr/local/libexec/igbridge-healthcheck"
)

var unitFiles = []string{"igbridge.service", "igbridge-health.service", "igbridge-health.timer"}

// systemdAnalyze returns the path of systemd-analyze. A missing tool fails the test instead of
// skipping it, so CI never passes without checking the units.
func systemdAnalyze(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("systemd-analyze")
	if err != nil {
		path = "/usr/bin/systemd-analyze"
		if _, statErr := os.Stat(path); statErr != nil {
			t.Fatalf("systemd-analyze not found (%v): install Debian's systemd package "+
				"(apt-get install systemd); scripts/setup.sh installs what the tests need", err)
		}
	}
	return path
}

// installUnits copies the units into a temp dir with their ExecStart paths pointing at files that
// exist there: `systemd-analyze verify` insists that every ExecStart binary exists and is
// executable ("Command /usr/local/bin/igbridge is not executable"), and neither the bridge nor the
// health check script is installed on a build machine. The bridge becomes a stub; the health check
// is the real script. It returns the directory.
func installUnits(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	stub := filepath.Join(bin, "igbridge")
	writeExecutable(t, stub, "#!/bin/sh\nexit 0\n")
	script := filepath.Join(bin, "igbridge-healthcheck")
	writeExecutable(t, script, string(readFile(t, "igbridge-healthcheck")))
	replacements := map[string]string{bridgeBinary: stub, healthcheckScript: script}
	for _, name := range unitFiles {
		unit := string(readFile(t, name))
		for from, to := range replacements {
			unit = strings.ReplaceAll(unit, "ExecStart="+from, "ExecStart="+to)
		}
		if name != "igbridge-health.timer" && !strings.Contains(unit, "ExecStart="+bin) {
			t.Fatalf("%s: ExecStart is not %s or %s any more; update this test", name, bridgeBinary, healthcheckScript)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(unit), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func writeExecutable(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
}

// verify runs `systemd-analyze verify` on units; it exits 0 even for problems it reports, so
// the output is what counts.
func verify(t *testing.T, dir string, units ...string) string {
	t.Helper()
	args := []string{"verify", "--man=no"}
	for _, unit := range units {
		args = append(args, filepath.Join(dir, unit))
	}
	cmd := exec.Command(systemdAnalyze(t), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("systemd-analyze verify: %v", err)
	}
	return strings.TrimSpace(string(out))
}

func TestUnitsVerify(t *testing.T) {
	dir := installUnits(t)
	if out := verify(t, dir, unitFiles...); out != "" {
		t.Errorf("systemd-analyze verify found problems:\n%s", out)
	}
}

// TestVerifyReportsMistakes makes sure the empty output above means something: a misspelt key
// and a bad value in a copy of the unit are reported.
func TestVerifyReportsMistakes(t *testing.T) {
	dir := installUnits(t)
	path := filepath.Join(dir, "igbridge.service")
	unit := string(readFile(t, path))
	unit = strings.Replace(unit, "ProtectSystem=strict", "ProtectSystm=strict", 1)
	unit = strings.Replace(unit, "MemoryMax=512M", "MemoryMax=512Q", 1)
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	out := verify(t, dir, "igbridge.service")
	for _, want := range []string{"ProtectSystm", "512Q"} {
		if !strings.Contains(out, want) {
			t.Errorf("systemd-analyze verify did not report %q; output:\n%s", want, out)
		}
	}
}

var exposurePattern = regexp.MustCompile(`Overall exposure level for igbridge\.service: ([0-9]+\.[0-9]+) (\S+)`)

func TestServiceSecurity(t *testing.T) {
	dir := installUnits(t)
	cmd := exec.Command(systemdAnalyze(t), "security", "--offline=yes", "--threshold=20", "--no-pager",
		filepath.Join(dir, "igbridge.service"))
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	m := exposurePattern.FindSubmatch(out)
	if m == nil {
		t.Fatalf("no exposure level in the output of systemd-analyze security (%v):\n%s", err, out)
	}
	score, _ := strconv.ParseFloat(string(m[1]), 64)
	t.Logf("igbridge.service exposure level: %.1f %s", score, m[2])
	if err != nil {
		t.Errorf("systemd-analyze security --threshold=20 failed (%v):\n%s", err, out)
	}
	if score > 2.0 {
		t.Errorf("exposure level %.1f is above 2.0:\n%s", score, out)
	}
}

// TestServiceEnvironmentNamesConfigFields checks that every IGBRIDGE_* variable the unit sets
// names a config field, by feeding them to mxmain's own environment reader (a variable that names
// no field makes the bridge exit at start with "… not found").
func TestServiceEnvironmentNamesConfigFields(t *testing.T) {
	creds := t.TempDir()
	values := map[string]string{}
	scanner := bufio.NewScanner(bytes.NewReader(readFile(t, "igbridge.service")))
	for scanner.Scan() {
		assignment, ok := strings.CutPrefix(scanner.Text(), "Environment=")
		if !ok {
			continue
		}
		name, value, _ := strings.Cut(assignment, "=")
		if !strings.HasPrefix(name, "IGBRIDGE_") {
			continue
		}
		credential, ok := strings.CutPrefix(value, "%d/")
		if !ok || !strings.HasSuffix(name, "_FILE") {
			t.Errorf("%s=%s: expected a _FILE variable that names a credential (%%d/NAME)", name, value)
			continue
		}
		if !strings.Contains(string(readFile(t, "igbridge.service")), "LoadCredential="+credential+":") {
			t.Errorf("%s names credential %q, which no LoadCredential= provides", name, credential)
		}
		path := filepath.Join(creds, credential)
		if err := os.WriteFile(path, []byte("value-of-"+credential+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv(name, path)
		values[credential] = "value-of-" + credential
	}
	if len(values) == 0 {
		t.Fatal("igbridge.service sets no IGBRIDGE_* variables")
	}
	var cfg bridgeconfig.Config
	if err := mxmain.UpdateConfigFromEnv(&cfg, &struct{}{}, "IGBRIDGE_"); err != nil {
		t.Fatalf("mxmain rejects the unit's environment: %v", err)
	}
	got := map[string]string{
		"as_token":   cfg.AppService.ASToken,
		"hs_token":   cfg.AppService.HSToken,
		"pickle_key": cfg.Encryption.PickleKey,
	}
	for credential, want := range values {
		if got[credential] != want {
			t.Errorf("credential %s: config field has %q, want %q", credential, got[credential], want)
		}
	}
}

// healthcheck runs the health check script with a fake systemctl that logs its arguments and
// says whether the bridge is active.
type healthcheck struct {
	t         *testing.T
	url       string
	state     string
	stubs     string
	systemctl string
}

func newHealthcheck(t *testing.T, url string) *healthcheck {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatalf("curl not found: scripts/setup.sh installs it (%v)", err)
	}
	h := &healthcheck{t: t, url: url, state: t.TempDir(), stubs: t.TempDir()}
	h.systemctl = filepath.Join(h.stubs, "systemctl.log")
	writeExecutable(t, filepath.Join(h.stubs, "systemctl"), `#!/bin/sh
echo "$*" >>"$SYSTEMCTL_LOG"
if [ "$1" = is-active ] || [ "$2" = is-active ]; then
	[ "$BRIDGE_ACTIVE" = yes ]
	exit $?
fi
exit 0
`)
	return h
}

func (h *healthcheck) run(active bool) (exitCode int, output string) {
	h.t.Helper()
	cmd := exec.Command("/bin/sh", "igbridge-healthcheck")
	activeWord := "no"
	if active {
		activeWord = "yes"
	}
	cmd.Env = append(os.Environ(),
		"PATH="+h.stubs+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HEALTH_URL="+h.url,
		"MAX_FAILURES=3",
		"BRIDGE_UNIT=igbridge.service",
		"STATE_DIRECTORY="+h.state,
		"SYSTEMCTL_LOG="+h.systemctl,
		"BRIDGE_ACTIVE="+activeWord,
	)
	out, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return exitErr.ExitCode(), string(out)
	} else if err != nil {
		h.t.Fatalf("running the health check: %v", err)
	}
	return 0, string(out)
}

// restarts returns the systemctl calls other than is-active.
func (h *healthcheck) restarts() []string {
	data, err := os.ReadFile(h.systemctl)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		h.t.Fatal(err)
	}
	var calls []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if line != "" && !strings.Contains(line, "is-active") {
			calls = append(calls, line)
		}
	}
	return calls
}

func (h *healthcheck) expect(active bool, wantCode int, wantOutput string, wantRestarts int) {
	h.t.Helper()
	code, out := h.run(active)
	if code != wantCode || !strings.Contains(out, wantOutput) {
		h.t.Errorf("exit status %d, output %q; want %d and output containing %q", code, out, wantCode, wantOutput)
	}
	if got := h.restarts(); len(got) != wantRestarts {
		h.t.Errorf("systemctl calls %q; want %d restarts", got, wantRestarts)
	}
}

func TestHealthcheckRestartsAfterRepeatedFailures(t *testing.T) {
	var status atomic.Int32
	var requests atomic.Int32
	status.Store(http.StatusOK)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.URL.Path != "/_igbridge/v1/health" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(int(status.Load()))
		if status.Load() == http.StatusOK {
			_, _ = w.Write([]byte(`{"healthy":true}`))
		} else {
			_, _ = w.Write([]byte(`{"healthy":false,"problem":"homeserver unreachable"}`))
		}
	}))
	defer srv.Close()
	h := newHealthcheck(t, srv.URL+"/_igbridge/v1/health")

	h.expect(true, 0, `healthy: {"healthy":true}`, 0)
	status.Store(http.StatusServiceUnavailable)
	h.expect(true, 1, "unhealthy (1 of 3): HTTP 503: {", 0)
	h.expect(true, 1, "unhealthy (2 of 3)", 0)
	// A good answer in between starts the count again.
	status.Store(http.StatusOK)
	h.expect(true, 0, "healthy", 0)
	status.Store(http.StatusServiceUnavailable)
	h.expect(true, 1, "unhealthy (1 of 3)", 0)
	h.expect(true, 1, "unhealthy (2 of 3)", 0)
	h.expect(true, 1, "restarting igbridge.service after 3 failed checks", 1)
	if got := h.restarts(); got[0] != "--no-block restart igbridge.service" {
		t.Errorf("restart call %q, want a non-blocking restart of igbridge.service", got[0])
	}
	h.expect(true, 1, "unhealthy (1 of 3)", 1)

	// A stopped bridge is neither checked nor started, and the count starts again.
	before := requests.Load()
	h.expect(false, 0, "igbridge.service is not running", 1)
	if requests.Load() != before {
		t.Error("the health check asked a bridge that is not running")
	}
	h.expect(true, 1, "unhealthy (1 of 3)", 1)
}

func TestHealthcheckNoAnswer(t *testing.T) {
	// A port nothing listens on: the bridge is up for systemd but its listener is gone.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String() + "/_igbridge/v1/health"
	_ = l.Close()
	h := newHealthcheck(t, url)
	h.expect(true, 1, "unhealthy (1 of 3): no answer from "+url, 0)
	h.expect(true, 1, "unhealthy (2 of 3)", 0)
	h.expect(true, 1, "restarting igbridge.service", 1)
}
