package connector

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/rs/zerolog"
	"go.mau.fi/util/dbutil"
	"gopkg.in/yaml.v3"
	"maunium.net/go/mautrix"

	"github.com/igbridge/igbridge/internal/sqliteuri"
	"github.com/igbridge/igbridge/pkg/media"
)

// CheckDatabaseConfig refuses a SQLite URI that lacks the parameters the bridge needs, naming them.
func CheckDatabaseConfig(cfg dbutil.Config) error {
	if !strings.HasPrefix(cfg.Type, "sqlite") {
		return nil
	}
	if missing := sqliteuri.Missing(cfg.URI); len(missing) > 0 {
		return fmt.Errorf("database.uri lacks %s (example: %s)", strings.Join(missing, ", "), SQLiteURI)
	}
	return nil
}

// CheckPickleKey refuses a read-only config (mxmain's -n) whose encryption.pickle_key is still
// "generate": mxmain would make up a new key at every start without saving it, and the crypto
// store written with the old key could not be opened after a restart. A key set through the
// environment (env_config_prefix, e.g. IGBRIDGE_ENCRYPTION__PICKLE_KEY_FILE) is fine.
func CheckPickleKey(configPath string, saved, encryption bool, envPrefix string) error {
	if saved || !encryption {
		return nil
	}
	if envPrefix != "" && (os.Getenv(envPrefix+"ENCRYPTION__PICKLE_KEY") != "" || os.Getenv(envPrefix+"ENCRYPTION__PICKLE_KEY_FILE") != "") {
		return nil
	}
	data, err := os.ReadFile(configPath)
	if err != nil {
		return fmt.Errorf("failed to read config: %w", err)
	}
	var cfg struct {
		Encryption struct {
			PickleKey string `yaml:"pickle_key"`
		} `yaml:"encryption"`
	}
	if err = yaml.Unmarshal(data, &cfg); err != nil {
		return fmt.Errorf("failed to parse config: %w", err)
	}
	if cfg.Encryption.PickleKey == "generate" {
		return fmt.Errorf("encryption.pickle_key is \"generate\", but -n keeps the config read-only, so a new key " +
			"would be made at every start and the encryption store could not be read after a restart: " +
			"set a fixed random key (or pass one with env_config_prefix)")
	}
	return nil
}

// RegisterBot registers the bot user before the Matrix connector starts: conduwuit does not create
// the appservice's bot by itself, and the connector's first /whoami would fail without it.
// M_USER_IN_USE means it exists, which is fine; other failures are left to the connector's own
// start-up checks, which wait for an unreachable homeserver. It tries only once, because the
// appservice listener, and the health endpoint on it, start after it: retries would keep them down
// while the homeserver is. So on conduwuit a very first start without the homeserver ends at the
// connector's /whoami once it is back, and the service manager's restart registers the bot. (The
// intent's EnsureRegistered cannot be used yet: it consults the state store, whose tables are
// created when the connector starts.)
func (ic *Connector) RegisterBot(ctx context.Context) {
	err := ic.mc.Bot.Register(mautrix.WithMaxRetries(ctx, 0))
	if err != nil && !errors.Is(err, mautrix.MUserInUse) {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("Failed to register the bot user; continuing")
	}
}

// startExtractor starts the yt-dlp worker pool, or the per-link command when the worker cannot
// run, and says in the log which one it is and what is wrong.
func (ic *Connector) startExtractor(ctx context.Context) {
	ic.extractor, ic.extractorStatus = media.NewExtractor(ctx, media.ExtractorConfig{
		Ytdlp: media.YtdlpConfig{
			Python:      ic.Config.Ytdlp.Python,
			Command:     ic.Config.Ytdlp.Command,
			CookiesFile: ic.Config.CookiesFile,
			Proxy:       ic.Config.Proxy,
			CAFile:      ic.Config.CAFile,
			Timeout:     ic.Config.Ytdlp.Timeout,
			MaxItems:    ic.Config.MaxItems,
			Pacer:       ic.pacer,
		},
		Workers:     ic.Config.Ytdlp.Workers,
		MaxRequests: ic.Config.Ytdlp.WorkerMaxRequests,
	})
	log := zerolog.Ctx(ctx).With().Str("yt_dlp", ic.extractorStatus.String()).Logger()
	if ic.extractorStatus.Problem != "" {
		log.Error().Msg("yt-dlp is not working as it should; see network.ytdlp in the config")
	} else {
		log.Info().Msg("yt-dlp is ready")
	}
	if len(ic.Config.Ytdlp.Command) == 0 && ic.Config.Ytdlp.Workers < ic.Config.Queue.Workers {
		// One room runs one job at a time, so this many workers keep a hanging post in one room
		// from holding up the others.
		log.Warn().Int("ytdlp_workers", ic.Config.Ytdlp.Workers).Int("queue_workers", ic.Config.Queue.Workers).
			Msg("Fewer yt-dlp workers than queue workers: a post that hangs in one room delays every other room's links")
	}
}
