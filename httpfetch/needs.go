package httpfetch

import (
	"fmt"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/sous-dev/sous/render"
)

// Thresholds of the judgement whether a document needs a browser, in
// characters of text a reader would see in the body.
const (
	// A body with less text than this, and any script, is taken for a
	// shell that script fills (a single-page app, a script-written page,
	// a bot challenge).
	minText = 200
	// A noscript warning ("please enable JavaScript") counts only on a page
	// with less text than this: articles often carry one for their comments.
	noscriptText = 1500
)

// appRoots are the ids single-page-app frameworks mount into: React
// (root, app), Next.js, Nuxt, Gatsby, Svelte, Quasar. Server-rendered pages
// fill them in the HTML; an empty one waits for script.
var appRoots = map[string]bool{"root": true, "app": true, "__next": true, "__nuxt": true, "___gatsby": true, "svelte": true, "q-app": true}

// document is what the judgement needs to know about a parsed page.
type document struct {
	title       string
	text        int    // characters of visible body text
	scripts     int    // scripts a browser would run
	emptyRoot   string // the id (or tag) of an app root with no content
	noscriptJS  bool   // a noscript element asks for JavaScript
	metaRefresh bool
}

// inspect parses src and notes what needsBrowser asks about.
func inspect(src string) document {
	var d document
	root, err := html.Parse(strings.NewReader(src))
	if err != nil {
		return d // html.Parse fails only on read errors, never on a string
	}
	var walk func(n *html.Node, inBody bool)
	walk = func(n *html.Node, inBody bool) {
		switch n.Type {
		case html.TextNode:
			if inBody {
				d.text += len(strings.TrimSpace(n.Data))
			}
			return
		case html.ElementNode:
			switch n.DataAtom {
			case atom.Title:
				if !inBody && d.title == "" && n.FirstChild != nil { // not an SVG's title
					d.title = strings.Join(strings.Fields(n.FirstChild.Data), " ")
				}
				return
			case atom.Script:
				if runs(n) {
					d.scripts++
				}
				return
			case atom.Noscript:
				if asksForJS(textOf(n)) {
					d.noscriptJS = true
				}
				return
			case atom.Style, atom.Template:
				return
			case atom.Meta:
				if strings.EqualFold(attr(n, "http-equiv"), "refresh") {
					d.metaRefresh = true
				}
			case atom.Body:
				inBody = true
			}
			if d.emptyRoot == "" && isAppRoot(n) && strings.TrimSpace(textOf(n)) == "" && !hasMedia(n) {
				d.emptyRoot = n.Data
				if id := attr(n, "id"); id != "" {
					d.emptyRoot = "#" + id
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inBody)
		}
	}
	walk(root, false)
	return d
}

// needsBrowser says why the document cannot be served without running its
// script, or returns "" when it can.
func (d document) needsBrowser(req *render.Request) string {
	if req.JavaScriptEnabled != nil && !*req.JavaScriptEnabled {
		return "" // the browser would not run the script either
	}
	switch {
	case d.metaRefresh:
		return "the document redirects with a meta refresh"
	case d.emptyRoot != "" && d.scripts > 0:
		return fmt.Sprintf("the app root %s is empty until script runs", d.emptyRoot)
	case d.scripts > 0 && d.text < minText:
		return fmt.Sprintf("the body has %d characters of text and %d scripts", d.text, d.scripts)
	case d.noscriptJS && d.text < noscriptText:
		return "a noscript element asks for JavaScript"
	}
	return ""
}

// runs reports whether a browser would execute a script element: classic
// scripts and modules, not data blocks such as JSON-LD or templates.
func runs(n *html.Node) bool {
	t := strings.ToLower(strings.TrimSpace(attr(n, "type")))
	switch t {
	case "", "module", "text/javascript", "application/javascript", "text/ecmascript", "application/ecmascript":
	default:
		return false
	}
	return attr(n, "src") != "" || (n.FirstChild != nil && strings.TrimSpace(n.FirstChild.Data) != "")
}

func isAppRoot(n *html.Node) bool {
	if n.Data == "app-root" || hasAttr(n, "ng-app") || hasAttr(n, "data-reactroot") {
		return true
	}
	return appRoots[attr(n, "id")]
}

// asksForJS recognises the usual "enable JavaScript" warnings.
func asksForJS(text string) bool {
	t := strings.ToLower(text)
	if !strings.Contains(t, "javascript") {
		return false
	}
	for _, phrase := range []string{"enable", "requires", "required", "turn on", "need", "must", "switch on", "activate"} {
		if strings.Contains(t, phrase) {
			return true
		}
	}
	return false
}

// hasMedia reports whether n holds something visible without text.
func hasMedia(n *html.Node) bool {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode {
			switch c.DataAtom {
			case atom.Img, atom.Svg, atom.Video, atom.Canvas, atom.Iframe, atom.Picture:
				return true
			}
			if hasMedia(c) {
				return true
			}
		}
	}
	return false
}

// textOf is the text inside n, scripts and styles left out. Inside noscript
// the parser (with scripting on) keeps the content as one raw text node.
func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteByte(' ')
			return
		}
		if n.Type == html.ElementNode && (n.DataAtom == atom.Script || n.DataAtom == atom.Style || n.DataAtom == atom.Template) {
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, name string) bool {
	for _, a := range n.Attr {
		if a.Key == name {
			return true
		}
	}
	return false
}
