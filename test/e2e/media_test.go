package e2e

import (
	"bytes"
	"encoding/json"
	"image/jpeg"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"maunium.net/go/mautrix/event"

	"github.com/igbridge/igbridge/internal/fakeig"
	"github.com/igbridge/igbridge/internal/tesths"
	"github.com/igbridge/igbridge/pkg/media"
)

// mediaEnv starts a set-up whose homeserver takes uploads up to limit bytes, posts CodeFormats
// in a watched room and returns the set-up with the reply.
func mediaEnv(t *testing.T, limit int64, network map[string]any) (*env, *tesths.Client, *event.Event) {
	t.Helper()
	e := startEnv(t, envOptions{maxUpload: limit, network: network})
	alice := e.hs.RegisterUser(t, "alice")
	roomID := e.watchedRoom(t, alice)
	_, got := sendAndWait(t, alice, roomID, fakeig.ReelURL(fakeig.CodeFormats), 1)
	return e, alice, got[0]
}

// downloadVideo saves a reply's media to a file for ffprobe.
func downloadVideo(t *testing.T, c *tesths.Client, evt *event.Event) string {
	t.Helper()
	content := evt.Content.AsMessage()
	if content.MsgType != event.MsgVideo {
		t.Fatalf("msgtype = %s (%q), want m.video", content.MsgType, content.Body)
	}
	path := filepath.Join(t.TempDir(), "video.mp4")
	if err := os.WriteFile(path, c.DownloadMedia(t, content.URL), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// probed is what ffprobe says of a file.
type probed struct {
	Streams []struct {
		CodecType string `json:"codec_type"`
		CodecName string `json:"codec_name"`
		Width     int    `json:"width"`
		Height    int    `json:"height"`
	} `json:"streams"`
	Format struct {
		Duration string `json:"duration"`
		Size     string `json:"size"`
	} `json:"format"`
}

func ffprobe(t *testing.T, path string) probed {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries",
		"stream=codec_type,codec_name,width,height:format=duration,size", "-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe failed: %v", err)
	}
	var p probed
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("failed to parse ffprobe output: %v", err)
	}
	return p
}

// hasStreams checks that a file has an H.264 video stream of w x h and an AAC audio stream.
func (p probed) check(t *testing.T, w, h int) {
	t.Helper()
	var video, audio bool
	for _, s := range p.Streams {
		switch s.CodecType {
		case "video":
			video = s.CodecName == "h264" && (w == 0 || s.Width == w && s.Height == h)
		case "audio":
			audio = s.CodecName == "aac"
		}
	}
	if !video || !audio {
		t.Fatalf("streams = %+v, want h264 %dx%d and aac", p.Streams, w, h)
	}
}

func (p probed) duration(t *testing.T) float64 {
	t.Helper()
	d, err := strconv.ParseFloat(p.Format.Duration, 64)
	if err != nil {
		t.Fatalf("ffprobe duration %q: %v", p.Format.Duration, err)
	}
	return d
}

func TestMediaFormats(t *testing.T) {
	sizes := fakeig.RealMedia(t)
	formats := fakeig.RealFormats()
	pair := sizes["DashVideo"] + sizes["DashAudio"]
	if !(sizes["P240"] < sizes["P360"] && sizes["P360"] < pair && pair*103/100 < sizes["P480"]) {
		t.Fatalf("generated sizes are not in the order the tests need: %v", sizes)
	}

	t.Run("BestThatFits", func(t *testing.T) {
		// P360 fits, the DASH pair (known from the manifest) and P480 do not.
		limit := (sizes["P360"] + pair) / 2
		e, alice, evt := mediaEnv(t, limit, nil)
		e.checkMedia(t, alice, evt, formats["P360"].URL)
		info := evt.Content.AsMessage().Info
		if info.Width != 480 || info.Height != 360 || info.Duration != 3000 {
			t.Fatalf("info = %+v, want 480x360 3000 ms", info)
		}
		ffprobe(t, downloadVideo(t, alice, evt)).check(t, 480, 360)
		for _, name := range []string{"DashVideo", "DashAudio"} {
			if n := e.ig.CountRequests("cdninstagram.com", pathOf(t, formats[name].URL)); n != 0 {
				t.Fatalf("%s, known to be too large, was requested %d times", name, n)
			}
		}
		if n := e.ig.CountRequests("cdninstagram.com", pathOf(t, formats["P240"].URL)); n != 0 {
			t.Fatalf("P240 was requested although P360 fits")
		}
	})

	t.Run("LargestWithoutLimit", func(t *testing.T) {
		// Everything fits: the largest progressive file, with as many pixels as the pair.
		e, alice, evt := mediaEnv(t, 0, nil)
		e.checkMedia(t, alice, evt, formats["P480"].URL)
	})

	t.Run("DASHMerge", func(t *testing.T) {
		// The pair fits, P480 does not: the merged pair has more pixels than P360.
		limit := (pair*103/100 + sizes["P480"]) / 2
		e, alice, evt := mediaEnv(t, limit, nil)
		path := downloadVideo(t, alice, evt)
		p := ffprobe(t, path)
		p.check(t, 640, 480)
		if d := p.duration(t); d < fakeig.RealDuration-0.5 || d > fakeig.RealDuration+0.5 {
			t.Fatalf("merged duration %.2f s, want %.1f s", d, fakeig.RealDuration)
		}
		info := evt.Content.AsMessage().Info
		st, _ := os.Stat(path)
		if info.Width != 640 || info.Height != 480 || int64(info.Size) != st.Size() || st.Size() > limit {
			t.Fatalf("info = %+v, file %d bytes, limit %d", info, st.Size(), limit)
		}
		if n := e.ig.CountRequests("cdninstagram.com", pathOf(t, formats["DashVideo"].URL)); n != 1 {
			t.Fatalf("DASH video requested %d times, want 1", n)
		}
		assertNoTempFiles(t, e)
	})

	t.Run("Transcode", func(t *testing.T) {
		// Nothing fits: the smallest format is re-encoded under the limit.
		limit := sizes["P240"] * 6 / 10
		e, alice, evt := mediaEnv(t, limit, nil)
		path := downloadVideo(t, alice, evt)
		content := evt.Content.AsMessage()
		p := ffprobe(t, path)
		p.check(t, content.Info.Width, content.Info.Height)
		if d := p.duration(t); d < fakeig.RealDuration-0.5 || d > fakeig.RealDuration+0.5 {
			t.Fatalf("re-encoded duration %.2f s, want %.1f s within 0.5 s", d, fakeig.RealDuration)
		}
		st, _ := os.Stat(path)
		if content.Info.Width == 0 || st.Size() > limit || int64(content.Info.Size) != st.Size() {
			t.Fatalf("re-encoded file %d bytes (info %d), limit %d", st.Size(), content.Info.Size, limit)
		}
		mustContain(t, "body", content.Body, "Reduced to fit this server's upload limit")
		mustContain(t, "body", content.Body, fakeig.ReelURL(fakeig.CodeFormats))
		if n := e.ig.CountRequests("cdninstagram.com", pathOf(t, formats["P240"].URL)); n != 2 {
			// Once for its Content-Length (too large), once as the source of the re-encode.
			t.Fatalf("P240 requested %d times, want 2", n)
		}
		assertNoTempFiles(t, e)
	})

	t.Run("TranscodeDisabled", func(t *testing.T) {
		limit := sizes["P240"] * 6 / 10
		_, _, evt := mediaEnv(t, limit, map[string]any{"media": map[string]any{"transcode": map[string]any{"enabled": false}}})
		content := evt.Content.AsMessage()
		if content.MsgType != event.MsgText {
			t.Fatalf("msgtype = %s, want the too-large text", content.MsgType)
		}
		mustContain(t, "body", content.Body, "Too large to upload here")
	})

	t.Run("NoFFmpeg", func(t *testing.T) {
		// The limit of DASHMerge, but no ffmpeg: no merge, the best single file.
		limit := (pair*103/100 + sizes["P480"]) / 2
		e, alice, evt := mediaEnv(t, limit, map[string]any{"media": map[string]any{"ffmpeg": "/nonexistent/ffmpeg"}})
		e.checkMedia(t, alice, evt, formats["P360"].URL)
		roomID := evt.RoomID
		status := e.commandAnswer(t, alice, roomID, "!ig status", "* Watched rooms")
		mustContain(t, "status", status.Body, "* ffmpeg: not found: merging and transcoding are off")
		mustContain(t, "log", e.logBuf.String(), "ffmpeg not found: merging DASH formats and transcoding are off")
	})
}

// assertNoTempFiles checks that the bridge left no media files in its scratch directory (which
// it made for them).
func assertNoTempFiles(t *testing.T, e *env) {
	t.Helper()
	scratch := scratchDirs(os.TempDir(), e.proc.Process.Pid)
	if len(scratch) != 1 {
		t.Fatalf("the bridge's scratch directory, where media files go, is not there: %v", scratch)
	}
	matches, _ := filepath.Glob(filepath.Join(scratch[0], "media-*"))
	if len(matches) != 0 {
		t.Fatalf("temporary media files left: %v", matches)
	}
}

func TestMediaImages(t *testing.T) {
	// The image's candidates are 640x480 and 320x240; measure them to set a limit between.
	probe := fakeig.Start(t)
	image, _ := probe.Fixture(fakeig.CodeImage)
	large, _ := probe.Media(image.Items[0].MediaURL)
	small, _ := probe.Media(image.Items[0].ThumbURL)
	if len(small) >= len(large) {
		t.Fatalf("candidate sizes %d and %d are not in order", len(small), len(large))
	}

	t.Run("LargestThatFits", func(t *testing.T) {
		e := startEnv(t, envOptions{maxUpload: int64(len(small)+len(large)) / 2})
		alice := e.hs.RegisterUser(t, "alice")
		roomID := e.watchedRoom(t, alice)
		_, got := sendAndWait(t, alice, roomID, fakeig.PostURL(fakeig.CodeImage), 1)
		e.checkMedia(t, alice, got[0], image.Items[0].ThumbURL)
		info := got[0].Content.AsMessage().Info
		if info.Width != 320 || info.Height != 240 || info.MimeType != "image/jpeg" {
			t.Fatalf("info = %+v, want image/jpeg 320x240", info)
		}
		checkBlurhash(t, info.AnoaBlurhash, small)
	})

	t.Run("Blurhash", func(t *testing.T) {
		e := startEnv(t, envOptions{})
		alice := e.hs.RegisterUser(t, "alice")
		roomID := e.watchedRoom(t, alice)
		_, got := sendAndWait(t, alice, roomID, fakeig.PostURL(fakeig.CodeImage), 1)
		e.checkMedia(t, alice, got[0], image.Items[0].MediaURL)
		info := got[0].Content.AsMessage().Info
		if info.Width != 640 || info.Height != 480 {
			t.Fatalf("info = %+v, want 640x480", info)
		}
		checkBlurhash(t, info.AnoaBlurhash, large)

		reel, _ := e.ig.Fixture(fakeig.CodeReel)
		cover, _ := e.ig.Media(reel.Items[0].ThumbURL)
		_, got = sendAndWait(t, alice, roomID, fakeig.ReelURL(fakeig.CodeReel), 1)
		info = got[0].Content.AsMessage().Info
		if info.ThumbnailInfo == nil || info.ThumbnailInfo.AnoaBlurhash != info.AnoaBlurhash {
			t.Fatalf("video info = %+v: want the cover's blurhash on the video and its thumbnail", info)
		}
		checkBlurhash(t, info.AnoaBlurhash, cover)
	})
}

// checkBlurhash decodes a blurhash and compares its average colour (its DC component, the mean
// in linear light) with the picture's.
func checkBlurhash(t *testing.T, hash string, picture []byte) {
	t.Helper()
	bh, err := media.DecodeBlurhash(hash)
	if err != nil {
		t.Fatalf("blurhash %q: %v", hash, err)
	}
	img, err := jpeg.Decode(bytes.NewReader(picture))
	if err != nil {
		t.Fatal(err)
	}
	linear := func(v uint32) float64 { return math.Pow(float64(v>>8)/255, 2.2) }
	var sum [3]float64
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			sum[0], sum[1], sum[2] = sum[0]+linear(r), sum[1]+linear(g), sum[2]+linear(bl)
		}
	}
	n := float64(b.Dx() * b.Dy())
	r, g, bl := bh.AverageColor()
	for i, v := range []int{r, g, bl} {
		want := 255 * math.Pow(sum[i]/n, 1/2.2)
		// 2.2 approximates the sRGB curve; the blurhash samples a grid, not every pixel.
		if d := float64(v) - want; d > 8 || d < -8 {
			t.Fatalf("blurhash %q average colour %d,%d,%d, picture's channel %d is %.0f", hash, r, g, bl, i, want)
		}
	}
}

func TestMediaTranscodeFails(t *testing.T) {
	// CodeReel's file is not a real video: ffmpeg fails on it, and the answer is still the
	// too-large line, with the temporary files gone.
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg is needed")
	}
	reelSize := int64(len(mustMedia(t, fakeig.CodeReel)))
	e := startEnv(t, envOptions{maxUpload: reelSize * 3 / 4})
	alice := e.hs.RegisterUser(t, "alice")
	roomID := e.watchedRoom(t, alice)
	_, got := sendAndWait(t, alice, roomID, fakeig.ReelURL(fakeig.CodeReel), 1)
	content := got[0].Content.AsMessage()
	if content.MsgType != event.MsgText {
		t.Fatalf("msgtype = %s, want the too-large text", content.MsgType)
	}
	mustContain(t, "body", content.Body, "Too large to upload here")
	mustContain(t, "log", e.logBuf.String(), "Failed to re-encode video to fit the upload limit")
	assertNoTempFiles(t, e)
}

// mustMedia returns the bytes of a fixture's first item as the fake serves them.
func mustMedia(t *testing.T, code string) []byte {
	t.Helper()
	probe := fakeig.Start(t)
	f, _ := probe.Fixture(code)
	b, ok := probe.Media(f.Items[0].MediaURL)
	if !ok {
		t.Fatalf("the fake has no media for %s", code)
	}
	return b
}
