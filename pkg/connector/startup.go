package connector

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"go.mau.fi/util/dbutil"
	"maunium.net/go/mautrix"
)

// sqliteParams are the URI parameters the SQLite database needs with modernc's driver: immediate
// write transactions (else concurrent writers fail with "database is locked"), the settings
// mattn's sqlite3-fk-wal driver would set, and SQLite's own time format, which the crypto store's
// unixepoch() queries rely on.
var sqliteParams = []string{
	"_txlock=immediate",
	"_pragma=foreign_keys(1)",
	"_pragma=journal_mode(WAL)",
	"_pragma=synchronous(NORMAL)",
	"_pragma=busy_timeout(5000)",
	"_time_format=sqlite",
}

// CheckDatabaseConfig refuses a SQLite URI that lacks the parameters the bridge needs, naming them.
func CheckDatabaseConfig(cfg dbutil.Config) error {
	if !strings.HasPrefix(cfg.Type, "sqlite") {
		return nil
	}
	var missing []string
	for _, param := range sqliteParams {
		if !strings.Contains(cfg.URI, param) {
			missing = append(missing, param)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("database.uri lacks %s (example: %s)", strings.Join(missing, ", "), SQLiteURI)
	}
	return nil
}

// RegisterBot registers the bot user before the Matrix connector starts: conduwuit does not create
// the appservice's bot by itself, and the connector's first /whoami would fail without it.
// M_USER_IN_USE means it exists, which is fine; other failures are left to the connector's own
// start-up checks, which wait for an unreachable homeserver. (The intent's EnsureRegistered cannot
// be used yet: it consults the state store, whose tables are created when the connector starts.)
func (ic *Connector) RegisterBot(ctx context.Context) {
	err := ic.mc.Bot.Register(ctx)
	if err != nil && !errors.Is(err, mautrix.MUserInUse) {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("Failed to register the bot user; continuing")
	}
}

// minYtdlpVersion is the first yt-dlp release with today's Instagram extractor.
const minYtdlpVersion = "2026.07"

// checkYtdlp logs the yt-dlp version, or says clearly why yt-dlp cannot run or is too old.
func (ic *Connector) checkYtdlp(ctx context.Context) {
	log := zerolog.Ctx(ctx)
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	version, err := ic.ytdlp.Version(ctx)
	if err != nil {
		ic.ytdlpVersion.Store("not working: " + err.Error())
		log.Error().Err(err).
			Str("python", ic.Config.Ytdlp.Python).
			Strs("command", ic.Config.Ytdlp.Command).
			Msg("yt-dlp cannot run; set network.ytdlp.python or network.ytdlp.command. Links will fail until it works")
		return
	}
	if version < minYtdlpVersion {
		ic.ytdlpVersion.Store(version + " (too old, need " + minYtdlpVersion + " or newer)")
		log.Error().Str("version", version).Str("minimum", minYtdlpVersion).
			Msg("yt-dlp is too old for Instagram's current pages; install a newer one")
		return
	}
	ic.ytdlpVersion.Store(version)
	log.Info().Str("version", version).Msg("yt-dlp is ready")
}
