// Package connector is the Matrix side of igbridge: a bridgev2 network connector in "direct mode".
// It watches ordinary rooms the bot was invited to and answers Instagram links there, without
// turning rooms into portals.
package connector

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"go.mau.fi/util/dbutil"
	"go.mau.fi/util/exhttp"
	"golang.org/x/sync/singleflight"
	"maunium.net/go/mautrix/bridgev2"
	"maunium.net/go/mautrix/bridgev2/database"
	"maunium.net/go/mautrix/bridgev2/matrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/igbridge/igbridge/pkg/connector/upgrades"
	"github.com/igbridge/igbridge/pkg/health"
	"github.com/igbridge/igbridge/pkg/media"
	"github.com/igbridge/igbridge/pkg/metrics"
	"github.com/igbridge/igbridge/pkg/pacing"
	"github.com/igbridge/igbridge/pkg/queue"
)

// Connector is the igbridge network connector.
type Connector struct {
	Bridge *bridgev2.Bridge
	Config Config
	DB     *dbutil.Database

	mc              *matrix.Connector
	rooms           *roomStore
	cache           *mediaCache
	queue           *queue.Queue
	pacer           *pacing.Pacer // the extractor and share resolver report to it; the connector only reads it
	shares          *media.ShareResolver
	overCap         overCapNotices
	extractor       media.Extractor
	extractorStatus media.ExtractorStatus
	downloader      *media.Downloader
	// ffmpeg is nil when it is not available; transcodeSlots bounds the re-encodes running at once.
	ffmpeg         *media.FFmpeg
	transcodeSlots chan struct{}
	// fetches lets concurrent jobs for the same post share one fetch and upload.
	fetches singleflight.Group
	// linkMessages holds management-room messages that are links, not commands (see claimFromCommands).
	linkMessages sync.Map
	// redacted holds messages redacted while their links were being answered (see handleRedaction).
	redacted sync.Map
	// messageLocks orders showing and taking back a message's progress reaction (see progress.go).
	messageLocks messageLocks
	alertLock    sync.Mutex

	// maxFileSize is the smaller of network.media.max_size and the homeserver's m.upload.size
	// (bridgev2 reports the latter once it has asked the homeserver).
	maxFileSize atomic.Int64

	metrics       *metrics.Metrics
	metricsServer *metrics.Server // nil unless network.metrics.enabled
	homeserver    *health.HomeserverCheck
	stopHealth    context.CancelFunc
	// started is set once Start has set up everything links need, for the health report.
	started atomic.Bool
	inbox   *inbox
	// eventsFull remembers whether the appservice event channel was full at the last liveness check.
	eventsFull atomic.Bool
}

var (
	_ bridgev2.NetworkConnector        = (*Connector)(nil)
	_ bridgev2.MaxFileSizeingNetwork   = (*Connector)(nil)
	_ bridgev2.ConfigValidatingNetwork = (*Connector)(nil)
	_ bridgev2.StoppableNetwork        = (*Connector)(nil)
)

// ErrNoLogins is returned for login attempts: the bridge reads public Instagram posts and has no user logins.
var ErrNoLogins = errors.New("igbridge has no Instagram logins; invite the bot to a room and post a link")

func (ic *Connector) GetName() bridgev2.BridgeName {
	return bridgev2.BridgeName{
		DisplayName:          "Instagram",
		NetworkURL:           "https://www.instagram.com",
		NetworkID:            "instagram",
		BeeperBridgeType:     "github.com/igbridge/igbridge",
		DefaultPort:          29330,
		DefaultCommandPrefix: "!ig",
	}
}

func (ic *Connector) Init(bridge *bridgev2.Bridge) {
	ic.Bridge = bridge
	ic.DB = bridge.DB.Database.Child("igbridge_version", upgrades.Table,
		dbutil.ZeroLogger(bridge.Log.With().Str("db_section", "igbridge").Logger()))
	ic.rooms = newRoomStore(ic.DB)
	ic.cache = &mediaCache{db: ic.DB}
	ic.maxFileSize.Store(ic.Config.Media.MaxSize)
	ic.queue = queue.New(bridge.DB.Database, queue.Config{
		DBLog:             dbutil.ZeroLogger(bridge.Log.With().Str("db_section", "igbridge_queue").Logger()),
		Workers:           ic.Config.Queue.Workers,
		MaxAttempts:       ic.Config.Retry.MaxAttempts,
		BackoffBase:       ic.Config.Retry.BaseDelay,
		BackoffMax:        ic.Config.Retry.MaxDelay,
		MaxPendingPerRoom: ic.Config.Queue.MaxPendingPerRoom,
		MaxPendingPerUser: ic.Config.Queue.MaxPendingPerUser,
		Retention:         ic.Config.Queue.Retention,
	}, ic.answerJob)
	ic.pacer = pacing.New(pacing.Config{
		RequestsPerMinute: ic.Config.RateLimit.RequestsPerMinute,
		MinInterval:       ic.Config.RateLimit.MinInterval,
		CooldownInitial:   ic.Config.RateLimit.Cooldown,
		CooldownMax:       ic.Config.RateLimit.MaxCooldown,
	}, nil)
	ic.mc = bridge.Matrix.(*matrix.Connector)
	ic.inbox = newInbox(func(userID id.UserID) bool {
		return userID == ic.Bridge.Bot.GetMXID() || bridge.IsGhostMXID(userID)
	})
	ic.mc.AS.Middleware = append([]exhttp.Middleware{hsTokenFromQuery(ic.mc.AS.Registration.ServerToken), ic.inboxMiddleware}, ic.mc.AS.Middleware...)
	ic.mc.EventProcessor.PrependHandler(event.EventMessage, ic.inboxed(ic.handleMessage))
	ic.mc.EventProcessor.On(event.StateMember, ic.handleMember)
	ic.mc.EventProcessor.On(event.EventRedaction, ic.inboxed(ic.handleRedaction))
	ic.mc.EventProcessor.On(event.EventReaction, ic.inboxed(ic.handleReaction))
	for _, evtType := range inboxMarkerTypes {
		ic.mc.EventProcessor.On(evtType, ic.markHandled)
	}
	// After bridgev2's own handler, which decrypts.
	ic.mc.EventProcessor.On(event.EventEncrypted, ic.giveUpDecrypting)
	ic.registerCommands()
	ic.installWelcome()
	ic.metrics = metrics.New(metricsState{ic})
	ic.startHealth()
}

func (ic *Connector) ValidateConfig() error {
	return ic.Config.Validate()
}

func (ic *Connector) Start(ctx context.Context) error {
	if err := ic.DB.Upgrade(ctx); err != nil {
		return bridgev2.DBUpgradeError{Section: "igbridge", Err: err}
	}
	if err := ic.queue.Upgrade(ctx); err != nil {
		return bridgev2.DBUpgradeError{Section: "igbridge_queue", Err: err}
	}
	var err error
	ic.downloader, err = media.NewDownloader(media.DownloaderConfig{
		Proxy:   ic.Config.Proxy,
		CAFile:  ic.Config.CAFile,
		MaxSize: ic.Config.Media.MaxSize,
		Timeout: ic.Config.Media.Timeout,
	})
	if err != nil {
		return fmt.Errorf("failed to set up media downloads: %w", err)
	}
	// The downloader's client has the configured proxy and trust.
	ic.shares = &media.ShareResolver{Client: ic.downloader.Client, Pacer: ic.pacer, Timeout: ic.Config.Ytdlp.Timeout}
	// Upload buffers and yt-dlp's files go where the next start finds them after a SIGKILL.
	if err = media.UseScratchAsTemp(ctx); err != nil {
		return err
	}
	ic.startExtractor(ctx)
	ic.startFFmpeg(ctx)
	ic.installCommandFront()
	go ic.pruneLoop(ic.Bridge.BackgroundCtx)
	if err = ic.startMetrics(ctx); err != nil {
		return err
	}
	// Everything the handlers use is set up by now.
	if err = ic.replayInbox(ctx); err != nil {
		return fmt.Errorf("failed to replay the events of before the stop: %w", err)
	}
	if err = ic.queue.Start(ctx); err != nil {
		return fmt.Errorf("failed to start the queue: %w", err)
	}
	go ic.sweepProgress(ic.Bridge.BackgroundCtx)
	ic.started.Store(true)
	return nil
}

// Stop lets the links being answered finish, so a carousel is not cut off halfway; what is
// still queued is answered after the next start.
func (ic *Connector) Stop() {
	ic.stopHealth()
	ic.queue.Stop()
	if ic.metricsServer != nil {
		if err := ic.metricsServer.Close(); err != nil {
			ic.Bridge.Log.Warn().Err(err).Msg("Failed to stop the metrics listener")
		}
	}
	if err := ic.extractor.Close(); err != nil {
		ic.Bridge.Log.Warn().Err(err).Msg("Failed to stop the yt-dlp workers")
	}
	if err := media.RemoveScratch(); err != nil {
		ic.Bridge.Log.Warn().Err(err).Msg("Failed to remove temporary files")
	}
}

func (ic *Connector) SetMaxFileSize(maxSize int64) {
	ic.maxFileSize.Store(min(maxSize, ic.Config.Media.MaxSize))
}

func (ic *Connector) GetDBMetaTypes() database.MetaTypes {
	return database.MetaTypes{}
}

func (ic *Connector) GetCapabilities() *bridgev2.NetworkGeneralCapabilities {
	return &bridgev2.NetworkGeneralCapabilities{}
}

func (ic *Connector) GetBridgeInfoVersion() (info, capabilities int) {
	return 1, 1
}

func (ic *Connector) LoadUserLogin(_ context.Context, _ *bridgev2.UserLogin) error {
	return ErrNoLogins
}

func (ic *Connector) GetLoginFlows() []bridgev2.LoginFlow {
	return nil
}

func (ic *Connector) CreateLogin(_ context.Context, _ *bridgev2.User, _ string) (bridgev2.LoginProcess, error) {
	return nil, ErrNoLogins
}
