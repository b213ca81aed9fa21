package media

import (
	"errors"
	"fmt"
	"image"
	"math"
	"strings"
)

// The BlurHash format: a few DCT components of the picture in linear RGB, quantised and written
// in base 83. Clients draw them as a blurred placeholder while the media loads.

const base83Digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"

// blurhashSample is the long side of the grid the picture is averaged down to before the
// components are computed: the components are smooth, so more pixels would change little.
const blurhashSample = 32

func encodeBase83(b *strings.Builder, value, length int) {
	for i := length - 1; i >= 0; i-- {
		b.WriteByte(base83Digits[(value/int(math.Pow(83, float64(i))))%83])
	}
}

func decodeBase83(s string) (int, error) {
	v := 0
	for i := 0; i < len(s); i++ {
		d := strings.IndexByte(base83Digits, s[i])
		if d < 0 {
			return 0, fmt.Errorf("invalid blurhash character %q", s[i])
		}
		v = v*83 + d
	}
	return v, nil
}

func srgbToLinear(v uint8) float64 {
	f := float64(v) / 255
	if f <= 0.04045 {
		return f / 12.92
	}
	return math.Pow((f+0.055)/1.055, 2.4)
}

func linearToSRGB(f float64) int {
	f = max(0, min(1, f))
	if f <= 0.0031308 {
		return int(f*12.92*255 + 0.5)
	}
	return int((1.055*math.Pow(f, 1/2.4)-0.055)*255 + 0.5)
}

// signPow keeps the sign of v and raises its magnitude to exp.
func signPow(v, exp float64) float64 {
	return math.Copysign(math.Pow(math.Abs(v), exp), v)
}

// linearGrid averages img down to at most blurhashSample pixels on its long side, in linear RGB.
func linearGrid(img image.Image) (grid [][3]float64, w, h int) {
	b := img.Bounds()
	iw, ih := b.Dx(), b.Dy()
	w, h = iw, ih
	if scale := float64(blurhashSample) / float64(max(iw, ih)); scale < 1 {
		w, h = max(1, int(float64(iw)*scale)), max(1, int(float64(ih)*scale))
	}
	grid = make([][3]float64, w*h)
	counts := make([]int, w*h)
	// Stepping through source pixels with a stride keeps the cost bounded on huge pictures.
	step := max(1, max(iw, ih)/(blurhashSample*4))
	for y := 0; y < ih; y += step {
		gy := y * h / ih
		for x := 0; x < iw; x += step {
			r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			i := gy*w + x*w/iw
			grid[i][0] += srgbToLinear(uint8(r >> 8))
			grid[i][1] += srgbToLinear(uint8(g >> 8))
			grid[i][2] += srgbToLinear(uint8(bl >> 8))
			counts[i]++
		}
	}
	for i := range grid {
		n := float64(max(counts[i], 1))
		grid[i][0], grid[i][1], grid[i][2] = grid[i][0]/n, grid[i][1]/n, grid[i][2]/n
	}
	return grid, w, h
}

// EncodeBlurhash computes the BlurHash of img with nx x ny components (each 1 to 9).
func EncodeBlurhash(img image.Image, nx, ny int) (string, error) {
	if nx < 1 || nx > 9 || ny < 1 || ny > 9 {
		return "", errors.New("blurhash components must be between 1 and 9")
	}
	if img.Bounds().Empty() {
		return "", errors.New("cannot compute the blurhash of an empty image")
	}
	grid, w, h := linearGrid(img)
	factors := make([][3]float64, nx*ny)
	for j := range ny {
		for i := range nx {
			norm := 2.0
			if i == 0 && j == 0 {
				norm = 1
			}
			var sum [3]float64
			for y := range h {
				cy := math.Cos(math.Pi * float64(j) * (float64(y) + 0.5) / float64(h))
				for x := range w {
					basis := cy * math.Cos(math.Pi*float64(i)*(float64(x)+0.5)/float64(w))
					px := grid[y*w+x]
					sum[0] += basis * px[0]
					sum[1] += basis * px[1]
					sum[2] += basis * px[2]
				}
			}
			scale := norm / float64(w*h)
			factors[j*nx+i] = [3]float64{sum[0] * scale, sum[1] * scale, sum[2] * scale}
		}
	}

	var b strings.Builder
	encodeBase83(&b, (nx-1)+(ny-1)*9, 1)
	maxValue := 1.0
	if len(factors) > 1 {
		var actualMax float64
		for _, f := range factors[1:] {
			actualMax = max(actualMax, math.Abs(f[0]), math.Abs(f[1]), math.Abs(f[2]))
		}
		quantised := int(max(0, min(82, math.Floor(actualMax*166-0.5))))
		maxValue = float64(quantised+1) / 166
		encodeBase83(&b, quantised, 1)
	} else {
		encodeBase83(&b, 0, 1)
	}
	dc := factors[0]
	encodeBase83(&b, linearToSRGB(dc[0])<<16|linearToSRGB(dc[1])<<8|linearToSRGB(dc[2]), 4)
	quant := func(v float64) int {
		return int(max(0, min(18, math.Floor(signPow(v/maxValue, 0.5)*9+9.5))))
	}
	for _, f := range factors[1:] {
		encodeBase83(&b, quant(f[0])*19*19+quant(f[1])*19+quant(f[2]), 2)
	}
	return b.String(), nil
}

// Blurhash is a decoded BlurHash: its components in linear RGB, DC first, row by row.
type Blurhash struct {
	NX, NY     int
	Components [][3]float64
}

// DecodeBlurhash parses a BlurHash, checking its length against its size flag.
func DecodeBlurhash(hash string) (*Blurhash, error) {
	if len(hash) < 6 {
		return nil, errors.New("blurhash is too short")
	}
	flag, err := decodeBase83(hash[:1])
	if err != nil {
		return nil, err
	}
	bh := &Blurhash{NX: flag%9 + 1, NY: flag/9 + 1}
	if want := 4 + 2*bh.NX*bh.NY; len(hash) != want {
		return nil, fmt.Errorf("blurhash has %d characters, its size flag says %d", len(hash), want)
	}
	quantised, err := decodeBase83(hash[1:2])
	if err != nil {
		return nil, err
	}
	maxValue := float64(quantised+1) / 166
	dc, err := decodeBase83(hash[2:6])
	if err != nil {
		return nil, err
	}
	bh.Components = append(bh.Components, [3]float64{
		srgbToLinear(uint8(dc >> 16)), srgbToLinear(uint8(dc >> 8)), srgbToLinear(uint8(dc)),
	})
	for i := 6; i < len(hash); i += 2 {
		v, err := decodeBase83(hash[i : i+2])
		if err != nil {
			return nil, err
		}
		unq := func(q int) float64 { return signPow((float64(q)-9)/9, 2) * maxValue }
		bh.Components = append(bh.Components, [3]float64{unq(v / 361), unq(v / 19 % 19), unq(v % 19)})
	}
	return bh, nil
}

// AverageColor is the picture's mean colour in sRGB.
func (bh *Blurhash) AverageColor() (r, g, b int) {
	dc := bh.Components[0]
	return linearToSRGB(dc[0]), linearToSRGB(dc[1]), linearToSRGB(dc[2])
}
