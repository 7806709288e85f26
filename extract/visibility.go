package extract

import (
	"golang.org/x/net/html"

	"github.com/sous-dev/sous/render"
)

// unseenByLayout is the set of elements a browser laid out where no one can
// see them (render.Page.Hidden): hidden by a stylesheet, with no size, off
// the page, or with text the colour of its background. Markup alone cannot
// tell these apart from visible elements, so an HTTP fetch has none.
type unseenByLayout map[*html.Node]bool

// layoutHidden finds the elements page.Hidden names in doc, a parse of
// page.HTML. The browser named them by position among the document's
// elements; the parse must count the same elements and find the same tags
// at those positions, or the list is not trusted and nil is returned (a
// document rewritten by parseDocument, or DOM that script built in a shape
// the parser would not). Nor is it trusted when it would hide most of the
// page's text: a page faded in by script, or hidden behind a wall, is still
// the page.
func layoutHidden(doc *html.Node, page *render.Page) unseenByLayout {
	if len(page.Hidden) == 0 {
		return nil
	}
	want := make(map[int]string, len(page.Hidden))
	for _, ref := range page.Hidden {
		want[ref.Index] = ref.Tag
	}
	found := make(unseenByLayout, len(want))
	index, ok := 0, true
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil && ok; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			if tag, listed := want[index]; listed {
				if tag != c.Data {
					ok = false
					return
				}
				found[c] = true
			}
			index++
			if c.Data != "template" || c.Namespace != "" { // a template's content is no part of the DOM
				walk(c)
			}
		}
	}
	walk(doc)
	if !ok || index != page.Elements || len(found) != len(want) {
		return nil
	}
	body := find(doc, func(n *html.Node) bool { return isElement(n, "body") })
	if body == nil {
		return found
	}
	total, unseen := len(collapseSpace(textContent(body))), 0
	for n := range found {
		unseen += len(collapseSpace(textContent(n)))
	}
	if unseen*2 > total {
		return nil
	}
	return found
}

// hides reports whether n is hidden, by its markup or by the layout.
func (u unseenByLayout) hides(n *html.Node) bool { return u[n] || hidden(n) }

// remove takes the elements out of their document.
func (u unseenByLayout) remove() {
	for n := range u {
		if n.Parent != nil {
			n.Parent.RemoveChild(n)
		}
	}
}
