package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func runBinary(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bridgeBinary, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("igbridge %s failed: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestExampleConfigIsGenerated: the repository's example-config.yaml is what `igbridge -e` prints.
func TestExampleConfigIsGenerated(t *testing.T) {
	want, err := os.ReadFile("../../example-config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := runBinary(t, t.TempDir(), "-e", "-c", "-"); got != string(want) {
		t.Fatalf("example-config.yaml differs from `igbridge -e` output; run `make example-config`")
	}
}

// generateRegistration runs -e then -g with a domain set and returns the registration file.
func generateRegistration(t *testing.T) (dir string, registration []byte) {
	t.Helper()
	dir = t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	runBinary(t, dir, "-e", "-c", cfg)
	data, _ := os.ReadFile(cfg)
	data = []byte(strings.Replace(string(data), "domain: example.com", "domain: chat.example.org", 1))
	if err := os.WriteFile(cfg, data, 0o600); err != nil {
		t.Fatal(err)
	}
	runBinary(t, dir, "-g", "-c", cfg, "-r", filepath.Join(dir, "registration.yaml"))
	registration, err := os.ReadFile(filepath.Join(dir, "registration.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return dir, registration
}

// TestRegistrationTemplate: registration.yaml.tmpl rendered with the generated values equals what
// `igbridge -g` writes, and what conduwuit needs holds (bot in the namespace, anchored regexes).
func TestRegistrationTemplate(t *testing.T) {
	_, generated := generateRegistration(t)
	var gen map[string]any
	if err := yaml.Unmarshal(generated, &gen); err != nil {
		t.Fatal(err)
	}
	tmpl, err := os.ReadFile("../../registration.yaml.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	rendered := os.Expand(string(tmpl), func(name string) string {
		return map[string]string{
			"ID": gen["id"].(string), "URL": gen["url"].(string),
			"AS_TOKEN": gen["as_token"].(string), "HS_TOKEN": gen["hs_token"].(string),
			"SENDER_LOCALPART": gen["sender_localpart"].(string),
			"BOT_USERNAME":     "ig-bot", "USER_PREFIX": "ig_", "DOMAIN_REGEX": regexp.QuoteMeta("chat.example.org"),
		}[name]
	})
	var got map[string]any
	if err = yaml.Unmarshal([]byte(rendered), &got); err != nil {
		t.Fatalf("rendered template is not YAML: %v\n%s", err, rendered)
	}
	if a, b := mustYAML(t, got), mustYAML(t, gen); a != b {
		t.Fatalf("rendered template differs from igbridge -g:\n%s\nvs\n%s", a, b)
	}
	regexes := regexp.MustCompile(`regex: (.*)`).FindAllStringSubmatch(string(generated), -1)
	var botListed bool
	for _, m := range regexes {
		if !strings.HasPrefix(m[1], "^") || !strings.HasSuffix(m[1], "$") {
			t.Errorf("regex %s is not anchored", m[1])
		}
		botListed = botListed || regexp.MustCompile(m[1]).MatchString("@ig-bot:chat.example.org")
	}
	if !botListed {
		t.Errorf("the bot is not in the users namespace")
	}
}

// TestConduwuitMessage: stdout is the admin command of conduwuit, continuwuity and tuwunel with
// the registration in a fenced code block, exactly as their parser expects; the explanation is on
// stderr, so that stdout can be pasted as it is.
func TestConduwuitMessage(t *testing.T) {
	dir, registration := generateRegistration(t)
	cmd := exec.Command(bridgeBinary, "--conduwuit-message", "-r", filepath.Join(dir, "registration.yaml"))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("igbridge --conduwuit-message failed: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "the command is the same on all three") {
		t.Errorf("stderr lacks the explanation:\n%s", stderr.String())
	}
	out := string(stdout)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if lines[0] != "!admin appservices register" || lines[1] != "```" || lines[len(lines)-1] != "```" {
		t.Fatalf("unexpected message shape:\n%s", out)
	}
	if body := strings.Join(lines[2:len(lines)-1], "\n"); body != strings.TrimRight(string(registration), "\n") {
		t.Fatalf("code block is not the registration:\n%s", body)
	}
}

func mustYAML(t *testing.T, v any) string {
	t.Helper()
	out, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
