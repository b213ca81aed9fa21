package connector

import (
	"context"
	"fmt"
	"time"

	"github.com/igbridge/igbridge/pkg/metrics"
)

// startMetrics serves the metrics when the config asks for it. It runs in Start, before the
// queue starts, so that a port in use stops the bridge before it answers anything.
func (ic *Connector) startMetrics(ctx context.Context) error {
	if !ic.Config.Metrics.Enabled {
		return nil
	}
	var err error
	if ic.metricsServer, err = ic.metrics.Listen(ctx, ic.Config.Metrics.Listen); err != nil {
		return fmt.Errorf("failed to start the metrics listener: %w", err)
	}
	return nil
}

// metricsState is what the metrics read from the connector at each scrape.
type metricsState struct{ ic *Connector }

var _ metrics.State = metricsState{}

func (ms metricsState) QueueDepth(ctx context.Context) (int, error) {
	counts, err := ms.ic.queue.Counts(ctx)
	return counts.Pending + counts.Running, err
}

func (ms metricsState) WorkerRestarts() int64 {
	return ms.ic.workerRestarts()
}

func (ms metricsState) CooldownActive() bool {
	return ms.ic.pacer.CooldownUntil().After(time.Now())
}
