package connector

import (
	_ "embed"
	"fmt"
	"strings"
	"text/template"
	"time"

	up "go.mau.fi/util/configupgrade"
	"gopkg.in/yaml.v3"
)

//go:embed example-config.yaml
var ExampleConfig string

// Config is the network section of the bridge config.
type Config struct {
	DisplaynameTemplate string      `yaml:"displayname_template"`
	MaxLinksPerMessage  int         `yaml:"max_links_per_message"`
	MaxItems            int         `yaml:"max_items"`
	RespondToNotices    bool        `yaml:"respond_to_notices"`
	CaptionMaxLength    int         `yaml:"caption_max_length"`
	Concurrency         int         `yaml:"concurrency"`
	Proxy               string      `yaml:"proxy"`
	CookiesFile         string      `yaml:"cookies_file"`
	CAFile              string      `yaml:"ca_file"`
	Ytdlp               YtdlpConfig `yaml:"ytdlp"`
	Media               MediaConfig `yaml:"media"`

	displaynameTemplate *template.Template
}

type YtdlpConfig struct {
	Python  string        `yaml:"python"`
	Command []string      `yaml:"command"`
	Timeout time.Duration `yaml:"timeout"`
}

type MediaConfig struct {
	MaxSize int64         `yaml:"max_size"`
	Timeout time.Duration `yaml:"timeout"`
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
	case c.Concurrency < 1:
		return fmt.Errorf("network.concurrency must be at least 1")
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
	helper.Copy(up.Int, "concurrency")
	helper.Copy(up.Str, "proxy")
	helper.Copy(up.Str, "cookies_file")
	helper.Copy(up.Str, "ca_file")
	helper.Copy(up.Str, "ytdlp", "python")
	helper.Copy(up.List, "ytdlp", "command")
	helper.Copy(up.Str, "ytdlp", "timeout")
	helper.Copy(up.Int, "media", "max_size")
	helper.Copy(up.Str, "media", "timeout")
}

func (ic *Connector) GetConfig() (example string, data any, upgrader up.Upgrader) {
	return ExampleConfig, &ic.Config, up.SimpleUpgrader(upgradeConfig)
}
