package extract

import (
	"strings"

	"golang.org/x/net/html"
)

// readText returns the readable text of the document's body, close to what
// a browser's innerText gives: whitespace collapses inside blocks;
// paragraphs, headings, lists, tables, quotes and preformatted blocks are
// set apart by a blank line; other blocks (div, li, tr, …) start a new line;
// table cells are separated by tabs; <br> breaks the line; preformatted text
// keeps its spaces and line breaks. There are no list markers or other
// syntax — structure is the markdown format's job.
func readText(doc *html.Node) string {
	root := find(doc, func(n *html.Node) bool { return isElement(n, "body", "frameset") })
	if root == nil {
		root = doc
	}
	var w textWriter
	w.node(root)
	return strings.TrimSpace(w.out.String())
}

// Breaks a block asks for around itself.
const (
	lineBreak      = 1 // start on a new line
	paragraphBreak = 2 // and leave a blank line
)

func blockBreak(n *html.Node) int {
	if n.Namespace != "" {
		return 0
	}
	switch n.Data {
	case "p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "listing", "xmp", "plaintext",
		"blockquote", "table", "figure", "hr", "dl":
		return paragraphBreak
	case "ul", "ol", "menu":
		// A list nested in an item continues the outer list.
		for p := n.Parent; p != nil; p = p.Parent {
			if isElement(p, "li", "dd") {
				return lineBreak
			}
		}
		return paragraphBreak
	case "div", "section", "article", "aside", "header", "footer", "nav", "main", "search",
		"address", "hgroup", "li", "dt", "dd", "tr", "caption", "figcaption", "form",
		"fieldset", "legend", "details", "summary", "dialog", "center", "option", "optgroup",
		"body", "html":
		return lineBreak
	}
	return 0
}

// textWriter collects text while collapsing whitespace lazily: a space or a
// line break is only written once the next visible character arrives, so
// nothing dangles at the end of a line and blocks never stack blank lines.
type textWriter struct {
	out strings.Builder
	// pendingBreak is the number of newlines the next text must start
	// after; pendingSpace is a collapsed space it must follow.
	pendingBreak int
	pendingSpace bool
	// preformatted and cell count open <pre>-like elements and table cells;
	// inside a cell, line breaks become spaces so that a row stays a line.
	preformatted int
	cell         int
}

func (w *textWriter) node(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		w.text(n.Data)
		return
	case html.ElementNode, html.DocumentNode:
	default:
		return
	}
	if n.Type == html.ElementNode {
		if neverText(n) || isElement(n, "head", "title", "meta", "link", "base") {
			return
		}
		if isElement(n, "br") {
			w.lineBreak()
			return
		}
	}
	brk := blockBreak(n)
	isCell := isElement(n, "td", "th")
	isPre := isElement(n, "pre", "listing", "xmp", "plaintext")
	w.block(brk)
	if isCell {
		if n.PrevSibling != nil && hasCellBefore(n) {
			w.tab()
		}
		w.cell++
	}
	if isPre {
		w.preformatted++
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.node(c)
	}
	if isPre {
		w.preformatted--
	}
	if isCell {
		w.cell--
	}
	w.block(brk)
}

// hasCellBefore reports whether a td or th precedes n in its row; text
// nodes and comments between cells do not count.
func hasCellBefore(n *html.Node) bool {
	for p := n.PrevSibling; p != nil; p = p.PrevSibling {
		if isElement(p, "td", "th") {
			return true
		}
	}
	return false
}

func (w *textWriter) block(brk int) {
	if brk == 0 {
		return
	}
	if w.cell > 0 {
		w.pendingSpace = true
		return
	}
	w.pendingBreak = max(w.pendingBreak, brk)
	w.pendingSpace = false
}

func (w *textWriter) lineBreak() {
	if w.cell > 0 {
		w.pendingSpace = true
		return
	}
	// A <br> breaks the line even where nothing follows on it, but two
	// blank lines in a row say nothing one does not.
	w.flushBreak()
	if w.out.Len() > 0 && w.trailingNewlines() < 2 {
		w.out.WriteByte('\n')
	}
	w.pendingSpace = false
}

func (w *textWriter) tab() {
	w.flushBreak()
	w.out.WriteByte('\t')
	w.pendingSpace = false
}

func (w *textWriter) text(s string) {
	if w.preformatted > 0 && w.cell == 0 {
		if s == "" {
			return
		}
		w.flushBreak()
		w.flushSpace()
		w.out.WriteString(s)
		return
	}
	for len(s) > 0 {
		i := strings.IndexFunc(s, isSpace)
		if i < 0 {
			i = len(s)
		}
		if i > 0 {
			w.flushBreak()
			w.flushSpace()
			w.out.WriteString(s[:i])
		}
		s = s[i:]
		j := strings.IndexFunc(s, func(r rune) bool { return !isSpace(r) })
		if j < 0 {
			j = len(s)
		}
		if j > 0 {
			w.pendingSpace = true
		}
		s = s[j:]
	}
}

func (w *textWriter) flushBreak() {
	if w.pendingBreak == 0 {
		return
	}
	if w.out.Len() > 0 {
		for range w.pendingBreak - w.trailingNewlines() {
			w.out.WriteByte('\n')
		}
	}
	w.pendingBreak = 0
	w.pendingSpace = false
}

// flushSpace writes a pending space unless the line is just starting or a
// tab already separates.
func (w *textWriter) flushSpace() {
	if !w.pendingSpace {
		return
	}
	w.pendingSpace = false
	if s := w.out.String(); s != "" {
		if last := s[len(s)-1]; last != '\n' && last != '\t' {
			w.out.WriteByte(' ')
		}
	}
}

func (w *textWriter) trailingNewlines() int {
	s := w.out.String()
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\n' && n < 2; i-- {
		n++
	}
	return n
}
