package connector

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"text/template"
	"time"

	up "go.mau.fi/util/configupgrade"
	"gopkg.in/yaml.v3"

	"github.com/igbridge/igbridge/pkg/media"
)

//go:embed example-config.yaml
var ExampleConfig string

// Config is the network section of the bridge config.
type Config struct {
	DisplaynameTemplate string          `yaml:"displayname_template"`
	MaxLinksPerMessage  int             `yaml:"max_links_per_message"`
	MaxItems            int             `yaml:"max_items"`
	RespondToNotices    bool            `yaml:"respond_to_notices"`
	CaptionMaxLength    int             `yaml:"caption_max_length"`
	RoomDefaults        RoomDefaults    `yaml:"room_defaults"`
	GetPowerLevel       int             `yaml:"get_power_level"`
	Proxy               string          `yaml:"proxy"`
	CookiesFile         string          `yaml:"cookies_file"`
	CAFile              string          `yaml:"ca_file"`
	Ytdlp               YtdlpConfig     `yaml:"ytdlp"`
	Media               MediaConfig     `yaml:"media"`
	Queue               QueueConfig     `yaml:"queue"`
	RateLimit           RateLimitConfig `yaml:"rate_limit"`
	Retry               RetryConfig     `yaml:"retry"`
	Cache               CacheConfig     `yaml:"cache"`
	Health              HealthConfig    `yaml:"health"`
	Metrics             MetricsConfig   `yaml:"metrics"`
	Reactions           ReactionsConfig `yaml:"reactions"`

	displaynameTemplate *template.Template
}

// RoomDefaults are the per-room settings of rooms whose moderators did not change them.
type RoomDefaults struct {
	Auto     bool   `yaml:"auto"`
	Captions bool   `yaml:"captions"`
	Mode     string `yaml:"mode"`
}

type YtdlpConfig struct {
	Python            string        `yaml:"python"`
	Command           []string      `yaml:"command"`
	Timeout           time.Duration `yaml:"timeout"`
	Workers           int           `yaml:"workers"`
	WorkerMaxRequests int           `yaml:"worker_max_requests"`
}

type QueueConfig struct {
	Workers           int           `yaml:"workers"`
	MaxPendingPerRoom int           `yaml:"max_pending_per_room"`
	MaxPendingPerUser int           `yaml:"max_pending_per_user"`
	Retention         time.Duration `yaml:"retention"`
}

type RateLimitConfig struct {
	RequestsPerMinute int           `yaml:"requests_per_minute"`
	MinInterval       time.Duration `yaml:"min_interval"`
	Cooldown          time.Duration `yaml:"cooldown"`
	MaxCooldown       time.Duration `yaml:"max_cooldown"`
}

type RetryConfig struct {
	MaxAttempts int           `yaml:"max_attempts"`
	BaseDelay   time.Duration `yaml:"base_delay"`
	MaxDelay    time.Duration `yaml:"max_delay"`
}

type CacheConfig struct {
	TTL                 time.Duration `yaml:"ttl"`
	FailureTTL          time.Duration `yaml:"failure_ttl"`
	TransientFailureTTL time.Duration `yaml:"transient_failure_ttl"`
}

type HealthConfig struct {
	CheckInterval  time.Duration `yaml:"check_interval"`
	MaxFailureRate float64       `yaml:"max_failure_rate"`
	MinRecentJobs  int           `yaml:"min_recent_jobs"`
}

type MetricsConfig struct {
	Enabled bool   `yaml:"enabled"`
	Listen  string `yaml:"listen"`
}

// ReactionsConfig holds the reactions the bot shows and the ones users may act with; an empty
// value turns the feature off.
type ReactionsConfig struct {
	Progress string   `yaml:"progress"`
	Retry    []string `yaml:"retry"`
	Delete   []string `yaml:"delete"`
}

type MediaConfig struct {
	MaxSize   int64           `yaml:"max_size"`
	Timeout   time.Duration   `yaml:"timeout"`
	FFmpeg    string          `yaml:"ffmpeg"`
	Transcode TranscodeConfig `yaml:"transcode"`
}

type TranscodeConfig struct {
	Enabled       bool          `yaml:"enabled"`
	MaxDuration   time.Duration `yaml:"max_duration"`
	Timeout       time.Duration `yaml:"timeout"`
	MaxConcurrent int           `yaml:"max_concurrent"`
}

type umConfig Config

func (c *Config) UnmarshalYAML(node *yaml.Node) error {
	if err := node.Decode((*umConfig)(c)); err != nil {
		return err
	}
	return c.postProcess()
}

func (c *Config) postProcess() error {
	var err error
	c.displaynameTemplate, err = template.New("displayname").Parse(c.DisplaynameTemplate)
	if err != nil {
		return fmt.Errorf("failed to parse displayname_template: %w", err)
	}
	return nil
}

// Validate reports config values that cannot work, so the bridge refuses to start with a clear message.
func (c *Config) Validate() error {
	switch {
	case c.MaxLinksPerMessage < 1:
		return fmt.Errorf("network.max_links_per_message must be at least 1")
	case c.MaxItems < 1:
		return fmt.Errorf("network.max_items must be at least 1")
	case c.Ytdlp.Workers < 1 || c.Queue.Workers < 1:
		return fmt.Errorf("network.ytdlp.workers and network.queue.workers must be at least 1")
	case c.Queue.MaxPendingPerRoom < 1 || c.Queue.MaxPendingPerUser < 1:
		return fmt.Errorf("network.queue.max_pending_per_room and max_pending_per_user must be at least 1")
	case c.Queue.Retention < time.Hour:
		return fmt.Errorf("network.queue.retention must be at least 1h")
	case c.RateLimit.RequestsPerMinute < 1:
		return fmt.Errorf("network.rate_limit.requests_per_minute must be at least 1")
	case c.Retry.MaxAttempts < 1:
		return fmt.Errorf("network.retry.max_attempts must be at least 1")
	case c.Cache.TTL < 0 || c.Cache.FailureTTL < 0 || c.Cache.TransientFailureTTL < 0:
		return fmt.Errorf("network.cache durations must not be negative")
	case c.RoomDefaults.Mode != modeFull && c.RoomDefaults.Mode != modeMedia:
		return fmt.Errorf("network.room_defaults.mode must be %q or %q", modeFull, modeMedia)
	case c.CaptionMaxLength < 0:
		return fmt.Errorf("network.caption_max_length must not be negative")
	case c.Ytdlp.Python == "" && len(c.Ytdlp.Command) == 0:
		return fmt.Errorf("network.ytdlp.python or network.ytdlp.command must be set")
	case c.Ytdlp.Timeout <= 0:
		return fmt.Errorf("network.ytdlp.timeout must be positive")
	case c.Media.MaxSize <= 0:
		return fmt.Errorf("network.media.max_size must be positive")
	case c.Media.Timeout <= 0:
		return fmt.Errorf("network.media.timeout must be positive")
	case c.Media.Transcode.MaxDuration <= 0 || c.Media.Transcode.Timeout <= 0:
		return fmt.Errorf("network.media.transcode.max_duration and timeout must be positive")
	case c.Media.Transcode.MaxConcurrent < 1:
		return fmt.Errorf("network.media.transcode.max_concurrent must be at least 1")
	case c.Health.CheckInterval <= 0:
		return fmt.Errorf("network.health.check_interval must be positive")
	case c.Health.MaxFailureRate < 0 || c.Health.MaxFailureRate > 1:
		return fmt.Errorf("network.health.max_failure_rate must be between 0 and 1")
	case c.Health.MinRecentJobs < 1:
		return fmt.Errorf("network.health.min_recent_jobs must be at least 1")
	case c.Metrics.Enabled && c.Metrics.Listen == "":
		return fmt.Errorf("network.metrics.listen must be set when metrics are enabled")
	case slices.ContainsFunc(c.Reactions.Delete, func(key string) bool { return c.Reactions.actionFor(key) == actionRetry }):
		return fmt.Errorf("network.reactions.retry and network.reactions.delete must not share a reaction")
	}
	if c.Proxy != "" {
		// The error never quotes the URL: it may hold a password.
		if _, err := media.ParseProxy(c.Proxy); err != nil {
			return fmt.Errorf("network.proxy: %w", err)
		}
	}
	return nil
}

// displaynameParams are the variables of displayname_template.
type displaynameParams struct {
	FullName string
	Username string
}

// FormatDisplayname renders the ghost display name for an Instagram account.
func (c *Config) FormatDisplayname(username, fullName string) string {
	var buf strings.Builder
	err := c.displaynameTemplate.Execute(&buf, displaynameParams{FullName: fullName, Username: username})
	if err != nil || strings.TrimSpace(buf.String()) == "" {
		return username
	}
	return strings.TrimSpace(buf.String())
}

func upgradeConfig(helper up.Helper) {
	helper.Copy(up.Str, "displayname_template")
	helper.Copy(up.Int, "max_links_per_message")
	helper.Copy(up.Int, "max_items")
	helper.Copy(up.Bool, "respond_to_notices")
	helper.Copy(up.Int, "caption_max_length")
	helper.Copy(up.Bool, "room_defaults", "auto")
	helper.Copy(up.Bool, "room_defaults", "captions")
	helper.Copy(up.Str, "room_defaults", "mode")
	helper.Copy(up.Int, "get_power_level")
	helper.Copy(up.Str, "proxy")
	helper.Copy(up.Str, "cookies_file")
	helper.Copy(up.Str, "ca_file")
	helper.Copy(up.Str, "ytdlp", "python")
	helper.Copy(up.List, "ytdlp", "command")
	helper.Copy(up.Str, "ytdlp", "timeout")
	helper.Copy(up.Int, "ytdlp", "workers")
	helper.Copy(up.Int, "ytdlp", "worker_max_requests")
	helper.Copy(up.Int, "queue", "workers")
	helper.Copy(up.Int, "queue", "max_pending_per_room")
	helper.Copy(up.Int, "queue", "max_pending_per_user")
	helper.Copy(up.Str, "queue", "retention")
	helper.Copy(up.Int, "rate_limit", "requests_per_minute")
	helper.Copy(up.Str, "rate_limit", "min_interval")
	helper.Copy(up.Str, "rate_limit", "cooldown")
	helper.Copy(up.Str, "rate_limit", "max_cooldown")
	helper.Copy(up.Int, "retry", "max_attempts")
	helper.Copy(up.Str, "retry", "base_delay")
	helper.Copy(up.Str, "retry", "max_delay")
	helper.Copy(up.Str, "cache", "ttl")
	helper.Copy(up.Str, "cache", "failure_ttl")
	helper.Copy(up.Str, "cache", "transient_failure_ttl")
	helper.Copy(up.Int, "media", "max_size")
	helper.Copy(up.Str, "media", "timeout")
	helper.Copy(up.Str, "media", "ffmpeg")
	helper.Copy(up.Bool, "media", "transcode", "enabled")
	helper.Copy(up.Str, "media", "transcode", "max_duration")
	helper.Copy(up.Str, "media", "transcode", "timeout")
	helper.Copy(up.Int, "media", "transcode", "max_concurrent")
	helper.Copy(up.Str, "health", "check_interval")
	helper.Copy(up.Float, "health", "max_failure_rate")
	helper.Copy(up.Int, "health", "min_recent_jobs")
	helper.Copy(up.Bool, "metrics", "enabled")
	helper.Copy(up.Str, "metrics", "listen")
	helper.Copy(up.Str, "reactions", "progress")
	helper.Copy(up.List, "reactions", "retry")
	helper.Copy(up.List, "reactions", "delete")
}

func (ic *Connector) GetConfig() (example string, data any, upgrader up.Upgrader) {
	return ExampleConfig, &ic.Config, up.SimpleUpgrader(upgradeConfig)
}
