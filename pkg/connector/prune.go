package connector

import (
	"context"
	"time"

	"github.com/rs/zerolog"
)

// pruneInterval is how often expired cache entries and old finished jobs are deleted.
const pruneInterval = time.Hour

// pruneLoop keeps the tables that grow with use bounded: the media and failure caches by their
// expiry, the jobs and their replies by network.queue.retention.
func (ic *Connector) pruneLoop(ctx context.Context) {
	ticker := time.NewTicker(pruneInterval)
	defer ticker.Stop()
	for {
		if err := ic.cache.Prune(ctx); err != nil {
			zerolog.Ctx(ctx).Err(err).Msg("Failed to prune the media cache")
		}
		if n, err := ic.queue.Prune(ctx); err != nil {
			zerolog.Ctx(ctx).Err(err).Msg("Failed to prune old jobs")
		} else if n > 0 {
			zerolog.Ctx(ctx).Info().Int("jobs", n).Msg("Pruned old finished jobs")
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
