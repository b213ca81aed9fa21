package connector

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/bridgev2"
	"maunium.net/go/mautrix/bridgev2/networkid"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/igbridge/igbridge/pkg/media"
	"github.com/igbridge/igbridge/pkg/queue"
)

// preparedPostFor returns the post of a job with its media on the homeserver: from the cache when
// the post was linked recently, else fetched from Instagram (shared with concurrent jobs for the
// same post) and uploaded.
func (ic *Connector) preparedPostFor(ctx context.Context, job *queue.Job) (*preparedPost, error) {
	link, ok := media.ParseLink(job.LinkURL)
	if !ok {
		return nil, fmt.Errorf("%w: %s", media.ErrInvalidLink, job.LinkURL)
	}
	if cached, err := ic.cache.Failure(ctx, job.LinkKey); err != nil {
		zerolog.Ctx(ctx).Err(err).Msg("Failed to read the failure cache")
	} else if cached != nil {
		return nil, cached
	}
	if link.Kind == media.LinkShare {
		var err error
		if link, err = ic.shares.Resolve(ctx, link); err != nil {
			return nil, err
		}
	}
	encrypted, err := ic.mc.StateStore.IsEncrypted(ctx, job.RoomID)
	if err != nil {
		return nil, fmt.Errorf("failed to check if the room is encrypted: %w", err)
	}
	if pp, err := ic.cache.Get(ctx, link.Key(), encrypted); err != nil {
		zerolog.Ctx(ctx).Err(err).Msg("Failed to read the media cache")
	} else if pp != nil {
		zerolog.Ctx(ctx).Debug().Msg("Answering from the media cache")
		ic.metrics.CacheHit()
		return pp, nil
	}
	ic.metrics.CacheMiss()
	flightKey := link.Key() + "|" + strconv.FormatBool(encrypted)
	result, err, _ := ic.fetches.Do(flightKey, func() (any, error) {
		return ic.fetchAndPrepare(ctx, job.RoomID, link, encrypted)
	})
	if err != nil {
		return nil, err
	}
	return result.(*preparedPost), nil
}

// fetchAndPrepare extracts a post, uploads its media and caches the result.
func (ic *Connector) fetchAndPrepare(ctx context.Context, roomID id.RoomID, link media.Link, encrypted bool) (*preparedPost, error) {
	start := time.Now()
	post, err := ic.extractor.Extract(ctx, link)
	if err != nil {
		return nil, err
	}
	if len(post.Items) == 0 {
		return nil, media.ErrNoMedia
	}
	uploader := ic.Bridge.Bot
	if ghost := ic.ghostFor(ctx, post.Username, post.FullName); ghost != nil {
		uploader = ghost.Intent
	}
	pp := &preparedPost{
		URL:        post.Link.URL(),
		Username:   post.Username,
		FullName:   post.FullName,
		Caption:    post.Caption,
		TotalItems: post.TotalItems,
	}
	limit := ic.maxFileSize.Load()
	for i, item := range post.Items {
		prepared, err := ic.uploadItem(ctx, uploader, roomID, post.ID, i, item, limit)
		var tooLarge *media.TooLargeError
		if errors.As(err, &tooLarge) {
			pp.Items = append(pp.Items, preparedItem{TooLarge: tooLarge})
		} else if err != nil {
			return nil, fmt.Errorf("failed to prepare item %d: %w", i+1, err)
		} else {
			pp.Items = append(pp.Items, prepared)
		}
	}
	ic.metrics.Fetched(time.Since(start))
	if err = ic.cache.Put(ctx, link.Key(), encrypted, pp, ic.Config.Cache.TTL); err != nil {
		zerolog.Ctx(ctx).Err(err).Msg("Failed to cache the post")
	}
	return pp, nil
}

// ghostFor returns the ghost of an Instagram account with its display name up to date, or nil
// when the username is not one Instagram would give out.
func (ic *Connector) ghostFor(ctx context.Context, username, fullName string) *bridgev2.Ghost {
	log := zerolog.Ctx(ctx)
	if !media.ValidUsername(username) {
		log.Warn().Str("username", username).Msg("Not a valid Instagram username, answering as the bot")
		return nil
	}
	ghost, err := ic.Bridge.GetGhostByID(ctx, networkid.UserID(username))
	if err != nil {
		log.Err(err).Msg("Failed to get ghost, answering as the bot")
		return nil
	}
	name := ic.Config.FormatDisplayname(username, fullName)
	ghost.UpdateInfo(ctx, &bridgev2.UserInfo{Name: &name})
	return ghost
}

// uploadItem downloads one item and uploads it; the result holds the media part of its message.
func (ic *Connector) uploadItem(ctx context.Context, uploader bridgev2.MatrixAPI, roomID id.RoomID, postID string, index int, item media.Item, limit int64) (preparedItem, error) {
	name := fmt.Sprintf("%s_%d", postID, index+1)
	var upload *uploaded
	var err error
	var c *cover
	if item.Kind == media.ItemVideo {
		// The cover downloads while the video does, so its round trips add nothing to the answer.
		c = ic.fetchCover(ctx, item, limit)
		defer c.stop()
		upload, err = ic.uploadVideo(ctx, uploader, roomID, item, limit, name)
	} else {
		upload, err = ic.uploadImage(ctx, uploader, roomID, item, limit, name)
	}
	if err != nil {
		return preparedItem{}, err
	}
	content := &event.MessageEventContent{
		MsgType:  event.MsgImage,
		FileName: upload.FileName,
		URL:      upload.URL,
		File:     upload.File,
		Info: &event.FileInfo{
			MimeType: upload.MimeType,
			Size:     int(upload.Size),
			Width:    upload.Width,
			Height:   upload.Height,
			// A video's comes from its thumbnail, in addThumbnail.
			AnoaBlurhash: upload.Blurhash,
		},
	}
	if item.Kind == media.ItemVideo {
		content.MsgType = event.MsgVideo
		content.Info.Duration = int(item.Duration.Milliseconds())
		ic.addThumbnail(ctx, uploader, roomID, content.Info, item, c, name)
	}
	return preparedItem{Content: content, Reduced: upload.Reduced}, nil
}

type uploaded struct {
	URL           id.ContentURIString
	File          *event.EncryptedFileInfo
	FileName      string
	MimeType      string
	Size          int64
	Width, Height int
	// Reduced is set when the video was re-encoded to fit.
	Reduced bool
	// Blurhash is the placeholder of an image, "" for videos and undecodable images.
	Blurhash string
}

// upload streams one media file from Instagram's CDN to the homeserver (encrypted in encrypted rooms).
func (ic *Connector) upload(ctx context.Context, uploader bridgev2.MatrixAPI, roomID id.RoomID, item media.Item, limit int64, name string) (*uploaded, error) {
	m, err := ic.downloader.Open(ctx, item, limit)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	res := &uploaded{FileName: name + extensionFor(m.MimeType), MimeType: m.MimeType, Width: item.Width, Height: item.Height}
	if item.Kind != media.ItemImage {
		return res, ic.uploadStream(ctx, uploader, roomID, res, m.Size, limit, m.WriteTo)
	}
	// Images are small enough to keep a copy for the blurhash while they stream through.
	keep := &cappedBuffer{max: maxBlurhashInput}
	err = ic.uploadStream(ctx, uploader, roomID, res, m.Size, limit, func(w io.Writer) (int64, error) {
		return m.WriteTo(io.MultiWriter(w, keep))
	})
	if err != nil {
		return nil, err
	}
	res.Blurhash = imageBlurhash(ctx, keep)
	return res, nil
}

// uploadStream uploads what write writes (size bytes, or unknown when negative) and fills in
// res's URL, File and Size.
func (ic *Connector) uploadStream(ctx context.Context, uploader bridgev2.MatrixAPI, roomID id.RoomID, res *uploaded, size, limit int64, write func(io.Writer) (int64, error)) error {
	if as := ic.directUploader(uploader, size); as != nil {
		return uploadError(ic.streamDirect(ctx, as, roomID, res, size, write), res, limit)
	}
	var err error
	res.URL, res.File, err = uploader.UploadMediaStream(ctx, roomID, max(size, 0), false,
		func(w io.Writer) (*bridgev2.FileStreamResult, error) {
			n, err := write(w)
			res.Size = n
			return &bridgev2.FileStreamResult{FileName: res.FileName, MimeType: res.MimeType}, err
		})
	return uploadError(err, res, limit)
}

// uploadError says what a failed upload means: too large for the homeserver, the download
// failing while it streamed, or the homeserver failing.
func uploadError(err error, res *uploaded, limit int64) error {
	var tooLarge *media.TooLargeError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, bridgev2.ErrMediaTooLarge), errors.Is(err, mautrix.MTooLarge):
		return &media.TooLargeError{Size: res.Size, Limit: limit}
	case errors.As(err, &tooLarge), media.ClassOf(err) != "":
		return err // the download failed while streaming
	}
	return &matrixError{fmt.Errorf("failed to upload media: %w", err)}
}

func extensionFor(mimeType string) string {
	switch mimeType {
	case "video/mp4":
		return ".mp4"
	case "image/jpeg":
		return ".jpg"
	case "image/png":
		return ".png"
	case "image/webp":
		return ".webp"
	case "video/webm":
		return ".webm"
	}
	return ""
}
