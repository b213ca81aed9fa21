package queue

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"maunium.net/go/mautrix/id"
)

// BenchmarkQueueThroughput measures jobs per second through the queue on a SQLite file: pick,
// claim and recording the outcome, with a handler that does nothing. The jobs are queued first,
// spread over 50 rooms, and not timed.
func BenchmarkQueueThroughput(b *testing.B) {
	const rooms = 50
	db := openSQLite(b)
	var handled atomic.Int64
	all := make(chan struct{})
	q := New(db, Config{Workers: 2, MaxPendingPerRoom: b.N, MaxPendingPerUser: b.N}, func(ctx context.Context, job *Job) Result {
		if handled.Add(1) == int64(b.N) {
			close(all)
		}
		return Result{Outcome: Done}
	})
	ctx := context.Background()
	if err := q.Upgrade(ctx); err != nil {
		b.Fatal(err)
	}
	for i := range b.N {
		_, _, err := q.Add(ctx, Job{
			RoomID:  id.RoomID(fmt.Sprintf("!r%d:example.org", i%rooms)),
			EventID: id.EventID(fmt.Sprintf("$e%d", i)),
			Sender:  id.UserID(fmt.Sprintf("@u%d:example.org", i%rooms)),
			LinkKey: "post:x",
			LinkURL: "https://www.instagram.com/p/x/",
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	if err := q.Start(ctx); err != nil {
		b.Fatal(err)
	}
	<-all
	q.Stop()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
}

// BenchmarkAdd measures Add, which runs in the homeserver transaction handler.
func BenchmarkAdd(b *testing.B) {
	db := openSQLite(b)
	q := New(db, Config{MaxPendingPerRoom: b.N, MaxPendingPerUser: b.N}, func(ctx context.Context, job *Job) Result {
		return Result{Outcome: Done}
	})
	ctx := context.Background()
	if err := q.Upgrade(ctx); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		_, _, err := q.Add(ctx, Job{
			RoomID:  id.RoomID(fmt.Sprintf("!r%d:example.org", i%50)),
			EventID: id.EventID(fmt.Sprintf("$e%d", i)),
			Sender:  id.UserID(fmt.Sprintf("@u%d:example.org", i%50)),
			LinkKey: "post:x",
			LinkURL: "https://www.instagram.com/p/x/",
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
