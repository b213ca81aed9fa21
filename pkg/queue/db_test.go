package queue

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.mau.fi/util/dbutil"
	_ "modernc.org/sqlite"

	"github.com/igbridge/igbridge/internal/fakeclock"
	"github.com/igbridge/igbridge/internal/sqliteuri"
	"github.com/igbridge/igbridge/internal/testpg"
)

func TestMain(m *testing.M) { os.Exit(testpg.Main(m)) }

// forEachDB runs a test against SQLite and against PostgreSQL.
func forEachDB(t *testing.T, test func(t *testing.T, db *dbutil.Database)) {
	t.Run("sqlite", func(t *testing.T) { test(t, openSQLite(t)) })
	t.Run("postgres", func(t *testing.T) {
		test(t, openDB(t, testpg.Shared(t).NewDatabase(t), "postgres"))
	})
}

func openSQLite(t testing.TB) *dbutil.Database {
	return openDB(t, sqliteuri.File(filepath.Join(t.TempDir(), "bridge.db")), "sqlite")
}

func openDB(t testing.TB, uri, dialect string) *dbutil.Database {
	t.Helper()
	db, err := dbutil.NewWithDialect(uri, dialect)
	if err != nil {
		t.Fatalf("failed to open %s database: %v", dialect, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func testCtx(t testing.TB) context.Context {
	return zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.DebugLevel).WithContext(context.Background())
}

// newQueue makes a queue with upgraded tables that is stopped when the test ends.
func newQueue(t testing.TB, db *dbutil.Database, cfg Config, handler Handler) *Queue {
	t.Helper()
	q := New(db, cfg, handler)
	if err := q.Upgrade(testCtx(t)); err != nil {
		t.Fatalf("Upgrade: %v", err)
	}
	t.Cleanup(func() { forceStop(t, q) })
	return q
}

// stop stops a queue whose handlers all have their results, so it returns without the clock
// moving: no handler is cancelled.
func stop(t testing.TB, q *Queue) {
	t.Helper()
	stopped := make(chan struct{})
	go func() {
		q.Stop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-timeout():
		t.Fatal("timed out waiting for Stop")
	}
}

// forceStop stops a queue at the end of a test; with a fake clock it moves the clock past
// StopTimeout, should a handler still be waiting.
func forceStop(t testing.TB, q *Queue) {
	t.Helper()
	if clock, ok := q.clock.(*fakeclock.Clock); ok {
		clock.Drive(t, q.Stop)
	} else {
		q.Stop()
	}
}

func start(t testing.TB, q *Queue) {
	t.Helper()
	if err := q.Start(testCtx(t)); err != nil {
		t.Fatalf("Start: %v", err)
	}
}

func mustAdd(t testing.TB, q *Queue, job Job) int64 {
	t.Helper()
	jobID, added, err := q.Add(testCtx(t), job)
	if err != nil || !added {
		t.Fatalf("Add(%s %s) = %d, %v, %v; want a new job", job.EventID, job.LinkKey, jobID, added, err)
	}
	return jobID
}

func mustCounts(t testing.TB, q *Queue) Counts {
	t.Helper()
	counts, err := q.Counts(testCtx(t))
	if err != nil {
		t.Fatalf("Counts: %v", err)
	}
	return counts
}

// storedJob is a job's row as the tests check it.
type storedJob struct {
	state      string
	attempts   int
	notBefore  int64
	errorClass string
	finished   bool
}

func getJob(t testing.TB, q *Queue, jobID int64) storedJob {
	t.Helper()
	var j storedJob
	var finishedAt *int64
	err := q.db.QueryRow(testCtx(t),
		"SELECT state, attempts, not_before, error_class, finished_at FROM igbridge_queue_job WHERE id=$1", jobID,
	).Scan(&j.state, &j.attempts, &j.notBefore, &j.errorClass, &finishedAt)
	if err != nil {
		t.Fatalf("failed to read job %d: %v", jobID, err)
	}
	j.finished = finishedAt != nil
	return j
}

// recorder is a handler that reports each job it starts and returns what the test tells it.
type recorder struct {
	started chan *Job
	lock    sync.Mutex
	results map[int64]chan Result
}

func newRecorder() *recorder {
	return &recorder{started: make(chan *Job, 100), results: make(map[int64]chan Result)}
}

func (r *recorder) handle(ctx context.Context, job *Job) Result {
	r.started <- job
	select {
	case res := <-r.result(job.ID):
		return res
	case <-ctx.Done():
		return Result{Outcome: Retry, ErrorClass: "stopped"}
	}
}

func (r *recorder) result(jobID int64) chan Result {
	r.lock.Lock()
	defer r.lock.Unlock()
	c, ok := r.results[jobID]
	if !ok {
		c = make(chan Result, 1)
		r.results[jobID] = c
	}
	return c
}

// finish makes the handler return res for the job (now or when it starts).
func (r *recorder) finish(jobID int64, res Result) {
	r.result(jobID) <- res
}

// next waits for the next job to start.
func (r *recorder) next(t testing.TB) *Job {
	t.Helper()
	select {
	case job := <-r.started:
		return job
	case <-timeout():
		t.Fatal("timed out waiting for a job to start")
		return nil
	}
}

func timeout() <-chan time.Time { return time.After(fakeclock.WaitLimit) }

// none checks that no job has started.
func (r *recorder) none(t testing.TB) {
	t.Helper()
	select {
	case job := <-r.started:
		t.Fatalf("job %d (%s) started, want none", job.ID, job.LinkKey)
	default:
	}
}
