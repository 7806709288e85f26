package browserpool

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/chromedp/cdproto/cdp"
	jsonv2 "github.com/chromedp/cdproto/cdp/jsonv2"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"

	"github.com/sous-dev/sous/render"
)

// screenshot captures the page as the request's screenshotOptions and
// selector ask.
func (t *tab) screenshot(ctx context.Context, req *render.Request) (_ []byte, err error) {
	o := req.ScreenshotOptions
	if o == nil {
		o = &render.ScreenshotOptions{}
	}
	params := page.CaptureScreenshotParams{Format: page.CaptureScreenshotFormatPng, FromSurface: ptr(true)}
	switch o.Type {
	case "jpeg":
		params.Format = page.CaptureScreenshotFormatJpeg
	case "webp":
		params.Format = page.CaptureScreenshotFormatWebp
	}
	if o.Quality > 0 && params.Format != page.CaptureScreenshotFormatPng {
		params.Quality = ptr(int64(o.Quality))
	}
	if o.OptimizeForSpeed {
		params.OptimizeForSpeed = ptr(true)
	}
	if o.CaptureBeyondViewport != nil {
		params.CaptureBeyondViewport = o.CaptureBeyondViewport
	}
	switch {
	case req.Selector != "":
		raw, err := t.call(ctx, scrollIntoViewScript, req.Selector)
		if err != nil {
			return nil, err
		}
		var clip *page.Viewport
		if err := jsonv2.Unmarshal(raw, &clip); err != nil || clip == nil || clip.Width == 0 || clip.Height == 0 {
			return nil, fmt.Errorf("%w: selector %q matches no visible element", render.ErrInvalidRequest, req.Selector)
		}
		clip.Scale = 1
		params.Clip = clip
		params.CaptureBeyondViewport = ptr(true)
	case o.Clip != nil:
		scale := o.Clip.Scale
		if scale == 0 {
			scale = 1
		}
		params.Clip = &page.Viewport{X: o.Clip.X, Y: o.Clip.Y, Width: o.Clip.Width, Height: o.Clip.Height, Scale: scale}
	case o.FullPage:
		m, err := cdp.Call(ctx, t.s, page.GetLayoutMetrics, cdp.Empty{})
		if err != nil {
			return nil, err
		}
		if m.CSSContentSize != nil {
			params.Clip = &page.Viewport{Width: m.CSSContentSize.Width, Height: min(m.CSSContentSize.Height, 16384), Scale: 1}
			params.CaptureBeyondViewport = ptr(true)
		}
	}
	if o.OmitBackground {
		restore, err := t.transparentBackground(ctx)
		if err != nil {
			return nil, err
		}
		defer func() { err = errors.Join(err, restore()) }()
	}
	res, err := cdp.Call(ctx, t.s, page.CaptureScreenshot, params)
	if err != nil {
		return nil, err
	}
	return res.Data, nil
}

// transparentBackground makes the page's default background transparent,
// for captures with omitBackground, and returns the function that undoes it.
func (t *tab) transparentBackground(ctx context.Context) (restore func() error, err error) {
	if _, err := cdp.Call(ctx, t.s, emulation.SetDefaultBackgroundColorOverride, emulation.SetDefaultBackgroundColorOverrideParams{Color: &cdp.RGBA{}}); err != nil {
		return nil, err
	}
	return func() error {
		if _, err := cdp.Call(cleanupContext(ctx), t.s, emulation.SetDefaultBackgroundColorOverride, emulation.SetDefaultBackgroundColorOverrideParams{}); err != nil {
			return fmt.Errorf("restore the background: %w", err)
		}
		return nil
	}, nil
}

// Paper sizes in inches, as Puppeteer names them.
var paperSizes = map[string][2]float64{
	"letter": {8.5, 11}, "legal": {8.5, 14}, "tabloid": {11, 17}, "ledger": {17, 11},
	"a0": {33.1, 46.8}, "a1": {23.4, 33.1}, "a2": {16.54, 23.4}, "a3": {11.7, 16.54},
	"a4": {8.27, 11.7}, "a5": {5.83, 8.27}, "a6": {4.13, 5.83},
}

// pdf prints the page as the request's pdfOptions ask.
func (t *tab) pdf(ctx context.Context, o *render.PDFOptions) (_ []byte, err error) {
	if o == nil {
		o = &render.PDFOptions{}
	}
	params := page.PrintToPDFParams{
		Landscape:           ptr(o.Landscape),
		PrintBackground:     ptr(o.PrintBackground),
		DisplayHeaderFooter: ptr(o.DisplayHeaderFooter),
		HeaderTemplate:      o.HeaderTemplate,
		FooterTemplate:      o.FooterTemplate,
		PageRanges:          o.PageRanges,
		PreferCSSPageSize:   ptr(o.PreferCSSPageSize),
		Scale:               o.Scale,
		GenerateTaggedPDF:   ptr(true),
	}
	size := paperSizes["letter"]
	if o.Format != "" {
		s, ok := paperSizes[strings.ToLower(o.Format)]
		if !ok {
			return nil, fmt.Errorf("%w: pdfOptions.format %q is not a known paper size", render.ErrInvalidRequest, o.Format)
		}
		size = s
	}
	params.PaperWidth, params.PaperHeight = size[0], size[1]
	for _, l := range []struct {
		css string
		dst *float64
	}{{o.Width, &params.PaperWidth}, {o.Height, &params.PaperHeight}} {
		if l.css != "" {
			in, err := cssInches(l.css)
			if err != nil {
				return nil, fmt.Errorf("%w: pdfOptions: %v", render.ErrInvalidRequest, err)
			}
			*l.dst = in
		}
	}
	if m := o.Margin; m != nil {
		for _, l := range []struct {
			css string
			dst **float64
		}{{m.Top, &params.MarginTop}, {m.Right, &params.MarginRight}, {m.Bottom, &params.MarginBottom}, {m.Left, &params.MarginLeft}} {
			if l.css != "" {
				in, err := cssInches(l.css)
				if err != nil {
					return nil, fmt.Errorf("%w: pdfOptions.margin: %v", render.ErrInvalidRequest, err)
				}
				*l.dst = ptr(in)
			}
		}
	}
	if o.OmitBackground {
		restore, err := t.transparentBackground(ctx)
		if err != nil {
			return nil, err
		}
		defer func() { err = errors.Join(err, restore()) }()
	}
	res, err := cdp.Call(ctx, t.s, page.PrintToPDF, params)
	if err != nil {
		return nil, err
	}
	return res.Data, nil
}

// cssInches converts a CSS length (px, in, cm, mm; a bare number is px) to inches.
func cssInches(s string) (float64, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	units := map[string]float64{"px": 1.0 / 96, "in": 1, "cm": 1 / 2.54, "mm": 1 / 25.4}
	unit := 1.0 / 96
	for suffix, f := range units {
		if strings.HasSuffix(s, suffix) {
			s, unit = strings.TrimSuffix(s, suffix), f
			break
		}
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%q is not a CSS length", s)
	}
	return v * unit, nil
}
