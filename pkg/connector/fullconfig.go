package connector

import (
	"fmt"
	"strings"
	"text/template"

	up "go.mau.fi/util/configupgrade"
	"maunium.net/go/mautrix/bridgev2/matrix/mxmain"

	"github.com/igbridge/igbridge/internal/sqliteuri"
)

// SQLiteURI is the database URI the example config uses (internal/sqliteuri says why each
// parameter is there).
var SQLiteURI = sqliteuri.File("igbridge.db")

// directModeDefaults sets the keys of mxmain's skeleton whose defaults are wrong for a bridge that
// answers in ordinary rooms instead of owning portals (see docs: architecture, "direct mode").
func directModeDefaults(helper up.Helper) {
	helper.Set(up.Str, "sqlite", "database", "type")
	helper.Set(up.Str, SQLiteURI, "database", "uri")
	helper.Set(up.Str, "http://127.0.0.1:29330", "appservice", "address")
	helper.Set(up.Str, "igbridge", "appservice", "id")
	helper.Set(up.Str, "ig-bot", "appservice", "bot", "username")
	helper.Set(up.Str, "Instagram bridge bot", "appservice", "bot", "displayname")
	helper.Set(up.Str, "", "appservice", "bot", "avatar")
	helper.Set(up.Str, "ig_{{.}}", "appservice", "username_template")
	helper.Set(up.Bool, "false", "appservice", "ephemeral_events")
	helper.Set(up.Bool, "false", "appservice", "async_transactions")
	helper.Set(up.Bool, "false", "bridge", "personal_filtering_spaces")
	helper.Set(up.Bool, "false", "bridge", "kick_matrix_users")
	helper.Set(up.Bool, "false", "bridge", "cleanup_on_logout", "enabled")
	helper.Set(up.Bool, "false", "bridge", "relay", "enabled")
	helper.Set(up.Bool, "false", "bridge", "resend_bridge_info")
	helper.Set(up.Bool, "false", "matrix", "message_status_events")
	helper.Set(up.Bool, "false", "matrix", "delivery_receipts")
	helper.Set(up.Bool, "false", "matrix", "message_error_notices")
	helper.Set(up.Bool, "false", "homeserver", "async_media")
	helper.Set(up.Bool, "false", "backfill", "enabled")
	// The bridge has no logins, so the provisioning API has nothing to offer.
	helper.Set(up.Str, "disable", "provisioning", "shared_secret")
	// Encrypted rooms are answered; conduwuit lacks MSC2409/MSC3202, so the bot uses a legacy /sync loop.
	helper.Set(up.Bool, "true", "encryption", "allow")
	helper.Set(up.Bool, "false", "encryption", "appservice")
}

// FullExampleConfig is the complete example config that `igbridge -e` writes: mxmain's skeleton with
// the network section and directModeDefaults applied. The repository's example-config.yaml equals it.
func FullExampleConfig() (string, error) {
	tpl, err := template.New("example-config.yaml").Delims("$<<", ">>").Parse(mxmain.MatrixExampleConfigBase)
	if err != nil {
		return "", fmt.Errorf("failed to parse mxmain example config: %w", err)
	}
	var buf strings.Builder
	buf.WriteString("# Network-specific config options\nnetwork:\n")
	for line := range strings.SplitSeq(ExampleConfig, "\n") {
		buf.WriteString("    " + line + "\n")
	}
	buf.WriteString("\n")
	if err = tpl.Execute(&buf, (&Connector{}).GetName()); err != nil {
		return "", fmt.Errorf("failed to render mxmain example config: %w", err)
	}
	rendered := buf.String()
	out, err := up.DoBytes([]byte(rendered), up.MergeUpgraders(rendered), up.SimpleUpgrader(directModeDefaults))
	if err != nil {
		return "", fmt.Errorf("failed to apply direct mode defaults: %w", err)
	}
	return string(out), nil
}
