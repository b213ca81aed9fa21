package media

import (
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/igbridge/igbridge/internal/fakeig"
)

// Compare with BenchmarkExtractCLI (ytdlp_test.go), which runs yt-dlp once per link:
//
//	CGO_ENABLED=1 go test -tags goolm -run XXX -bench 'Extract(Worker|CLI)$' ./pkg/media/
func BenchmarkExtractWorker(b *testing.B) {
	requireYtdlp(b)
	srv := fakeig.Start(b)
	cfg := fakeExtractorConfig(srv, "")
	cfg.MaxRequests = math.MaxInt // measure the warm worker, not recycling
	p, err := NewWorkerPool(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	link := fetchLink(fakeig.CodeReel)
	// Warm: the worker has set up its Instagram session before the clock starts.
	if _, err := p.Extract(context.Background(), link); err != nil {
		b.Fatal(err)
	}
	pid := idleWorker(b, p)
	cpuBefore := processCPU(b, pid)
	for b.Loop() {
		if _, err := p.Extract(context.Background(), link); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((processCPU(b, pid)-cpuBefore).Milliseconds())/float64(b.N), "child-cpu-ms/op")
}

// processCPU returns the user and system time a live process has used, from /proc/<pid>/stat.
func processCPU(tb testing.TB, pid int) time.Duration {
	tb.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		tb.Fatal(err)
	}
	// utime and stime are fields 14 and 15, counted from the pid; the name may contain spaces.
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		tb.Fatalf("bad /proc/%d/stat: %s", pid, data)
	}
	// /proc reports clock ticks of USER_HZ, which is 100 on Linux.
	return time.Duration(utime+stime) * 10 * time.Millisecond
}
