package media

import (
	"cmp"
	"slices"
	"strings"
)

// Format is one rendition yt-dlp lists for a video: a progressive file (video with audio), a DASH
// video-only or audio-only stream. Image items list their candidates as formats too.
type Format struct {
	ID            string
	URL           string
	Width, Height int
	// VCodec and ACodec are yt-dlp's codec names: "none" when the stream is absent, "" when unknown.
	VCodec, ACodec string
	Ext            string
	// Size is in bytes, from filesize or else filesize_approx (then Approx is set); 0 when unknown.
	Size   int64
	Approx bool
}

func (f Format) hasVideo() bool  { return f.VCodec != "none" }
func (f Format) videoOnly() bool { return f.VCodec != "none" && f.ACodec == "none" }
func (f Format) audioOnly() bool { return f.VCodec == "none" && f.ACodec != "none" }
func (f Format) pixels() int     { return f.Width * f.Height }

// h264 reports whether every client can play the format: H.264 in MP4 (the audio is AAC or, for
// Instagram's progressive files, unnamed).
func (f Format) h264() bool {
	codec := strings.ToLower(f.VCodec)
	mp4 := f.Ext == "" || f.Ext == "mp4"
	return mp4 && (strings.HasPrefix(codec, "avc") || codec == "h264")
}

// Choice is one way to get a video: a single file, or a DASH video-only and audio-only pair that
// ffmpeg merges without re-encoding.
type Choice struct {
	Video Format
	Audio *Format // nil for a single file
}

// Merged reports whether the choice needs merging.
func (c Choice) Merged() bool { return c.Audio != nil }

// Size is the known or approximate total size, 0 when unknown.
func (c Choice) Size() int64 {
	if c.Audio == nil {
		return c.Video.Size
	}
	if c.Video.Size == 0 || c.Audio.Size == 0 {
		return 0
	}
	return c.Video.Size + c.Audio.Size
}

// mergeOverhead is the share of a merged file taken by the MP4 boxes that the two inputs do not
// both already have; a pair must fit with it.
const mergeOverhead = 50 // 1/50, 2 %

func fits(size, limit int64, merged bool) bool {
	if size == 0 || limit <= 0 {
		return true // unknown: the response's Content-Length decides
	}
	if merged {
		size += size / mergeOverhead
	}
	return size <= limit
}

// Choices lists the ways to get a video that may fit under limit, best first: more pixels first;
// at equal pixels a single file before a pair (no merge needed), H.264 before other codecs, and
// the larger (higher bitrate) file first. Ways known to be too large are left out, so they are
// never downloaded. Pairs are offered only when canMerge. A video-only stream is offered alone
// only when the video has no audio stream at all.
func Choices(formats []Format, limit int64, canMerge bool) []Choice {
	var audios []Format
	for _, f := range formats {
		if f.audioOnly() && f.URL != "" {
			audios = append(audios, f)
		}
	}
	// Best audio first, so a video is paired with the best one that still fits.
	slices.SortStableFunc(audios, func(a, b Format) int { return cmp.Compare(b.Size, a.Size) })
	var out []Choice
	for _, f := range formats {
		if !f.hasVideo() || f.URL == "" {
			continue
		}
		if !f.videoOnly() || len(audios) == 0 {
			if fits(f.Size, limit, false) {
				out = append(out, Choice{Video: f})
			}
			continue
		}
		if !canMerge {
			continue
		}
		for i := range audios {
			c := Choice{Video: f, Audio: &audios[i]}
			if fits(c.Size(), limit, true) {
				out = append(out, c)
				break
			}
		}
	}
	slices.SortStableFunc(out, compareChoices)
	return out
}

// compareChoices orders better choices first.
func compareChoices(a, b Choice) int {
	if c := cmp.Compare(b.Video.pixels(), a.Video.pixels()); c != 0 {
		return c
	}
	if a.Merged() != b.Merged() {
		if a.Merged() {
			return 1
		}
		return -1
	}
	if a.Video.h264() != b.Video.h264() {
		if a.Video.h264() {
			return -1
		}
		return 1
	}
	return cmp.Compare(b.Size(), a.Size())
}

// SmallestChoice is the way to get a video with the fewest bytes (or pixels, where sizes are not
// known), the source to re-encode when no choice fits. ok is false when there is none.
func SmallestChoice(formats []Format, canMerge bool) (Choice, bool) {
	all := Choices(formats, 0, canMerge)
	if len(all) == 0 {
		return Choice{}, false
	}
	return slices.MinFunc(all, func(a, b Choice) int {
		if a.Size() != 0 && b.Size() != 0 {
			return cmp.Compare(a.Size(), b.Size())
		}
		return cmp.Compare(a.Video.pixels(), b.Video.pixels())
	}), true
}
