package extract

import (
	"strings"

	"golang.org/x/net/html"
)

// isElement reports whether n is an HTML element with one of the given
// names. SVG and MathML elements never match: an SVG <a> or <title> is not
// the HTML one.
func isElement(n *html.Node, names ...string) bool {
	if n.Type != html.ElementNode || n.Namespace != "" {
		return false
	}
	for _, name := range names {
		if n.Data == name {
			return true
		}
	}
	return false
}

// attr returns the value of n's attribute key (the parser lowercases HTML
// attribute names) and whether it is present.
func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// attrOr is attr's value, or "" when n has no such attribute.
func attrOr(n *html.Node, key string) string {
	v, _ := attr(n, key)
	return v
}

func setAttr(n *html.Node, key, val string) {
	for i, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			n.Attr[i].Val = val
			return
		}
	}
	n.Attr = append(n.Attr, html.Attribute{Key: key, Val: val})
}

// hasToken reports whether the space-separated list value (rel, class)
// holds token, ignoring ASCII case as HTML does for rel.
func hasToken(value, token string) bool {
	for _, t := range strings.Fields(value) {
		if strings.EqualFold(t, token) {
			return true
		}
	}
	return false
}

// isSpace is HTML's ASCII whitespace. Non-breaking and ideographic spaces
// are not whitespace to a browser (U+3000 is a meaningful full-width space
// in Japanese text), so they are not collapsed either.
func isSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\f':
		return true
	}
	return false
}

// collapseSpace turns every run of HTML whitespace into one space and trims
// the ends, as a browser shows inline text.
func collapseSpace(s string) string {
	return strings.Join(strings.FieldsFunc(s, isSpace), " ")
}

// textContent is the text of n and its descendants, without the text of
// elements that never show (scripts, styles, templates) or are not prose
// (SVG, whose <title> and <desc> would leak into link text).
func textContent(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		switch {
		case n.Type == html.TextNode:
			b.WriteString(n.Data)
			return
		case n.Type != html.ElementNode && n.Type != html.DocumentNode:
			return
		case neverText(n):
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

func neverText(n *html.Node) bool {
	if n.Type != html.ElementNode {
		return false
	}
	if n.Namespace == "svg" {
		return true
	}
	switch n.Data {
	case "script", "style", "noscript", "template":
		return true
	}
	return false
}

// find returns the first node in document order under root (root included)
// for which match is true, or nil.
func find(root *html.Node, match func(*html.Node) bool) *html.Node {
	if match(root) {
		return root
	}
	for c := root.FirstChild; c != nil; c = c.NextSibling {
		if n := find(c, match); n != nil {
			return n
		}
	}
	return nil
}
