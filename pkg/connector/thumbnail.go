package connector

import (
	"bytes"
	"context"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/bridgev2"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/igbridge/igbridge/pkg/media"
)

// cover is a video's still image, downloaded into memory while the video downloads and uploads.
// It is uploaded only once the video is, so a video that fails leaves no stray upload.
type cover struct {
	done   chan struct{}
	cancel context.CancelFunc
	data   []byte
	mime   string
	err    error
}

// fetchCover starts downloading a video's cover; nil when it has none. Covers larger than
// maxBlurhashInput (or the limit) are not kept.
func (ic *Connector) fetchCover(ctx context.Context, item media.Item, limit int64) *cover {
	if item.ThumbnailURL == "" {
		return nil
	}
	if limit <= 0 || limit > maxBlurhashInput {
		limit = maxBlurhashInput
	}
	ctx, cancel := context.WithCancel(ctx)
	c := &cover{done: make(chan struct{}), cancel: cancel}
	thumb := media.Item{Kind: media.ItemImage, URL: item.ThumbnailURL, Headers: item.Headers}
	go func() {
		defer close(c.done)
		c.data, c.mime, c.err = ic.download(ctx, thumb, limit)
	}()
	return c
}

// wait returns once the download has ended.
func (c *cover) wait() { <-c.done }

// stop ends the download (if it still runs) and waits for it; nil-safe.
func (c *cover) stop() {
	if c != nil {
		c.cancel()
		c.wait()
	}
}

// download reads a small file whole into memory.
func (ic *Connector) download(ctx context.Context, item media.Item, limit int64) ([]byte, string, error) {
	m, err := ic.downloader.Open(ctx, item, limit)
	if err != nil {
		return nil, "", err
	}
	defer m.Close()
	var buf bytes.Buffer
	buf.Grow(int(max(m.Size, 0)))
	if _, err = m.WriteTo(&buf); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), m.MimeType, nil
}

// addThumbnail uploads the video's cover and attaches it; a video without one is still worth posting.
func (ic *Connector) addThumbnail(ctx context.Context, uploader bridgev2.MatrixAPI, roomID id.RoomID, info *event.FileInfo, item media.Item, c *cover, name string) {
	if c == nil {
		return
	}
	c.wait()
	log := zerolog.Ctx(ctx)
	if c.err != nil {
		log.Warn().Err(c.err).Msg("Failed to download video thumbnail")
		return
	}
	url, file, err := uploader.UploadMedia(ctx, roomID, c.data, name+"_thumb"+extensionFor(c.mime), c.mime)
	if err != nil {
		log.Warn().Err(err).Msg("Failed to upload video thumbnail")
		return
	}
	hash := blurhashOf(ctx, c.data)
	info.ThumbnailURL = url
	info.ThumbnailFile = file
	info.ThumbnailInfo = &event.FileInfo{
		MimeType:     c.mime,
		Size:         len(c.data),
		Width:        item.ThumbnailWidth,
		Height:       item.ThumbnailHeight,
		AnoaBlurhash: hash,
	}
	info.AnoaBlurhash = hash
}
