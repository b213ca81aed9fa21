package e2e

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/igbridge/igbridge/internal/fakeig"
)

// BenchmarkThousandLinks measures the bridge's memory after answering 1000 links (40 distinct
// posts, so mostly cache hits) from 10 rooms, and how long that took. It is a measurement, run by
// hand: go test -tags goolm -run XXX -bench ThousandLinks -benchtime 1x ./test/e2e/
func BenchmarkThousandLinks(b *testing.B) {
	const rooms, perRoom = 10, 100
	for range b.N {
		e := startEnv(b, envOptions{network: map[string]any{
			"queue": map[string]any{"workers": 2, "max_pending_per_room": perRoom, "max_pending_per_user": rooms * perRoom},
		}})
		alice := e.hs.RegisterUser(b, "alice")
		idle := rssKiB(b, e.proc.Process.Pid)
		sent := map[id.RoomID][]id.EventID{}
		start := time.Now()
		for r := range rooms {
			roomID := e.watchedRoom(b, alice)
			for i := range perRoom {
				sent[roomID] = append(sent[roomID], alice.SendText(b, roomID, postURL(fakeig.BulkCode((r*perRoom+i)%fakeig.BulkCount))))
			}
		}
		for roomID, eventIDs := range sent {
			alice.WaitFor(b, roomID, 10*time.Minute, func(*event.Event) bool {
				for _, eventID := range eventIDs {
					if len(replies(alice, roomID, eventID)) == 0 {
						return false
					}
				}
				return true
			})
		}
		took := time.Since(start)
		after := rssKiB(b, e.proc.Process.Pid)
		b.ReportMetric(float64(idle)/1024, "idle-RSS-MiB")
		b.ReportMetric(float64(after)/1024, "RSS-after-1000-MiB")
		b.ReportMetric(float64(rooms*perRoom)/took.Seconds(), "links/s")
		var workers int
		for _, pid := range childPIDs(b, e.proc.Process.Pid) {
			workers += rssKiB(b, pid)
		}
		b.ReportMetric(float64(workers)/1024, "worker-RSS-MiB")
	}
}

// childPIDs lists a process's children (the yt-dlp workers, for the bridge). The kernel files
// children under the thread that forked them, so every thread is read.
func childPIDs(tb testing.TB, pid int) []int {
	tb.Helper()
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	if err != nil {
		tb.Fatal(err)
	}
	var pids []int
	for _, task := range tasks {
		data, err := os.ReadFile(task)
		if err != nil {
			continue // the thread ended meanwhile
		}
		for _, field := range strings.Fields(string(data)) {
			child, err := strconv.Atoi(field)
			if err != nil {
				tb.Fatal(err)
			}
			pids = append(pids, child)
		}
	}
	return pids
}

// rssKiB reads a process's resident set size.
func rssKiB(tb testing.TB, pid int) int {
	tb.Helper()
	return procKiB(tb, pid, "VmRSS")
}

// procKiB reads a memory figure of /proc/<pid>/status, e.g. VmRSS or VmHWM (the peak RSS).
func procKiB(tb testing.TB, pid int, field string) int {
	tb.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		if rest, ok := strings.CutPrefix(scanner.Text(), field+":"); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			if err != nil {
				tb.Fatal(err)
			}
			return n
		}
	}
	tb.Fatalf("no %s in /proc status", field)
	return 0
}
