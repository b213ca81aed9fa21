package e2e

import (
	"testing"
	"time"

	"maunium.net/go/mautrix/event"

	"github.com/igbridge/igbridge/internal/fakeig"
)

// BenchmarkBigVideoRSS measures the bridge's memory while it answers a 50 MiB video (download
// from the fake CDN, upload to Dendrite), beside its idle memory in the same run. VmHWM is the
// peak since the start, so start-up counts too. A measurement, run by hand:
// go test -tags goolm -run XXX -bench BigVideoRSS -benchtime 1x ./test/e2e/
func BenchmarkBigVideoRSS(b *testing.B) {
	for range b.N {
		e := startEnv(b, envOptions{maxUpload: 64 << 20})
		alice := e.hs.RegisterUser(b, "alice")
		roomID := e.watchedRoom(b, alice)
		pid := e.proc.Process.Pid
		idle, idlePeak := rssKiB(b, pid), procStatusKiB(b, pid, "VmHWM:")
		start := time.Now()
		eventID := alice.SendText(b, roomID, fakeig.ReelURL(fakeig.CodeBigVideo))
		got := alice.WaitFor(b, roomID, 5*time.Minute, replyTo(eventID))
		took := time.Since(start)
		if msg := got.Content.AsMessage(); msg.MsgType != event.MsgVideo || msg.Info.Size != fakeig.BigVideoSize {
			b.Fatalf("reply %s of %+v, want the 50 MiB video", msg.MsgType, msg.Info)
		}
		b.ReportMetric(float64(idle)/1024, "idle-RSS-MiB")
		b.ReportMetric(float64(idlePeak)/1024, "peak-before-MiB")
		b.ReportMetric(float64(procStatusKiB(b, pid, "VmHWM:"))/1024, "peak-after-MiB")
		b.ReportMetric(float64(rssKiB(b, pid))/1024, "RSS-after-MiB")
		b.ReportMetric(took.Seconds(), "link-to-reply-s")
	}
}
