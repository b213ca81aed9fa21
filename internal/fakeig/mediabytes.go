package fakeig

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
)

// mp4HeaderLen is the ftyp box (24 bytes) plus the mdat box header (8 bytes).
const mp4HeaderLen = 32

// syntheticMP4 is a deterministic file that starts like an MP4 (an ftyp box
// with brand mp42, so http.DetectContentType says video/mp4) followed by an
// mdat box of pseudo-random bytes. Any offset can be read without generating
// the preceding bytes, so large files stream and Range requests are cheap.
type syntheticMP4 struct {
	size   int64
	seed   uint64
	header [mp4HeaderLen]byte
}

func newSyntheticMP4(size int64, seed uint64) *syntheticMP4 {
	size = max(size, mp4HeaderLen)
	m := &syntheticMP4{size: size, seed: seed}
	h := m.header[:0]
	h = binary.BigEndian.AppendUint32(h, 24)
	h = append(h, "ftypmp42"...)
	h = binary.BigEndian.AppendUint32(h, 0) // minor version
	h = append(h, "mp42isom"...)
	h = binary.BigEndian.AppendUint32(h, uint32(size-24))
	h = append(h, "mdat"...)
	copy(m.header[:], h)
	return m
}

func (m *syntheticMP4) ReadAt(p []byte, off int64) (int, error) {
	if off >= m.size {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && off < m.size {
		if off < mp4HeaderLen {
			p[n] = m.header[off]
		} else {
			p[n] = byte(splitmix64(m.seed^uint64(off/8)) >> (8 * (off % 8)))
		}
		n++
		off++
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// renderJPEG draws a deterministic w x h picture (colours from seed, a
// gradient and stripes so items differ visibly) and encodes it.
func renderJPEG(w, h int, seed uint64) ([]byte, error) {
	w, h = max(w, 1), max(h, 1)
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	r0, g0, b0 := uint8(seed), uint8(seed>>8), uint8(seed>>16)
	stripe := max(w/8, 1)
	for y := range h {
		for x := range w {
			c := color.RGBA{r0 + uint8(x*96/w), g0 + uint8(y*96/h), b0, 255}
			if (x/stripe)%2 == 0 {
				c.B += 64
			}
			img.SetRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		return nil, fmt.Errorf("failed to encode JPEG: %w", err)
	}
	return buf.Bytes(), nil
}
