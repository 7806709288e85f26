package extract

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"golang.org/x/net/html"
)

// parseDocument parses s as a whole HTML document. golang.org/x/net/html
// refuses documents nested deeper than 512 open elements, where a browser
// keeps going (Chromium caps the depth and adds the rest as siblings). Such
// pages exist — old forums with thousands of unclosed <font> tags, deep
// component trees — and an error would lose the whole page. So a refused
// document is rewritten and parsed again, each rewrite giving up more than
// the one before: with the nesting past a safe depth flattened away, which
// keeps the structure of everything shallower; then also without the bold
// and italic tags that the parser reopens in every block (see flatten); at
// last as text with paragraph breaks, which the parser cannot refuse.
//
// The parser also has a cost to bound: it searches its stack of open
// elements for most tags, so its work grows with tags times depth, and
// millions of tags under 500 open elements take it minutes. A large
// document whose estimated work passes maxParseWork is flattened to a
// shallow depth before the first parse.
func parseDocument(s string) (*html.Node, error) {
	depth := nestingModel{wrapperLimit: 100, limit: 200}
	asWritten := true
	if len(s) > minCheckedLength && mayOverwork(s) && parseWork(s) > maxParseWork {
		depth = nestingModel{wrapperLimit: 24, limit: 48}
		asWritten = false
	}
	withoutFormatting := depth
	withoutFormatting.dropFormatting = true
	var attempts []func() string
	if asWritten {
		attempts = append(attempts, func() string { return s })
	}
	attempts = append(attempts,
		func() string { return flatten(s, depth) },
		func() string { return flatten(s, withoutFormatting) },
		func() string { return textOnly(s) },
	)
	var firstErr error
	for _, rewrite := range attempts {
		doc, err := html.Parse(strings.NewReader(rewrite()))
		if err == nil {
			return doc, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, fmt.Errorf("parse html: %w", firstErr)
}

const (
	// maxParseWork bounds the parser's stack searches, counted as the
	// nesting model's depth summed over all tags: about a second of
	// parsing. Real pages, even large ones, stay far below it.
	maxParseWork = 30_000_000
	// minCheckedLength is the size below which no document can reach
	// maxParseWork, so its work is not estimated.
	minCheckedLength = 64 << 10
)

// flatten rewrites s so that elements nest no deeper than the limits of m:
// the start tags (and matching end tags) of elements past them are
// dropped, their content stays where it was. Past m.wrapperLimit the
// wrappers go (div, span, section, custom elements, …), which is what makes
// real pages deep; past m.limit every element does. The nesting is counted
// the way nestingModel says.
//
// What the model cannot follow is the parser reopening unclosed formatting
// elements (<b>, <font>, …) in every new block, up to three of each kind
// per table cell or template; in tag soup they can outnumber everything
// else. With dropFormatting, their tags go (except <a>, of which only one is
// ever open), which leaves the model's count close to the parser's.
func flatten(s string, m nestingModel) string {
	var out strings.Builder
	out.Grow(len(s))
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return out.String()
		}
		if m.next(z, tt) {
			out.Write(z.Raw())
		}
	}
}

// mayOverwork reports whether s has tags enough to reach maxParseWork:
// parseWork counts at most 512 per tag, and every tag starts with a '<',
// so a page with fewer than maxParseWork/512 of them (nearly every page)
// needs no estimate, which costs a pass of the tokenizer.
func mayOverwork(s string) bool {
	return strings.Count(s, "<") > maxParseWork/512
}

// parseWork estimates the parser's work on s: the depth of the nesting
// model summed over the tags of s.
func parseWork(s string) int {
	m := nestingModel{wrapperLimit: math.MaxInt, limit: math.MaxInt}
	work := 0
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return work
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			work += min(len(m.stack), 512)
		}
		m.next(z, tt)
	}
}

// nestingModel is a rough model of the parser's stack of open elements,
// fed one token at a time. It must never believe the document shallower
// than it is, so it closes elements only where the parser surely does too:
// an end tag pops only when no element that would stop it in the parser (a
// table cell boundary, or for an ordinary end tag any "special" block
// element) lies in between; the end tag of a formatting element with a
// block inside it closes nothing, since the parser's adoption agency puts a
// copy back; and raw text elements (script, style, textarea, …) are never
// dropped, because their text would then be parsed as markup. Where the
// model errs it errs deep, which only flattens a little early.
type nestingModel struct {
	// wrapperLimit and limit are the depths past which wrappers and all
	// elements are dropped; dropFormatting drops formatting elements
	// whatever the depth (see flatten).
	wrapperLimit, limit int
	dropFormatting      bool

	stack []openTag
	kept  int // entries of stack whose start tag was written
}

// next updates the model with the token z just read and reports whether
// the token is kept.
func (m *nestingModel) next(z *html.Tokenizer, tt html.TokenType) bool {
	switch tt {
	// <div/> opens a div in HTML, so a self-closing tag counts as a start
	// tag; in SVG it does not, and the count runs deep, the safe direction.
	case html.StartTagToken, html.SelfClosingTagToken:
		name, _ := z.TagName()
		tag := string(name)
		// A raw text element holds nothing but its text, which the
		// tokenizer reads up to the end tag; dropping its start tag would
		// turn that text (a script full of "<div>"s) into markup.
		if voidElements[tag] || rawTextElements[tag] {
			return true
		}
		if m.dropFormatting && formattingElements[tag] && tag != "a" {
			return false
		}
		if top := len(m.stack) - 1; top >= 0 && m.stack[top].name == tag && closesItsSibling[tag] {
			m.pop(top)
		}
		keep := m.kept < m.wrapperLimit || (m.kept < m.limit && !isWrapper(tag))
		m.stack = append(m.stack, openTag{name: tag, kept: keep, boundary: scopeBoundaries[tag], special: specialElements[tag]})
		if keep {
			m.kept++
		}
		return keep
	case html.EndTagToken:
		name, _ := z.TagName()
		tag := string(name)
		if m.dropFormatting && formattingElements[tag] && tag != "a" {
			return false
		}
		i := closedBy(m.stack, tag)
		switch {
		case i < 0:
			// The parser ignores it, or closes something the model does
			// not know about: either way nothing to pop.
			return true
		case formattingElements[tag] && slices.ContainsFunc(m.stack[i+1:], func(o openTag) bool { return o.special }):
			// The adoption agency moves a copy of the formatting element
			// below the block inside it: nothing closes.
			return m.stack[i].kept
		default:
			return m.pop(i)
		}
	}
	return true
}

// pop removes stack[i:] and reports whether stack[i] was kept.
func (m *nestingModel) pop(i int) bool {
	kept := m.stack[i].kept
	for _, o := range m.stack[i:] {
		if o.kept {
			m.kept--
		}
	}
	m.stack = m.stack[:i]
	return kept
}

// isWrapper reports whether tag names an element that only groups others:
// the ones deep pages are made of, and the first to go when flattening.
func isWrapper(tag string) bool {
	return wrapperElements[tag] || strings.Contains(tag, "-") // custom elements
}

// openTag is an element on the nesting model's stack; kept says whether
// its start tag was written out. Its categories are looked up once, on the
// way in, since closedBy reads them for every end tag.
type openTag struct {
	name              string
	kept              bool
	boundary, special bool
}

// maxScan bounds how far down the stack closedBy looks, which keeps the
// nesting model linear. An element further down is taken as not closed,
// which errs deep, the safe direction.
const maxScan = 64

// closedBy returns the index in stack of the element an end tag named tag
// would close, or -1 where the parser would ignore the end tag: when the
// search meets a scope boundary first (a table cell, a table, a list for
// </li>, a button for </p>) or, for an ordinary end tag, any special
// element.
func closedBy(stack []openTag, tag string) int {
	ordinary := !specialElements[tag] && !formattingElements[tag]
	for i := len(stack) - 1; i >= 0 && i >= len(stack)-maxScan; i-- {
		o := stack[i]
		switch {
		case o.name == tag:
			return i
		case o.boundary,
			ordinary && o.special,
			tag == "li" && (o.name == "ol" || o.name == "ul"),
			tag == "p" && o.name == "button":
			return -1
		}
	}
	return -1
}

// textOnly keeps the text of s and turns block boundaries into paragraphs
// and <br>s: a document the parser cannot refuse, since nothing in it
// nests. The contents of scripts, styles and templates are not text.
func textOnly(s string) string {
	var out strings.Builder
	out.Grow(len(s))
	z := html.NewTokenizer(strings.NewReader(s))
	skipText, inTemplate := false, 0
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return out.String()
		}
		skip := skipText
		skipText = false
		name, _ := z.TagName()
		tag := string(name)
		switch tt {
		case html.TextToken:
			if !skip && inTemplate == 0 {
				out.Write(z.Raw())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			switch {
			case tag == "template":
				inTemplate++
			case rawTextElements[tag]:
				// The tokenizer hands their whole content over as the
				// next text token.
				skipText = true
			case tag == "br":
				out.WriteString("<br>")
			case blockElements[tag]:
				out.WriteString("\n<p>")
			}
		case html.EndTagToken:
			switch {
			case tag == "template":
				inTemplate = max(0, inTemplate-1)
			case blockElements[tag]:
				out.WriteString("\n<p>")
			}
		}
	}
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// Element categories from the HTML parsing algorithm.
var (
	voidElements = set("area", "base", "br", "col", "embed", "hr", "img", "input", "keygen",
		"link", "meta", "param", "source", "track", "wbr")
	// closesItsSibling lists elements whose start tag ends an open element
	// of the same name: the implied end tags that matter for depth.
	closesItsSibling = set("p", "li", "dt", "dd", "option", "tr", "td", "th", "a", "nobr")
	// formattingElements are reopened by the parser until closed, and
	// closed by the adoption agency.
	formattingElements = set("a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small",
		"strike", "strong", "tt", "u")
	// scopeBoundaries stop the parser's search for an element to close.
	scopeBoundaries = set("applet", "caption", "html", "table", "td", "th", "marquee", "object",
		"template", "svg", "math")
	specialElements = set("address", "applet", "area", "article", "aside", "base", "basefont",
		"bgsound", "blockquote", "body", "br", "button", "caption", "center", "col", "colgroup",
		"dd", "details", "dir", "div", "dl", "dt", "embed", "fieldset", "figcaption", "figure",
		"footer", "form", "frame", "frameset", "h1", "h2", "h3", "h4", "h5", "h6", "head",
		"header", "hgroup", "hr", "html", "iframe", "img", "input", "keygen", "li", "link",
		"listing", "main", "marquee", "menu", "meta", "nav", "noembed", "noframes", "noscript",
		"object", "ol", "p", "param", "plaintext", "pre", "script", "search", "section", "select",
		"source", "style", "summary", "table", "tbody", "td", "template", "textarea", "tfoot",
		"th", "thead", "title", "tr", "track", "ul", "wbr", "xmp")
	wrapperElements = set("div", "span", "section", "article", "main", "header", "footer",
		"nav", "aside", "hgroup", "search", "center", "font", "big", "small", "nobr", "form",
		"fieldset", "label")
	// rawTextElements hold text the tokenizer does not parse as markup.
	rawTextElements = set("script", "style", "textarea", "title", "xmp", "iframe", "noembed",
		"noframes", "noscript", "plaintext")
	// blockElements become paragraph breaks in textOnly.
	blockElements = set("address", "article", "aside", "blockquote", "dd", "details", "div",
		"dl", "dt", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
		"header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "td", "th",
		"tr", "ul")
)
