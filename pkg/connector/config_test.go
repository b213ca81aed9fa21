package connector

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mau.fi/util/dbutil"
	"gopkg.in/yaml.v3"
)

func loadExampleConfig(t *testing.T) *Config {
	t.Helper()
	var cfg Config
	if err := yaml.Unmarshal([]byte(ExampleConfig), &cfg); err != nil {
		t.Fatalf("example config does not load: %v", err)
	}
	return &cfg
}

func TestExampleConfigIsValid(t *testing.T) {
	cfg := loadExampleConfig(t)
	if err := cfg.Validate(); err != nil {
		t.Fatalf("example config is invalid: %v", err)
	}
	if cfg.MaxLinksPerMessage != 3 || cfg.MaxItems != 10 || cfg.Ytdlp.Python != "/usr/bin/python3" {
		t.Fatalf("unexpected defaults: %+v", cfg)
	}
	if cfg.Health.CheckInterval != 30*time.Second || cfg.Health.MaxFailureRate != 0.5 || cfg.Health.MinRecentJobs != 10 ||
		cfg.Metrics.Enabled || cfg.Metrics.Listen != "127.0.0.1:29331" {
		t.Fatalf("unexpected health and metrics defaults: %+v %+v", cfg.Health, cfg.Metrics)
	}
}

func TestValidateRejects(t *testing.T) {
	for name, mutate := range map[string]func(*Config){
		"no links":            func(c *Config) { c.MaxLinksPerMessage = 0 },
		"no items":            func(c *Config) { c.MaxItems = 0 },
		"no workers":          func(c *Config) { c.Queue.Workers = 0 },
		"no rate":             func(c *Config) { c.RateLimit.RequestsPerMinute = 0 },
		"no attempts":         func(c *Config) { c.Retry.MaxAttempts = 0 },
		"no yt-dlp":           func(c *Config) { c.Ytdlp.Python, c.Ytdlp.Command = "", nil },
		"no timeout":          func(c *Config) { c.Ytdlp.Timeout = 0 },
		"no media size":       func(c *Config) { c.Media.MaxSize = 0 },
		"no health interval":  func(c *Config) { c.Health.CheckInterval = 0 },
		"failure rate over 1": func(c *Config) { c.Health.MaxFailureRate = 1.5 },
		"no recent jobs":      func(c *Config) { c.Health.MinRecentJobs = 0 },
		"metrics nowhere":     func(c *Config) { c.Metrics.Enabled, c.Metrics.Listen = true, "" },
		"reaction both ways":  func(c *Config) { c.Reactions.Delete = append(c.Reactions.Delete, "🔁️") },
		"unknown mode":        func(c *Config) { c.RoomDefaults.Mode = "text" },
	} {
		cfg := loadExampleConfig(t)
		mutate(cfg)
		if err := cfg.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestValidateProxyKeepsThePasswordOut(t *testing.T) {
	cfg := loadExampleConfig(t)
	cfg.Proxy = "http://user:secret@[bad"
	err := cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), "network.proxy") || strings.Contains(err.Error(), "secret") {
		t.Errorf("Validate() = %v, want a network.proxy error without the password", err)
	}
	cfg.Proxy = "http://user:secret@127.0.0.1:3128"
	if err := cfg.Validate(); err != nil {
		t.Errorf("Validate() with a good proxy = %v", err)
	}
}

func TestFormatDisplayname(t *testing.T) {
	cfg := loadExampleConfig(t)
	if got := cfg.FormatDisplayname("nasa", "NASA"); got != "NASA (Instagram)" {
		t.Errorf("got %q", got)
	}
	if got := cfg.FormatDisplayname("nasa", ""); got != "nasa (Instagram)" {
		t.Errorf("without a full name: got %q", got)
	}
	cfg.DisplaynameTemplate = "{{ .Username }}"
	if err := cfg.postProcess(); err != nil {
		t.Fatal(err)
	}
	if got := cfg.FormatDisplayname("nasa", "NASA"); got != "nasa" {
		t.Errorf("custom template: got %q", got)
	}
}

func TestFullExampleConfigSetsDirectMode(t *testing.T) {
	full, err := FullExampleConfig()
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err = yaml.Unmarshal([]byte(full), &cfg); err != nil {
		t.Fatalf("full example config is not YAML: %v", err)
	}
	as := cfg["appservice"].(map[string]any)
	if as["bot"].(map[string]any)["username"] != "ig-bot" || as["username_template"] != "ig_{{.}}" ||
		as["async_transactions"] != false || as["ephemeral_events"] != false {
		t.Errorf("appservice section: %+v", as)
	}
	if cfg["bridge"].(map[string]any)["command_prefix"] != "!ig" {
		t.Errorf("command prefix: %v", cfg["bridge"].(map[string]any)["command_prefix"])
	}
	if enc := cfg["encryption"].(map[string]any); enc["allow"] != true || enc["appservice"] != false {
		t.Errorf("encryption: %+v", enc)
	}
	db := cfg["database"].(map[string]any)
	if err = CheckDatabaseConfig(dbutil.Config{PoolConfig: dbutil.PoolConfig{Type: db["type"].(string), URI: db["uri"].(string)}}); err != nil {
		t.Errorf("the example database config fails its own check: %v", err)
	}
	if !strings.Contains(full, "# Requests to Instagram per minute, for the whole bridge.") {
		t.Errorf("network comments were lost")
	}
}

func TestCheckDatabaseConfig(t *testing.T) {
	err := CheckDatabaseConfig(dbutil.Config{PoolConfig: dbutil.PoolConfig{Type: "sqlite", URI: "file:igbridge.db?_txlock=immediate"}})
	if err == nil || !strings.Contains(err.Error(), "_time_format=sqlite") {
		t.Fatalf("a URI without the pragmas was accepted or not explained: %v", err)
	}
	if err = CheckDatabaseConfig(dbutil.Config{PoolConfig: dbutil.PoolConfig{Type: "postgres", URI: "postgres://x"}}); err != nil {
		t.Fatalf("postgres was refused: %v", err)
	}
}

func TestCheckPickleKey(t *testing.T) {
	dir := t.TempDir()
	write := func(key string) string {
		path := filepath.Join(dir, key+".yaml")
		if err := os.WriteFile(path, []byte("encryption:\n    pickle_key: "+key+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	generated, fixed := write("generate"), write("0123456789abcdef")
	if err := CheckPickleKey(generated, false, true, "IGB_TEST_"); err == nil || !strings.Contains(err.Error(), "-n") {
		t.Errorf("read-only config with a generated key: %v, want a refusal that names -n", err)
	}
	for name, err := range map[string]error{
		"config saved":  CheckPickleKey(generated, true, true, "IGB_TEST_"),
		"no encryption": CheckPickleKey(generated, false, false, "IGB_TEST_"),
		"fixed key":     CheckPickleKey(fixed, false, true, "IGB_TEST_"),
		"key from a file env": func() error {
			t.Setenv("IGB_TEST_ENCRYPTION__PICKLE_KEY_FILE", "/run/key")
			return CheckPickleKey(generated, false, true, "IGB_TEST_")
		}(),
	} {
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
