package nixos_test

import (
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The directives nixos.md §3 measured at exposure 1.1, as module.nix must set them on the bridge.
var wantHardening = map[string]any{
	"CapabilityBoundingSet":   "",
	"DevicePolicy":            "closed",
	"LockPersonality":         true,
	"MemoryDenyWriteExecute":  true,
	"MemoryMax":               "512M",
	"NoNewPrivileges":         true,
	"PrivateDevices":          true,
	"PrivateMounts":           true,
	"PrivateTmp":              true,
	"PrivateUsers":            true,
	"ProcSubset":              "pid",
	"ProtectClock":            true,
	"ProtectControlGroups":    true,
	"ProtectHome":             true,
	"ProtectHostname":         true,
	"ProtectKernelLogs":       true,
	"ProtectKernelModules":    true,
	"ProtectKernelTunables":   true,
	"ProtectProc":             "invisible",
	"ProtectSystem":           "strict",
	"RemoveIPC":               true,
	"RestrictAddressFamilies": []any{"AF_INET", "AF_INET6", "AF_UNIX"},
	"RestrictNamespaces":      true,
	"RestrictRealtime":        true,
	"RestrictSUIDSGID":        true,
	"SystemCallArchitectures": "native",
	"SystemCallErrorNumber":   "EPERM",
	"SystemCallFilter":        []any{"@system-service", "~@privileged @resources"},
	"PrivateIPC":              true,
	"UMask":                   "0027",
}

func checkFields(t *testing.T, what string, got map[string]any, want map[string]any) {
	t.Helper()
	for k, w := range want {
		if g, ok := got[k]; !ok || !reflect.DeepEqual(g, w) {
			t.Errorf("%s: %s = %#v, want %#v", what, k, got[k], w)
		}
	}
}

// TestMiniLibSingleInstance (project mini lib): one instance gives the hardened notify unit with
// credentials, -n, the registration step, a health-check timer and a system user.
func TestMiniLibSingleInstance(t *testing.T) {
	res := evalOK(t, "", acceptedCases["single"])
	svc, ok := res.Services["igbridge-main"]
	if !ok {
		t.Fatalf("no igbridge-main service: %v", keys(res.Services))
	}
	sc := svc.ServiceConfig
	checkFields(t, "igbridge-main", sc, wantHardening)
	checkFields(t, "igbridge-main", sc, map[string]any{
		"Type":                     "notify",
		"NotifyAccess":             "main",
		"WatchdogSec":              "60s",
		"Restart":                  "on-failure",
		"RestartPreventExitStatus": "10 11 12 18",
		"User":                     "igbridge-main",
		"Group":                    "igbridge-main",
		"StateDirectory":           "igbridge-main",
		"StateDirectoryMode":       "0750",
		"WorkingDirectory":         "/var/lib/igbridge-main",
		"LoadCredential": []any{
			"as_token:/run/secrets/igbridge/as_token",
			"hs_token:/run/secrets/igbridge/hs_token",
		},
	})
	if _, ok := sc["SupplementaryGroups"]; ok {
		t.Errorf("SupplementaryGroups set without registrationGroup: %v", sc["SupplementaryGroups"])
	}
	for k, v := range map[string]string{
		"IGBRIDGE_APPSERVICE__AS_TOKEN_FILE":   "%d/as_token",
		"IGBRIDGE_APPSERVICE__HS_TOKEN_FILE":   "%d/hs_token",
		"IGBRIDGE_ENCRYPTION__PICKLE_KEY_FILE": "/var/lib/igbridge-main/pickle_key",
	} {
		if got := svc.Environment[k]; got == nil || *got != v {
			t.Errorf("Environment %s = %v, want %s", k, got, v)
		}
	}

	args := strings.Fields(str(t, sc, "ExecStart"))
	configPath, cfg := configOf(t, res, "igbridge-main")
	want := []string{"/nix/store/00000000000000000000000000000000-igbridge/bin/igbridge",
		"-c", configPath, "-r", "/var/lib/igbridge-main/registration.yaml", "-n"}
	if !reflect.DeepEqual(args, want) {
		t.Errorf("ExecStart = %q, want %q", args, want)
	}
	if !reflect.DeepEqual(svc.RestartTriggers, []any{configPath}) {
		t.Errorf("restartTriggers = %v, want the config %s", svc.RestartTriggers, configPath)
	}
	if !strings.HasSuffix(str(t, sc, "ExecStartPre"), "-igbridge-main-registration") {
		t.Errorf("ExecStartPre = %v, want the registration script", sc["ExecStartPre"])
	}
	if !reflect.DeepEqual(svc.WantedBy, []string{"multi-user.target"}) ||
		!reflect.DeepEqual(svc.After, []string{"network-online.target"}) ||
		!reflect.DeepEqual(svc.Wants, []string{"network-online.target"}) {
		t.Errorf("wantedBy/after/wants = %v / %v / %v", svc.WantedBy, svc.After, svc.Wants)
	}

	timer, ok := res.Timers["igbridge-main-health"]
	if !ok {
		t.Fatalf("no igbridge-main-health timer: %v", keys(res.Timers))
	}
	checkFields(t, "igbridge-main-health.timer", timer.TimerConfig, map[string]any{
		"OnActiveSec": "5min", "OnUnitActiveSec": "5min",
	})
	if !reflect.DeepEqual(timer.WantedBy, []string{"timers.target"}) {
		t.Errorf("timer wantedBy = %v", timer.WantedBy)
	}
	health := res.Services["igbridge-main-health"].ServiceConfig
	checkFields(t, "igbridge-main-health", health, map[string]any{
		"Type": "oneshot", "CapabilityBoundingSet": "", "ProtectSystem": "strict", "NoNewPrivileges": true,
		"RuntimeDirectory": "igbridge-main-health", "RuntimeDirectoryPreserve": true,
	})
	if !strings.HasSuffix(str(t, health, "ExecStart"), "-igbridge-main-health") {
		t.Errorf("health ExecStart = %v", health["ExecStart"])
	}

	checkFields(t, "users.users.igbridge-main", res.Users["igbridge-main"], map[string]any{
		"isSystemUser": true, "group": "igbridge-main",
	})
	if _, ok := res.Groups["igbridge-main"]; !ok {
		t.Errorf("no group igbridge-main: %v", keys(res.Groups))
	}

	// The config: the example's keys, the module's values where it must decide.
	for path, w := range map[string]any{
		"env_config_prefix":             "IGBRIDGE_",
		"database.type":                 "sqlite",
		"database.uri":                  "file:/var/lib/igbridge-main/igbridge.db?_txlock=immediate&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(5000)&_time_format=sqlite",
		"homeserver.address":            "http://127.0.0.1:6167",
		"homeserver.domain":             "example.org",
		"appservice.address":            "http://127.0.0.1:29330",
		"appservice.port":               float64(29330),
		"appservice.id":                 "igbridge",
		"appservice.as_token":           "This value is generated when generating the registration",
		"network.ytdlp.python":          "/nix/store/00000000000000000000000000000000-python3-env-yt-dlp/bin/python3",
		"network.cookies_file":          "",
		"network.media.ffmpeg":          "/nix/store/00000000000000000000000000000000-ffmpeg-headless/bin/ffmpeg",
		"bridge.permissions":            map[string]any{"*": "relay", "example.org": "user"},
		"double_puppet.secrets":         map[string]any{},
		"logging.writers":               []any{map[string]any{"type": "stdout", "format": "pretty", "time_format": " "}},
		"network.max_links_per_message": float64(3),
	} {
		if g := at(cfg, path); !reflect.DeepEqual(g, w) {
			t.Errorf("config %s = %#v, want %#v", path, g, w)
		}
	}
	assertHasExampleKeys(t, cfg)
}

// assertHasExampleKeys: every key of example-config.yaml is in the generated config (the module
// merges onto the example, it does not replace it), apart from the maps the module replaces.
func assertHasExampleKeys(t *testing.T, cfg map[string]any) {
	t.Helper()
	raw, err := os.ReadFile("../example-config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var example map[string]any
	if err := yaml.Unmarshal(raw, &example); err != nil {
		t.Fatal(err)
	}
	replaced := map[string]bool{"bridge/permissions": true, "double_puppet/servers": true, "double_puppet/secrets": true}
	// Keys can hold dots (m.text), so paths are walked as key lists.
	var walk func(path []string, ex, got map[string]any)
	walk = func(path []string, ex, got map[string]any) {
		for k, v := range ex {
			p := append(append([]string(nil), path...), k)
			g, ok := got[k]
			if !ok {
				t.Errorf("config lacks the example's %q", p)
				continue
			}
			sub, isMap := v.(map[string]any)
			gsub, gIsMap := g.(map[string]any)
			if isMap && gIsMap && !replaced[strings.Join(p, "/")] {
				walk(p, sub, gsub)
			}
		}
	}
	walk(nil, example, cfg)
}

// TestMiniLibSettingsMerge (project mini lib): a user's keys override single defaults; lists and
// permissions are replaced whole; cookies and registrationGroup reach the unit; plain definitions
// win over the module's MemoryMax and TimeoutStopSec (defaults, no mkForce needed).
func TestMiniLibSettingsMerge(t *testing.T) {
	res := evalOK(t, "", acceptedCases["settingsMerge"])
	_, cfg := configOf(t, res, "igbridge-main")
	for path, w := range map[string]any{
		"network.max_items":             float64(5),
		"network.max_links_per_message": float64(3), // sibling default kept
		"network.ytdlp.workers":         float64(3),
		"network.ytdlp.timeout":         "60s",
		"logging.min_level":             "debug",
		"logging.writers":               []any{map[string]any{"type": "stdout", "format": "pretty", "time_format": " "}},
		"bridge.permissions":            map[string]any{"example.org": "admin"},
		"bridge.only_bridge_tags":       []any{"m.favourite"},
		"bridge.command_prefix":         "!ig",
		"appservice.port":               float64(29400),
		"appservice.address":            "http://127.0.0.1:29400",
		"appservice.hostname":           "127.0.0.1",
		"network.cookies_file":          "/run/credentials/igbridge-main.service/cookies",
	} {
		if g := at(cfg, path); !reflect.DeepEqual(g, w) {
			t.Errorf("config %s = %#v, want %#v", path, g, w)
		}
	}
	sc := res.Services["igbridge-main"].ServiceConfig
	checkFields(t, "igbridge-main", sc, map[string]any{
		"MemoryMax":           "1G",
		"TimeoutStopSec":      "5min",
		"PrivateUsers":        false,
		"SupplementaryGroups": []any{"matrix-synapse"},
		"StateDirectoryMode":  "0751",
		"LoadCredential": []any{
			"as_token:/run/secrets/igbridge/as_token",
			"hs_token:/run/secrets/igbridge/hs_token",
			"pickle_key:/run/secrets/igbridge/pickle_key",
			"cookies:/run/secrets/igbridge/cookies.txt",
		},
	})
	if v := res.Services["igbridge-main"].Environment["IGBRIDGE_ENCRYPTION__PICKLE_KEY_FILE"]; v == nil || *v != "%d/pickle_key" {
		t.Errorf("pickle key variable = %v, want the credential", v)
	}
	if _, ok := res.Groups["matrix-synapse"]; !ok {
		t.Errorf("registrationGroup not declared: %v", keys(res.Groups))
	}
	script := string(storeFile(t, str(t, sc, "ExecStartPre")))
	if !strings.Contains(script, `chgrp matrix-synapse "$out.new"`) {
		t.Errorf("registration script does not chgrp to registrationGroup:\n%s", script)
	}
	if strings.Contains(script, "pickle_key") {
		t.Errorf("registration script makes a pickle key although pickleKeyFile is set:\n%s", script)
	}
	health := string(storeFile(t, str(t, res.Services["igbridge-main-health"].ServiceConfig, "ExecStart")))
	for _, w := range []string{"http://127.0.0.1:29400/_igbridge/v1/health", "failures >= 5"} {
		if !strings.Contains(health, w) {
			t.Errorf("health script lacks %q:\n%s", w, health)
		}
	}
}

// TestMiniLibThreeInstances (project mini lib): three enabled instances get their own units,
// users, state directories, databases, ports, ids and namespaces; a disabled one gets nothing.
func TestMiniLibThreeInstances(t *testing.T) {
	res := evalOK(t, "", acceptedCases["threeInstances"])
	want := []string{"igbridge-insta", "igbridge-insta-health", "igbridge-second", "igbridge-second-health",
		"igbridge-third", "igbridge-third-health"}
	if got := keys(res.Services); !reflect.DeepEqual(got, want) {
		t.Fatalf("services = %v, want %v", got, want)
	}
	if got := keys(res.Timers); !reflect.DeepEqual(got, []string{"igbridge-insta-health", "igbridge-second-health", "igbridge-third-health"}) {
		t.Errorf("timers = %v", got)
	}
	if got := keys(res.Users); !reflect.DeepEqual(got, []string{"igbridge-insta", "igbridge-second", "igbridge-third"}) {
		t.Errorf("users = %v", got)
	}
	seen := map[string]map[any]string{}
	for _, name := range []string{"insta", "second", "third"} {
		svc := res.Services["igbridge-"+name]
		_, cfg := configOf(t, res, "igbridge-"+name)
		reg := string(storeFile(t, registrationTemplateOf(t, svc)))
		values := map[string]any{
			"StateDirectory":  svc.ServiceConfig["StateDirectory"],
			"User":            svc.ServiceConfig["User"],
			"registration":    res.Instances[name].RegistrationFile,
			"database.uri":    at(cfg, "database.uri"),
			"appservice.port": at(cfg, "appservice.port"),
			"appservice.id":   at(cfg, "appservice.id"),
			"bot":             at(cfg, "appservice.bot.username"),
			"user namespace":  regexp.MustCompile(`regex: \^@(\w+)\.\*`).FindString(reg),
			"health URL":      healthURL(t, res, name),
		}
		for what, v := range values {
			if v == nil || v == "" {
				t.Errorf("%s: no %s", name, what)
			}
			if seen[what] == nil {
				seen[what] = map[any]string{}
			}
			if other, dup := seen[what][v]; dup {
				t.Errorf("%s and %s share %s %v", other, name, what, v)
			}
			seen[what][v] = name
		}
		if at(cfg, "appservice.address") != "http://127.0.0.1:"+jsonNumber(at(cfg, "appservice.port")) {
			t.Errorf("%s: appservice.address %v does not follow the port %v", name, at(cfg, "appservice.address"), at(cfg, "appservice.port"))
		}
	}
	if _, ok := res.Instances["off"]; !ok || res.Instances["off"].Enable {
		t.Errorf("the disabled instance: %+v", res.Instances["off"])
	}
}

func jsonNumber(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// registrationTemplateOf finds the registration template the unit's start script reads.
func registrationTemplateOf(t *testing.T, svc unit) string {
	t.Helper()
	script := string(storeFile(t, str(t, svc.ServiceConfig, "ExecStartPre")))
	m := regexp.MustCompile(`/nix/store/[0-9a-z]{32}-[^/\s)]+-registration\.yaml\.tmpl`).FindString(script)
	if m == "" {
		t.Fatalf("no registration template in the start script:\n%s", script)
	}
	return m
}

func healthURL(t *testing.T, res *evalResult, name string) string {
	t.Helper()
	script := string(storeFile(t, str(t, res.Services["igbridge-"+name+"-health"].ServiceConfig, "ExecStart")))
	return regexp.MustCompile(`http://\S+/_igbridge/v1/health`).FindString(script)
}

// TestMiniLibDevPlatform (project mini lib): the wrapper maps the platform's Matrix settings onto
// services.igbridge.instances.main (IPv4 loopback homeserver URL, its port, the bridge's port,
// ordering after the homeserver), and the low-level settings can still override them.
func TestMiniLibDevPlatform(t *testing.T) {
	res := evalOK(t, "", acceptedCases["devPlatform"])
	svc := res.Services["igbridge-main"]
	_, cfg := configOf(t, res, "igbridge-main")
	for path, w := range map[string]any{
		"homeserver.address":  "http://127.0.0.1:6167",
		"homeserver.domain":   "dev.example.org",
		"appservice.hostname": "127.0.0.1",
		"appservice.port":     float64(29340),
		"appservice.address":  "http://127.0.0.1:29340",
		"bridge.permissions":  map[string]any{"*": "relay", "dev.example.org": "user"},
	} {
		if g := at(cfg, path); !reflect.DeepEqual(g, w) {
			t.Errorf("config %s = %#v, want %#v", path, g, w)
		}
	}
	if !reflect.DeepEqual(svc.After, []string{"network-online.target", "conduwuit.service"}) ||
		!reflect.DeepEqual(svc.Wants, []string{"network-online.target", "conduwuit.service"}) {
		t.Errorf("after/wants = %v / %v, want the homeserver in both", svc.After, svc.Wants)
	}
	checkFields(t, "igbridge-main", svc.ServiceConfig, map[string]any{"LoadCredential": []any{
		"as_token:/run/secrets/igbridge/as_token", "hs_token:/run/secrets/igbridge/hs_token",
	}})

	res = evalOK(t, "", acceptedCases["devPlatformOverride"])
	if _, cfg := configOf(t, res, "igbridge-main"); at(cfg, "homeserver.address") != "http://127.0.0.1:8008" {
		t.Errorf("low-level override lost: homeserver.address = %v", at(cfg, "homeserver.address"))
	}
}

// TestMiniLibOptionalParts (project mini lib): healthCheck.enable = false drops the timer and its
// service; instances that are not enabled produce nothing.
func TestMiniLibOptionalParts(t *testing.T) {
	res := evalOK(t, "", acceptedCases["noHealthCheck"])
	if got := keys(res.Services); !reflect.DeepEqual(got, []string{"igbridge-main"}) {
		t.Errorf("services = %v", got)
	}
	if len(res.Timers) != 0 {
		t.Errorf("timers = %v", keys(res.Timers))
	}
	res = evalOK(t, "", acceptedCases["nothingEnabled"])
	if len(res.Services)+len(res.Timers)+len(res.Users)+len(res.Groups) != 0 {
		t.Errorf("a disabled instance produced units or users: %s", res.raw)
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
