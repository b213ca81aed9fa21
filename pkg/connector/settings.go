package connector

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/id"
)

// roomSetting is one setting room moderators change with `set <name> <value>`. A room keeps only
// the settings it changed, in their stored form; the others take the config's default.
type roomSetting struct {
	name string
	// parse checks a typed value and returns its stored form, or the one line the room sees.
	parse func(value string, cfg *Config) (string, error)
	// byDefault is the config's value in stored form.
	byDefault func(cfg *Config) string
	// meaning explains the effective value in `settings`.
	meaning func(value string) string
}

// resetValue sets a setting back to the config's default.
const resetValue = "default"

// roomSettings are in the order `settings` shows them.
var roomSettings = []roomSetting{
	{
		name:      "auto",
		parse:     parseChoice("auto", "on", "off"),
		byDefault: func(cfg *Config) string { return onOff(cfg.RoomDefaults.Auto) },
		meaning: func(value string) string {
			if value == "on" {
				return "links are answered as they are posted"
			}
			return "links are answered only with `get <link>`"
		},
	},
	{
		name:      "captions",
		parse:     parseChoice("captions", "on", "off"),
		byDefault: func(cfg *Config) string { return onOff(cfg.RoomDefaults.Captions) },
		meaning: func(value string) string {
			if value == "on" {
				return "answers carry the post's text"
			}
			return "answers carry the account and link, not the post's text"
		},
	},
	{
		name:      "mode",
		parse:     parseChoice("mode", modeFull, modeMedia),
		byDefault: func(cfg *Config) string { return cfg.RoomDefaults.Mode },
		meaning: func(value string) string {
			if value == modeMedia {
				return "answers are the media alone, without any text"
			}
			return "answers are the media with account, text and link"
		},
	},
	{
		name:      "max-items",
		parse:     parseMaxItems,
		byDefault: func(cfg *Config) string { return strconv.Itoa(cfg.MaxItems) },
		meaning:   func(value string) string { return "at most " + value + " items of a carousel are posted" },
	},
}

// Values of the mode setting.
const (
	modeFull  = "full"
	modeMedia = "media"
)

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// findSetting returns the setting of a typed name.
func findSetting(name string) (*roomSetting, error) {
	name = strings.ToLower(name)
	for i := range roomSettings {
		if roomSettings[i].name == name {
			return &roomSettings[i], nil
		}
	}
	return nil, fmt.Errorf("there is no setting `%s`; the settings are %s", name, settingNames())
}

func settingNames() string {
	names := make([]string, len(roomSettings))
	for i, s := range roomSettings {
		names[i] = "`" + s.name + "`"
	}
	return strings.Join(names, ", ")
}

// parseSettingArgs reads the arguments of `set`: a setting and its value, or "default". The value
// is "" for a reset.
func parseSettingArgs(args []string, cfg *Config) (setting *roomSetting, value string, err error) {
	if len(args) != 2 {
		return nil, "", fmt.Errorf("usage: `set <setting> <value>`, e.g. `set captions off`; the settings are %s", settingNames())
	}
	if setting, err = findSetting(args[0]); err != nil {
		return nil, "", err
	}
	if strings.EqualFold(args[1], resetValue) {
		return setting, "", nil
	}
	value, err = setting.parse(args[1], cfg)
	return setting, value, err
}

func parseChoice(name string, choices ...string) func(string, *Config) (string, error) {
	return func(value string, _ *Config) (string, error) {
		value = strings.ToLower(value)
		for _, choice := range choices {
			if value == choice {
				return value, nil
			}
		}
		return "", fmt.Errorf("`%s` is %s (or `%s`)", name, "`"+strings.Join(choices, "` or `")+"`", resetValue)
	}
}

func parseMaxItems(value string, cfg *Config) (string, error) {
	n, err := strconv.Atoi(value)
	if err != nil || n < 1 || n > cfg.MaxItems {
		return "", fmt.Errorf("`max-items` is a number from 1 to %d (or `%s`)", cfg.MaxItems, resetValue)
	}
	return strconv.Itoa(n), nil
}

// roomOptions are a room's effective settings, as the answers use them.
type roomOptions struct {
	Auto      bool
	Captions  bool
	MediaOnly bool
	MaxItems  int
}

// effectiveValue is a room's value of a setting in stored form and whether it is the default. A
// stored value the config no longer allows (max_items was lowered) takes the default.
func (cfg *Config) effectiveValue(s *roomSetting, stored map[string]string) (value string, isDefault bool) {
	if v, ok := stored[s.name]; ok {
		if parsed, err := s.parse(v, cfg); err == nil {
			return parsed, false
		}
	}
	return s.byDefault(cfg), true
}

// optionsFor returns the effective settings of a room from the settings it changed.
func (cfg *Config) optionsFor(stored map[string]string) roomOptions {
	value := func(name string) string {
		s, _ := findSetting(name)
		v, _ := cfg.effectiveValue(s, stored)
		return v
	}
	maxItems, _ := strconv.Atoi(value("max-items"))
	return roomOptions{
		Auto:      value("auto") == "on",
		Captions:  value("captions") == "on",
		MediaOnly: value("mode") == modeMedia,
		MaxItems:  maxItems,
	}
}

// optionsOf returns the effective settings of a room; a room that cannot be read takes the defaults.
func (ic *Connector) optionsOf(ctx context.Context, roomID id.RoomID) roomOptions {
	room, err := ic.rooms.Get(ctx, roomID)
	if err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("Failed to read the room's settings, using the defaults")
	}
	var stored map[string]string
	if room != nil {
		stored = room.Settings
	}
	return ic.Config.optionsFor(stored)
}
