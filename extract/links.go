package extract

import (
	"strings"

	"golang.org/x/net/html"

	"github.com/sous-dev/sous/render"
)

// readLinks returns the pages the document links to: every <a href> and
// <area href>, in document order, resolved against the base and without
// #fragments, each address once. Links that go nowhere new — fragments of
// this page, javascript:, mailto:, tel:, data: — are left out; see
// resolver.link.
//
// A link's text is what a reader sees: the anchor's text with whitespace
// collapsed, or, for an anchor with none (an icon, an image), its
// accessible name: aria-label, then the alt text of its images, then
// title. When an address appears again, the first place it appeared keeps
// its position, but a later text fills in one that was empty.
func readLinks(doc *html.Node, resolve resolver) []render.Link {
	var links []render.Link
	index := make(map[string]int)
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if neverText(n) {
			return
		}
		if isElement(n, "a", "area") {
			if href, ok := attr(n, "href"); ok {
				if address, ok := resolve.link(href); ok {
					text := linkText(n)
					if i, seen := index[address]; !seen {
						index[address] = len(links)
						links = append(links, render.Link{URL: address, Text: text})
					} else if links[i].Text == "" {
						links[i].Text = text
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return links
}

func linkText(n *html.Node) string {
	if text := collapseSpace(textContent(n)); text != "" {
		return text
	}
	if label, _ := attr(n, "aria-label"); collapseSpace(label) != "" {
		return collapseSpace(label)
	}
	if n.Data == "area" {
		// An area's alt is its own, not an image's inside it.
		if alt, _ := attr(n, "alt"); collapseSpace(alt) != "" {
			return collapseSpace(alt)
		}
	}
	var alts []string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if isElement(n, "img") {
			if alt, _ := attr(n, "alt"); collapseSpace(alt) != "" {
				alts = append(alts, collapseSpace(alt))
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	if len(alts) > 0 {
		return strings.Join(alts, " ")
	}
	title, _ := attr(n, "title")
	return collapseSpace(title)
}
