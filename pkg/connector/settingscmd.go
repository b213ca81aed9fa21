package connector

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"maunium.net/go/mautrix/bridgev2/commands"
)

func (ic *Connector) settingsCommands() []commands.CommandHandler {
	return []commands.CommandHandler{
		&commands.FullHandler{
			Func: ic.cmdSet,
			Name: "set",
			Help: commands.HelpMeta{
				Section:     helpSectionRoom,
				Description: "Change a setting of this room (room moderators and bridge admins).",
				Args:        "<_setting_> <_value_>",
			},
		},
		&commands.FullHandler{
			Func: ic.cmdSettings,
			Name: "settings",
			Help: commands.HelpMeta{
				Section:     helpSectionRoom,
				Description: "Show this room's settings.",
			},
		},
	}
}

func (ic *Connector) cmdSet(ce *commands.Event) {
	room := ic.configurableRoom(ce)
	if room == nil {
		return
	}
	setting, value, err := parseSettingArgs(ce.Args, &ic.Config)
	if err != nil {
		ce.Reply("%s", sentence(err.Error()))
		return
	}
	if err = ic.rooms.SetSetting(ce.Ctx, ce.RoomID, setting.name, value); err != nil {
		ce.Log.Err(err).Msg("Failed to change room setting")
		ce.Reply("Failed to save the setting.")
		return
	}
	if value == "" {
		ce.Reply("`%s` is back to the default, %s: %s.", setting.name, setting.byDefault(&ic.Config),
			setting.meaning(setting.byDefault(&ic.Config)))
	} else {
		ce.Reply("`%s` is now %s: %s.", setting.name, value, setting.meaning(value))
	}
}

func (ic *Connector) cmdSettings(ce *commands.Event) {
	room := ic.watchedRoomOf(ce)
	if room == nil {
		return
	}
	var out strings.Builder
	fmt.Fprintf(&out, "Settings of this room (moderators change them with `set <setting> <value>`, `default` resets one):\n")
	for i := range roomSettings {
		setting := &roomSettings[i]
		value, isDefault := ic.Config.effectiveValue(setting, room.Settings)
		where := "set here"
		if isDefault {
			where = "default"
		}
		fmt.Fprintf(&out, "* `%s` %s (%s): %s\n", setting.name, value, where, setting.meaning(value))
	}
	if !room.Enabled {
		out.WriteString("* Links in this room are ignored until a moderator uses `enable`.\n")
	}
	ce.Reply("%s", out.String())
}

// sentence makes an error text the one line a room sees.
func sentence(text string) string {
	first, size := utf8.DecodeRuneInString(text)
	return string(unicode.ToUpper(first)) + text[size:] + "."
}
