package extract

import (
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// resolver makes a document's URLs absolute. Its base is the page's address
// or the document's <base href>; a nil base means the page has no address a
// relative URL could resolve against (html input is "about:blank"), and then
// relative URLs are left as written.
type resolver struct {
	base *url.URL
}

// newResolver finds the document's base URL the way a browser does: the
// first <base> element with an href, resolved against the page's address;
// without one, the page's address itself. Only http and https bases count.
func newResolver(pageURL string, doc *html.Node) resolver {
	page := httpURL(pageURL, nil)
	baseElement := find(doc, func(n *html.Node) bool {
		_, ok := attr(n, "href")
		return ok && isElement(n, "base")
	})
	if baseElement != nil {
		href, _ := attr(baseElement, "href")
		if base := httpURL(href, page); base != nil {
			return resolver{base: base}
		}
	}
	return resolver{base: page}
}

// httpURL parses raw, resolves it against base when base is not nil, and
// returns it if the result is an http or https URL with a host.
func httpURL(raw string, base *url.URL) *url.URL {
	u, err := url.Parse(cleanURL(raw))
	if err != nil {
		return nil
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil
	}
	return u
}

// cleanURL does what the URL parser of a browser does before parsing: it
// drops tabs and newlines anywhere (so "java\nscript:" is javascript:) and
// trims surrounding spaces and control characters.
func cleanURL(raw string) string {
	if strings.ContainsAny(raw, "\t\n\r") {
		raw = strings.Map(func(r rune) rune {
			if r == '\t' || r == '\n' || r == '\r' {
				return -1
			}
			return r
		}, raw)
	}
	return strings.TrimFunc(raw, func(r rune) bool { return r <= ' ' })
}

// scheme returns the lowercased scheme of raw, or "" for a relative URL or
// one that does not parse.
func scheme(raw string) string {
	u, err := url.Parse(cleanURL(raw))
	if err != nil {
		return ""
	}
	return u.Scheme
}

// absolute returns raw resolved against the base. With no base, or when raw
// does not parse, it returns raw unchanged: a URL as written is more useful
// to a reader than none.
func (r resolver) absolute(raw string) string {
	if r.base == nil {
		return raw
	}
	u, err := url.Parse(cleanURL(raw))
	if err != nil {
		return raw
	}
	return r.base.ResolveReference(u).String()
}

// link returns the address a hyperlink leads to, without its #fragment, and
// whether it is a link to another web page at all. Links within the page
// ("#top"), empty hrefs and other schemes (javascript:, mailto:, tel:,
// data:) are not. A relative link with no base is kept as written.
func (r resolver) link(raw string) (string, bool) {
	raw = cleanURL(raw)
	if raw == "" || raw[0] == '#' {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", false
	}
	if u.Scheme == "" && r.base == nil {
		written, _, _ := strings.Cut(raw, "#")
		return written, true
	}
	if r.base != nil {
		u = r.base.ResolveReference(u)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", false
	}
	u.Fragment, u.RawFragment = "", ""
	// Host names are case-insensitive; lowercase makes one link of
	// EXAMPLE.com and example.com.
	u.Host = strings.ToLower(u.Host)
	// https://example.com and https://example.com/ are the same page; the
	// slash makes them one link.
	if u.Path == "" {
		u.Path = "/"
	}
	return u.String(), true
}
