package httpfetch

import (
	"fmt"
	"regexp"
	"strconv"
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
	// A page with less text than this beside a large iframe is taken for
	// a frame around its content.
	frameText = 1000
)

// frameIsContent reports whether an iframe is large enough to hold a
// page's content: not a beacon, an ad slot of a few lines or a hidden
// helper. Without size attributes, it is given the benefit of the doubt.
func frameIsContent(n *html.Node) bool {
	if attr(n, "src") == "" && attr(n, "srcdoc") == "" {
		return false
	}
	if hasAttr(n, "hidden") || strings.Contains(strings.ReplaceAll(strings.ToLower(attr(n, "style")), " ", ""), "display:none") {
		return false
	}
	for _, dim := range []string{"width", "height"} {
		if v, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(attr(n, dim)), "px")); err == nil && v < 150 {
			return false
		}
	}
	return true
}

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
	// What a browser shows and the markup does not: a script that
	// redirects, a declarative shadow root (which the extractor, reading
	// templates as inert, leaves out), an empty custom element that script
	// fills, a frame that is the content, and content loaded on view.
	scriptRedirect bool
	shadowRoot     bool
	emptyCustom    string // the tag of an empty custom element
	frames         int    // iframes large enough to be content
	lazyContent    string // what marks content loaded on view
	consent        string // the id of a consent banner in the markup
}

// consentBanners are the ids of consent platforms' banners (OneTrust,
// Cookiebot, Didomi, Quantcast, TrustArc, Usercentrics, Iubenda,
// consentmanager). Written into the markup, a banner is text a plain fetch
// would serve as content; the browser leaves it out.
var consentBanners = map[string]bool{
	"onetrust-consent-sdk": true, "onetrust-banner-sdk": true, "CybotCookiebotDialog": true, "didomi-host": true,
	"qc-cmp2-container": true, "truste-consent-track": true, "consent_blackbar": true, "usercentrics-root": true,
	"iubenda-cs-banner": true, "cmpbox": true,
}

// redirectCall matches a script that sends the page elsewhere.
var redirectCall = regexp.MustCompile(`\blocation\s*\.\s*(replace|assign)\s*\(|\blocation(\s*\.\s*href)?\s*=[^=]`)

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
					if n.FirstChild != nil {
						code := n.FirstChild.Data
						d.scriptRedirect = d.scriptRedirect || redirectCall.MatchString(code)
						if d.lazyContent == "" && strings.Contains(code, "IntersectionObserver") {
							d.lazyContent = "a script that loads content when it comes into view (IntersectionObserver)"
						}
					}
				}
				return
			case atom.Noscript:
				if asksForJS(textOf(n)) {
					d.noscriptJS = true
				}
				return
			case atom.Template:
				if hasAttr(n, "shadowrootmode") || hasAttr(n, "shadowroot") {
					d.shadowRoot = true
				}
				return
			case atom.Style:
				return
			case atom.Iframe:
				if inBody && frameIsContent(n) {
					d.frames++
				}
			case atom.Img:
				if d.lazyContent == "" && attr(n, "src") == "" && (hasAttr(n, "data-src") || hasAttr(n, "data-lazy-src")) {
					d.lazyContent = "images whose address script fills in (data-src)"
				}
			case atom.Meta:
				if strings.EqualFold(attr(n, "http-equiv"), "refresh") {
					d.metaRefresh = true
				}
			case atom.Body:
				inBody = true
			}
			if id := attr(n, "id"); d.consent == "" && (consentBanners[id] || strings.HasPrefix(id, "sp_message_container")) {
				d.consent = id
			}
			if d.emptyCustom == "" && inBody && strings.Contains(n.Data, "-") && n.Namespace == "" &&
				strings.TrimSpace(textOf(n)) == "" && !hasMedia(n) {
				d.emptyCustom = n.Data
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
	case d.scriptRedirect:
		return "a script of the document redirects"
	case d.shadowRoot:
		return "the document declares a shadow root"
	case d.emptyCustom != "" && d.scripts > 0:
		return fmt.Sprintf("the custom element <%s> is empty until script runs", d.emptyCustom)
	case d.frames > 0 && d.text < frameText:
		return fmt.Sprintf("the content is in an iframe (the page has %d characters of text of its own)", d.text)
	case d.lazyContent != "":
		return "the document has " + d.lazyContent
	case d.consent != "":
		return fmt.Sprintf("the document carries a consent banner (#%s), which only the browser leaves out", d.consent)
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
