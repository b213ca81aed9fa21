package connector

import (
	"context"
	"net/http"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix"

	"github.com/igbridge/igbridge/pkg/health"
	"github.com/igbridge/igbridge/pkg/media"
	"github.com/igbridge/igbridge/pkg/queue"
)

// startHealth serves the health report on the appservice listener and starts watching the
// homeserver. Both begin in Init, because the listener is up while the Matrix connector is
// still waiting for the homeserver at start, and the report should say that it is.
func (ic *Connector) startHealth() {
	ic.homeserver = health.NewHomeserverCheck(ic.pingHomeserver, ic.Config.Health.CheckInterval)
	log := ic.Bridge.Log.With().Str("component", "health").Logger()
	ctx, cancel := context.WithCancel(log.WithContext(context.Background()))
	ic.stopHealth = cancel
	go ic.homeserver.Run(ctx)
	ic.mc.AS.Router.Handle("GET "+health.Path, health.Handler(ic.healthReport, health.Limits{
		MaxFailureRate: ic.Config.Health.MaxFailureRate,
		MinJobs:        ic.Config.Health.MinRecentJobs,
	}))
}

// pingHomeserver asks the homeserver for its versions, as the Matrix connector does at start.
// Bot.Versions is not used because it would replace the client's spec versions from another
// goroutine. It tries once and logs nothing: the check logs when reachability changes.
func (ic *Connector) pingHomeserver(ctx context.Context) error {
	nop := zerolog.Nop()
	var versions mautrix.RespVersions
	_, err := ic.mc.Bot.MakeFullRequest(nop.WithContext(ctx), mautrix.FullRequest{
		Method:       http.MethodGet,
		URL:          ic.mc.Bot.HomeserverURL.JoinPath("_matrix", "client", "versions").String(),
		ResponseJSON: &versions,
		MaxAttempts:  1,
		Logger:       &nop,
	})
	return err
}

// healthReport is the bridge's state for the health endpoint.
func (ic *Connector) healthReport(ctx context.Context) health.Report {
	report := health.Report{Started: ic.started.Load(), Homeserver: ic.homeserver.State()}
	if until := ic.pacer.CooldownUntil(); !until.IsZero() {
		report.Cooldown = health.Cooldown{Active: true, Until: until}
	}
	if !report.Started {
		return report // the extractor and the queue's tables are set up by Start
	}
	report.Extractor = &health.Extractor{
		Mode:           string(ic.extractorStatus.Mode),
		Version:        ic.extractorStatus.Version,
		Problem:        ic.extractorStatus.Problem,
		WorkerRestarts: ic.workerRestarts(),
	}
	counts, err := ic.queue.Counts(ctx)
	if err != nil {
		ic.Bridge.Log.Err(err).Msg("Failed to count jobs for the health report")
		report.Queue = &health.Queue{Error: err.Error()}
	} else {
		report.Queue = health.NewQueue(counts.Pending, counts.Running, counts.RecentFailures, counts.RecentTotal, queue.RecentWindow)
	}
	if problem, err := ic.instagramTrouble(ctx); err != nil {
		ic.Bridge.Log.Err(err).Msg("Failed to read recent links for the health report")
	} else {
		report.Instagram = &health.Instagram{Problem: problem}
	}
	return report
}

// workerRestarts counts the yt-dlp workers replaced so far; the command line has no workers.
func (ic *Connector) workerRestarts() int64 {
	if pool, ok := ic.extractor.(*media.WorkerPool); ok {
		return pool.Restarts()
	}
	return 0
}
