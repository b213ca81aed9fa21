package fakeig

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// CodeFormats is a reel whose video has real, playable media in several formats (see
// RealFormats): three progressive H.264+AAC files and a DASH video-only and audio-only pair.
const CodeFormats = "Formats001"

// RealDuration is the length of CodeFormats's video in seconds.
const RealDuration = 3.0

// RealFormat is one rendition of CodeFormats's video.
type RealFormat struct {
	Name          string // P240, P360, P480, DashVideo, DashAudio
	URL           string
	Width, Height int // 0 for the audio
	Video, Audio  bool
	bitrateV      string
	bitrateA      string
}

// The renditions, in increasing size: P240 < P360 < DashVideo+DashAudio < P480. So a limit
// between P360 and the pair picks P360, one between the pair and P480 picks the merged pair
// (more pixels than P360), and one under P240 leaves only a re-encode.
var realFormats = []RealFormat{
	{Name: "P240", Width: 320, Height: 240, Video: true, Audio: true, bitrateV: "150k", bitrateA: "48k"},
	{Name: "P360", Width: 480, Height: 360, Video: true, Audio: true, bitrateV: "400k", bitrateA: "64k"},
	{Name: "P480", Width: 640, Height: 480, Video: true, Audio: true, bitrateV: "1500k", bitrateA: "64k"},
	{Name: "DashVideo", Width: 640, Height: 480, Video: true, bitrateV: "700k"},
	{Name: "DashAudio", Audio: true, bitrateA: "64k"},
}

// RealFormats returns CodeFormats's renditions with their URLs.
func RealFormats() map[string]RealFormat {
	out := map[string]RealFormat{}
	for i, f := range realFormats {
		f.URL = realURL(i, f)
		out[f.Name] = f
	}
	return out
}

func realURL(i int, f RealFormat) string {
	ext := "mp4"
	if !f.Video {
		ext = "m4a"
	}
	return fmt.Sprintf("https://%s/o1/v/t16/f2/m86/%s/%d_%s.%s?efg=x&oe=6A00F00D", cdnHost, CodeFormats, i, f.Name, ext)
}

var generated struct {
	once  sync.Once
	files map[string][]byte // by RealFormat.Name
	err   error
}

// RealMedia makes CodeFormats's files with ffmpeg (once per process) and returns their sizes by
// RealFormat.Name; it skips the test when ffmpeg is missing. Call it before the bridge fetches
// CodeFormats, so that the encode does not count against the bridge's timeouts.
func RealMedia(t testing.TB) map[string]int64 {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg is needed for real media fixtures")
	}
	files, err := realFiles()
	if err != nil {
		t.Fatal(err)
	}
	sizes := map[string]int64{}
	for name, b := range files {
		sizes[name] = int64(len(b))
	}
	return sizes
}

// realFiles returns the generated files, generating them on first use.
func realFiles() (map[string][]byte, error) {
	generated.once.Do(func() { generated.files, generated.err = generateReal() })
	return generated.files, generated.err
}

func generateReal() (map[string][]byte, error) {
	dir, err := os.MkdirTemp("", "fakeig-media-")
	if err != nil {
		return nil, fmt.Errorf("failed to create a directory for generated media: %w", err)
	}
	defer os.RemoveAll(dir)
	dur := fmt.Sprint(RealDuration)
	out := map[string][]byte{}
	for _, f := range realFormats {
		path := filepath.Join(dir, f.Name+".mp4")
		args := []string{"-nostdin", "-hide_banner", "-loglevel", "error", "-y"}
		if f.Video {
			args = append(args, "-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=%dx%d:rate=25:duration=%s", f.Width, f.Height, dur))
		}
		if f.Audio {
			args = append(args, "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration="+dur)
		}
		if f.Video {
			// Noise makes the bitrate, not the picture, decide the size, so the sizes keep their order.
			args = append(args, "-vf", "noise=alls=40:allf=t", "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
				"-b:v", f.bitrateV, "-maxrate", f.bitrateV, "-bufsize", f.bitrateV, "-threads", "1")
		}
		if f.Audio {
			args = append(args, "-c:a", "aac", "-b:a", f.bitrateA, "-ac", "2")
		}
		args = append(args, "-movflags", "+faststart", "-f", "mp4", path)
		if msg, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("failed to generate %s with ffmpeg: %w: %s", f.Name, err, msg)
		}
		if out[f.Name], err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("failed to read generated media: %w", err)
		}
	}
	return out, nil
}

// realItem is CodeFormats's video item; MediaURL is the largest progressive file, which yt-dlp's
// "-f b" picks.
func realItem() FixtureItem {
	p480 := RealFormats()["P480"]
	return FixtureItem{
		Video: true, MediaURL: p480.URL, ThumbURL: imageURL(CodeFormats, 1),
		Width: p480.Width, Height: p480.Height, Duration: RealDuration, real: true,
	}
}

// realVersions are the progressive files as Instagram lists them, largest first.
func realVersions() []igVideoVersion {
	formats := RealFormats()
	var out []igVideoVersion
	for i, name := range []string{"P480", "P360", "P240"} {
		f := formats[name]
		out = append(out, igVideoVersion{Type: 101 + i, Width: f.Width, Height: f.Height, URL: f.URL, ID: fmt.Sprint(9101 + i)})
	}
	return out
}

// realDashManifest lists the DASH pair with bandwidths from the real sizes, so yt-dlp's
// filesize_approx matches the files (rounded up).
func realDashManifest() string {
	files, err := realFiles()
	if err != nil {
		return ""
	}
	formats := RealFormats()
	v, a := formats["DashVideo"], formats["DashAudio"]
	return mpd(RealDuration, v.Width, v.Height, int64(len(files[v.Name])), int64(len(files[a.Name])), v.URL, a.URL)
}
