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

// Big real videos, for memory measurements: 60 s of 1280x720.
const (
	// CodeBigDash has a small 240p file, a 720p DASH pair of about 50 MiB and a 720p file of
	// about 60 MiB: a limit between the pair and the 720p file makes the bridge merge 50 MiB.
	CodeBigDash = "BigDash001"
	// CodeBigTranscode has only the 720p file of about 60 MiB: a lower limit leaves a re-encode.
	CodeBigTranscode = "BigTrans01"
	// BigRealDuration is their length in seconds.
	BigRealDuration = 60.0
)

// RealFormat is one rendition of a real video.
type RealFormat struct {
	Name          string // P240, P360, P480, P720, DashVideo, DashAudio
	URL           string
	Width, Height int // 0 for the audio
	Video, Audio  bool
	bitrateV      string
	bitrateA      string
}

// realSet is a video whose formats are real files made with ffmpeg, once per process and only
// when first needed.
type realSet struct {
	duration float64
	// clip, when positive, is the length encoded; the file repeats it (stream copy) up to
	// duration, which makes big files quickly.
	clip        float64
	formats     []RealFormat // every file the CDN serves, by index in its URL
	progressive []string     // the video_versions, largest first
	dash        bool         // DashVideo and DashAudio are in the manifest

	once  sync.Once
	files map[string][]byte // by RealFormat.Name
	err   error
}

var (
	bigP240      = RealFormat{Name: "P240", Width: 320, Height: 240, Video: true, Audio: true, bitrateV: "150k", bitrateA: "48k"}
	bigP720      = RealFormat{Name: "P720", Width: 1280, Height: 720, Video: true, Audio: true, bitrateV: "7400k", bitrateA: "64k"}
	bigDashVideo = RealFormat{Name: "DashVideo", Width: 1280, Height: 720, Video: true, bitrateV: "6200k"}
	bigDashAudio = RealFormat{Name: "DashAudio", Audio: true, bitrateA: "64k"}
)

var realSets = map[string]*realSet{
	// The renditions, in increasing size: P240 < P360 < DashVideo+DashAudio < P480. So a limit
	// between P360 and the pair picks P360, one between the pair and P480 picks the merged pair
	// (more pixels than P360), and one under P240 leaves only a re-encode.
	CodeFormats: {
		duration: RealDuration,
		formats: []RealFormat{
			{Name: "P240", Width: 320, Height: 240, Video: true, Audio: true, bitrateV: "150k", bitrateA: "48k"},
			{Name: "P360", Width: 480, Height: 360, Video: true, Audio: true, bitrateV: "400k", bitrateA: "64k"},
			{Name: "P480", Width: 640, Height: 480, Video: true, Audio: true, bitrateV: "1500k", bitrateA: "64k"},
			{Name: "DashVideo", Width: 640, Height: 480, Video: true, bitrateV: "700k"},
			{Name: "DashAudio", Audio: true, bitrateA: "64k"},
		},
		progressive: []string{"P480", "P360", "P240"},
		dash:        true,
	},
	CodeBigDash: {
		duration: BigRealDuration, clip: 4,
		formats:     []RealFormat{bigP240, bigP720, bigDashVideo, bigDashAudio},
		progressive: []string{"P720", "P240"},
		dash:        true,
	},
	CodeBigTranscode: {
		duration: BigRealDuration, clip: 4,
		formats:     []RealFormat{bigP720},
		progressive: []string{"P720"},
	},
}

// RealFormats returns CodeFormats's renditions with their URLs.
func RealFormats() map[string]RealFormat { return RealFormatsOf(CodeFormats) }

// RealFormatsOf returns the renditions of a real video (CodeFormats, CodeBigDash,
// CodeBigTranscode) with their URLs.
func RealFormatsOf(code string) map[string]RealFormat {
	out := map[string]RealFormat{}
	for i, f := range realSets[code].formats {
		f.URL = realURL(code, i, f)
		out[f.Name] = f
	}
	return out
}

func realURL(code string, i int, f RealFormat) string {
	ext := "mp4"
	if !f.Video {
		ext = "m4a"
	}
	return fmt.Sprintf("https://%s/o1/v/t16/f2/m86/%s/%d_%s.%s?efg=x&oe=6A00F00D", cdnHost, code, i, f.Name, ext)
}

// RealMedia makes CodeFormats's files; see RealMediaOf.
func RealMedia(t testing.TB) map[string]int64 { return RealMediaOf(t, CodeFormats) }

// RealMediaOf makes a real video's files with ffmpeg (once per process) and returns their sizes
// by RealFormat.Name; it skips the test when ffmpeg is missing. Call it before the bridge fetches
// the video, so that the encode does not count against the bridge's timeouts.
func RealMediaOf(t testing.TB, code string) map[string]int64 {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg is needed for real media fixtures")
	}
	files, err := realFiles(code)
	if err != nil {
		t.Fatal(err)
	}
	sizes := map[string]int64{}
	for name, b := range files {
		sizes[name] = int64(len(b))
	}
	return sizes
}

// realFiles returns a real video's files, generating them on first use.
func realFiles(code string) (map[string][]byte, error) {
	s := realSets[code]
	s.once.Do(func() { s.files, s.err = s.generate() })
	return s.files, s.err
}

func (s *realSet) generate() (map[string][]byte, error) {
	dir, err := os.MkdirTemp("", "fakeig-media-")
	if err != nil {
		return nil, fmt.Errorf("failed to create a directory for generated media: %w", err)
	}
	defer os.RemoveAll(dir)
	out := map[string][]byte{}
	for _, f := range s.formats {
		path := filepath.Join(dir, f.Name+".mp4")
		if s.clip <= 0 {
			err = encode(f, s.duration, path)
		} else if err = encode(f, s.clip, path+".clip.mp4"); err == nil {
			err = ffmpeg("-stream_loop", "-1", "-i", path+".clip.mp4", "-t", fmt.Sprint(s.duration), "-c", "copy",
				"-movflags", "+faststart", "-f", "mp4", path)
		}
		if err != nil {
			return nil, fmt.Errorf("failed to generate %s: %w", f.Name, err)
		}
		if out[f.Name], err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("failed to read generated media: %w", err)
		}
	}
	return out, nil
}

// encode makes seconds of f with ffmpeg's test sources.
func encode(f RealFormat, seconds float64, path string) error {
	dur := fmt.Sprint(seconds)
	var args []string
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
	return ffmpeg(append(args, "-movflags", "+faststart", "-f", "mp4", path)...)
}

func ffmpeg(args ...string) error {
	args = append([]string{"-nostdin", "-hide_banner", "-loglevel", "error", "-y"}, args...)
	if msg, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("ffmpeg: %w: %s", err, msg)
	}
	return nil
}

// realItem is the video item of a real video; MediaURL is its largest progressive file, which
// yt-dlp's "-f b" picks.
func realItem(code string) FixtureItem {
	s := realSets[code]
	top := RealFormatsOf(code)[s.progressive[0]]
	return FixtureItem{
		Video: true, MediaURL: top.URL, ThumbURL: imageURL(code, 1),
		Width: top.Width, Height: top.Height, Duration: s.duration, real: true,
	}
}

// realVersions are the progressive files as Instagram lists them, largest first.
func realVersions(code string) []igVideoVersion {
	formats := RealFormatsOf(code)
	var out []igVideoVersion
	for i, name := range realSets[code].progressive {
		f := formats[name]
		out = append(out, igVideoVersion{Type: 101 + i, Width: f.Width, Height: f.Height, URL: f.URL, ID: fmt.Sprint(9101 + i)})
	}
	return out
}

// realDashManifest lists the DASH pair with bandwidths from the real sizes, so yt-dlp's
// filesize_approx matches the files (rounded up); "" for a video without one.
func realDashManifest(code string) string {
	s := realSets[code]
	if !s.dash {
		return ""
	}
	files, err := realFiles(code)
	if err != nil {
		return ""
	}
	formats := RealFormatsOf(code)
	v, a := formats["DashVideo"], formats["DashAudio"]
	return mpd(s.duration, v.Width, v.Height, int64(len(files[v.Name])), int64(len(files[a.Name])), v.URL, a.URL)
}
