package render

import (
	"context"
	"encoding/json"
	"time"
)

// Page is what a Fetcher hands to the Extractor: the document after its
// scripts ran, and the captures that only a browser can make.
type Page struct {
	// URL is the final address after redirects ("about:blank" for html input).
	URL string
	// Status is the HTTP status of the document (0 for html input).
	Status int
	// HTML is the serialised DOM.
	HTML  string
	Title string
	// Screenshot and PDF are set when the request asked for them.
	Screenshot []byte
	PDF        []byte
	// Engine names what produced the page: "browser" or "http".
	Engine string
	// AccessibilityTree is set when the request asked for it.
	AccessibilityTree *AXNode
	// Boxes are where the matches of each scrape selector (Request.Elements)
	// were laid out, in document order, when a browser rendered the page.
	Boxes map[string][]Box
	// Hidden are elements a browser laid out where no one can see them
	// (hidden by a stylesheet, no size, off the page, text the colour of
	// its background), which main content leaves out. An HTTP fetch has
	// none: without a layout, only the markup says what is hidden.
	Hidden []ElementRef
	// Elements is how many elements the browser counted when it listed
	// Hidden, so that a reader can tell its own parse matches.
	Elements int

	// Headers are the document's response headers, names in lower case,
	// repeated headers joined by newlines (nil for html input). The
	// obstacle check reads them: a challenge announces itself in one.
	Headers map[string]string
	// ContentType is the media type the document was served as
	// ("text/html", "application/pdf"), without parameters.
	ContentType string
	// Pages is the page count of a document that is not HTML (a PDF),
	// whose HTML is the text the Fetcher read from it.
	Pages int
	// Warnings say what a Fetcher could not do or noticed, for
	// Meta.Warnings (a PDF with no text layer, pages left out).
	Warnings []string
	// Redirects are the addresses the page went through before URL, the
	// requested one first: HTTP redirects, script redirects, meta
	// refreshes and history changes. Nil when the page stayed where it
	// was asked to load.
	Redirects []string
	// Unsettled is set when the page was still busy (network, DOM,
	// timers or a navigation) when its settle budget ran out.
	Unsettled bool
}

// ElementRef names an element of Page.HTML by its position among the
// document's elements in document order (0 is <html>) and its local name,
// which a reader of the HTML checks to be sure it found the same element.
type ElementRef struct {
	Index int    `json:"index"`
	Tag   string `json:"tag"`
}

// Box is where an element was laid out: CSS pixels from the top left of
// the document. Tag is its local name, so that the extractor can check it
// pairs boxes with the elements it matched itself.
type Box struct {
	Tag                      string
	Top, Left, Width, Height float64
}

// Result is one rendered page. Only the fields of the requested formats are
// set; Screenshot and PDF are base64 strings in JSON.
type Result struct {
	Markdown   string    `json:"markdown,omitempty"`
	Text       string    `json:"text,omitempty"`
	HTML       string    `json:"html,omitempty"`
	RawHTML    string    `json:"rawHtml,omitempty"`
	Links      []Link    `json:"links,omitempty"`
	Metadata   *Metadata `json:"metadata,omitempty"`
	Screenshot []byte    `json:"screenshot,omitempty"`
	PDF        []byte    `json:"pdf,omitempty"`
	Scrape     []Scraped `json:"scrape,omitempty"`
	Outline    string    `json:"outline,omitempty"`
	// AccessibilityTree is the root of the page's accessibility tree.
	AccessibilityTree *AXNode `json:"accessibilityTree,omitempty"`
	// Script is what the request's script returned, as JSON.
	Script json.RawMessage `json:"script,omitempty"`

	// Meta describes how the result was made; transports put it beside the
	// result, not in it.
	Meta Meta `json:"-"`
}

// Link is one hyperlink of the page, with an absolute URL.
type Link struct {
	URL  string `json:"url"`
	Text string `json:"text,omitempty"`
	// Internal is true for a link to the page's own site (the same
	// registrable domain, such as example.co.uk for www.example.co.uk).
	Internal bool `json:"internal"`
}

// Scraped is what one selector of Request.Elements matched, in Cloudflare's
// shape.
type Scraped struct {
	Selector string           `json:"selector"`
	Results  []ScrapedElement `json:"results"`
}

// ScrapedElement is one match: its text as a reader sees it, its inner
// HTML, its attributes, and, when a browser rendered the page, its box in
// CSS pixels from the top left of the document (nil otherwise).
type ScrapedElement struct {
	Text       string      `json:"text"`
	HTML       string      `json:"html"`
	Attributes []Attribute `json:"attributes"`
	Top        *float64    `json:"top,omitempty"`
	Left       *float64    `json:"left,omitempty"`
	Width      *float64    `json:"width,omitempty"`
	Height     *float64    `json:"height,omitempty"`
}

// Attribute is one attribute of a scraped element.
type Attribute struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Metadata is what the document says about itself.
type Metadata struct {
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	Language    string `json:"language,omitempty"`
	Canonical   string `json:"canonical,omitempty"`
	Author      string `json:"author,omitempty"`
	// PublishedTime and ModifiedTime are as the page writes them
	// (usually ISO 8601).
	PublishedTime string `json:"publishedTime,omitempty"`
	ModifiedTime  string `json:"modifiedTime,omitempty"`
	SiteName      string `json:"siteName,omitempty"`
	// Favicon is the page's icon, absolute.
	Favicon   string            `json:"favicon,omitempty"`
	OpenGraph map[string]string `json:"openGraph,omitempty"`
	Twitter   map[string]string `json:"twitter,omitempty"`
	// JSONLD holds each JSON-LD object of the page as it was written.
	JSONLD []json.RawMessage `json:"jsonLd,omitempty"`
	// Pages is the page count of a document that is not HTML (a PDF).
	Pages int `json:"pages,omitempty"`
	// PageType is the kind of page, which decides what its main content
	// is: article, forum, product, collection, listing, documentation,
	// service or other.
	PageType string `json:"pageType,omitempty"`
}

// Meta says how a result was made.
type Meta struct {
	Status int    `json:"status,omitempty"`
	URL    string `json:"url,omitempty"`
	// Redirects are the addresses the page went through before URL, the
	// requested one first (see Page.Redirects).
	Redirects []string `json:"redirects,omitempty"`
	Title     string   `json:"title,omitempty"`
	Engine    string   `json:"engine,omitempty"`
	Cache     string   `json:"cache,omitempty"`
	Timings   Timings  `json:"timings"`
	// ContentType is the media type the document was served as, when it
	// was not HTML ("application/pdf").
	ContentType string `json:"contentType,omitempty"`
	// Obstacle is set when the page stood between the caller and the
	// content: on a failure with code obstacle, or beside content that a
	// short notice interrupts (a paywall under a whole article).
	Obstacle *Obstacle `json:"obstacle,omitempty"`
	// Warnings explain a result that may surprise: above all, why a
	// success has no text.
	Warnings []string `json:"warnings,omitempty"`
	// ContentSignals are what the site's robots.txt says its content may
	// be used for ({"search": "yes", "ai-train": "no"}), when the service
	// reads them and the site gives any.
	ContentSignals map[string]string `json:"contentSignals,omitempty"`
	// LLMsTxt describes the site's llms.txt, on a render of its root page
	// when it has one.
	LLMsTxt *LLMsTxt `json:"llmsTxt,omitempty"`
	// Price is what a page asked to be paid (pay-per-crawl's
	// crawler-price, "USD 0.01"), on a payment_required failure; Charged
	// what the service paid for it (crawler-charged), on a success.
	Price   string `json:"price,omitempty"`
	Charged string `json:"charged,omitempty"`
	// Payment holds the x402 payment requirements of a page, as the site
	// gave them, on a payment_required failure.
	Payment json.RawMessage `json:"payment,omitempty"`
}

// Timings are in milliseconds.
type Timings struct {
	Queue   int64 `json:"queueMs"`
	Fetch   int64 `json:"fetchMs"`
	Extract int64 `json:"extractMs"`
	Script  int64 `json:"scriptMs,omitempty"`
	Total   int64 `json:"totalMs"`
}

func ms(d time.Duration) int64 { return d.Milliseconds() }

// Fetcher turns a request into a Page: a browser pool or a plain HTTP client.
// It must return within ctx's deadline, wrapping ErrTimeout when it ends.
type Fetcher interface {
	Fetch(ctx context.Context, req *Request) (*Page, error)
}

// Extractor derives the text formats of a Result from a Page. It does no I/O.
type Extractor interface {
	Extract(page *Page, req *Request) (*Result, error)
}

// RequestChecker is implemented by an Extractor that can refuse a request
// it could not serve (a selector that does not parse, say) before anything
// is rendered. The error wraps ErrInvalidRequest.
type RequestChecker interface {
	CheckRequest(req *Request) error
}

// AXNode is one node of an accessibility tree, in the shape of Puppeteer's
// page.accessibility.snapshot(), which Cloudflare's route returns.
type AXNode struct {
	Role        string    `json:"role"`
	Name        string    `json:"name,omitempty"`
	Value       any       `json:"value,omitempty"`
	Description string    `json:"description,omitempty"`
	Level       int       `json:"level,omitempty"`
	Checked     any       `json:"checked,omitempty"` // true, false or "mixed"
	Pressed     any       `json:"pressed,omitempty"`
	Disabled    bool      `json:"disabled,omitempty"`
	Expanded    bool      `json:"expanded,omitempty"`
	Focused     bool      `json:"focused,omitempty"`
	Required    bool      `json:"required,omitempty"`
	Selected    bool      `json:"selected,omitempty"`
	Readonly    bool      `json:"readonly,omitempty"`
	Multiline   bool      `json:"multiline,omitempty"`
	Haspopup    string    `json:"haspopup,omitempty"`
	Invalid     string    `json:"invalid,omitempty"`
	Children    []*AXNode `json:"children,omitempty"`
}
