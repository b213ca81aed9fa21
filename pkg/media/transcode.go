package media

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// ErrCannotFit is a video that even a re-encode cannot bring under the limit at a bitrate worth
// watching.
var ErrCannotFit = errors.New("the video cannot be re-encoded small enough")

// Transcoding parameters. The margin covers the MP4 boxes and the encoder missing its target;
// below minVideoBitrate the picture is not worth posting.
const (
	transcodeMargin = 0.90
	minVideoBitrate = 40_000
)

// Transcoded is the result of a re-encode.
type Transcoded struct {
	Width, Height int // 0 when the source's were unknown
	Size          int64
}

// Transcode re-encodes inputs (one file with video and audio, or a video and an audio file) to an
// H.264/AAC faststart MP4 at out that fits under target bytes. duration is the video's length;
// width and height the source's (0 when unknown), which are only scaled down. When the first
// encode misses, it tries once more at a bitrate corrected by how much it missed.
func (f *FFmpeg) Transcode(ctx context.Context, inputs []string, out string, target int64, duration time.Duration, width, height int) (*Transcoded, error) {
	if err := CheckFit(target, duration); err != nil {
		return nil, err
	}
	bits := float64(target) * 8 * transcodeMargin
	for attempt := 0; attempt < 2; attempt++ {
		p, err := planEncode(bits/duration.Seconds(), width, height)
		if err != nil {
			return nil, err
		}
		if err = f.run(ctx, p.args(inputs, out)...); err != nil {
			return nil, fmt.Errorf("failed to re-encode the video: %w", err)
		}
		st, err := os.Stat(out)
		if err != nil {
			return nil, fmt.Errorf("failed to stat the re-encoded video: %w", err)
		}
		if st.Size() <= target {
			return &Transcoded{Width: p.width, Height: p.height, Size: st.Size()}, nil
		}
		bits *= float64(target) / float64(st.Size()) * transcodeMargin
	}
	return nil, fmt.Errorf("%w: the re-encode stayed over the limit", ErrCannotFit)
}

// CheckFit says whether a video of this duration can be re-encoded under target bytes, before
// its source is downloaded for nothing; the error is ErrCannotFit.
func CheckFit(target int64, duration time.Duration) error {
	if duration <= 0 {
		return fmt.Errorf("%w: its duration is unknown", ErrCannotFit)
	}
	_, err := planEncode(float64(target)*8*transcodeMargin/duration.Seconds(), 0, 0)
	return err
}

// encodePlan is the bitrates and picture size of one encode.
type encodePlan struct {
	videoBitrate, audioBitrate int
	maxHeight                  int
	width, height              int // output size, 0 when the source's is unknown
}

// heightForBitrate is the tallest picture worth each video bitrate (bits/s), best first.
var heightForBitrate = []struct{ bitrate, height int }{
	{2_000_000, 1080}, {1_000_000, 720}, {500_000, 480}, {250_000, 360}, {0, 240},
}

// planEncode splits a total bitrate between audio and video and picks the picture height.
func planEncode(total float64, width, height int) (encodePlan, error) {
	p := encodePlan{audioBitrate: 64_000}
	if total < 400_000 {
		p.audioBitrate = 32_000
	}
	p.videoBitrate = int(total) - p.audioBitrate
	if p.videoBitrate < minVideoBitrate {
		return p, fmt.Errorf("%w: %d kbit/s is too little", ErrCannotFit, int(total)/1000)
	}
	for _, hb := range heightForBitrate {
		if p.videoBitrate >= hb.bitrate {
			p.maxHeight = hb.height
			break
		}
	}
	if width > 0 && height > 0 {
		p.width, p.height = width, height
		if height > p.maxHeight {
			p.height = p.maxHeight
			p.width = (width*p.maxHeight/height + 1) &^ 1
		}
		p.height &^= 1
		p.maxHeight = p.height
	}
	return p, nil
}

func (p encodePlan) args(inputs []string, out string) []string {
	var args []string
	for _, in := range inputs {
		args = append(args, "-i", in)
	}
	audioInput := "0"
	if len(inputs) > 1 {
		audioInput = "1"
	}
	// Even dimensions, as H.264 in yuv420p needs; never taller than the source. The size is
	// exact when the source's is known, so that the event's info says what the file has.
	scale := "scale=-2:'min(ih," + strconv.Itoa(p.maxHeight) + ")'"
	if p.width > 0 {
		scale = "scale=" + strconv.Itoa(p.width) + ":" + strconv.Itoa(p.height)
	}
	vb := strconv.Itoa(p.videoBitrate)
	return append(args,
		"-map", "0:v:0", "-map", audioInput+":a:0?",
		"-vf", scale+":flags=bicubic,format=yuv420p",
		"-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high",
		"-b:v", vb, "-maxrate", vb, "-bufsize", strconv.Itoa(p.videoBitrate*2),
		"-c:a", "aac", "-b:a", strconv.Itoa(p.audioBitrate), "-ac", "2",
		"-movflags", "+faststart", "-f", "mp4", out)
}
