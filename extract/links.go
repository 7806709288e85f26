package extract

import (
	"net"
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/publicsuffix"

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
//
// A link is internal when it leads to the page's own site (see
// linkOptions.internal). opts may leave out links inside hidden elements
// and links to other sites.
func readLinks(doc *html.Node, resolve resolver, opts linkOptions) []render.Link {
	var links []render.Link
	index := make(map[string]int)
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if neverText(n) {
			return
		}
		if opts.visibleOnly && n.Type == html.ElementNode && opts.unseen.hides(n) {
			return
		}
		if isElement(n, "a", "area") {
			if href, ok := attr(n, "href"); ok {
				if address, ok := resolve.link(href); ok {
					text := linkText(n)
					internal := opts.internal(address)
					if i, seen := index[address]; !seen && (internal || !opts.excludeExternal) {
						index[address] = len(links)
						links = append(links, render.Link{URL: address, Text: text, Internal: internal})
					} else if seen && links[i].Text == "" {
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

// linkOptions are the request's choices about links, with the site of the
// page they are judged against.
type linkOptions struct {
	// site is the registrable domain of the page (example.co.uk for
	// www.example.co.uk), or its host when it has none (an IP address,
	// localhost); "" when the page has no web address (html input).
	site            string
	visibleOnly     bool
	excludeExternal bool
	unseen          unseenByLayout // what visibleOnly also leaves out
}

func linkOptionsOf(pageURL string, req *render.Request, unseen unseenByLayout) linkOptions {
	o := linkOptions{unseen: unseen}
	if u := httpURL(pageURL, nil); u != nil {
		o.site = siteOf(u.Hostname())
	}
	if req != nil {
		o.visibleOnly, o.excludeExternal = req.VisibleLinksOnly, req.ExcludeExternalLinks
	}
	return o
}

// internal reports whether address is on the page's site. A relative
// address (kept as written when the page has no address) is internal by
// definition; an absolute one is external when the page has no site.
func (o linkOptions) internal(address string) bool {
	u, err := url.Parse(address)
	if err != nil {
		return false
	}
	if u.Scheme == "" && u.Host == "" {
		return true
	}
	return o.site != "" && siteOf(u.Hostname()) == o.site
}

// siteOf is host's registrable domain by the public suffix list, or host
// itself for an IP address or a name the list cannot place.
func siteOf(host string) string {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if net.ParseIP(host) != nil {
		return host
	}
	if site, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
		return site
	}
	return host
}

// hidden reports whether an element is hidden from a reader by its markup:
// the hidden attribute, aria-hidden="true", an inline style with
// display:none or visibility:hidden, or a hidden input. (Stylesheets can
// hide elements too; only a browser knows about those.)
func hidden(n *html.Node) bool {
	if v, ok := attr(n, "hidden"); ok && !strings.EqualFold(strings.TrimSpace(v), "until-found") {
		return true
	}
	if v, _ := attr(n, "aria-hidden"); strings.EqualFold(strings.TrimSpace(v), "true") {
		return true
	}
	if style, ok := attr(n, "style"); ok && hidesElement(style) {
		return true
	}
	if isElement(n, "input") && strings.EqualFold(strings.TrimSpace(attrOr(n, "type")), "hidden") {
		return true
	}
	return isElement(n, "template", "noscript")
}
