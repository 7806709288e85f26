package extract

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/JohannesKaufmann/html-to-markdown/v2/converter"
	"golang.org/x/net/html"

	"github.com/sous-dev/sous/render"
)

// Extractor derives markdown, text, cleaned HTML, links and metadata from a
// rendered page. The zero value is not ready; use New. An Extractor is safe
// for concurrent use.
type Extractor struct {
	markdown *converter.Converter
}

var (
	_ render.Extractor      = (*Extractor)(nil)
	_ render.RequestChecker = (*Extractor)(nil)
)

// New returns an Extractor with the house conversion rules (see the package
// documentation). It takes no options: every rule is one a caller would
// want, and what varies between calls (main content only, include and
// exclude tags, size budgets) comes with each render.Request.
func New() *Extractor {
	return &Extractor{markdown: newMarkdownConverter()}
}

// Extract fills the fields of the formats req asks for (markdown when it asks
// for none) and leaves every other field empty. Screenshot and PDF are not
// its business: the Service copies those from the page.
//
// Any HTML gives a result: a document too deeply nested for the parser is
// flattened first (see parseDocument). The error is for a nil page and for
// failures of the markdown converter, which should not happen.
func (e *Extractor) Extract(page *render.Page, req *render.Request) (*render.Result, error) {
	if page == nil {
		return nil, errors.New("no page to extract from")
	}
	want := wantedFormats(req)
	res := &render.Result{}
	if want[render.FormatRawHTML] {
		res.RawHTML = page.HTML
	}
	if !want.any(render.FormatMarkdown, render.FormatText, render.FormatHTML, render.FormatLinks, render.FormatMetadata,
		render.FormatScrape, render.FormatOutline) {
		return res, nil
	}

	filter, err := tagFilterOf(req)
	if err != nil {
		return nil, err
	}
	scrape, err := scraperOf(req)
	if err != nil {
		return nil, err
	}
	doc, err := parseDocument(page.HTML)
	if err != nil {
		return nil, err
	}
	resolve := newResolver(page.URL, doc)
	unseen := layoutHidden(doc, page)
	// After layoutHidden, which counts elements as the browser did.
	revealNoscript(doc)
	revealStreamedContent(doc)

	// Readers of the pristine tree first: cleaning removes the JSON-LD
	// scripts that metadata needs.
	var pageType pageKind
	if want[render.FormatMetadata] || req != nil && req.OnlyMainContent {
		pageType = classifyPage(doc, page.URL)
	}
	if want[render.FormatMetadata] {
		res.Metadata = readMetadata(doc, resolve)
		res.Metadata.PageType = pageType.name
	}
	if want[render.FormatLinks] {
		res.Links = readLinks(doc, resolve, linkOptionsOf(page.URL, req, unseen))
	}
	if want[render.FormatScrape] {
		if res.Scrape, err = scrape.scrape(doc, page.Boxes); err != nil {
			return nil, err
		}
	}
	if want[render.FormatOutline] {
		res.Outline = readOutline(doc, resolve, unseen, maxCharsOf(req))
	}
	if !want.any(render.FormatHTML, render.FormatText, render.FormatMarkdown) {
		return res, nil
	}

	showHiddenContent(doc, unseen)
	if req != nil && req.OnlyMainContent {
		// Text no one can see is no part of the article, and a classic
		// carrier of instructions meant for models.
		unseen.remove()
	}
	// Narrowing goes before cleaning, so that selectors see the page's
	// own markup (cleaning drops on* attributes, for one).
	if err := filter.check(doc); err != nil {
		return nil, err
	}
	filter.apply(doc)
	clean(doc, resolve)
	headline := ""
	if req != nil && req.OnlyMainContent {
		// Main content leaves the headline out, as article-extraction
		// benchmarks do; markdown for an agent puts it back on top.
		if h1 := find(doc, func(n *html.Node) bool { return isElement(n, "h1") }); h1 != nil {
			headline = collapseSpace(textContent(h1))
		}
		narrowToMainContent(doc, pageType)
		dropIdentifierText(doc)
		dropRepeatedSections(doc)
		dropLoneNotice(doc)
	}
	if want[render.FormatHTML] {
		var buf bytes.Buffer
		if err := html.Render(&buf, doc); err != nil {
			return nil, fmt.Errorf("render cleaned html: %w", err)
		}
		res.HTML = buf.String()
	}
	if !want.any(render.FormatText, render.FormatMarkdown) {
		return res, nil
	}

	prune(doc)
	expandTableSpans(doc)
	joinCJKLines(doc)
	maxChars := maxCharsOf(req)
	if want[render.FormatText] {
		res.Text = cutToBudget(readText(doc), maxChars, false)
	}
	// Markdown goes last: the converter merges and rewrites nodes in place.
	if want[render.FormatMarkdown] {
		md, err := e.convertMarkdown(doc, resolve)
		if err != nil {
			return nil, err
		}
		if headline != "" && !strings.HasPrefix(md, "# ") {
			md = strings.TrimSpace("# " + headline + "\n\n" + md)
		}
		res.Markdown = cutToBudget(md, maxChars, true)
	}
	return res, nil
}

// CheckRequest reports whether req is one Extract can serve: its
// includeTags, excludeTags and elements must be CSS selectors. Extract makes the same
// check; a caller that checks first can refuse a bad request before paying
// for a render. The error wraps render.ErrInvalidRequest.
func (e *Extractor) CheckRequest(req *render.Request) error {
	if _, err := tagFilterOf(req); err != nil {
		return err
	}
	_, err := scraperOf(req)
	return err
}

func maxCharsOf(req *render.Request) int {
	if req == nil {
		return 0
	}
	return req.MaxChars
}

type formatSet map[render.Format]bool

func (s formatSet) any(formats ...render.Format) bool {
	for _, f := range formats {
		if s[f] {
			return true
		}
	}
	return false
}

// wantedFormats follows render.Request: no formats means markdown. A nil
// request is treated the same way, so that Extract is usable on its own.
func wantedFormats(req *render.Request) formatSet {
	if req == nil || len(req.Formats) == 0 {
		return formatSet{render.FormatMarkdown: true}
	}
	set := make(formatSet, len(req.Formats))
	for _, f := range req.Formats {
		set[f] = true
	}
	return set
}
