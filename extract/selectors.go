package extract

import (
	"fmt"
	"strings"

	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"

	"github.com/sous-dev/sous/render"
)

// tagFilter is a request's includeTags and excludeTags, compiled.
type tagFilter struct {
	include, exclude []cascadia.Sel
	// scansSiblings names a selector that scans all of an element's
	// siblings to match it, or is "".
	scansSiblings string
}

// tagFilterOf is the request's tag filter, compiled once per normalized
// request (render.Request.Compiled): for CheckRequest, before the render,
// and again for Extract.
func tagFilterOf(req *render.Request) (tagFilter, error) {
	if req == nil {
		return tagFilter{}, nil
	}
	v, err := req.Compiled("extract.tagFilter", func() (any, error) { return compileTagFilter(req) })
	if err != nil {
		return tagFilter{}, err
	}
	return v.(tagFilter), nil
}

// compileTagFilter parses the request's selectors. A selector that does not
// parse is the caller's mistake, so the error wraps render.ErrInvalidRequest
// and names the selector.
func compileTagFilter(req *render.Request) (tagFilter, error) {
	var f tagFilter
	if req == nil {
		return f, nil
	}
	var err error
	if f.include, err = f.compile("includeTags", req.IncludeTags); err != nil {
		return f, err
	}
	if f.exclude, err = f.compile("excludeTags", req.ExcludeTags); err != nil {
		return f, err
	}
	return f, nil
}

func (f *tagFilter) compile(name string, list []string) ([]cascadia.Sel, error) {
	var sels []cascadia.Sel
	for i, s := range list {
		label := fmt.Sprintf("%s[%d]", name, i)
		group, err := parseSelector(label, s)
		if err != nil {
			return nil, err
		}
		if f.scansSiblings == "" && scansSiblings(s) {
			f.scansSiblings = label
		}
		sels = append(sels, group...)
	}
	return sels, nil
}

// parseSelector parses the selector group s, which the request names
// label, refusing what would make matching it over a page explode.
func parseSelector(label, s string) (cascadia.SelectorGroup, error) {
	group, err := cascadia.ParseGroup(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %q is not a CSS selector: %v", render.ErrInvalidRequest, label, s, err)
	}
	// Each :has() scans the subtree of every element it is tried on;
	// nested, they multiply.
	if strings.Count(strings.ToLower(s), ":has(") > 1 {
		return nil, fmt.Errorf("%w: %s: %q: at most one :has() per selector", render.ErrInvalidRequest, label, s)
	}
	return group, nil
}

// scansSiblings reports whether matching selector s may scan all of an
// element's siblings: the :nth-*, :last-* and :only-* pseudo-classes and the
// ~ combinator do (cascadia counts siblings for each element it tries).
func scansSiblings(s string) bool {
	s = strings.ToLower(s)
	if strings.Contains(s, ":nth-") || strings.Contains(s, ":last-") || strings.Contains(s, ":only-") {
		return true
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '~' && (i+1 == len(s) || s[i+1] != '=') { // not [class~=x]
			return true
		}
	}
	return false
}

// maxScannedSiblings is the number of child elements of one parent above
// which selectors that scan siblings are refused: matching them over a page
// costs the square of it.
const maxScannedSiblings = 4096

// check refuses a filter whose matching would be quadratic on doc.
func (f tagFilter) check(doc *html.Node) error {
	if f.scansSiblings == "" {
		return nil
	}
	if widest := widestElement(doc); widest > maxScannedSiblings {
		return fmt.Errorf("%w: %s: selectors with :nth-*, :last-*, :only-* or ~ are refused on this page, where one element has %d children (the limit is %d)",
			render.ErrInvalidRequest, f.scansSiblings, widest, maxScannedSiblings)
	}
	return nil
}

// widestElement returns the largest number of element children of one
// node of the tree.
func widestElement(root *html.Node) int {
	widest, children := 0, 0
	for c := root.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode {
			children++
			widest = max(widest, widestElement(c))
		}
	}
	return max(widest, children)
}

func (f tagFilter) empty() bool { return len(f.include) == 0 && len(f.exclude) == 0 }

// apply narrows the body of doc: first every element an exclude selector
// matches goes, then, when there are include selectors, the body keeps only
// the elements they match, outermost first, in document order. Matching an
// include selector inside an excluded element does not bring it back, and
// a body where no include selector matches is left empty: the caller asked
// for those elements only.
func (f tagFilter) apply(doc *html.Node) {
	if f.empty() {
		return
	}
	body := find(doc, func(n *html.Node) bool { return isElement(n, "body") })
	if body == nil {
		return
	}
	if len(f.exclude) > 0 {
		var gone []*html.Node
		walkElements(body, func(n *html.Node) bool {
			if matchesAny(f.exclude, n) {
				gone = append(gone, n)
				return false
			}
			return true
		})
		for _, n := range gone {
			n.Parent.RemoveChild(n)
		}
	}
	if len(f.include) > 0 {
		var kept []*html.Node
		walkElements(body, func(n *html.Node) bool {
			if matchesAny(f.include, n) {
				kept = append(kept, n)
				return false
			}
			return true
		})
		for c := body.FirstChild; c != nil; c = body.FirstChild {
			body.RemoveChild(c)
		}
		for _, n := range kept {
			if n.Parent != nil { // a child of body is already detached
				n.Parent.RemoveChild(n)
			}
			body.AppendChild(n)
		}
	}
}

func matchesAny(sels []cascadia.Sel, n *html.Node) bool {
	for _, s := range sels {
		if s.Match(n) {
			return true
		}
	}
	return false
}

// walkElements calls visit for every element under root (root excluded) in
// document order; visit returns whether to descend into the element.
func walkElements(root *html.Node, visit func(*html.Node) bool) {
	for c := root.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && visit(c) {
			walkElements(c, visit)
		}
	}
}
