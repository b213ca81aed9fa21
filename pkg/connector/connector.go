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
	"maunium.net/go/mautrix/bridgev2"
	"maunium.net/go/mautrix/bridgev2/database"
	"maunium.net/go/mautrix/bridgev2/matrix"
	"maunium.net/go/mautrix/event"

	"github.com/igbridge/igbridge/pkg/connector/upgrades"
	"github.com/igbridge/igbridge/pkg/media"
)

// Connector is the igbridge network connector.
type Connector struct {
	Bridge *bridgev2.Bridge
	Config Config
	DB     *dbutil.Database

	mc         *matrix.Connector
	rooms      *roomStore
	jobs       *jobStore
	ytdlp      *media.Ytdlp
	downloader *media.Downloader
	workers    chan struct{}
	inFlight   sync.WaitGroup
	// linkMessages holds management-room messages that are links, not commands (see markLinkMessage).
	linkMessages sync.Map

	// maxFileSize is the smaller of network.media.max_size and the homeserver's m.upload.size
	// (bridgev2 reports the latter once it has asked the homeserver).
	maxFileSize  atomic.Int64
	ytdlpVersion atomic.Value // string
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
	ic.jobs = &jobStore{db: ic.DB}
	ic.maxFileSize.Store(ic.Config.Media.MaxSize)
	ic.ytdlpVersion.Store("unknown")
	ic.workers = make(chan struct{}, ic.Config.Concurrency)
	ic.mc = bridge.Matrix.(*matrix.Connector)
	ic.mc.AS.Middleware = append([]exhttp.Middleware{hsTokenFromQuery(ic.mc.AS.Registration.ServerToken)}, ic.mc.AS.Middleware...)
	ic.mc.EventProcessor.PrependHandler(event.EventMessage, ic.handleMessage)
	ic.mc.EventProcessor.On(event.StateMember, ic.handleMember)
	ic.registerCommands()
}

func (ic *Connector) ValidateConfig() error {
	return ic.Config.Validate()
}

func (ic *Connector) Start(ctx context.Context) error {
	if err := ic.DB.Upgrade(ctx); err != nil {
		return bridgev2.DBUpgradeError{Section: "igbridge", Err: err}
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
	ic.ytdlp = media.NewYtdlp(media.YtdlpConfig{
		Python:      ic.Config.Ytdlp.Python,
		Command:     ic.Config.Ytdlp.Command,
		CookiesFile: ic.Config.CookiesFile,
		Proxy:       ic.Config.Proxy,
		CAFile:      ic.Config.CAFile,
		Timeout:     ic.Config.Ytdlp.Timeout,
		MaxItems:    ic.Config.MaxItems,
	})
	ic.checkYtdlp(ctx)
	ic.routeManagementRoomLinks()
	return nil
}

// Stop waits for links being answered, so a reply is not cut off halfway through a carousel.
func (ic *Connector) Stop() {
	ic.inFlight.Wait()
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
