package connector

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/bridgev2"
	"maunium.net/go/mautrix/id"

	"github.com/igbridge/igbridge/pkg/media"
)

// errNoTranscode says a video is not re-encoded (no ffmpeg, disabled, too long, unknown length).
var errNoTranscode = errors.New("not re-encoded")

// uploadTranscoded re-encodes the smallest format of a video to fit under limit and uploads it.
// Only network.media.transcode.max_concurrent run at once, each within its timeout; the
// temporary files go on every path.
func (ic *Connector) uploadTranscoded(ctx context.Context, uploader bridgev2.MatrixAPI, roomID id.RoomID, item media.Item, limit int64, name string) (*uploaded, error) {
	cfg := ic.Config.Media.Transcode
	if ic.ffmpeg == nil || !cfg.Enabled || item.Duration <= 0 || item.Duration > cfg.MaxDuration || limit <= 0 {
		return nil, errNoTranscode
	}
	if err := media.CheckFit(limit, item.Duration); err != nil {
		return nil, err
	}
	source, ok := media.SmallestChoice(item.Formats, true)
	if !ok {
		source = media.Choice{Video: media.Format{URL: item.URL, Width: item.Width, Height: item.Height}}
	}
	dir, err := media.TempDir()
	if err != nil {
		return nil, err
	}
	defer removeTemp(ctx, dir)
	// The source is over the upload limit by definition; network.media.max_size still caps it.
	inputs, _, err := ic.downloader.DownloadInputs(ctx, source, item.Headers, 0, dir)
	if err != nil {
		return nil, err
	}
	select {
	case ic.transcodeSlots <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("failed to wait for a transcoding slot: %w", context.Cause(ctx))
	}
	defer func() { <-ic.transcodeSlots }()
	encodeCtx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	width, height := source.Video.Width, source.Video.Height
	if width == 0 || height == 0 {
		width, height = item.Width, item.Height
	}
	out := filepath.Join(dir, "reduced.mp4")
	result, err := ic.ffmpeg.Transcode(encodeCtx, inputs, out, limit, item.Duration, width, height)
	if err != nil {
		return nil, err
	}
	zerolog.Ctx(ctx).Debug().Str("source", source.Video.ID).Int64("size", result.Size).
		Int("width", result.Width).Int("height", result.Height).Msg("Re-encoded video to fit the upload limit")
	res := &uploaded{FileName: name + ".mp4", MimeType: "video/mp4", Width: result.Width, Height: result.Height, Reduced: true}
	return res, ic.uploadFile(ctx, uploader, roomID, res, out, limit)
}
