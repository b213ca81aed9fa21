package e2e

import (
	"io"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"

	"github.com/igbridge/igbridge/internal/fakeig"
	"github.com/igbridge/igbridge/pkg/media"
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

// BenchmarkCacheMissRatio compares a cache-miss link→reply for the 50 MiB video with the sum of
// its raw parts measured in the same run: extraction alone (a warm yt-dlp worker, as the
// bridge's), download alone (the bridge's downloader to io.Discard) and upload alone (one upload
// to Dendrite). A measurement, run by hand:
// go test -tags goolm -run XXX -bench CacheMissRatio -benchtime 1x ./test/e2e/
func BenchmarkCacheMissRatio(b *testing.B) {
	for range b.N {
		e := startEnv(b, envOptions{maxUpload: 64 << 20})
		alice := e.hs.RegisterUser(b, "alice")
		roomID := e.watchedRoom(b, alice)
		// A first link warms the worker and registers the ghost, as on a running bridge.
		sendAndWait(b, alice, roomID, fakeig.ReelURL(fakeig.CodeReel), 1)
		start := time.Now()
		sendAndWait(b, alice, roomID, fakeig.ReelURL(fakeig.CodeBigVideo), 1)
		total := time.Since(start)

		ctx := b.Context()
		extractor, status := media.NewExtractor(ctx, media.ExtractorConfig{
			Ytdlp:   media.YtdlpConfig{Python: "/usr/bin/python3", Proxy: e.ig.ProxyURL, CAFile: e.ig.CAFile, Timeout: time.Minute},
			Workers: 1,
		})
		b.Cleanup(func() { _ = extractor.Close() })
		if status.Problem != "" {
			b.Fatalf("yt-dlp: %s", status)
		}
		warm, _ := media.ParseLink(fakeig.ReelURL(fakeig.CodeReel))
		if _, err := extractor.Extract(ctx, warm); err != nil {
			b.Fatal(err)
		}
		link, _ := media.ParseLink(fakeig.ReelURL(fakeig.CodeBigVideo))
		start = time.Now()
		post, err := extractor.Extract(ctx, link)
		if err != nil {
			b.Fatal(err)
		}
		extract := time.Since(start)

		downloader, err := media.NewDownloader(media.DownloaderConfig{Proxy: e.ig.ProxyURL, CAFile: e.ig.CAFile})
		if err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		m, err := downloader.Open(ctx, post.Items[0], 0)
		if err != nil {
			b.Fatal(err)
		}
		_, err = m.WriteTo(io.Discard)
		_ = m.Close()
		if err != nil {
			b.Fatal(err)
		}
		download := time.Since(start)

		data, _ := e.ig.Media(post.Items[0].URL)
		start = time.Now()
		alice.Upload(b, data, "video/mp4", "big.mp4")
		upload := time.Since(start)

		parts := extract + download + upload
		b.ReportMetric(total.Seconds(), "link-to-reply-s")
		b.ReportMetric(extract.Seconds(), "extract-s")
		b.ReportMetric(download.Seconds(), "download-s")
		b.ReportMetric(upload.Seconds(), "upload-s")
		b.ReportMetric(total.Seconds()/parts.Seconds(), "ratio")
	}
}
