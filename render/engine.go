package render

import (
	"errors"
	"fmt"
	"slices"
)

// ErrNeedsBrowser is returned by an HTTP Fetcher under EngineAuto when the
// document it fetched needs a browser to show its content (an empty body
// that script fills, an app root, a noscript warning). Service then renders
// the request in the browser; callers never see this error.
var ErrNeedsBrowser = errors.New("needs a browser")

// checkEngine validates Engine and, for EngineHTTP, that nothing asked for
// needs a browser.
func (r *Request) checkEngine() error {
	switch r.Engine {
	case "", EngineAuto, EngineBrowser:
		return nil
	case EngineHTTP:
		if why := r.BrowserOnly(); why != "" {
			return invalid("engine http cannot serve %s; use engine browser or auto", why)
		}
		return nil
	default:
		return invalid("engine: want auto, browser or http, not %q", r.Engine)
	}
}

// BrowserOnly names the first thing r asks for that only a browser can
// give, or returns "" when a plain HTTP fetch can serve r: captures
// (screenshot, PDF, accessibility tree), element positions, waiting for
// script (selectors, pauses, network idle) and injected scripts or styles.
func (r *Request) BrowserOnly() string {
	for _, f := range []Format{FormatScreenshot, FormatPDF, FormatAccessibilityTree} {
		if slices.Contains(r.Formats, f) {
			return fmt.Sprintf("the %s format", f)
		}
	}
	switch {
	case r.WaitForSelector != nil:
		return "waitForSelector"
	case r.WaitForTimeout > 0:
		return "waitForTimeout"
	case len(r.AddScriptTag) > 0:
		return "addScriptTag"
	case len(r.AddStyleTag) > 0:
		return "addStyleTag"
	}
	if idle := r.Wait().NetworkIdle; idle >= 0 {
		return fmt.Sprintf("waitUntil networkidle%d", idle)
	}
	return ""
}

// engineFor picks the fetcher a validated request starts with: the browser
// when the request asks for it or needs it, else HTTP. fallback reports
// whether an HTTP attempt may hand over to the browser (EngineAuto).
func (s *Service) engineFor(req *Request) (f Fetcher, fallback bool, err error) {
	switch {
	case req.Engine == EngineHTTP && s.opts.HTTPFetcher == nil:
		return nil, false, invalid("engine http is not available on this service")
	case req.Engine == EngineHTTP:
		return s.opts.HTTPFetcher, false, nil
	case req.Engine == EngineBrowser || s.opts.HTTPFetcher == nil || autoNeedsBrowser(req):
		return s.opts.Fetcher, false, nil
	}
	return s.opts.HTTPFetcher, true, nil
}

// autoNeedsBrowser reports whether EngineAuto sends req straight to the
// browser, whatever the document: for what only a browser makes; for a
// scrape, which keeps Cloudflare's shape, positions included; and for main
// content and visible links, which leave out what people cannot see, which
// only a layout knows (a stylesheet hides text as well as markup does).
func autoNeedsBrowser(req *Request) bool {
	return req.BrowserOnly() != "" || slices.Contains(req.Formats, FormatScrape) || req.OnlyMainContent || req.VisibleLinksOnly
}

// servesRequest reports whether a page made by one engine may answer req:
// the engine it names, or under EngineAuto the browser always and HTTP when
// the request needs no browser. The page cache shares pages between
// requests that differ only in what they extract, and main content from a
// page fetched without a layout would keep text no one can see.
func servesRequest(page *Page, req *Request) bool {
	switch req.Engine {
	case EngineHTTP, EngineBrowser:
		return page.Engine == req.Engine
	}
	return page.Engine != EngineHTTP || !autoNeedsBrowser(req)
}
