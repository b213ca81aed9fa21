package connector

import (
	"bytes"
	"context"
	"errors"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/bridgev2"
	"maunium.net/go/mautrix/id"

	"github.com/igbridge/igbridge/pkg/media"
)

// maxBlurhashInput is the largest image kept in memory for its blurhash; larger ones get none.
const maxBlurhashInput = 8 << 20

// uploadImage uploads the largest candidate of an image that fits under limit, trying the next
// smaller one while the CDN or the homeserver says a file is too large.
func (ic *Connector) uploadImage(ctx context.Context, uploader bridgev2.MatrixAPI, roomID id.RoomID, item media.Item, limit int64, name string) (*uploaded, error) {
	candidates := []media.Item{item}
	for _, f := range item.Formats {
		if f.URL != item.URL {
			candidates = append(candidates, media.Item{Kind: media.ItemImage, URL: f.URL, Headers: item.Headers, Width: f.Width, Height: f.Height})
		}
	}
	var err error
	for _, c := range candidates {
		var res *uploaded
		res, err = ic.upload(ctx, uploader, roomID, c, limit, name)
		if !errors.Is(err, media.ErrTooLarge) {
			return res, err
		}
		zerolog.Ctx(ctx).Debug().Err(err).Int("width", c.Width).Msg("Image candidate too large, trying the next")
	}
	return nil, err
}

// imageBlurhash computes the blurhash of a kept image; "" when it was too large to keep or cannot
// be decoded.
func imageBlurhash(ctx context.Context, keep *cappedBuffer) string {
	if keep.overflow {
		return ""
	}
	return blurhashOf(ctx, keep.buf.Bytes())
}

// blurhashOf is the blurhash of an encoded image; "" when it cannot be decoded.
func blurhashOf(ctx context.Context, data []byte) string {
	hash, err := media.ImageBlurhash(data)
	if err != nil {
		zerolog.Ctx(ctx).Debug().Err(err).Msg("No blurhash for image")
		return ""
	}
	return hash
}

// cappedBuffer keeps what is written up to max bytes; past that it drops everything and notes
// the overflow, so the writer it is teed from never fails because of it.
type cappedBuffer struct {
	buf      bytes.Buffer
	max      int
	overflow bool
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if b.overflow || b.buf.Len()+len(p) > b.max {
		b.overflow = true
		b.buf = bytes.Buffer{}
		return len(p), nil
	}
	return b.buf.Write(p)
}
