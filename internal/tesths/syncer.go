package tesths

import (
	"errors"
	"time"

	"maunium.net/go/mautrix"
)

// syncRetry is the pause after a failed /sync. mautrix's default is 10 s,
// which would make every test that stops and restarts the homeserver slow.
const syncRetry = 100 * time.Millisecond

// syncer is mautrix's DefaultSyncer with a short retry pause. Embedding the
// pointer keeps it an ExtensibleSyncer and DispatchableSyncer, which the
// crypto helper needs.
type syncer struct {
	*mautrix.DefaultSyncer
}

func newSyncer() *syncer {
	return &syncer{DefaultSyncer: mautrix.NewDefaultSyncer()}
}

// OnFailedSync retries quickly, except when the token is gone for good.
func (s *syncer) OnFailedSync(_ *mautrix.RespSync, err error) (time.Duration, error) {
	if errors.Is(err, mautrix.MUnknownToken) {
		return 0, err
	}
	return syncRetry, nil
}
