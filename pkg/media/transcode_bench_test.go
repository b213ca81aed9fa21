package media

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkTranscode720p measures re-encoding throughput (seconds of video per second) for a
// 60 s 720p clip brought under 8 MiB, niced as in the bridge. A measurement, run by hand:
// go test -run XXX -bench Transcode720p -benchtime 1x ./pkg/media/
func BenchmarkTranscode720p(b *testing.B) {
	ff, err := FindFFmpeg("")
	if err != nil {
		b.Skip("ffmpeg is needed")
	}
	dir := b.TempDir()
	src := filepath.Join(dir, "src.mp4")
	gen := exec.Command(ff.Path, "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=720x1280:rate=30:duration=60",
		"-f", "lavfi", "-i", "sine=frequency=440:duration=60", "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "4M",
		"-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", src)
	if out, err := gen.CombinedOutput(); err != nil {
		b.Fatalf("failed to generate the source: %v: %s", err, out)
	}
	const target = 8 << 20
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		out := filepath.Join(dir, "out"+string(rune('a'+i%26))+".mp4")
		res, err := ff.Transcode(context.Background(), []string{src}, out, target, time.Minute, 720, 1280)
		if err != nil {
			b.Fatal(err)
		}
		if res.Size > target {
			b.Fatalf("re-encode is %d bytes, over %d", res.Size, target)
		}
		b.ReportMetric(float64(res.Size)/(1<<20), "output-MiB")
	}
	b.ReportMetric(60*float64(b.N)/time.Since(start).Seconds(), "video-s/s")
}
