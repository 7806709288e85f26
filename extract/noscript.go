package extract

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// revealNoscript makes the markup inside <noscript> elements part of the
// document when the page shows little without it. A browser running
// script never shows <noscript>, and parses its content as text; but some
// applications (forum software above all) serve their whole content there
// for readers without script, and an empty shell around it. What such a
// page says is what its <noscript> says, so when the text inside
// <noscript> outweighs the rest of the body, each <noscript> is replaced
// by its content parsed as HTML. On other pages a <noscript> holds a
// tracking pixel or "please enable JavaScript", and stays out.
func revealNoscript(doc *html.Node) {
	body := find(doc, func(n *html.Node) bool { return isElement(n, "body") })
	if body == nil {
		return
	}
	var hidden []*html.Node
	walkElements(body, func(n *html.Node) bool {
		if isElement(n, "noscript") {
			hidden = append(hidden, n)
			return false
		}
		return true
	})
	if len(hidden) == 0 {
		return
	}
	shown, _ := countText(textContent(body))
	var parsed [][]*html.Node
	inside := 0
	for _, n := range hidden {
		raw := ""
		if n.FirstChild != nil && n.FirstChild.Type == html.TextNode {
			raw = n.FirstChild.Data
		}
		nodes, err := html.ParseFragment(strings.NewReader(raw), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
		if err != nil {
			nodes = nil
		}
		for _, c := range nodes {
			chars, _ := countText(textContent(c))
			inside += chars
		}
		parsed = append(parsed, nodes)
	}
	if inside <= shown {
		return
	}
	for i, n := range hidden {
		for _, c := range parsed[i] {
			n.Parent.InsertBefore(c, n)
		}
		n.Parent.RemoveChild(n)
	}
}
