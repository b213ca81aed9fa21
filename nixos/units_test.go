package nixos_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// renderUnit writes a unit the way NixOS renders systemd.services / systemd.timers (an
// approximation: bools as true/false, a list as one line per item, dependency lists joined).
func renderUnit(u unit, section string, settings map[string]any) string {
	var b strings.Builder
	line := func(k string, v any) {
		switch v := v.(type) {
		case nil:
		case bool:
			fmt.Fprintf(&b, "%s=%t\n", k, v)
		case float64:
			fmt.Fprintf(&b, "%s=%s\n", k, strconv.FormatFloat(v, 'f', -1, 64))
		case []any:
			for _, item := range v {
				fmt.Fprintf(&b, "%s=%v\n", k, item)
			}
		default:
			fmt.Fprintf(&b, "%s=%v\n", k, v)
		}
	}
	sorted := func(m map[string]any) {
		for _, k := range sortedKeys(m) {
			line(k, m[k])
		}
	}
	join := func(k string, list []string) {
		if len(list) > 0 {
			line(k, strings.Join(list, " "))
		}
	}
	b.WriteString("[Unit]\n")
	if u.Description != "" {
		line("Description", u.Description)
	}
	join("After", u.After)
	join("Before", u.Before)
	join("Wants", u.Wants)
	join("Requires", u.Requires)
	join("PartOf", u.PartOf)
	join("BindsTo", u.BindsTo)
	join("Conflicts", u.Conflicts)
	if len(u.RestartTriggers) > 0 {
		var s []string
		for _, v := range u.RestartTriggers {
			s = append(s, fmt.Sprint(v))
		}
		line("X-Restart-Triggers", strings.Join(s, " "))
	}
	if u.StartLimitBurst != nil {
		line("StartLimitBurst", *u.StartLimitBurst)
	}
	if u.StartLimitIntervalSec != nil {
		line("StartLimitIntervalSec", *u.StartLimitIntervalSec)
	}
	sorted(u.UnitConfig)

	fmt.Fprintf(&b, "\n[%s]\n", section)
	env := func(kv string) {
		// NixOS quotes the assignment as a JSON string.
		q, _ := json.Marshal(kv)
		fmt.Fprintf(&b, "Environment=%s\n", q)
	}
	for _, k := range sortedKeys(u.Environment) {
		if v := u.Environment[k]; v != nil {
			env(k + "=" + *v)
		}
	}
	if len(u.Path) > 0 {
		var bins []string
		for _, p := range u.Path {
			bins = append(bins, p+"/bin")
		}
		env("PATH=" + strings.Join(bins, ":"))
	}
	sorted(settings)

	if len(u.WantedBy)+len(u.RequiredBy) > 0 {
		b.WriteString("\n[Install]\n")
		join("WantedBy", u.WantedBy)
		join("RequiredBy", u.RequiredBy)
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// The stand-ins for the fake packages the units run (tests/fake-pkgs.nix): per package, bin/
// entries that are either host programs (symlinked) or scripts.
// stubIgbridge stands in for igbridge and ffmpeg, which the units only name.
const stubIgbridge = "#!/bin/sh\nexit 0\n"

// stubSystemctl logs its arguments to $SYSTEMCTL_LOG; `is-active` answers $FAKE_IS_ACTIVE_RC.
const stubSystemctl = `#!/bin/sh
echo "$*" >>"$SYSTEMCTL_LOG"
if [ "$1" = is-active ]; then exit "${FAKE_IS_ACTIVE_RC:-0}"; fi
exit 0
`

func fakePackageBins(t *testing.T) map[string]map[string]string {
	return map[string]map[string]string{
		"igbridge":           {"igbridge": stubIgbridge},
		"bash":               {"bash": requireTool(t, "bash", "bash")},
		"curl":               {"curl": requireTool(t, "curl", "curl")},
		"ffmpeg-headless":    {"ffmpeg": stubIgbridge},
		"systemd":            {"systemctl": stubSystemctl},
		"python3-env-yt-dlp": {"python3": requireTool(t, "python3", "python3")},
	}
}

var storeRef = regexp.MustCompile(`/nix/store/([0-9a-z]{32})-([+\-._?=a-zA-Z0-9]+)`)

const fakeHash = "00000000000000000000000000000000"

// materializer makes the store paths a unit mentions exist under root (files the evaluation wrote
// are copied from the chroot store, fake packages get their stand-ins) and points the unit there:
// systemd-analyze insists that executables exist, and the scripts tests run the real scripts.
type materializer struct {
	t    *testing.T
	root string
	bins map[string]map[string]string
	done map[string]bool
}

func newMaterializer(t *testing.T) *materializer {
	return &materializer{t: t, root: t.TempDir(), bins: fakePackageBins(t), done: map[string]bool{}}
}

func (m *materializer) rewrite(text string) string {
	for _, ref := range storeRef.FindAllStringSubmatch(text, -1) {
		m.ensure(ref[0], ref[1], ref[2])
	}
	return strings.ReplaceAll(text, "/nix/store/", m.root+"/nix/store/")
}

// path returns where a store path is materialized.
func (m *materializer) path(storePath string) string {
	m.rewrite(storePath)
	return m.root + storePath
}

func (m *materializer) ensure(ref, hash, name string) {
	t := m.t
	if m.done[ref] {
		return
	}
	m.done[ref] = true
	dst := m.root + ref
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if hash == fakeHash {
		bins, ok := m.bins[name]
		if !ok {
			t.Fatalf("a unit uses the fake package %s; give it a stand-in in fakePackageBins", name)
		}
		if err := os.MkdirAll(filepath.Join(dst, "bin"), 0o755); err != nil {
			t.Fatal(err)
		}
		for bin, target := range bins {
			p := filepath.Join(dst, "bin", bin)
			var err error
			if strings.HasPrefix(target, "#!") {
				err = os.WriteFile(p, []byte(target), 0o755)
			} else {
				err = os.Symlink(target, p)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	data, err := os.ReadFile(filepath.Join(nixStore, ref))
	if err != nil {
		t.Fatalf("%s is neither a file the evaluation wrote nor a fake package: %v", ref, err)
	}
	if err := os.WriteFile(dst, []byte(m.rewrite(string(data))), 0o755); err != nil {
		t.Fatal(err)
	}
}

// writeUnits renders every unit of an evaluation into a directory and returns the files.
func writeUnits(t *testing.T, res *evalResult, m *materializer) map[string]string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{}
	write := func(name, text string) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(m.rewrite(text)), 0o644); err != nil {
			t.Fatal(err)
		}
		files[name] = p
	}
	for name, u := range res.Services {
		write(name+".service", renderUnit(u, "Service", u.ServiceConfig))
	}
	for name, u := range res.Timers {
		write(name+".timer", renderUnit(u, "Timer", u.TimerConfig))
	}
	return files
}

// TestUnitsSystemdAnalyzeVerify: the rendered units of each configuration pass
// `systemd-analyze verify` without a single message (its exit status stays 0 for unknown keys or
// bad values, so any output fails the test).
func TestUnitsSystemdAnalyzeVerify(t *testing.T) {
	bin := requireTool(t, "systemd-analyze", "systemd")
	for _, name := range []string{"single", "settingsMerge", "threeInstances", "devPlatform"} {
		t.Run(name, func(t *testing.T) {
			res := evalOK(t, "", acceptedCases[name])
			files := writeUnits(t, res, newMaterializer(t))
			args := []string{"verify", "--man=no"}
			for _, f := range sortedKeys(files) {
				args = append(args, files[f])
			}
			out, err := exec.Command(bin, args...).CombinedOutput()
			if err != nil || len(out) > 0 {
				t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
			}
		})
	}
	// The control: a misspelt directive in a rendered unit is reported, so silence above means
	// systemd read the units and found nothing.
	t.Run("misspeltDirectiveIsReported", func(t *testing.T) {
		res := evalOK(t, "", acceptedCases["single"])
		files := writeUnits(t, res, newMaterializer(t))
		f := files["igbridge-main.service"]
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		bad := strings.Replace(string(data), "ProtectSystem=strict", "ProtectSystm=strict", 1)
		if err := os.WriteFile(f, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		out, _ := exec.Command(bin, "verify", "--man=no", f).CombinedOutput()
		if !strings.Contains(string(out), "Unknown key") || !strings.Contains(string(out), "ProtectSystm") {
			t.Fatalf("systemd-analyze verify did not report the misspelt key:\n%s", out)
		}
	})
}

var exposure = regexp.MustCompile(`Overall exposure level for \S+: (\d+\.\d+)`)

// securityScore runs `systemd-analyze security --offline=yes` on a unit file.
func securityScore(t *testing.T, bin, file string) (float64, string) {
	t.Helper()
	out, err := exec.Command(bin, "security", "--offline=yes", "--no-pager", file).CombinedOutput()
	m := exposure.FindSubmatch(out)
	if m == nil {
		t.Fatalf("systemd-analyze security %s: %v\n%s", file, err, out)
	}
	score, _ := strconv.ParseFloat(string(m[1]), 64)
	return score, string(out)
}

// TestUnitsSystemdAnalyzeSecurity: the bridge unit scores at most 2.0 in systemd-analyze's
// exposure rating (0 best, 10 worst), with and without a registrationGroup (which drops
// PrivateUsers=); so does the health check, although it runs as root to call systemctl.
func TestUnitsSystemdAnalyzeSecurity(t *testing.T) {
	bin := requireTool(t, "systemd-analyze", "systemd")
	limits := map[string]float64{"igbridge-main.service": 2.0, "igbridge-main-health.service": 2.0}
	for _, name := range []string{"single", "settingsMerge"} {
		res := evalOK(t, "", acceptedCases[name])
		files := writeUnits(t, res, newMaterializer(t))
		for _, unitName := range sortedKeys(limits) {
			score, out := securityScore(t, bin, files[unitName])
			t.Logf("%s, %s: exposure %.1f", name, unitName, score)
			if score > limits[unitName] {
				t.Errorf("%s, %s: exposure %.1f is above %.1f:\n%s", name, unitName, score, limits[unitName], out)
			}
		}
	}
}
