package render

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Format names one representation of a page in a Result.
type Format string

// The formats a request can ask for.
const (
	FormatMarkdown   Format = "markdown"
	FormatText       Format = "text"
	FormatHTML       Format = "html"    // cleaned: no scripts, styles or comments
	FormatRawHTML    Format = "rawHtml" // the document as the browser serialised it
	FormatLinks      Format = "links"
	FormatMetadata   Format = "metadata"
	FormatScreenshot Format = "screenshot"
	FormatPDF        Format = "pdf"
	// FormatScrape is the elements Request.Elements select, each match with
	// its text, inner HTML, attributes and (from a browser) position.
	FormatScrape Format = "scrape"
	// FormatOutline is a compact accessibility-style outline of the page:
	// landmarks, headings, links, buttons, form fields and images, one per
	// line, each with a ref.
	FormatOutline Format = "outline"
	// FormatAccessibilityTree is the browser's accessibility tree, in
	// Puppeteer's snapshot shape (Cloudflare's accessibilityTree route).
	FormatAccessibilityTree Format = "accessibilityTree"
)

// Formats lists every known format, in the order documentation shows them.
var Formats = []Format{FormatMarkdown, FormatText, FormatHTML, FormatRawHTML, FormatLinks, FormatMetadata, FormatScreenshot, FormatPDF, FormatScrape, FormatOutline, FormatAccessibilityTree}

// Request is one render. Field names and JSON names follow Cloudflare Browser
// Rendering where it has one, so its request bodies work unchanged.
type Request struct {
	// URL is the page to render. Exactly one of URL and HTML is set.
	URL string `json:"url,omitempty"`
	// HTML is a document to render as given, with no fetch for the document
	// itself (its subresources with absolute URLs are still fetched). It
	// stays the page: navigations its scripts start are refused and noted
	// in Meta.Warnings.
	HTML string `json:"html,omitempty"`
	// Formats lists what the Result carries; empty means markdown.
	Formats []Format `json:"formats,omitempty"`

	// OnlyMainContent narrows markdown, text and html to the page's main
	// content: the article without its headline, menus, banners, sidebars,
	// related links and footers.
	OnlyMainContent bool `json:"onlyMainContent,omitempty"`
	// IncludeTags and ExcludeTags are CSS selectors applied to the page
	// before markdown, text and html are made from it: with IncludeTags only
	// the elements they match are kept; elements ExcludeTags match are
	// dropped.
	IncludeTags []string `json:"includeTags,omitempty"`
	ExcludeTags []string `json:"excludeTags,omitempty"`
	// MaxChars caps markdown and text at this many characters; a longer
	// output is cut at a block boundary and ends with a line saying how
	// many characters were left out. Zero means no cap.
	MaxChars int `json:"maxChars,omitempty"`

	// InterestingOnly keeps only the nodes of the accessibility tree a
	// person would notice (Puppeteer's default, true).
	InterestingOnly *bool `json:"interestingOnly,omitempty"`
	// Elements are what the scrape format selects, by CSS selector.
	Elements []ScrapeElement `json:"elements,omitempty"`
	// VisibleLinksOnly leaves out of the links format the links inside
	// hidden elements; ExcludeExternalLinks those to other sites.
	VisibleLinksOnly     bool `json:"visibleLinksOnly,omitempty"`
	ExcludeExternalLinks bool `json:"excludeExternalLinks,omitempty"`

	GotoOptions     *GotoOptions     `json:"gotoOptions,omitempty"`
	WaitForSelector *WaitForSelector `json:"waitForSelector,omitempty"`
	// WaitForTimeout is a pause in milliseconds after the page has loaded.
	WaitForTimeout int       `json:"waitForTimeout,omitempty"`
	Viewport       *Viewport `json:"viewport,omitempty"`
	UserAgent      string    `json:"userAgent,omitempty"`
	// ExtraHTTPHeaders are sent with every request the page makes.
	ExtraHTTPHeaders map[string]string `json:"setExtraHTTPHeaders,omitempty"`
	Cookies          []Cookie          `json:"cookies,omitempty"`
	Authenticate     *Credentials      `json:"authenticate,omitempty"`

	// Resource filters. Types are the browser's resource types (document,
	// stylesheet, image, media, font, script, xhr, fetch, …); patterns are
	// regular expressions over the request URL, plain or as /re/flags.
	// A request is dropped if it matches a reject rule, or if allow rules are
	// given and it matches none of them. The document itself is never dropped.
	RejectResourceTypes  []string `json:"rejectResourceTypes,omitempty"`
	RejectRequestPattern []string `json:"rejectRequestPattern,omitempty"`
	AllowResourceTypes   []string `json:"allowResourceTypes,omitempty"`
	AllowRequestPattern  []string `json:"allowRequestPattern,omitempty"`

	AddScriptTag []ScriptTag `json:"addScriptTag,omitempty"`
	AddStyleTag  []StyleTag  `json:"addStyleTag,omitempty"`
	// EmulateMediaType is "screen" or "print".
	EmulateMediaType string `json:"emulateMediaType,omitempty"`
	// JavaScriptEnabled turns page scripts off when false.
	JavaScriptEnabled *bool `json:"setJavaScriptEnabled,omitempty"`

	ScreenshotOptions *ScreenshotOptions `json:"screenshotOptions,omitempty"`
	// Selector limits a screenshot to the first element it matches.
	Selector   string      `json:"selector,omitempty"`
	PDFOptions *PDFOptions `json:"pdfOptions,omitempty"`

	// Engine chooses what loads the page: EngineBrowser renders it in
	// Chromium; EngineHTTP fetches the document with a plain HTTP client and
	// runs no script; EngineAuto (the default) tries HTTP first and renders
	// in the browser when the document needs script to show its content,
	// or when the request asks for something only a browser makes.
	Engine string `json:"engine,omitempty"`
	// Purpose is what the content is for, as sites' Content Signals name
	// it: search, ai-input or ai-train. When the service respects signals
	// (--respect-signals), a page whose site refuses the purpose is not
	// rendered (CodeDisallowed).
	Purpose string `json:"purpose,omitempty"`

	// SettleTimeout is the settle budget in milliseconds: after the load
	// event, the page is given until it is quiet (no network activity for
	// 500 ms, no DOM change for 300 ms, no short timer pending, no
	// navigation under way) or until this much time has passed. Unset
	// means DefaultSettle when the request names neither
	// gotoOptions.waitUntil nor waitForSelector, which keep their exact
	// meanings, and no settle when it names one; 0 turns settling off. It
	// never runs past the request's deadline.
	SettleTimeout *int `json:"settleTimeout,omitempty"`
	// ScrollPages bounds the scroll pass made before text, a full-page
	// screenshot or a PDF is captured, in viewport heights (it also stops
	// after about two seconds), so that lazy images and sections loaded
	// on view are there. Unset means DefaultScrollPages; 0 turns it off.
	ScrollPages *int `json:"scrollPages,omitempty"`
	// IncludeFrames puts the documents of iframes (same- and cross-origin)
	// into the page where each frame sits, wrapped in an element marked
	// data-sous-frame with the frame's URL. Unset means true.
	IncludeFrames *bool `json:"includeFrames,omitempty"`

	// CacheTTL is how many seconds a result may be reused: one stored at
	// most this long ago answers the request, and this one is kept as long.
	// Unset means 5; 0 means bypass the cache; at most 86400 (a day).
	CacheTTL *int `json:"cacheTTL,omitempty"`

	// norm is what Normalize worked out; nil on a request it did not make.
	norm *normalized

	// Script is the body of a JavaScript function with page in scope
	// ({url, title, html, markdown, text, links, metadata}, as far as the
	// formats asked for them); what it returns, as JSON, is Result.Script.
	// It runs in an isolate after the cache, so a cached page is not
	// rendered again for a new script.
	Script string `json:"script,omitempty"`
}

// The engines Request.Engine may name.
const (
	EngineAuto    = "auto"
	EngineBrowser = "browser"
	EngineHTTP    = "http"
)

// ScrapeElement is one selection of the scrape format.
type ScrapeElement struct {
	Selector string `json:"selector"`
}

// GotoOptions controls navigation.
type GotoOptions struct {
	// WaitUntil is when navigation counts as done: load (default),
	// domcontentloaded, networkidle0 (no connections for 500 ms) or
	// networkidle2 (at most two for 500 ms). JSON takes a string or a list.
	WaitUntil WaitUntil `json:"waitUntil,omitempty"`
	// Timeout in milliseconds is the deadline of the whole request, every
	// stage included. Zero means the service default.
	Timeout int `json:"timeout,omitempty"`
	// Referer is sent with the document request.
	Referer string `json:"referer,omitempty"`
}

// WaitUntil is a list of lifecycle events that must all have happened.
type WaitUntil []string

// UnmarshalJSON accepts "load" as well as ["load", "networkidle0"].
func (w *WaitUntil) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*w = WaitUntil{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("waitUntil: want a string or a list of strings")
	}
	*w = many
	return nil
}

// The lifecycle events WaitUntil may name.
const (
	WaitLoad             = "load"
	WaitDOMContentLoaded = "domcontentloaded"
	WaitNetworkIdle0     = "networkidle0"
	WaitNetworkIdle2     = "networkidle2"
)

// WaitForSelector waits for an element after navigation.
type WaitForSelector struct {
	Selector string `json:"selector"`
	Visible  bool   `json:"visible,omitempty"`
	Hidden   bool   `json:"hidden,omitempty"`
	// Timeout in milliseconds; zero means until the request deadline.
	Timeout int `json:"timeout,omitempty"`
}

// Viewport is the size of the page's window.
type Viewport struct {
	Width             int     `json:"width"`
	Height            int     `json:"height"`
	DeviceScaleFactor float64 `json:"deviceScaleFactor,omitempty"`
	IsMobile          bool    `json:"isMobile,omitempty"`
	HasTouch          bool    `json:"hasTouch,omitempty"`
	IsLandscape       bool    `json:"isLandscape,omitempty"`
}

// Cookie is set before navigation. Either URL or Domain must be given.
type Cookie struct {
	Name     string  `json:"name"`
	Value    string  `json:"value"`
	URL      string  `json:"url,omitempty"`
	Domain   string  `json:"domain,omitempty"`
	Path     string  `json:"path,omitempty"`
	Secure   bool    `json:"secure,omitempty"`
	HTTPOnly bool    `json:"httpOnly,omitempty"`
	SameSite string  `json:"sameSite,omitempty"` // Strict, Lax or None
	Expires  float64 `json:"expires,omitempty"`  // seconds since the epoch
}

// Credentials answer HTTP authentication challenges.
type Credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// ScriptTag is a script added to the page after it loads: a URL or inline content.
type ScriptTag struct {
	URL     string `json:"url,omitempty"`
	Content string `json:"content,omitempty"`
	Type    string `json:"type,omitempty"`
	ID      string `json:"id,omitempty"`
}

// StyleTag is a stylesheet added to the page after it loads.
type StyleTag struct {
	URL     string `json:"url,omitempty"`
	Content string `json:"content,omitempty"`
}

// ScreenshotOptions follow Puppeteer's names, as Cloudflare's do.
type ScreenshotOptions struct {
	Type                  string `json:"type,omitempty"`    // png (default), jpeg or webp
	Quality               int    `json:"quality,omitempty"` // 0-100, jpeg and webp only
	FullPage              bool   `json:"fullPage,omitempty"`
	OmitBackground        bool   `json:"omitBackground,omitempty"`
	Clip                  *Clip  `json:"clip,omitempty"`
	CaptureBeyondViewport *bool  `json:"captureBeyondViewport,omitempty"`
	OptimizeForSpeed      bool   `json:"optimizeForSpeed,omitempty"`
}

// Clip is a rectangle of the page in CSS pixels.
type Clip struct {
	X      float64 `json:"x"`
	Y      float64 `json:"y"`
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
	Scale  float64 `json:"scale,omitempty"`
}

// PDFOptions follow Puppeteer's names, as Cloudflare's do.
type PDFOptions struct {
	// Format is a paper size: Letter (default), Legal, Tabloid, Ledger, A0–A6.
	Format              string     `json:"format,omitempty"`
	Landscape           bool       `json:"landscape,omitempty"`
	PrintBackground     bool       `json:"printBackground,omitempty"`
	Scale               float64    `json:"scale,omitempty"`
	Width               string     `json:"width,omitempty"`  // CSS length, e.g. "8.5in", "210mm"
	Height              string     `json:"height,omitempty"` // CSS length
	Margin              *PDFMargin `json:"margin,omitempty"`
	DisplayHeaderFooter bool       `json:"displayHeaderFooter,omitempty"`
	HeaderTemplate      string     `json:"headerTemplate,omitempty"`
	FooterTemplate      string     `json:"footerTemplate,omitempty"`
	PageRanges          string     `json:"pageRanges,omitempty"`
	PreferCSSPageSize   bool       `json:"preferCSSPageSize,omitempty"`
	OmitBackground      bool       `json:"omitBackground,omitempty"`
}

// PDFMargin holds CSS lengths ("1cm", "0.5in", "10px" or a number of pixels).
type PDFMargin struct {
	Top    string `json:"top,omitempty"`
	Right  string `json:"right,omitempty"`
	Bottom string `json:"bottom,omitempty"`
	Left   string `json:"left,omitempty"`
}

// Limits on what one request may ask for.
const (
	MaxURLLength  = 8 << 10
	MaxHTMLLength = 8 << 20
	MaxViewport   = 8192
)

// Limits on the content controls. Selectors are only checked for size
// here; whether one parses is the Extractor's to say, since render has no
// CSS parser (it wraps ErrInvalidRequest when one does not).
const (
	MaxSelectors      = 64
	MaxSelectorLength = 1024
)

// Bounds and defaults of the fidelity options: how long a page may take to
// settle, how far the scroll pass goes.
const (
	DefaultSettle      = 3000 // milliseconds
	MaxSettleTimeout   = 60000
	DefaultScrollPages = 10
	MaxScrollPages     = 100
)

// Wants reports whether f is among the requested formats.
func (r *Request) Wants(f Format) bool { return slices.Contains(r.Formats, f) }

// check reports the first problem of a request whose defaults Normalize
// has filled in, wrapped in ErrInvalidRequest. Request patterns are
// Normalize's to compile and check.
func (r *Request) check() error {
	switch {
	case r.URL == "" && r.HTML == "":
		return invalid("give either url or html")
	case r.URL != "" && r.HTML != "":
		return invalid("give either url or html, not both")
	case len(r.HTML) > MaxHTMLLength:
		return invalid("html is %d bytes; the limit is %d", len(r.HTML), MaxHTMLLength)
	}
	if r.URL != "" {
		if err := ValidateURL(r.URL); err != nil {
			return err
		}
	}
	// Sizes first, so nothing below works on an unbounded input.
	if err := r.checkLimits(); err != nil {
		return err
	}
	for i, f := range r.Formats {
		if !slices.Contains(Formats, f) {
			return invalid("formats[%d]: unknown format %q; known formats are %s", i, f, formatList())
		}
	}
	for _, tags := range []struct {
		name string
		list []string
	}{{"includeTags", r.IncludeTags}, {"excludeTags", r.ExcludeTags}} {
		name, list := tags.name, tags.list
		if len(list) > MaxSelectors {
			return invalid("%s has %d selectors; the limit is %d", name, len(list), MaxSelectors)
		}
		for i, sel := range list {
			if strings.TrimSpace(sel) == "" {
				return invalid("%s[%d] is empty", name, i)
			}
			if len(sel) > MaxSelectorLength {
				return invalid("%s[%d] is %d bytes; the limit is %d", name, i, len(sel), MaxSelectorLength)
			}
		}
	}
	if r.MaxChars < 0 {
		return invalid("maxChars must not be negative")
	}
	if err := r.checkScript(); err != nil {
		return err
	}
	if err := r.checkPurpose(); err != nil {
		return err
	}
	if err := r.checkEngine(); err != nil {
		return err
	}
	if err := r.checkElements(); err != nil {
		return err
	}
	if g := r.GotoOptions; g != nil {
		for _, w := range g.WaitUntil {
			switch w {
			case WaitLoad, WaitDOMContentLoaded, WaitNetworkIdle0, WaitNetworkIdle2:
			default:
				return invalid("gotoOptions.waitUntil: unknown event %q; use load, domcontentloaded, networkidle0 or networkidle2", w)
			}
		}
		if g.Timeout < 0 {
			return invalid("gotoOptions.timeout must not be negative")
		}
	}
	if w := r.WaitForSelector; w != nil {
		if strings.TrimSpace(w.Selector) == "" {
			return invalid("waitForSelector.selector is empty")
		}
		if w.Visible && w.Hidden {
			return invalid("waitForSelector: visible and hidden exclude each other")
		}
	}
	if r.WaitForTimeout < 0 {
		return invalid("waitForTimeout must not be negative")
	}
	if s := r.SettleTimeout; s != nil && (*s < 0 || *s > MaxSettleTimeout) {
		return invalid("settleTimeout must be between 0 and %d milliseconds", MaxSettleTimeout)
	}
	if s := r.ScrollPages; s != nil && (*s < 0 || *s > MaxScrollPages) {
		return invalid("scrollPages must be between 0 and %d", MaxScrollPages)
	}
	if t := r.CacheTTL; t != nil && (*t < 0 || *t > int(MaxCacheTTL/time.Second)) {
		return invalid("cacheTTL must be between 0 and %d seconds", int(MaxCacheTTL/time.Second))
	}
	if v := r.Viewport; v != nil {
		if v.Width <= 0 || v.Height <= 0 || v.Width > MaxViewport || v.Height > MaxViewport {
			return invalid("viewport: width and height must be between 1 and %d", MaxViewport)
		}
		if v.DeviceScaleFactor < 0 || v.DeviceScaleFactor > 4 {
			return invalid("viewport.deviceScaleFactor must be between 0 and 4")
		}
	}
	for i, c := range r.Cookies {
		if c.Name == "" {
			return invalid("cookies[%d]: name is empty", i)
		}
		if c.URL == "" && c.Domain == "" && r.URL == "" {
			return invalid("cookies[%d]: give url or domain", i)
		}
	}
	if m := r.EmulateMediaType; m != "" && m != "screen" && m != "print" {
		return invalid("emulateMediaType: want screen or print, not %q", m)
	}
	if s := r.ScreenshotOptions; s != nil {
		switch s.Type {
		case "", "png", "jpeg", "webp":
		default:
			return invalid("screenshotOptions.type: want png, jpeg or webp, not %q", s.Type)
		}
		if s.Quality < 0 || s.Quality > 100 {
			return invalid("screenshotOptions.quality must be between 0 and 100")
		}
		if s.Clip != nil && (s.Clip.Width <= 0 || s.Clip.Height <= 0) {
			return invalid("screenshotOptions.clip needs a positive width and height")
		}
	}
	for i, t := range r.AddScriptTag {
		if (t.URL == "") == (t.Content == "") {
			return invalid("addScriptTag[%d]: give url or content", i)
		}
	}
	for i, t := range r.AddStyleTag {
		if (t.URL == "") == (t.Content == "") {
			return invalid("addStyleTag[%d]: give url or content", i)
		}
	}
	return nil
}

// ValidateURL checks that u is an absolute http or https URL without
// credentials, the only kind a render may start from.
func ValidateURL(u string) error {
	if len(u) > MaxURLLength {
		return invalid("url is %d bytes; the limit is %d", len(u), MaxURLLength)
	}
	p, err := url.Parse(u)
	if err != nil {
		return invalid("url %q does not parse: %v", u, err)
	}
	if p.Scheme != "http" && p.Scheme != "https" {
		return invalid("url must start with http:// or https://, not %q", u)
	}
	if p.Hostname() == "" {
		return invalid("url %q has no host", u)
	}
	if p.User != nil {
		return invalid("url must not carry a user name or password; use authenticate")
	}
	return nil
}

// CompilePattern compiles a request pattern: a Go regular expression, or a
// JavaScript-style literal /re/flags (flag i is honoured, others ignored), as
// Cloudflare's examples write them.
func CompilePattern(p string) (*regexp.Regexp, error) {
	if len(p) >= 2 && p[0] == '/' {
		if end := strings.LastIndexByte(p, '/'); end > 0 {
			re, flags := p[1:end], p[end+1:]
			if strings.Trim(flags, "gimsuy") == "" {
				if strings.Contains(flags, "i") {
					re = "(?i)" + re
				}
				p = re
			}
		}
	}
	return regexp.Compile(p)
}

// Deadline returns how long the request may take in all: its own timeout if
// set, else def, and never more than max.
func (r *Request) Deadline(def, max time.Duration) time.Duration {
	d := def
	if r.GotoOptions != nil && r.GotoOptions.Timeout > 0 {
		d = time.Duration(r.GotoOptions.Timeout) * time.Millisecond
	}
	return min(d, max)
}

func formatList() string {
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}

// checkElements bounds the scrape selectors; whether each parses is the
// Extractor's to say.
func (r *Request) checkElements() error {
	if r.Wants(FormatScrape) && len(r.Elements) == 0 {
		return invalid(`the scrape format needs elements: [{"selector": "..."}]`)
	}
	if len(r.Elements) > MaxSelectors {
		return invalid("elements has %d selectors; the limit is %d", len(r.Elements), MaxSelectors)
	}
	for i, e := range r.Elements {
		if strings.TrimSpace(e.Selector) == "" {
			return invalid("elements[%d].selector is empty", i)
		}
		if len(e.Selector) > MaxSelectorLength {
			return invalid("elements[%d].selector is %d bytes; the limit is %d", i, len(e.Selector), MaxSelectorLength)
		}
	}
	return nil
}
