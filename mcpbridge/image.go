package mcpbridge

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	_ "image/png" // the browser's screenshots are PNG unless asked otherwise
	"math"
	"strings"
)

// fitted is a screenshot made to fit a tool result.
type fitted struct {
	data             []byte
	mimeType, format string // "image/jpeg", "JPEG"
	width, height    int
	scaled           bool
	// fromWidth and fromHeight are the browser's size, before scaling.
	fromWidth, fromHeight int
}

// fitImage returns img as it is when it is at most maxBytes long and maxSide
// pixels a side, and otherwise scaled down, keeping its proportions, and
// encoded as JPEG until it fits. A full-page screenshot of a long page is the
// usual case: thousands of pixels tall, more bytes than a context wants, and
// taller than model APIs accept.
func fitImage(img []byte, maxBytes, maxSide int) (fitted, error) {
	cfg, kind, err := image.DecodeConfig(bytes.NewReader(img))
	if err != nil {
		return fitted{}, fmt.Errorf("the browser's image does not decode: %w", err)
	}
	f := fitted{
		data: img, mimeType: "image/" + kind, format: strings.ToUpper(kind),
		width: cfg.Width, height: cfg.Height, fromWidth: cfg.Width, fromHeight: cfg.Height,
	}
	if len(img) <= maxBytes && cfg.Width <= maxSide && cfg.Height <= maxSide {
		return f, nil
	}
	src, _, err := image.Decode(bytes.NewReader(img))
	if err != nil {
		return fitted{}, fmt.Errorf("the browser's image does not decode: %w", err)
	}
	scale := math.Min(1, float64(maxSide)/float64(max(cfg.Width, cfg.Height)))
	if len(img) > maxBytes {
		// Bytes grow with the number of pixels, the square of the scale.
		scale = math.Min(scale, 0.95*math.Sqrt(float64(maxBytes)/float64(len(img))))
	}
	for range 8 {
		w := max(1, int(float64(cfg.Width)*scale))
		h := max(1, int(float64(cfg.Height)*scale))
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, shrink(src, w, h), &jpeg.Options{Quality: screenshotQuality}); err != nil {
			return fitted{}, fmt.Errorf("encoding the scaled image: %w", err)
		}
		if buf.Len() <= maxBytes {
			f.data, f.mimeType, f.format = buf.Bytes(), "image/jpeg", "JPEG"
			f.width, f.height, f.scaled = w, h, true
			return f, nil
		}
		scale *= math.Min(0.9, 0.95*math.Sqrt(float64(maxBytes)/float64(buf.Len())))
	}
	return fitted{}, fmt.Errorf("the %d×%d px image does not shrink below %d bytes", cfg.Width, cfg.Height, maxBytes)
}

// shrink scales src down to w×h, each pixel the average of the source
// pixels under it (a box filter: sharp enough for text, and simple).
func shrink(src image.Image, w, h int) *image.RGBA {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	ycc, _ := src.(*image.YCbCr) // what JPEG decodes to; read without allocating
	for y := range h {
		y0 := b.Min.Y + y*sh/h
		y1 := max(b.Min.Y+(y+1)*sh/h, y0+1)
		for x := range w {
			x0 := b.Min.X + x*sw/w
			x1 := max(b.Min.X+(x+1)*sw/w, x0+1)
			var r, g, bl, n uint64
			for sy := y0; sy < y1; sy++ {
				for sx := x0; sx < x1; sx++ {
					if ycc != nil {
						c := ycc.YCbCrAt(sx, sy)
						cr, cg, cb := color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
						r, g, bl = r+uint64(cr), g+uint64(cg), bl+uint64(cb)
					} else {
						cr, cg, cb, _ := src.At(sx, sy).RGBA()
						r, g, bl = r+uint64(cr>>8), g+uint64(cg>>8), bl+uint64(cb>>8)
					}
					n++
				}
			}
			i := dst.PixOffset(x, y)
			dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2], dst.Pix[i+3] = uint8(r/n), uint8(g/n), uint8(bl/n), 0xff
		}
	}
	return dst
}
