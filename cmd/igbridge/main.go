// Command igbridge is a Matrix appservice that answers Instagram links in rooms with the media.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	_ "modernc.org/sqlite"

	"maunium.net/go/mautrix/bridgev2/matrix/mxmain"

	"github.com/igbridge/igbridge/pkg/connector"
)

// Set by the linker (-X main.Tag=… -X main.Commit=… -X main.BuildTime=…).
var (
	Tag       = "unknown"
	Commit    = "unknown"
	BuildTime = "unknown"
)

func main() {
	if handled := handleOwnFlags(os.Args[1:]); handled {
		return
	}
	c := &connector.Connector{}
	m := mxmain.BridgeMain{
		Name:        "igbridge",
		Description: "A Matrix bridge that answers Instagram links with the post's media.",
		URL:         "https://github.com/igbridge/igbridge",
		Version:     "0.1.0",
		DBOwner:     "igbridge",
		Connector:   c,
	}
	m.PostInit = func() {
		for _, err := range []error{
			connector.CheckDatabaseConfig(m.Config.Database),
			connector.CheckPickleKey(m.ConfigPath, m.SaveConfig, m.Config.Encryption.Allow, m.Config.EnvConfigPrefix),
		} {
			if err != nil {
				fmt.Fprintln(os.Stderr, "Configuration error:", err)
				os.Exit(11)
			}
		}
		ctx, cancel := context.WithTimeout(m.Log.WithContext(context.Background()), 30*time.Second)
		defer cancel()
		c.RegisterBot(ctx)
	}
	m.InitVersion(Tag, Commit, BuildTime)
	run(&m, c)
}
