package extract

import (
	"maps"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/net/html"
)

// revealStreamedContent puts the content that a React server streams
// after the page's shell where the shell awaits it, as React's inline
// scripts do in a browser. A page rendered with Suspense sends its shell
// first, with a <template id="B:1"> (a boundary, with a fallback such as
// a spinner up to a <!--/$--> comment) or <template id="P:1"> (a
// placeholder) where a part is still loading; the part follows at the end
// of the body in <div hidden id="S:1">, and a script call,
// $RC("B:1","S:1") or $RS("S:1","P:1"), moves it into place. Read as it
// came, such a page is its shell: headers, footers and empty sections,
// with the sections' text hidden after the footer. Saved copies often
// lose the scripts; a part whose call is missing goes where a template of
// its number waits, a placeholder first.
func revealStreamedContent(doc *html.Node) {
	segments := map[string]*html.Node{}
	templates := map[string]*html.Node{}
	var calls [][]string
	walkElements(doc, func(n *html.Node) bool {
		id := attrOr(n, "id")
		switch {
		case isElement(n, "div") && strings.HasPrefix(id, "S:"):
			if _, hidden := attr(n, "hidden"); hidden {
				segments[id] = n
			}
		case isElement(n, "template") && (strings.HasPrefix(id, "B:") || strings.HasPrefix(id, "P:")):
			templates[id] = n
		case isElement(n, "script"):
			if c := n.FirstChild; c != nil && c.Type == html.TextNode && strings.Contains(c.Data, "$R") {
				calls = append(calls, streamCall.FindAllStringSubmatch(c.Data, -1)...)
			}
			return false
		}
		return true
	})
	if len(segments) == 0 || len(templates) == 0 {
		return
	}
	place := func(segment, template *html.Node) {
		if segment == nil || template == nil || segment.Parent == nil || template.Parent == nil || contains(segment, template) {
			return
		}
		parent := template.Parent
		at := template
		if strings.HasPrefix(attrOr(template, "id"), "B:") {
			// The boundary's fallback runs from the template to the
			// comment that closes it.
			at = boundaryEnd(template)
			for c := template.NextSibling; at != nil && c != at; {
				next := c.NextSibling
				if !contains(c, segment) {
					parent.RemoveChild(c)
				}
				c = next
			}
		}
		for c := segment.FirstChild; c != nil; c = segment.FirstChild {
			segment.RemoveChild(c)
			if at != nil {
				parent.InsertBefore(c, at)
			} else {
				parent.AppendChild(c)
			}
		}
		parent.RemoveChild(template)
		if segment.Parent != nil {
			segment.Parent.RemoveChild(segment)
		}
		delete(segments, attrOr(segment, "id"))
	}
	for _, call := range calls {
		switch call[1] {
		case "C":
			place(segments[call[3]], templates[call[2]])
		case "S":
			place(segments[call[2]], templates[call[3]])
		}
	}
	for _, id := range slices.Sorted(maps.Keys(segments)) {
		number := strings.TrimPrefix(id, "S:")
		if t := templates["P:"+number]; t != nil && t.Parent != nil {
			place(segments[id], t)
		} else if t := templates["B:"+number]; t != nil && t.Parent != nil {
			place(segments[id], t)
		}
	}
}

// streamCall matches React's calls that move a streamed part into place:
// $RC("B:1","S:1") completes a boundary, $RS("S:1","P:1") a segment.
var streamCall = regexp.MustCompile(`\$R(C|S)\("([^"]+)","([^"]+)"\)`)

// boundaryEnd is the comment that closes the Suspense boundary a template
// opens (<!--/$-->), nested boundaries skipped, or nil.
func boundaryEnd(template *html.Node) *html.Node {
	depth := 0
	for c := template.NextSibling; c != nil; c = c.NextSibling {
		if c.Type != html.CommentNode {
			continue
		}
		switch {
		case c.Data == "/$":
			if depth == 0 {
				return c
			}
			depth--
		case c.Data == "$" || c.Data == "$?" || c.Data == "$!":
			depth++
		}
	}
	return nil
}
