package e2e

import (
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"

	"github.com/igbridge/igbridge/internal/fakeig"
	"github.com/igbridge/igbridge/internal/tesths"
	"github.com/igbridge/igbridge/pkg/media"
)

// BenchmarkBigVideoRSS measures the bridge's memory while it answers a 50 MiB video (download
// from the fake CDN, upload to Dendrite), beside its idle memory in the same run. A measurement,
// run by hand:
// go test -tags goolm -run XXX -bench BigVideoRSS -benchtime 1x ./test/e2e/
func BenchmarkBigVideoRSS(b *testing.B) {
	for range b.N {
		measureRSS(b, envOptions{maxUpload: 64 << 20}, fakeig.CodeBigVideo, func(msg *event.MessageEventContent) {
			if msg.MsgType != event.MsgVideo || msg.Info.Size != fakeig.BigVideoSize {
				b.Fatalf("reply %s of %+v, want the 50 MiB video", msg.MsgType, msg.Info)
			}
		})
	}
}

// BenchmarkBigDashRSS is BenchmarkBigVideoRSS for a 60 s 720p video whose best format under
// the limit is a DASH pair of about 50 MiB: two downloads to files, an ffmpeg merge, the upload of
// the merged file. It needs ffmpeg. A measurement, run by hand:
// go test -tags goolm -run XXX -bench BigDashRSS -benchtime 1x ./test/e2e/
func BenchmarkBigDashRSS(b *testing.B) {
	sizes := fakeig.RealMediaOf(b, fakeig.CodeBigDash)
	pair := sizes["DashVideo"] + sizes["DashAudio"]
	// Above the pair with the merge's margin, below the 720p file.
	limit := (pair + pair/20 + sizes["P720"]) / 2
	if limit >= sizes["P720"] {
		b.Fatalf("fixture sizes %v leave no limit that only the pair fits", sizes)
	}
	for range b.N {
		measureRSS(b, envOptions{maxUpload: limit}, fakeig.CodeBigDash, func(msg *event.MessageEventContent) {
			if msg.MsgType != event.MsgVideo || msg.Info.Width != 1280 || int64(msg.Info.Size) < pair || int64(msg.Info.Size) > limit {
				b.Fatalf("reply %s of %+v, want the merged 720p pair (%d bytes of streams, limit %d)", msg.MsgType, msg.Info, pair, limit)
			}
		})
		b.ReportMetric(float64(pair)/(1<<20), "pair-MiB")
	}
}

// BenchmarkBigTranscodeRSS is BenchmarkBigVideoRSS for a 60 s 720p video of about 60 MiB, its
// only format, under a 20 MiB limit (continuwuity's default): a download to a file, a re-encode
// by ffmpeg, the upload of the result. It needs ffmpeg; the re-encode takes about 30 s on 2
// cores. A measurement, run by hand:
// go test -tags goolm -run XXX -bench BigTranscodeRSS -benchtime 1x ./test/e2e/
func BenchmarkBigTranscodeRSS(b *testing.B) {
	sizes := fakeig.RealMediaOf(b, fakeig.CodeBigTranscode)
	const limit = 20 << 20
	for range b.N {
		measureRSS(b, envOptions{maxUpload: limit}, fakeig.CodeBigTranscode, func(msg *event.MessageEventContent) {
			if msg.MsgType != event.MsgVideo || msg.Info.Size > limit || !strings.Contains(msg.Body, "Reduced") {
				b.Fatalf("reply %s of %+v (%q), want a re-encode under %d bytes", msg.MsgType, msg.Info, msg.Body, limit)
			}
		})
		b.ReportMetric(float64(sizes["P720"])/(1<<20), "source-MiB")
	}
}

// measureRSS starts a bridge, has it answer the post code and reports its memory beside its idle
// memory in the same run: RSS before, the peak (VmHWM, since the start, so start-up counts too)
// before and after, RSS after, and the link→reply time. check looks at the reply.
func measureRSS(b *testing.B, opts envOptions, code string, check func(*event.MessageEventContent)) {
	e := startEnv(b, opts)
	alice := e.hs.RegisterUser(b, "alice")
	roomID := e.watchedRoom(b, alice)
	pid := e.proc.Process.Pid
	idle, idlePeak := rssKiB(b, pid), procStatusKiB(b, pid, "VmHWM:")
	start := time.Now()
	eventID := alice.SendText(b, roomID, fakeig.ReelURL(code))
	got := alice.WaitFor(b, roomID, 10*time.Minute, replyTo(eventID))
	took := time.Since(start)
	check(got.Content.AsMessage())
	b.ReportMetric(float64(idle)/1024, "idle-RSS-MiB")
	b.ReportMetric(float64(idlePeak)/1024, "peak-before-MiB")
	b.ReportMetric(float64(procStatusKiB(b, pid, "VmHWM:"))/1024, "peak-after-MiB")
	b.ReportMetric(float64(rssKiB(b, pid))/1024, "RSS-after-MiB")
	b.ReportMetric(took.Seconds(), "link-to-reply-s")
}

// BenchmarkCacheMissRatio compares cache-miss link→reply times for 50 MiB videos with the sum of
// their raw parts measured in the same run: extraction alone (a warm yt-dlp worker, as the
// bridge's), download alone (the bridge's downloader to io.Discard) and upload alone (one upload
// to Dendrite). Each of fakeig.BigVideoCount videos is measured both ways in turn, so that a
// load spike on the shared machine hits both sides; the figures are medians (of an odd count). A measurement, run
// by hand:
// go test -tags goolm -run XXX -bench CacheMissRatio -benchtime 1x ./test/e2e/
func BenchmarkCacheMissRatio(b *testing.B) {
	for range b.N {
		e := startEnv(b, envOptions{maxUpload: 64 << 20})
		alice := e.hs.RegisterUser(b, "alice")
		roomID := e.watchedRoom(b, alice)
		// One link per yt-dlp worker (they take links in turn) warms them all and registers the
		// ghost, as on a running bridge.
		workers, _ := get(e.bridge.config, "network", "ytdlp", "workers").(int)
		for i := range max(workers, 1) {
			sendAndWait(b, alice, roomID, fakeig.ReelURL(fakeig.BulkCode(i)), 1)
		}
		p := newRawParts(b, e, alice)

		var totals, extracts, downloads, uploads []time.Duration
		var ratios []float64
		for i := range fakeig.BigVideoCount {
			url := fakeig.ReelURL(fakeig.BigVideoCode(i))
			start := time.Now()
			sendAndWait(b, alice, roomID, url, 1)
			total := time.Since(start)
			extract, download, upload := p.measure(b, url)
			totals = append(totals, total)
			extracts = append(extracts, extract)
			downloads = append(downloads, download)
			uploads = append(uploads, upload)
			ratios = append(ratios, total.Seconds()/(extract+download+upload).Seconds())
		}
		b.ReportMetric(median(totals).Seconds(), "link-to-reply-s")
		b.ReportMetric(median(extracts).Seconds(), "extract-s")
		b.ReportMetric(median(downloads).Seconds(), "download-s")
		b.ReportMetric(median(uploads).Seconds(), "upload-s")
		ratios = slices.Sorted(slices.Values(ratios))
		b.ReportMetric(ratios[len(ratios)/2], "ratio")
		b.ReportMetric(ratios[0], "ratio-min")
		b.ReportMetric(ratios[len(ratios)-1], "ratio-max")
	}
}

// rawParts does alone what the bridge does for a link: extract with a warm worker, download,
// upload.
type rawParts struct {
	e          *env
	uploader   *tesths.Client
	extractor  media.Extractor
	downloader *media.Downloader
}

func newRawParts(b *testing.B, e *env, uploader *tesths.Client) *rawParts {
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
	downloader, err := media.NewDownloader(media.DownloaderConfig{Proxy: e.ig.ProxyURL, CAFile: e.ig.CAFile})
	if err != nil {
		b.Fatal(err)
	}
	return &rawParts{e: e, uploader: uploader, extractor: extractor, downloader: downloader}
}

// measure times each part for the video at url.
func (p *rawParts) measure(b *testing.B, url string) (extract, download, upload time.Duration) {
	ctx := b.Context()
	link, _ := media.ParseLink(url)
	start := time.Now()
	post, err := p.extractor.Extract(ctx, link)
	if err != nil {
		b.Fatal(err)
	}
	extract = time.Since(start)

	start = time.Now()
	m, err := p.downloader.Open(ctx, post.Items[0], 0)
	if err != nil {
		b.Fatal(err)
	}
	_, err = m.WriteTo(io.Discard)
	_ = m.Close()
	if err != nil {
		b.Fatal(err)
	}
	download = time.Since(start)

	data, _ := p.e.ig.Media(post.Items[0].URL)
	start = time.Now()
	p.uploader.Upload(b, data, "video/mp4", "big.mp4")
	upload = time.Since(start)
	return extract, download, upload
}
