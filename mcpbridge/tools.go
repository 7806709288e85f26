package mcpbridge

import (
	"encoding/json"
	"fmt"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/sous-dev/sous/render"
)

// The tools' arguments. Field order is the order clients show them in; the
// jsonschema tags are the descriptions a model reads, and each tool's
// function below adds defaults, enums and bounds to the inferred schema.

// source is the page every tool renders.
type source struct {
	URL  string `json:"url,omitempty" jsonschema:"The page to load: an absolute http:// or https:// URL. Give url or html, not both."`
	HTML string `json:"html,omitempty" jsonschema:"An HTML document to render instead of loading a URL; its images, styles and scripts still load. Give url or html, not both."`
}

// load says when a page counts as loaded.
type load struct {
	WaitUntil     string `json:"waitUntil,omitempty" jsonschema:"Leave it out for the default, which suits most pages: after the load event (or 5 s after domcontentloaded when load is late), wait until the page is quiet (no network activity for 500 ms, no DOM change for 300 ms, up to settleTimeout), following script redirects and meta refreshes. Name an event only to wait for exactly that: load (every resource has loaded, nothing after), domcontentloaded (sooner; for pages that never finish loading), networkidle0 or networkidle2 (no more than 0 or 2 connections for 500 ms)."`
	SettleTimeout *int   `json:"settleTimeout,omitempty" jsonschema:"The most milliseconds to wait after load for the page to go quiet (default 3000 when waitUntil is left out; 0 turns it off). Raise it for apps that fetch their content slowly."`
}

// apply sets what l says on req.
func (l load) apply(req *render.Request) {
	if l.WaitUntil != "" {
		req.GotoOptions = &render.GotoOptions{WaitUntil: render.WaitUntil{l.WaitUntil}}
	}
	req.SettleTimeout = l.SettleTimeout
}

type renderInput struct {
	source
	Format string `json:"format,omitempty" jsonschema:"What to return: markdown (the page as markdown), text (plain text), html (cleaned HTML: no scripts, styles or comments), links (the page's links) or metadata (title, description, language, canonical URL, OpenGraph, Twitter and JSON-LD, as JSON)."`
	// OnlyMainContent is a pointer so that an absent argument means the
	// default, true: an agent almost always wants the article, not the menus.
	OnlyMainContent *bool `json:"onlyMainContent,omitempty" jsonschema:"Return only the main content (the article, without menus, banners, sidebars and footers) for markdown, text and html. Set false for the whole page."`
	MaxChars        int   `json:"maxChars,omitempty" jsonschema:"The most characters to return in this call. Longer output is cut into pages of this size."`
	Page            int   `json:"page,omitempty" jsonschema:"Which page of a long output to return, counting from 1. A cut output ends with a note naming the next page."`
	load
}

type linksInput struct {
	source
	MaxChars int `json:"maxChars,omitempty" jsonschema:"The most characters to return in this call. A longer list is cut into pages of this size."`
	Page     int `json:"page,omitempty" jsonschema:"Which page of a long list to return, counting from 1. A cut list ends with a note naming the next page."`
	load
}

type scrapeInput struct {
	source
	Selectors []string `json:"selectors" jsonschema:"CSS selectors, each choosing the elements to return (for example h2, table.prices tr or a[href*=download]). Up to 64."`
	MaxChars  int      `json:"maxChars,omitempty" jsonschema:"The most characters to return in this call. Longer output is cut into pages of this size."`
	Page      int      `json:"page,omitempty" jsonschema:"Which page of a long output to return, counting from 1. A cut output ends with a note naming the next page."`
	load
}

type outlineInput struct {
	source
	MaxChars int `json:"maxChars,omitempty" jsonschema:"The most characters to return in this call. A longer outline is cut into pages of this size."`
	Page     int `json:"page,omitempty" jsonschema:"Which page of a long outline to return, counting from 1. A cut outline ends with a note naming the next page."`
	load
}

type screenshotInput struct {
	source
	FullPage bool   `json:"fullPage,omitempty" jsonschema:"Capture the whole scrollable page instead of the viewport. Long pages make tall images that get scaled down."`
	Selector string `json:"selector,omitempty" jsonschema:"A CSS selector: capture only the first element it matches (for example #main or table.prices)."`
	Width    int    `json:"width,omitempty" jsonschema:"Viewport width in CSS pixels."`
	Height   int    `json:"height,omitempty" jsonschema:"Viewport height in CSS pixels."`
	load
}

type pdfInput struct {
	source
	load
}

// request is the render request for s, asking for one format.
func (s source) request(l load, f render.Format) *render.Request {
	req := &render.Request{URL: s.URL, HTML: s.HTML, Formats: []render.Format{f}}
	l.apply(req)
	return req
}

// Bounds of the arguments. MinMaxChars and MaxMaxChars bound maxChars,
// the call's and Options.MaxChars.
const (
	MinMaxChars = 200
	MaxMaxChars = 200_000
	minViewport = 100
	maxViewport = 1920 // wider or taller is more pixels than a model can use
)

var (
	readOnly = &mcp.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(true)}

	textFormats = []any{string(render.FormatMarkdown), string(render.FormatText), string(render.FormatHTML), string(render.FormatLinks), string(render.FormatMetadata)}
	waitEvents  = []any{render.WaitLoad, render.WaitDOMContentLoaded, render.WaitNetworkIdle0, render.WaitNetworkIdle2}
)

func renderTool(maxChars int) *mcp.Tool {
	s := schemaFor[renderInput]()
	property(s, "format", textFormats, string(render.FormatMarkdown))
	property(s, "onlyMainContent", nil, true)
	paging(s, maxChars)
	waiting(s)
	return &mcp.Tool{
		Name: "render",
		Description: "Load a web page in a real browser (JavaScript runs) and return its content: markdown by default, " +
			"or plain text, cleaned HTML, its links, or its metadata. Give url, or html to render a document you already have. " +
			"Long output comes in pages of maxChars characters: a cut result ends with a note, and calling again with the same " +
			"arguments and the next page number returns the rest (the page is loaded again, so a changing page may differ). " +
			"Use this to read a page; use screenshot to see it.",
		InputSchema: s,
		Annotations: titled(readOnly, "Render a web page"),
	}
}

func linksTool(maxChars int) *mcp.Tool {
	s := schemaFor[linksInput]()
	paging(s, maxChars)
	waiting(s)
	return &mcp.Tool{
		Name: "links",
		Description: "List the links of a web page after its JavaScript ran: absolute URLs with their link text, one per line, " +
			"in page order. Use it to find the pages to visit next.",
		InputSchema: s,
		Annotations: titled(readOnly, "List a page's links"),
	}
}

func scrapeTool(maxChars int) *mcp.Tool {
	s := schemaFor[scrapeInput]()
	// A list, not the inferred "null or list": selectors are required.
	s.Properties["selectors"].Type, s.Properties["selectors"].Types = "array", nil
	s.Properties["selectors"].MinItems = ptr(1)
	s.Properties["selectors"].MaxItems = ptr(render.MaxSelectors)
	paging(s, maxChars)
	waiting(s)
	return &mcp.Tool{
		Name: "scrape",
		Description: "Load a web page in a real browser (JavaScript runs) and return the elements that CSS selectors match, as JSON: " +
			`[{"selector", "results": [{"text", "html" (inner HTML), "attributes": [{"name", "value"}], "top", "left", "width", "height"}]}]` +
			"; one entry per selector, matches in page order, positions in CSS pixels from the top left of the page. " +
			"Use it to pull specific data (prices, table rows, titles, link targets) out of a page whose structure you know " +
			"or have seen with outline; use render to read a whole page. A selector that does not parse is an error naming it. " +
			"Long output comes in pages of maxChars characters, like render's.",
		InputSchema: s,
		Annotations: titled(readOnly, "Scrape elements by CSS selector"),
	}
}

func outlineTool(maxChars int) *mcp.Tool {
	s := schemaFor[outlineInput]()
	paging(s, maxChars)
	waiting(s)
	return &mcp.Tool{
		Name: "outline",
		Description: "Load a web page in a real browser (JavaScript runs) and return a compact outline of it, a fraction of its size: " +
			"landmarks (banner, navigation, main, complementary, contentinfo, form, search, dialog, region) with what they hold indented " +
			`under them, and the headings, links, buttons, form fields and images, one per line, like ` +
			`- heading[2] "Pricing" [e7], - link "Docs" -> https://example.com/docs [e8], ` +
			`- input[email] "Email" name="email" placeholder="you@example.com" [e9]. ` +
			"Each line ends with a ref (e1, e2, … in page order; the same page gives the same refs). Hidden elements are left out. " +
			"Use it to see how a page is organised and what can be done on it before reading (render) or picking out parts (scrape).",
		InputSchema: s,
		Annotations: titled(readOnly, "Outline a web page"),
	}
}

func screenshotTool() *mcp.Tool {
	s := schemaFor[screenshotInput]()
	property(s, "fullPage", nil, false)
	bounded(s, "width", minViewport, maxViewport, 1280)
	bounded(s, "height", minViewport, maxViewport, 800)
	waiting(s)
	return &mcp.Tool{
		Name: "screenshot",
		Description: "Take a screenshot of a web page in a real browser and return it as an image (JPEG). " +
			"By default it shows the top of the page in a 1280×800 viewport; fullPage captures the whole page, " +
			"selector one element. Large images are scaled down. Use it to check layout or to see what text " +
			"does not carry (charts, pictures); use render to read a page.",
		InputSchema: s,
		Annotations: titled(readOnly, "Screenshot a web page"),
	}
}

func pdfTool() *mcp.Tool {
	s := schemaFor[pdfInput]()
	waiting(s)
	return &mcp.Tool{
		Name: "pdf",
		Description: "Print a web page to PDF in a real browser (Letter paper, the page's print styles) and return the PDF " +
			"as an embedded resource (application/pdf). Use it when a document to keep or share is wanted; to read " +
			"a page, render is cheaper.",
		InputSchema: s,
		Annotations: titled(readOnly, "Print a web page to PDF"),
	}
}

// schemaFor infers the input schema of T. The types are fixed at compile
// time, so a failure is a programming error.
func schemaFor[T any]() *jsonschema.Schema {
	s, err := jsonschema.For[T](nil)
	if err != nil {
		panic(fmt.Sprintf("mcpbridge: input schema: %v", err))
	}
	return s
}

// property sets the enum and default of s's property name.
func property(s *jsonschema.Schema, name string, enum []any, def any) {
	p := s.Properties[name]
	if p == nil {
		panic("mcpbridge: no property " + name)
	}
	p.Enum = enum
	raw, err := json.Marshal(def)
	if err != nil {
		panic(err)
	}
	p.Default = raw
}

// bounded sets the range and default of an integer property.
func bounded(s *jsonschema.Schema, name string, lo, hi, def int) {
	property(s, name, nil, def)
	s.Properties[name].Minimum = ptr(float64(lo))
	s.Properties[name].Maximum = ptr(float64(hi))
}

func paging(s *jsonschema.Schema, maxChars int) {
	bounded(s, "maxChars", MinMaxChars, MaxMaxChars, maxChars)
	property(s, "page", nil, 1)
	s.Properties["page"].Minimum = ptr(1.0)
}

// waiting bounds the load arguments. waitUntil has no default: left out,
// the page is settled (see load).
func waiting(s *jsonschema.Schema) {
	s.Properties["waitUntil"].Enum = waitEvents
	s.Properties["settleTimeout"].Minimum = ptr(0.0)
	s.Properties["settleTimeout"].Maximum = ptr(float64(render.MaxSettleTimeout))
}

func titled(a *mcp.ToolAnnotations, title string) *mcp.ToolAnnotations {
	c := *a
	c.Title = title
	return &c
}

func ptr[T any](v T) *T { return &v }
