package connector

import (
	"sync"
	"time"

	"maunium.net/go/mautrix/id"
)

// overCapNoticeEvery is how often one sender hears in one room that their links were skipped: the
// notice says "try again in a minute", so a sender who keeps posting meanwhile gets no more bot
// messages, one per message, which would be the spam the caps are there to stop.
const overCapNoticeEvery = time.Minute

type overCapKey struct {
	room   id.RoomID
	sender id.UserID
}

// overCapNotices remembers when each sender was last told, per room. Entries older than
// overCapNoticeEvery are dropped as new ones come, so it holds only the last minute's senders.
type overCapNotices struct {
	mu   sync.Mutex
	last map[overCapKey]time.Time
}

// allow reports whether sender may be told now in room, and if so records that they were.
func (n *overCapNotices) allow(room id.RoomID, sender id.UserID, now time.Time) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	key := overCapKey{room, sender}
	if at, ok := n.last[key]; ok && now.Sub(at) < overCapNoticeEvery {
		return false
	}
	if n.last == nil {
		n.last = map[overCapKey]time.Time{}
	}
	for k, at := range n.last {
		if now.Sub(at) >= overCapNoticeEvery {
			delete(n.last, k)
		}
	}
	n.last[key] = now
	return true
}
