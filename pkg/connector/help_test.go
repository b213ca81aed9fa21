package connector

import (
	"strings"
	"testing"
	"unicode/utf8"

	"maunium.net/go/mautrix/bridgev2/commands"
	"maunium.net/go/mautrix/bridgev2/matrix"
)

// TestBuiltinCommandsDecided: every command bridgev2 (commands.NewProcessor and the matrix
// connector, go.mod's version) registers, and each alias, is either offered or refused with a
// reason, so none falls through to bridgev2 or to the "Not a command" hint.
func TestBuiltinCommandsDecided(t *testing.T) {
	builtins := []*commands.FullHandler{
		commands.CommandHelp, commands.CommandCancel,
		commands.CommandRegisterPush, commands.CommandSendAccountData, commands.CommandResetNetwork,
		commands.CommandDeletePortal, commands.CommandDeleteAllPortals, commands.CommandSetManagementRoom,
		commands.CommandLogin, commands.CommandRelogin, commands.CommandListLogins, commands.CommandLogout,
		commands.CommandSetPreferredLogin, commands.CommandSetRelay, commands.CommandUnsetRelay,
		commands.CommandResolveIdentifier, commands.CommandStartChat, commands.CommandCreateGroup,
		commands.CommandSearch, commands.CommandCreatePortal, commands.CommandID, commands.CommandUnbridge,
		commands.CommandBridge, commands.CommandSyncChat, commands.CommandMute, commands.CommandDeleteChat,
		commands.CommandBlockUser, commands.CommandFilter, commands.CommandSudo, commands.CommandDoIn,
		commands.CommandImportImagePack,
		matrix.CommandDiscardMegolmSession, matrix.CommandSetPowerLevel,
		matrix.CommandLoginMatrix, matrix.CommandPingMatrix, matrix.CommandLogoutMatrix,
	}
	for _, handler := range builtins {
		for _, name := range append([]string{handler.Name}, handler.Aliases...) {
			_, refused := refusedCommands[name]
			if offered := offeredCommands[name] || name == "help"; offered == refused {
				t.Errorf("built-in %q: offered %v, refused %v; want exactly one", name, offered, refused)
			}
		}
	}
}

func TestHelpText(t *testing.T) {
	help := helpText("!ig", loadExampleConfig(t))
	t.Log(help)
	if n := utf8.RuneCountInString(help); n >= 1000 || !strings.HasPrefix(help, "I answer Instagram links.") {
		t.Fatalf("help (%d characters) must start with what the bot does and stay under 1000", n)
	}
	for name := range offeredCommands {
		if !strings.Contains(help, "`"+name) {
			t.Errorf("help does not list the offered command %q", name)
		}
	}
	for name := range refusedCommands {
		if strings.Contains(help, "`"+name+"`") || strings.Contains(help, "`"+name+" ") {
			t.Errorf("help offers the refused command %q", name)
		}
	}
}
