package connector

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/bridgev2"
	"maunium.net/go/mautrix/bridgev2/networkid"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/igbridge/igbridge/pkg/media"
)

// replyWithPost posts every item of a post as a reply to the original message.
func (ic *Connector) replyWithPost(ctx context.Context, job *linkJob, post *media.Post) error {
	if len(post.Items) == 0 {
		return media.ErrNoMedia
	}
	sender := ic.senderFor(ctx, job.Event.RoomID, post)
	limit := ic.maxFileSize.Load()
	for i, item := range post.Items {
		content, err := ic.uploadItem(ctx, sender, job.Event.RoomID, post, i, item, limit)
		var tooLarge *media.TooLargeError
		if errors.As(err, &tooLarge) {
			content = tooLargeContent(post, i, tooLarge)
		} else if err != nil {
			return fmt.Errorf("failed to post item %d: %w", i+1, err)
		}
		content.RelatesTo = replyRelation(job.Event)
		content.Mentions = &event.Mentions{}
		_, err = sender.SendMessage(ctx, job.Event.RoomID, event.EventMessage, &event.Content{Parsed: content}, nil)
		if err != nil {
			return fmt.Errorf("failed to send item %d: %w", i+1, err)
		}
	}
	return nil
}

// senderFor returns the ghost of the post's account, joined to the room, or the bot when the ghost
// cannot be used there (for example a room where the bot may not invite).
func (ic *Connector) senderFor(ctx context.Context, roomID id.RoomID, post *media.Post) bridgev2.MatrixAPI {
	log := zerolog.Ctx(ctx)
	if !media.ValidUsername(post.Username) {
		log.Warn().Str("username", post.Username).Msg("Not a valid Instagram username, answering as the bot")
		return ic.Bridge.Bot
	}
	ghost, err := ic.Bridge.GetGhostByID(ctx, networkid.UserID(post.Username))
	if err != nil {
		log.Err(err).Msg("Failed to get ghost, answering as the bot")
		return ic.Bridge.Bot
	}
	name := ic.Config.FormatDisplayname(post.Username, post.FullName)
	ghost.UpdateInfo(ctx, &bridgev2.UserInfo{Name: &name})
	if err = ghost.Intent.EnsureJoined(ctx, roomID); err != nil {
		log.Warn().Err(err).Stringer("ghost", ghost.Intent.GetMXID()).Msg("Ghost cannot join the room, answering as the bot")
		return ic.Bridge.Bot
	}
	return ghost.Intent
}

// uploadItem downloads one item, uploads it as the sender and builds its message.
func (ic *Connector) uploadItem(ctx context.Context, sender bridgev2.MatrixAPI, roomID id.RoomID, post *media.Post, index int, item media.Item, limit int64) (*event.MessageEventContent, error) {
	upload, err := ic.upload(ctx, sender, roomID, item, limit, fmt.Sprintf("%s_%d", post.ID, index+1))
	if err != nil {
		return nil, err
	}
	body, formatted := caption(post, index, ic.Config.CaptionMaxLength)
	content := &event.MessageEventContent{
		MsgType:       event.MsgImage,
		Body:          body,
		Format:        event.FormatHTML,
		FormattedBody: formatted,
		FileName:      upload.FileName,
		URL:           upload.URL,
		File:          upload.File,
		Info: &event.FileInfo{
			MimeType: upload.MimeType,
			Size:     int(upload.Size),
			Width:    item.Width,
			Height:   item.Height,
		},
	}
	if item.Kind == media.ItemVideo {
		content.MsgType = event.MsgVideo
		content.Info.Duration = int(item.Duration.Milliseconds())
		ic.addThumbnail(ctx, sender, roomID, content.Info, item, limit, post.ID)
	}
	return content, nil
}

// addThumbnail attaches the video's still image; a video without one is still worth posting.
func (ic *Connector) addThumbnail(ctx context.Context, sender bridgev2.MatrixAPI, roomID id.RoomID, info *event.FileInfo, item media.Item, limit int64, name string) {
	if item.ThumbnailURL == "" {
		return
	}
	thumb := media.Item{Kind: media.ItemImage, URL: item.ThumbnailURL, Headers: item.Headers}
	upload, err := ic.upload(ctx, sender, roomID, thumb, limit, name+"_thumb")
	if err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("Failed to upload video thumbnail")
		return
	}
	info.ThumbnailURL = upload.URL
	info.ThumbnailFile = upload.File
	info.ThumbnailInfo = &event.FileInfo{
		MimeType: upload.MimeType,
		Size:     int(upload.Size),
		Width:    item.ThumbnailWidth,
		Height:   item.ThumbnailHeight,
	}
}

type uploaded struct {
	URL      id.ContentURIString
	File     *event.EncryptedFileInfo
	FileName string
	MimeType string
	Size     int64
}

// upload streams one media file from Instagram's CDN to the homeserver (encrypted in encrypted rooms).
func (ic *Connector) upload(ctx context.Context, sender bridgev2.MatrixAPI, roomID id.RoomID, item media.Item, limit int64, name string) (*uploaded, error) {
	m, err := ic.downloader.Open(ctx, item, limit)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	res := &uploaded{FileName: name + extensionFor(m.MimeType), MimeType: m.MimeType}
	res.URL, res.File, err = sender.UploadMediaStream(ctx, roomID, max(m.Size, 0), false,
		func(w io.Writer) (*bridgev2.FileStreamResult, error) {
			n, err := m.WriteTo(w)
			res.Size = n
			return &bridgev2.FileStreamResult{FileName: res.FileName, MimeType: res.MimeType}, err
		})
	if errors.Is(err, bridgev2.ErrMediaTooLarge) {
		return nil, &media.TooLargeError{Size: res.Size, Limit: limit}
	} else if err != nil {
		return nil, fmt.Errorf("failed to upload media: %w", err)
	}
	return res, nil
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

// tooLargeContent answers an item the homeserver cannot take with its size against the limit and the link.
func tooLargeContent(post *media.Post, index int, tooLarge *media.TooLargeError) *event.MessageEventContent {
	body, formatted := caption(post, index, 0)
	note := "Too large to upload here: " + tooLarge.Error() + "."
	return &event.MessageEventContent{
		MsgType:       event.MsgText,
		Body:          note + "\n" + body,
		Format:        event.FormatHTML,
		FormattedBody: "<i>" + note + "</i><br>" + formatted,
	}
}
