package media

import (
	"bytes"
	"fmt"
	"image"
	_ "image/gif" // formats Instagram serves images and covers in
	_ "image/jpeg"
	_ "image/png"

	_ "golang.org/x/image/webp"
)

// maxBlurhashPixels bounds the pictures decoded for a blurhash: a decoded picture takes about 3
// bytes a pixel, and a hostile header could announce any size.
const maxBlurhashPixels = 4096 * 4096

// ImageBlurhash decodes an encoded picture (JPEG, PNG, GIF or WebP) and returns its 4x3 BlurHash.
func ImageBlurhash(data []byte) (string, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("failed to read image header: %w", err)
	}
	if cfg.Width*cfg.Height > maxBlurhashPixels {
		return "", fmt.Errorf("image of %dx%d is too large to decode", cfg.Width, cfg.Height)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("failed to decode image: %w", err)
	}
	return EncodeBlurhash(img, 4, 3)
}
