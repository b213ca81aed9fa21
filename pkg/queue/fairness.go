package queue

import "maunium.net/go/mautrix/id"

// roundRobin picks, among the rooms whose next job may start, the one served least recently, so a
// busy room cannot starve the others. It lives in memory: after a restart every room starts even.
type roundRobin struct {
	turn   uint64
	served map[id.RoomID]uint64 // the turn a room was last served in; absent means never
}

func newRoundRobin() *roundRobin {
	return &roundRobin{served: make(map[id.RoomID]uint64)}
}

// choose returns the head to start now, or nil and the Unix millisecond time at which the
// earliest waiting head may start (0 when none waits). Ties go to the older job.
func (rr *roundRobin) choose(heads []head, now int64) (best *head, wakeAt int64) {
	for i := range heads {
		h := &heads[i]
		if h.notBefore > now {
			if wakeAt == 0 || h.notBefore < wakeAt {
				wakeAt = h.notBefore
			}
			continue
		}
		if best == nil || rr.before(h, best) {
			best = h
		}
	}
	if best != nil {
		return best, 0
	}
	return nil, wakeAt
}

func (rr *roundRobin) before(a, b *head) bool {
	sa, sb := rr.served[a.roomID], rr.served[b.roomID]
	if sa != sb {
		return sa < sb
	}
	return a.id < b.id
}

func (rr *roundRobin) serve(roomID id.RoomID) {
	rr.turn++
	rr.served[roomID] = rr.turn
}

// forget drops the rooms that have nothing waiting and nothing running, so the map does not grow
// with every room the bridge ever answered in. Such a room counts as never served when it posts
// again, which is fair: it had nothing in line.
func (rr *roundRobin) forget(heads []head, running map[id.RoomID]int) {
	waiting := make(map[id.RoomID]struct{}, len(heads))
	for _, h := range heads {
		waiting[h.roomID] = struct{}{}
	}
	for roomID := range rr.served {
		_, isWaiting := waiting[roomID]
		if !isWaiting && running[roomID] == 0 {
			delete(rr.served, roomID)
		}
	}
}
