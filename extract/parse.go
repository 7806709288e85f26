package extract

import (
	"fmt"
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
// and italic tags that the parser reopens in every block (see
// flattenNesting); at last as text with paragraph breaks, which the parser
// cannot refuse.
func parseDocument(s string) (*html.Node, error) {
	doc, err := html.Parse(strings.NewReader(s))
	if err == nil {
		return doc, nil
	}
	rewrites := []func(string) string{
		func(s string) string { return flattenNesting(s, false) },
		func(s string) string { return flattenNesting(s, true) },
		textOnly,
	}
	for _, rewrite := range rewrites {
		if doc, retryErr := html.Parse(strings.NewReader(rewrite(s))); retryErr == nil {
			return doc, nil
		}
	}
	return nil, fmt.Errorf("parse html: %w", err)
}

// maxFlatDepth is how deep flattenNesting lets elements nest by its own
// count, leaving room below the parser's 512 for what the count misses.
const maxFlatDepth = 200

// flattenNesting rewrites s so that no element opens deeper than
// maxFlatDepth: the start tags (and matching end tags) of elements past it
// are dropped, their content stays where it was.
//
// It keeps a stack of tag names, a rough model of the parser's stack of
// open elements. The model must never believe the document shallower than
// it is, so it closes elements only where the parser surely does too: an
// end tag pops only when no element that would stop it in the parser (a
// table cell boundary, or for an ordinary end tag any "special" block
// element) lies in between; the end tag of a formatting element with a
// block inside it closes nothing, since the parser's adoption agency puts a
// copy back; and raw text elements (script, style, textarea, …) are never
// dropped, because their text would then be parsed as markup. Where the
// model errs it errs deep, which only flattens a little early.
//
// What the model cannot follow is the parser reopening unclosed formatting
// elements (<b>, <font>, …) in every new block, up to three of each kind
// per table cell or template; in tag soup they can outnumber everything
// else. With dropFormatting, their tags go (except <a>, of which only one is
// ever open), which leaves the model's count close to the parser's.
func flattenNesting(s string, dropFormatting bool) string {
	var (
		out   strings.Builder
		stack []openTag
		kept  int
	)
	// pop removes stack[i:] and reports whether stack[i] was emitted.
	pop := func(i int) bool {
		wasKept := stack[i].kept
		for _, o := range stack[i:] {
			if o.kept {
				kept--
			}
		}
		stack = stack[:i]
		return wasKept
	}
	out.Grow(len(s))
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return out.String()
		}
		emit := true
		switch tt {
		// <div/> opens a div in HTML, so a self-closing tag counts as a
		// start tag; in SVG it does not, and the count runs deep, which is
		// the safe direction.
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			tag := string(name)
			// A raw text element holds nothing but its text, which the
			// tokenizer reads up to the end tag; dropping its start tag
			// would turn that text (a script full of "<div>"s) into markup.
			if voidElements[tag] || rawTextElements[tag] {
				break
			}
			if dropFormatting && formattingElements[tag] && tag != "a" {
				emit = false
				break
			}
			if top := len(stack) - 1; top >= 0 && stack[top].name == tag && closesItsSibling[tag] {
				pop(top)
			}
			emit = kept < maxFlatDepth
			stack = append(stack, openTag{name: tag, kept: emit})
			if emit {
				kept++
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			tag := string(name)
			if dropFormatting && formattingElements[tag] && tag != "a" {
				emit = false
				break
			}
			i := closedBy(stack, tag)
			switch {
			case i < 0:
				// The parser ignores it, or closes something the model
				// does not know about: either way nothing to pop.
			case formattingElements[tag] && slices.ContainsFunc(stack[i+1:], func(o openTag) bool { return specialElements[o.name] }):
				// The adoption agency moves a copy of the formatting
				// element below the block inside it: nothing closes.
				emit = stack[i].kept
			default:
				emit = pop(i)
			}
		}
		if emit {
			out.Write(z.Raw())
		}
	}
}

// openTag is an element on flattenNesting's model of the parser's stack;
// kept says whether its start tag was written out.
type openTag struct {
	name string
	kept bool
}

// closedBy returns the index in stack of the element an end tag named tag
// would close, or -1 where the parser would ignore the end tag: when the
// search meets a scope boundary first (a table cell, a table, a list for
// </li>, a button for </p>) or, for an ordinary end tag, any special
// element.
func closedBy(stack []openTag, tag string) int {
	ordinary := !specialElements[tag] && !formattingElements[tag]
	for i := len(stack) - 1; i >= 0; i-- {
		name := stack[i].name
		switch {
		case name == tag:
			return i
		case scopeBoundaries[name],
			ordinary && specialElements[name],
			tag == "li" && (name == "ol" || name == "ul"),
			tag == "p" && name == "button":
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
	// rawTextElements hold text the tokenizer does not parse as markup.
	rawTextElements = set("script", "style", "textarea", "title", "xmp", "iframe", "noembed",
		"noframes", "noscript", "plaintext")
	// blockElements become paragraph breaks in textOnly.
	blockElements = set("address", "article", "aside", "blockquote", "dd", "details", "div",
		"dl", "dt", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
		"header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "td", "th",
		"tr", "ul")
)
