package extract

import (
	"errors"
	"fmt"
	"strings"

	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"

	"github.com/sous-dev/sous/render"
)

// Bounds of the scrape format. A selector such as "*" on a large page
// matches thousands of nested elements, and the inner HTML of each holds
// most of the page again, so both the matches and the bytes are capped.
const (
	// maxScrapeMatches is how many matches of one selector are reported
	// (the browser measures as many).
	maxScrapeMatches = 1000
	// maxScrapeBytes is the text and HTML all selectors of one request
	// may return together; each selector gets an equal share, at least
	// minScrapeShare. A value that would overrun its share is cut, and
	// the matches after it are left out.
	maxScrapeBytes = 4 << 20
	minScrapeShare = 64 << 10
)

// scraper is a request's Elements, compiled.
type scraper struct {
	selectors []string
	groups    []cascadia.SelectorGroup
	// scansSiblings names a selector that scans all of an element's
	// siblings (see scansSiblings), or is "".
	scansSiblings string
}

// scraperOf is the request's scraper, compiled once per normalized request
// (see tagFilterOf).
func scraperOf(req *render.Request) (scraper, error) {
	if req == nil {
		return scraper{}, nil
	}
	v, err := req.Compiled("extract.scraper", func() (any, error) { return compileScraper(req) })
	if err != nil {
		return scraper{}, err
	}
	return v.(scraper), nil
}

func compileScraper(req *render.Request) (scraper, error) {
	var s scraper
	if req == nil {
		return s, nil
	}
	for i, e := range req.Elements {
		label := fmt.Sprintf("elements[%d].selector", i)
		group, err := parseSelector(label, e.Selector)
		if err != nil {
			return s, err
		}
		if s.scansSiblings == "" && scansSiblings(e.Selector) {
			s.scansSiblings = label
		}
		s.selectors = append(s.selectors, e.Selector)
		s.groups = append(s.groups, group)
	}
	return s, nil
}

// scrape returns, for each selector, its matches in document order: the
// collapsed text, the inner HTML and the attributes of each, read from the
// document as rendered (before cleaning). When the browser measured the
// same elements (boxes holds as many, with the same tags in the same
// order) each match also gets its box; when the two disagree, because the
// browser's selector dialect differs from cascadia's or the serialised DOM
// parses into another tree, positions are left out rather than guessed.
func (s scraper) scrape(doc *html.Node, boxes map[string][]render.Box) ([]render.Scraped, error) {
	if s.scansSiblings != "" {
		if widest := widestElement(doc); widest > maxScannedSiblings {
			return nil, fmt.Errorf("%w: %s: selectors with :nth-*, :last-*, :only-* or ~ are refused on this page, where one element has %d children (the limit is %d)",
				render.ErrInvalidRequest, s.scansSiblings, widest, maxScannedSiblings)
		}
	}
	share := max(minScrapeShare, maxScrapeBytes/max(1, len(s.selectors)))
	out := make([]render.Scraped, len(s.selectors))
	for i, sel := range s.selectors {
		var matches []*html.Node
		walkElements(doc, func(n *html.Node) bool {
			if len(matches) < maxScrapeMatches && s.groups[i].Match(n) {
				matches = append(matches, n)
			}
			return len(matches) < maxScrapeMatches
		})
		measured := boxes[sel]
		if !sameElements(matches, measured) {
			measured = nil
		}
		results := make([]render.ScrapedElement, 0, len(matches))
		budget := share
		for j, n := range matches {
			if budget <= 0 {
				break
			}
			e := render.ScrapedElement{Attributes: attributes(n)}
			e.Text, budget = boundedText(n, budget)
			e.HTML, budget = innerHTML(n, budget)
			if measured != nil {
				b := measured[j]
				e.Top, e.Left, e.Width, e.Height = &b.Top, &b.Left, &b.Width, &b.Height
			}
			results = append(results, e)
		}
		out[i] = render.Scraped{Selector: sel, Results: results}
	}
	return out, nil
}

// sameElements reports whether boxes were measured on the elements
// matches holds: as many, with the same tag names in the same order.
func sameElements(matches []*html.Node, boxes []render.Box) bool {
	if len(matches) != len(boxes) {
		return false
	}
	for i, n := range matches {
		if !strings.EqualFold(n.Data, boxes[i].Tag) {
			return false
		}
	}
	return true
}

func attributes(n *html.Node) []render.Attribute {
	list := make([]render.Attribute, 0, len(n.Attr))
	for _, a := range n.Attr {
		name := a.Key
		if a.Namespace != "" {
			name = a.Namespace + ":" + a.Key
		}
		list = append(list, render.Attribute{Name: name, Value: a.Val})
	}
	return list
}

// boundedText is n's text with whitespace collapsed, leaving out what never
// shows (scripts, styles, templates), at most budget bytes. Visiting a node
// costs a byte of the budget too, so that a large subtree without text is
// not walked for free. It returns the budget left.
func boundedText(n *html.Node, budget int) (string, int) {
	var b strings.Builder
	pending := false // a space is owed before the next word
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil && budget > 0; c = c.NextSibling {
			budget--
			switch {
			case c.Type == html.TextNode:
				if c.Data != "" && isSpace(rune(c.Data[0])) {
					pending = true
				}
				fields := strings.FieldsFunc(c.Data, isSpace)
				for k, field := range fields {
					if budget <= 0 {
						break
					}
					if pending && b.Len() > 0 {
						b.WriteByte(' ')
					}
					field = field[:min(len(field), budget)]
					b.WriteString(field)
					budget -= len(field) + 1
					pending = k < len(fields)-1 || isSpace(rune(c.Data[len(c.Data)-1]))
				}
			case c.Type == html.ElementNode && !neverText(c):
				block := blockBreak(c) > 0 || isElement(c, "br", "td", "th")
				pending = pending || block
				walk(c)
				pending = pending || block
			}
		}
	}
	walk(n)
	return strings.ToValidUTF8(b.String(), ""), max(budget, 0)
}

// errBudget stops html.Render when a value's share is spent.
var errBudget = errors.New("scrape budget spent")

// limitedBuilder is a strings.Builder that takes at most room bytes. It has
// only Write, so html.Render buffers in front of it rather than calling
// the builder's WriteString and WriteByte around the limit.
type limitedBuilder struct {
	b    strings.Builder
	room int
}

func (w *limitedBuilder) Write(p []byte) (int, error) {
	if len(p) > w.room {
		w.b.Write(p[:max(w.room, 0)])
		w.room = 0
		return 0, errBudget
	}
	w.room -= len(p)
	return w.b.Write(p)
}

// innerHTML serialises n's children, at most budget bytes (a longer value
// is cut, and so may not parse), and returns the budget left.
func innerHTML(n *html.Node, budget int) (string, int) {
	w := &limitedBuilder{room: budget}
	for c := n.FirstChild; c != nil && w.room > 0; c = c.NextSibling {
		if err := html.Render(w, c); err != nil {
			break
		}
	}
	return strings.ToValidUTF8(w.b.String(), ""), w.room
}
