package connector

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/bridgev2"
	"maunium.net/go/mautrix/id"

	"github.com/igbridge/igbridge/pkg/media"
)

// uploadVideo uploads the best format of a video that fits under limit (see media.Choices),
// trying the next one while the homeserver or the CDN says a file is too large, and a re-encode
// when none fits. When even that is not possible, the error is a *media.TooLargeError.
func (ic *Connector) uploadVideo(ctx context.Context, uploader bridgev2.MatrixAPI, roomID id.RoomID, item media.Item, limit int64, name string) (*uploaded, error) {
	log := zerolog.Ctx(ctx)
	choices := media.Choices(item.Formats, limit, ic.ffmpeg != nil)
	if len(item.Formats) == 0 {
		// No formats listed: the URL yt-dlp picked is the only choice.
		choices = []media.Choice{{Video: media.Format{URL: item.URL, Width: item.Width, Height: item.Height}}}
	}
	var tooLarge error = &media.TooLargeError{Size: smallestSize(item.Formats, ic.ffmpeg != nil), Limit: limit}
	for _, c := range choices {
		res, err := ic.uploadChoice(ctx, uploader, roomID, item, c, limit, name)
		if errors.Is(err, media.ErrTooLarge) {
			log.Debug().Err(err).Str("format", c.Video.ID).Msg("Format too large, trying the next")
			tooLarge = err
			continue
		}
		if err != nil {
			return nil, err
		}
		log.Debug().Str("format", c.Video.ID).Bool("merged", c.Merged()).Int64("size", res.Size).Msg("Uploaded video")
		return res, nil
	}
	res, err := ic.uploadTranscoded(ctx, uploader, roomID, item, limit, name)
	switch {
	case err == nil:
		return res, nil
	case errors.Is(err, errNoTranscode):
	case errors.Is(err, media.ErrCannotFit), errors.Is(err, media.ErrTooLarge):
		log.Debug().Err(err).Msg("Video not re-encoded")
	case ctx.Err() != nil:
		return nil, err
	default:
		// The "too large" line is still an answer; a broken re-encode should not fail the link.
		log.Warn().Err(err).Msg("Failed to re-encode video to fit the upload limit")
	}
	return nil, tooLarge
}

// smallestSize is the known size of the smallest way to get a video, -1 when it is not known.
func smallestSize(formats []media.Format, canMerge bool) int64 {
	if c, ok := media.SmallestChoice(formats, canMerge); ok && c.Size() > 0 {
		return c.Size()
	}
	return -1
}

// uploadChoice uploads one format of a video: a single file streams straight through, a DASH
// pair is downloaded to files and merged first.
func (ic *Connector) uploadChoice(ctx context.Context, uploader bridgev2.MatrixAPI, roomID id.RoomID, item media.Item, c media.Choice, limit int64, name string) (*uploaded, error) {
	width, height := c.Video.Width, c.Video.Height
	if width == 0 || height == 0 {
		width, height = item.Width, item.Height
	}
	if !c.Merged() {
		single := media.Item{Kind: media.ItemVideo, URL: c.Video.URL, Headers: item.Headers, Width: width, Height: height}
		return ic.upload(ctx, uploader, roomID, single, limit, name)
	}
	dir, err := media.TempDir()
	if err != nil {
		return nil, err
	}
	defer removeTemp(ctx, dir)
	path, mime, err := ic.downloader.DownloadChoice(ctx, ic.ffmpeg, c, item.Headers, limit, dir)
	if err != nil {
		return nil, err
	}
	res := &uploaded{FileName: name + extensionFor(mime), MimeType: mime, Width: width, Height: height}
	return res, ic.uploadFile(ctx, uploader, roomID, res, path, limit)
}

// uploadFile uploads a local file, refusing one over limit before sending anything.
func (ic *Connector) uploadFile(ctx context.Context, uploader bridgev2.MatrixAPI, roomID id.RoomID, res *uploaded, path string, limit int64) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("failed to open media file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("failed to stat media file: %w", err)
	}
	if limit > 0 && st.Size() > limit {
		return &media.TooLargeError{Size: st.Size(), Limit: limit}
	}
	if as := ic.directUploader(uploader, st.Size()); as != nil {
		return uploadError(ic.uploadDirect(ctx, as, roomID, res, st.Size(), f), res, limit)
	}
	return ic.uploadStream(ctx, uploader, roomID, res, st.Size(), limit, func(w io.Writer) (int64, error) {
		return io.Copy(w, f)
	})
}

// removeTemp removes an item's temporary media files.
func removeTemp(ctx context.Context, dir string) {
	if err := os.RemoveAll(dir); err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("Failed to remove temporary media files")
	}
}
