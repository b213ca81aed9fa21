package nixos_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"gopkg.in/yaml.v3"
	"maunium.net/go/mautrix/appservice"
)

// runScript runs a materialized script with only PATH and env set (as systemd would run it).
func runScript(t *testing.T, path string, env map[string]string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(path)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatalf("%s: %v", path, err)
	}
	return so.String(), se.String(), code
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestRegistrationScript runs the unit's ExecStartPre as systemd would (credentials directory,
// state directory) and checks the registration it writes: what registration.yaml.tmpl gives with
// the same values (which the e2e tests hold equal to `igbridge -g`), mode 0640, group
// registrationGroup, a sender_localpart kept across starts, tokens trimmed and quoted, and
// unusable token files refused.
func TestRegistrationScript(t *testing.T) {
	requireTool(t, "bash", "bash")
	group, err := user.LookupGroupId(strconv.Itoa(os.Getgid()))
	if err != nil {
		t.Fatal(err)
	}
	res := evalOK(t, "", withMain(fmt.Sprintf(`{ services.igbridge.instances.main.registrationGroup = %q; }`, group.Name)))
	m := newMaterializer(t)
	script := m.path(str(t, res.Services["igbridge-main"].ServiceConfig, "ExecStartPre"))

	state, creds := t.TempDir(), t.TempDir()
	env := map[string]string{"STATE_DIRECTORY": state, "CREDENTIALS_DIRECTORY": creds}
	// Surrounding whitespace goes, as with the bridge's *_FILE variables; an all-digit token must
	// stay a string.
	writeFile(t, filepath.Join(creds, "as_token"), "  AsToken-0123456789_abcdefXYZ \n")
	writeFile(t, filepath.Join(creds, "hs_token"), "12345678901234567890\n")

	stdout, stderr, code := runScript(t, script, env)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "wrote "+state+"/registration.yaml") || !strings.Contains(stdout, "--conduwuit-message") {
		t.Errorf("no note that the registration was written: %q", stdout)
	}
	regPath := filepath.Join(state, "registration.yaml")
	written, err := os.ReadFile(regPath)
	if err != nil {
		t.Fatal(err)
	}
	sender, err := os.ReadFile(filepath.Join(state, "sender_localpart"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).Match(sender) {
		t.Errorf("sender_localpart %q is not 32 lowercase hex digits", sender)
	}
	pickle, err := os.ReadFile(filepath.Join(state, "pickle_key"))
	if err != nil {
		t.Fatalf("no pickle key generated: %v", err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).Match(pickle) {
		t.Errorf("pickle_key %q is not 64 hex digits", pickle)
	}
	if fi, err := os.Stat(filepath.Join(state, "pickle_key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("pickle_key: %v, mode %v, want 0600", err, fi.Mode().Perm())
	}

	tmpl, err := os.ReadFile("../registration.yaml.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	expected := os.Expand(string(tmpl), func(name string) string {
		return map[string]string{
			"ID": "igbridge", "URL": "http://127.0.0.1:29330",
			"AS_TOKEN": "AsToken-0123456789_abcdefXYZ", "HS_TOKEN": `"12345678901234567890"`,
			"SENDER_LOCALPART": `"` + string(sender) + `"`,
			"BOT_USERNAME":     "ig-bot", "USER_PREFIX": "ig_", "DOMAIN_REGEX": regexp.QuoteMeta("example.org"),
		}[name]
	})
	var got, want map[string]any
	if err := yaml.Unmarshal(written, &got); err != nil {
		t.Fatalf("registration.yaml is not YAML: %v\n%s", err, written)
	}
	if err := yaml.Unmarshal([]byte(expected), &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("registration.yaml differs from the template:\n%s\nwant:\n%s", written, expected)
	}

	fi, err := os.Stat(regPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("registration.yaml mode %v, want 0640", fi.Mode().Perm())
	}
	if gid := fi.Sys().(*syscall.Stat_t).Gid; strconv.Itoa(int(gid)) != group.Gid {
		t.Errorf("registration.yaml group %d, want %s (%s)", gid, group.Gid, group.Name)
	}

	// A second start keeps sender_localpart, the pickle key and the file, and says nothing.
	stdout, stderr, code = runScript(t, script, env)
	sender2, _ := os.ReadFile(filepath.Join(state, "sender_localpart"))
	pickle2, _ := os.ReadFile(filepath.Join(state, "pickle_key"))
	written2, _ := os.ReadFile(regPath)
	if code != 0 || stdout != "" || !bytes.Equal(sender, sender2) || !bytes.Equal(pickle, pickle2) ||
		!bytes.Equal(written, written2) {
		t.Errorf("second start: exit %d, stdout %q, stderr %q, sender %q→%q, pickle key kept %v, registration kept %v",
			code, stdout, stderr, sender, sender2, bytes.Equal(pickle, pickle2), bytes.Equal(written, written2))
	}

	for name, token := range map[string]string{"empty": "\n", "quote": `abc"def`, "space": "abc def", "colon": "abc: def"} {
		t.Run("refuses token "+name, func(t *testing.T) {
			writeFile(t, filepath.Join(creds, "hs_token"), token)
			_, stderr, code := runScript(t, script, env)
			if code == 0 || !strings.Contains(stderr, "the hs_token file must hold one token") {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			if after, _ := os.ReadFile(regPath); !bytes.Equal(after, written) {
				t.Fatalf("registration.yaml changed after a refused token:\n%s", after)
			}
		})
	}
}

// TestRegistrationScriptFeatures: with ephemeral events and MSC4190 on, the registration carries
// the keys `igbridge -g` adds, and mautrix reads it as the bridge's registration; its namespaces
// hold the bot and the ghosts and nothing else.
func TestRegistrationScriptFeatures(t *testing.T) {
	requireTool(t, "bash", "bash")
	res := evalOK(t, "", withMain(`{ services.igbridge.instances.main.settings = {
	  appservice = { ephemeral_events = true; bot.username = "insta.bot"; username_template = "insta.{{.}}"; };
	  encryption = { msc4190 = true; appservice = true; };
	}; }`))
	m := newMaterializer(t)
	script := m.path(str(t, res.Services["igbridge-main"].ServiceConfig, "ExecStartPre"))
	state, creds := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(creds, "as_token"), "as-token-value")
	writeFile(t, filepath.Join(creds, "hs_token"), "hs-token-value")
	if stdout, stderr, code := runScript(t, script, map[string]string{"STATE_DIRECTORY": state, "CREDENTIALS_DIRECTORY": creds}); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	data, err := os.ReadFile(filepath.Join(state, "registration.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var reg appservice.Registration
	if err := yaml.Unmarshal(data, &reg); err != nil {
		t.Fatalf("mautrix cannot read the registration: %v\n%s", err, data)
	}
	if reg.ID != "igbridge" || reg.URL != "http://127.0.0.1:29330" || reg.AppToken != "as-token-value" ||
		reg.ServerToken != "hs-token-value" || reg.RateLimited == nil || *reg.RateLimited ||
		!reg.EphemeralEvents || !reg.SoruEphemeralEvents || !reg.MSC4190 || !reg.MSC3202 {
		t.Errorf("registration fields: %+v\n%s", reg, data)
	}
	matches := func(userID string) bool {
		for _, ns := range reg.Namespaces.UserIDs {
			if regexp.MustCompile(ns.Regex).MatchString(userID) {
				return true
			}
		}
		return false
	}
	for userID, want := range map[string]bool{
		"@insta.bot:example.org": true, "@insta.nasa:example.org": true,
		"@instaxbot:example.org": false, "@alice:example.org": false, "@insta.nasa:example.com": false,
	} {
		if matches(userID) != want {
			t.Errorf("namespace match %s = %v, want %v\n%s", userID, !want, want, data)
		}
	}
}

// TestHealthCheckScript runs the health unit's script against a local HTTP server standing in for
// the bridge's health endpoint, with a systemctl stand-in: a healthy bridge resets the count, it is
// restarted on the failuresBeforeRestart-th failure in a row, and a stopped bridge is left alone.
func TestHealthCheckScript(t *testing.T) {
	requireTool(t, "bash", "bash")
	var healthy atomic.Bool
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.URL.Path != "/_igbridge/v1/health" {
			http.NotFound(w, r)
			return
		}
		if !healthy.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"status":"unhealthy","reasons":["the homeserver is unreachable"]}`)
			return
		}
		fmt.Fprint(w, `{"status":"healthy"}`)
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)

	res := evalOK(t, "", withMain(fmt.Sprintf(`{ services.igbridge.instances.main = {
	  settings.appservice.port = %s;
	  healthCheck.failuresBeforeRestart = 3;
	}; }`, u.Port())))
	m := newMaterializer(t)
	script := m.path(str(t, res.Services["igbridge-main-health"].ServiceConfig, "ExecStart"))
	runtime := t.TempDir()
	log := filepath.Join(t.TempDir(), "systemctl.log")
	env := map[string]string{"RUNTIME_DIRECTORY": runtime, "SYSTEMCTL_LOG": log}
	count := func() string {
		b, err := os.ReadFile(filepath.Join(runtime, "failures"))
		if err != nil {
			return "none"
		}
		return strings.TrimSpace(string(b))
	}
	restarts := func() int {
		b, _ := os.ReadFile(log)
		return strings.Count(string(b), "restart --no-block igbridge-main.service")
	}
	check := func(step string, wantCode int, wantCount string, wantRestarts int) string {
		t.Helper()
		stdout, stderr, code := runScript(t, script, env)
		if code != wantCode || count() != wantCount || restarts() != wantRestarts {
			t.Fatalf("%s: exit %d (want %d), count %s (want %s), restarts %d (want %d)\n%s%s",
				step, code, wantCode, count(), wantCount, restarts(), wantRestarts, stdout, stderr)
		}
		return stdout
	}

	healthy.Store(true)
	// The journal shows the endpoint's answer.
	if out := check("healthy", 0, "none", 0); out != "healthy: {\"status\":\"healthy\"}\n" {
		t.Errorf("healthy check printed %q", out)
	}
	healthy.Store(false)
	if out := check("first failure", 1, "1", 0); !strings.Contains(out, `unhealthy (1 of 3): HTTP 503: {"status":"unhealthy","reasons":["the homeserver is unreachable"]}`) {
		t.Errorf("failed check printed %q", out)
	}
	check("second failure", 1, "2", 0)
	healthy.Store(true)
	check("recovered", 0, "none", 0)
	healthy.Store(false)
	check("failure 1", 1, "1", 0)
	check("failure 2", 1, "2", 0)
	if out := check("failure 3 restarts", 1, "none", 1); !strings.Contains(out, "restarting igbridge-main.service after 3 failed checks in a row") {
		t.Errorf("restart not announced: %q", out)
	}
	check("counting again", 1, "1", 1)

	before := requests.Load()
	env["FAKE_IS_ACTIVE_RC"] = "3"
	check("bridge stopped", 0, "none", 1)
	if requests.Load() != before {
		t.Errorf("a stopped bridge was queried")
	}

	delete(env, "FAKE_IS_ACTIVE_RC")
	srv.Close()
	if out := check("no answer", 1, "1", 1); !strings.Contains(out, "unhealthy (1 of 3): no answer (curl exit status 7)") {
		t.Errorf("check without an answer printed %q", out)
	}
}
