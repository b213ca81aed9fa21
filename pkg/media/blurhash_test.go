package media

import (
	"bytes"
	"encoding/hex"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

func TestBlurhashSolid(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 100, 60))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = 200, 40, 90, 255
	}
	hash, err := EncodeBlurhash(img, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(hash) != 28 {
		t.Fatalf("hash %q has %d characters, want 28 for 4x3", hash, len(hash))
	}
	bh, err := DecodeBlurhash(hash)
	if err != nil {
		t.Fatal(err)
	}
	if r, g, b := bh.AverageColor(); r != 200 || g != 40 || b != 90 {
		t.Fatalf("average colour %d,%d,%d, want 200,40,90", r, g, b)
	}
	for _, c := range bh.Components[1:] {
		for _, v := range c {
			if v > 0.01 || v < -0.01 {
				t.Fatalf("a solid picture has AC components %v", bh.Components)
			}
		}
	}
}

func TestBlurhashGradient(t *testing.T) {
	// Bright on the left, dark on the right: the first horizontal component is positive, the
	// first vertical one about zero.
	img := image.NewGray(image.Rect(0, 0, 64, 64))
	for y := range 64 {
		for x := range 64 {
			img.SetGray(x, y, color.Gray{Y: uint8(255 - x*4)})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	hash, err := ImageBlurhash(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	bh, err := DecodeBlurhash(hash)
	if err != nil {
		t.Fatal(err)
	}
	if bh.NX != 4 || bh.NY != 3 {
		t.Fatalf("components %dx%d, want 4x3", bh.NX, bh.NY)
	}
	if h, v := bh.Components[1][0], bh.Components[4][0]; h <= 0.05 || v > 0.02 || v < -0.02 {
		t.Fatalf("horizontal %.3f, vertical %.3f: want a positive horizontal and no vertical component", h, v)
	}
}

func TestDecodeBlurhashWellKnown(t *testing.T) {
	// The example of the format's documentation: 4x3 components.
	bh, err := DecodeBlurhash("LEHV6nWB2yk8pyo0adR*.7kCMdnj")
	if err != nil || bh.NX != 4 || bh.NY != 3 || len(bh.Components) != 12 {
		t.Fatalf("decode = %+v, %v", bh, err)
	}
}

func TestDecodeBlurhashRejects(t *testing.T) {
	for _, hash := range []string{"", "LEHV6n", "LEHV6nWB2yk8pyo0adR*.7kCMdnj!", "L\x00HV6nWB2yk8pyo0adR*.7kCMdnj"} {
		if _, err := DecodeBlurhash(hash); err == nil {
			t.Errorf("DecodeBlurhash(%q) succeeded", hash)
		}
	}
}

// TestImageBlurhashWebP: WebP pictures, lossy (VP8) and lossless (VP8L), get a blurhash of their
// colour (lossy WebP is YUV 4:2:0, so within a few steps). Both are 48x32 pictures of #C03020 made
// with ffmpeg's libwebp.
func TestImageBlurhashWebP(t *testing.T) {
	for name, data := range map[string]string{
		"lossy":    "524946464c0000005745425056503820400000007003009d012a300020003e31188a43a221a112b400200304b3803b007e000031abe1780000fef36997fff9f99ddb8bfaadffff901ff203fe407ffc5cc0000000",
		"lossless": "524946461e000000574542505650384c110000002f2fc0070007d0980237a4ff8188e87f0000",
	} {
		raw, err := hex.DecodeString(data)
		if err != nil {
			t.Fatal(err)
		}
		hash, err := ImageBlurhash(raw)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		bh, err := DecodeBlurhash(hash)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r, g, b := bh.AverageColor(); abs(r-0xC0) > 16 || abs(g-0x30) > 16 || abs(b-0x20) > 16 {
			t.Errorf("%s: average colour %d,%d,%d, want about 192,48,32", name, r, g, b)
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
