package queue

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"go.mau.fi/util/dbutil"
	"maunium.net/go/mautrix/id"

	"github.com/igbridge/igbridge/internal/fakeclock"
)

// addRoomJobs queues n jobs in each room, a room at a time, and returns the job IDs per room.
func addRoomJobs(t *testing.T, q *Queue, perRoom map[id.RoomID]int, rooms []id.RoomID) map[id.RoomID][]int64 {
	ids := make(map[id.RoomID][]int64)
	for _, room := range rooms {
		for i := range perRoom[room] {
			ids[room] = append(ids[room], mustAdd(t, q, Job{
				RoomID:  room,
				EventID: id.EventID(fmt.Sprintf("$%s-%d", room[1:], i)),
				Sender:  id.UserID(fmt.Sprintf("@u%d:example.org", i)),
				LinkKey: "post:x",
				LinkURL: "https://www.instagram.com/p/x/",
			}))
		}
	}
	return ids
}

var fairRooms = []id.RoomID{"!a:example.org", "!b:example.org", "!c:example.org", "!d:example.org", "!e:example.org"}

var fairCounts = map[id.RoomID]int{fairRooms[0]: 15, fairRooms[1]: 4, fairRooms[2]: 4, fairRooms[3]: 4, fairRooms[4]: 3}

// roundRobinOrder is the order of rooms strict round-robin serves: each room with jobs left
// once per round, in the order the rooms first had jobs.
func roundRobinOrder(rooms []id.RoomID, counts map[id.RoomID]int) []id.RoomID {
	left := make(map[id.RoomID]int)
	total := 0
	for _, room := range rooms {
		left[room] = counts[room]
		total += counts[room]
	}
	var order []id.RoomID
	for len(order) < total {
		for _, room := range rooms {
			if left[room] > 0 {
				left[room]--
				order = append(order, room)
			}
		}
	}
	return order
}

// startable reports whether a room has jobs left and none running, so a job should start.
func startable(left map[id.RoomID]int, running []*Job) bool {
	for room, n := range left {
		if n > 0 && !slices.ContainsFunc(running, func(job *Job) bool { return job.RoomID == room }) {
			return true
		}
	}
	return false
}

// The test finishes one job at a time, always the one that started first, and watches what starts
// next: with the timing fixed, the order of rooms must be exactly round-robin.
func TestOrderAndFairness(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *dbutil.Database) {
		rec := newRecorder()
		var active, maxActive atomic.Int32
		handler := func(ctx context.Context, job *Job) Result {
			n := active.Add(1)
			for {
				m := maxActive.Load()
				if n <= m || maxActive.CompareAndSwap(m, n) {
					break
				}
			}
			defer active.Add(-1)
			return rec.handle(ctx, job)
		}
		q := newQueue(t, db, Config{Workers: 2, MaxPendingPerRoom: 20, Clock: fakeclock.New()}, handler)
		ids := addRoomJobs(t, q, fairCounts, fairRooms)
		start(t, q)

		// The first two start together, so their handlers may report in either order.
		running := []*Job{rec.next(t), rec.next(t)}
		slices.SortFunc(running, func(a, b *Job) int { return int(a.ID - b.ID) })
		started := slices.Clone(running)
		left := maps.Clone(fairCounts)
		for _, job := range running {
			left[job.RoomID]--
		}
		for len(running) > 0 {
			rec.finish(running[0].ID, Result{Outcome: Done})
			running = running[1:]
			if !startable(left, running) {
				continue
			}
			job := rec.next(t)
			started = append(started, job)
			running = append(running, job)
			left[job.RoomID]--
		}
		stop(t, q)
		rec.none(t)

		var rooms []id.RoomID
		gotIDs := make(map[id.RoomID][]int64)
		for _, job := range started {
			rooms = append(rooms, job.RoomID)
			gotIDs[job.RoomID] = append(gotIDs[job.RoomID], job.ID)
		}
		if want := roundRobinOrder(fairRooms, fairCounts); !slices.Equal(rooms, want) {
			t.Errorf("rooms were served in the order\n%v\nwant round-robin\n%v", rooms, want)
		}
		for _, room := range fairRooms {
			if !slices.Equal(gotIDs[room], ids[room]) {
				t.Errorf("jobs of %s ran in the order %v, want %v", room, gotIDs[room], ids[room])
			}
		}
		if m := maxActive.Load(); m != 2 {
			t.Errorf("at most %d jobs ran at once, want 2", m)
		}
		if c := mustCounts(t, q); c.Done != 30 || c.Pending != 0 || c.Running != 0 {
			t.Errorf("counts after all jobs: %+v, want 30 done", c)
		}
	})
}

// Without a hand on the timing, and with jobs added while the workers run, every job still runs
// once and each room's in order.
func TestOrderUnderLoad(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *dbutil.Database) {
		const rooms, perRoom = 8, 12
		var lock sync.Mutex
		var order []*Job
		all := make(chan struct{})
		handler := func(ctx context.Context, job *Job) Result {
			lock.Lock()
			defer lock.Unlock()
			order = append(order, job)
			if len(order) == rooms*perRoom {
				close(all)
			}
			return Result{Outcome: Done}
		}
		q := newQueue(t, db, Config{Workers: 3, MaxPendingPerRoom: perRoom, MaxPendingPerUser: rooms * perRoom}, handler)
		start(t, q)
		var roomIDs []id.RoomID
		counts := make(map[id.RoomID]int)
		for r := range rooms {
			room := id.RoomID(fmt.Sprintf("!r%d:example.org", r))
			roomIDs = append(roomIDs, room)
			counts[room] = perRoom
		}
		// Added while the workers run, so picks race with adds.
		ids := addRoomJobs(t, q, counts, roomIDs)
		select {
		case <-all:
		case <-timeout():
			t.Fatal("timed out waiting for all jobs to run")
		}
		stop(t, q)
		gotIDs := make(map[id.RoomID][]int64)
		for _, job := range order {
			gotIDs[job.RoomID] = append(gotIDs[job.RoomID], job.ID)
		}
		for _, room := range roomIDs {
			if !slices.Equal(gotIDs[room], ids[room]) {
				t.Errorf("jobs of %s ran in the order %v, want %v", room, gotIDs[room], ids[room])
			}
		}
		if c := mustCounts(t, q); c.Done != rooms*perRoom {
			t.Errorf("counts: %+v, want %d done", c, rooms*perRoom)
		}
	})
}
