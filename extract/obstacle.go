package extract

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/sous-dev/sous/render"
)

var _ render.ObstacleDetector = (*Extractor)(nil)

// DetectObstacle is DetectObstacle over a rendered page.
func (e *Extractor) DetectObstacle(page *render.Page) (*render.Obstacle, bool) {
	return DetectObstacle(page.Status, page.Headers, page.HTML)
}

// contentChars is how many characters of text a page must have outside its
// obstacle (and outside headers, menus, footers and forms) to count as
// content. A challenge page has a few hundred, a login page a little more,
// a paywalled article's teaser a paragraph or two; an article has thousands.
const contentChars = 1000

// DetectObstacle tells whether a document (its HTTP status, its response
// headers with lower-case names, and its HTML) is an obstacle between a
// reader and the content: a bot challenge, a captcha, a login wall, a
// paywall or a request for payment. It returns nil when it is not.
//
// whole reports that the obstacle is all the page has to give; otherwise the
// page has real content beside a notice (a paywall under a whole article),
// and is content. Only paywalls are reported beside content: a captcha in
// a comment form or a sign-in box in a sidebar are parts of a page, not
// obstacles to it.
//
// It judges by structure, never by what the text says alone: vendors'
// headers, their scripts and widgets, password fields, paywall markup and
// schema.org's isAccessibleForFree. An article about captchas or logins
// has none of those; a login link in a page's header is not a form.
func DetectObstacle(status int, headers map[string]string, src string) (o *render.Obstacle, whole bool) {
	if status == 402 {
		return payment(headers, src), true
	}
	if o := byHeaders(status, headers); o != nil {
		return o, true
	}
	root, err := parseDocument(src) // as Extract does: deep nesting flattened, never refused
	if err != nil {
		return nil, false
	}
	d := survey(root)
	small := d.content < contentChars
	if o := d.challenge(status, headers); o != nil && small {
		return o, true
	}
	if o := d.login(status); o != nil && small {
		return o, true
	}
	if o := d.captcha(); o != nil && small {
		return o, true
	}
	if o := d.paywall(small); o != nil {
		return o, small
	}
	return nil, false
}

// payment describes an HTTP 402, naming the scheme when the reply says:
// x402 (a PAYMENT-REQUIRED header or an x402Version body) or Cloudflare's
// pay per crawl (a crawler-price header).
func payment(headers map[string]string, src string) *render.Obstacle {
	o := &render.Obstacle{Kind: render.ObstaclePayment, Evidence: "HTTP 402 Payment Required"}
	switch {
	case headers["payment-required"] != "" || headers["x-payment-required"] != "" || strings.Contains(src, `"x402Version"`):
		o.Vendor = "x402"
	case headers["crawler-price"] != "":
		o.Vendor = "cloudflare"
		o.Evidence += "; crawler-price: " + clip(headers["crawler-price"], 40)
	}
	return o
}

// byHeaders recognises the challenges whose vendors document a header that
// marks them: whatever the body, the response is the challenge.
func byHeaders(status int, h map[string]string) *render.Obstacle {
	switch {
	case strings.EqualFold(h["cf-mitigated"], "challenge"):
		return &render.Obstacle{Kind: render.ObstacleChallenge, Vendor: "cloudflare", Evidence: evidence(status, "header cf-mitigated: challenge")}
	case strings.EqualFold(h["x-vercel-mitigated"], "challenge"):
		return &render.Obstacle{Kind: render.ObstacleChallenge, Vendor: "vercel", Evidence: evidence(status, "header x-vercel-mitigated: challenge")}
	case strings.EqualFold(h["x-amzn-waf-action"], "challenge"):
		return &render.Obstacle{Kind: render.ObstacleChallenge, Vendor: "aws-waf", Evidence: evidence(status, "header x-amzn-waf-action: challenge")}
	case strings.EqualFold(h["x-amzn-waf-action"], "captcha"):
		return &render.Obstacle{Kind: render.ObstacleCaptcha, Vendor: "aws-waf", Evidence: evidence(status, "header x-amzn-waf-action: captcha")}
	}
	return nil
}

// evidence joins what was seen, the status first when it is an error.
func evidence(status int, seen ...string) string {
	var parts []string
	if status >= 400 {
		parts = append(parts, fmt.Sprintf("HTTP %d", status))
	}
	for _, s := range seen {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return clip(strings.Join(parts, "; "), 300)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// documentSurvey is what the obstacle rules ask about a parsed document.
type documentSurvey struct {
	title    string
	headings []string // h1 and h2 texts, the first few
	// scripts are the inline scripts' text (capped), sources their src
	// attributes, frames the iframes' src, all lower case.
	scripts, sources, frames []string
	// marks are lower-case class names and ids, each once; widgets the
	// captcha widgets among them shown outside furniture and modals.
	marks, widgets map[string]bool
	// passwordForm: a password field a person can see; signInForm: a form
	// whose heading or button says sign in, with a field to type into.
	passwordForm bool
	// notFree is JSON-LD's isAccessibleForFree: false.
	notFree bool
	// content counts characters of text outside headers, menus, footers,
	// forms, hidden elements and obstacle markup.
	content int
	// paywallText holds short blocks whose words say the rest is for
	// subscribers.
	paywallText []string
}

const maxScriptText = 64 << 10 // of each inline script, enough for any marker

func survey(root *html.Node) *documentSurvey {
	d := &documentSurvey{marks: map[string]bool{}, widgets: map[string]bool{}}
	type frame struct {
		n       *html.Node
		counted bool // its text counts as content
		// shown: nothing above it hides it by markup; incidental: it sits
		// in page furniture or a modal, where a sign-in box or a captcha
		// is an extra, not what the page is.
		shown, incidental bool
	}
	stack := []frame{{root, true, true, false}}
	for len(stack) > 0 {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n, counted, shown, incidental := f.n, f.counted, f.shown, f.incidental
		switch n.Type {
		case html.TextNode:
			t := collapse(n.Data)
			if counted {
				d.content += len(t)
			}
			if len(t) < 300 && len(d.paywallText) < 4 && saysSubscribersOnly(t) {
				d.paywallText = append(d.paywallText, t)
			}
			continue
		case html.ElementNode:
			shown = shown && !hiddenByMarkup(n)
			incidental = incidental || isIncidental(n)
			if !d.element(n, shown && !incidental) {
				continue
			}
			counted = counted && !excludedFromContent(n)
		}
		for c := n.LastChild; c != nil; c = c.PrevSibling {
			stack = append(stack, frame{c, counted, shown, incidental})
		}
	}
	return d
}

// element notes what n says and reports whether to look inside it.
// central says n is shown and not in page furniture or a modal.
func (d *documentSurvey) element(n *html.Node, central bool) bool {
	for _, a := range n.Attr {
		switch a.Key {
		case "id":
			d.mark(strings.ToLower(a.Val), central)
		case "class":
			for _, c := range strings.Fields(strings.ToLower(a.Val)) {
				d.mark(c, central)
			}
		}
	}
	switch n.DataAtom {
	case atom.Title:
		if d.title == "" && n.Parent != nil && n.Parent.DataAtom == atom.Head {
			d.title = collapse(textOf(n))
		}
		return false
	case atom.Script:
		if src := attrOf(n, "src"); src != "" {
			d.sources = append(d.sources, strings.ToLower(src))
		}
		body := textOf(n)
		if t := strings.ToLower(attrOf(n, "type")); t == "application/ld+json" {
			d.notFree = d.notFree || notAccessibleForFree(body)
		} else if body != "" {
			d.scripts = append(d.scripts, strings.ToLower(clip(body, maxScriptText)))
		}
		return false
	case atom.Style, atom.Template, atom.Noscript:
		return false
	case atom.Iframe:
		d.frames = append(d.frames, strings.ToLower(attrOf(n, "src")))
		return false
	case atom.H1, atom.H2:
		if len(d.headings) < 8 {
			d.headings = append(d.headings, collapse(textOf(n)))
		}
	case atom.Input:
		if strings.EqualFold(attrOf(n, "type"), "password") && central {
			d.passwordForm = true
		}
	}
	return true
}

// mark notes a class name or id; a captcha widget's only where people see
// it as the point of the page.
func (d *documentSurvey) mark(c string, central bool) {
	d.marks[c] = true
	if central && obstacleMark(c) {
		d.widgets[c] = true
	}
}

// isIncidental reports whether n is page furniture or a modal, popup or
// dropdown: a sign-in box there is an extra the page offers.
func isIncidental(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Header, atom.Nav, atom.Footer, atom.Aside, atom.Dialog:
		return true
	}
	for _, a := range n.Attr {
		if a.Key == "class" || a.Key == "id" || a.Key == "role" {
			v := strings.ToLower(a.Val)
			for _, w := range []string{"modal", "popup", "dropdown", "dialog", "overlay", "offcanvas"} {
				if strings.Contains(v, w) {
					return true
				}
			}
		}
	}
	return false
}

// excludedFromContent reports whether n's text is not content: page
// furniture, form labels and buttons, what markup hides, and captcha
// widgets. Forms themselves count: ASP.NET pages wrap everything in one.
func excludedFromContent(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Header, atom.Nav, atom.Footer, atom.Aside, atom.Dialog, atom.Button, atom.Select, atom.Label:
		return true
	}
	if hiddenByMarkup(n) {
		return true
	}
	for _, a := range n.Attr {
		if a.Key == "class" || a.Key == "id" {
			for _, c := range strings.Fields(strings.ToLower(a.Val)) {
				if obstacleMark(c) {
					return true
				}
			}
		}
	}
	return false
}

func hiddenByMarkup(n *html.Node) bool {
	if hasAttrNamed(n, "hidden") || strings.EqualFold(attrOf(n, "aria-hidden"), "true") {
		return true
	}
	// The utility classes frameworks hide with (Bootstrap, Tailwind, …).
	for c := range strings.FieldsSeq(strings.ToLower(attrOf(n, "class"))) {
		switch c {
		case "hidden", "d-none", "is-hidden", "hide", "invisible", "sr-only", "visually-hidden", "u-hidden":
			return true
		}
	}
	style := strings.ReplaceAll(strings.ToLower(attrOf(n, "style")), " ", "")
	return strings.Contains(style, "display:none") || strings.Contains(style, "visibility:hidden")
}

// obstacleMark reports whether a class name or id marks a captcha widget,
// whose text is the obstacle's, not the page's. Paywall marks are not
// among them: Google's markup puts .paywall on the paid content itself,
// and Medium's meteredContent wraps the whole story.
func obstacleMark(c string) bool {
	switch c {
	case "g-recaptcha", "h-captcha", "cf-turnstile", "px-captcha", "frc-captcha", "geetest_captcha":
		return true
	}
	return false
}

// isPaywallMark recognises the class names and ids paywalls use: their own
// word (paywall, regwall), the vendors' (Piano's tp-modal and
// tp-backdrop, Poool, Zephr, Leaky Paywall, Substack's paywall), and
// "subscriber(s) only". Google's example marks the free part "non-paywall".
func isPaywallMark(c string) bool {
	if strings.HasPrefix(c, "non-") || strings.HasPrefix(c, "no-") || strings.HasPrefix(c, "nopaywall") || strings.HasSuffix(c, "-free") {
		return false
	}
	for _, w := range []string{"paywall", "regwall", "registration-wall", "subscriber-only", "subscribers-only", "subscriberonly", "premium-wall", "meteredcontent", "metered-wall"} {
		if strings.Contains(c, w) {
			return true
		}
	}
	switch c {
	case "tp-modal", "tp-backdrop", "poool-widget", "zephr-registration-form", "zephr-paywall":
		return true
	}
	return strings.HasPrefix(c, "piano-") && (strings.Contains(c, "offer") || strings.Contains(c, "inline") || strings.Contains(c, "template"))
}

// challenge recognises the interstitials of bot-defence vendors by their
// scripts, frames and markup, as each vendor's documentation and served
// pages show them.
func (d *documentSurvey) challenge(status int, h map[string]string) *render.Obstacle {
	title := ""
	if d.title != "" {
		title = fmt.Sprintf("title %q", d.title)
	}
	ch := func(vendor string, seen ...string) *render.Obstacle {
		return &render.Obstacle{Kind: render.ObstacleChallenge, Vendor: vendor, Evidence: evidence(status, append(seen, title)...)}
	}
	captcha := func(vendor string, seen ...string) *render.Obstacle {
		return &render.Obstacle{Kind: render.ObstacleCaptcha, Vendor: vendor, Evidence: evidence(status, append(seen, title)...)}
	}
	switch {
	// Cloudflare's challenge page sets window._cf_chl_opt and loads its
	// orchestrator from /cdn-cgi/challenge-platform/h/…; pages that merely
	// pass through Cloudflare load /cdn-cgi/challenge-platform/scripts/jsd/
	// (JavaScript detections), which is not a challenge.
	case d.scriptHas("_cf_chl_opt"):
		return ch("cloudflare", "script sets _cf_chl_opt", d.cloudflarePlatform())
	case d.sourceHas("/cdn-cgi/challenge-platform/h/") || d.scriptHas("/cdn-cgi/challenge-platform/h/"):
		return ch("cloudflare", "script from /cdn-cgi/challenge-platform/h/")
	case d.marks["cf-error-details"] || d.marks["cf-wrapper"] && d.marks["cf-error-overview"]:
		return ch("cloudflare", "Cloudflare block page (cf-error-details)")

	// DataDome answers with a frame (or script) from captcha-delivery.com:
	// /interstitial/ for its device check, /captcha/ for its puzzle.
	case d.frameHas("captcha-delivery.com/interstitial") || d.scriptHas("'rt':'i'") && d.hasAnywhere("captcha-delivery.com"):
		return ch("datadome", "frame from captcha-delivery.com/interstitial")
	case d.hasAnywhere("captcha-delivery.com"):
		return captcha("datadome", "frame or script from captcha-delivery.com")
	case status >= 400 && (h["x-datadome"] != "" || strings.Contains(h["set-cookie"], "datadome=")):
		return ch("datadome", "header x-datadome")

	// HUMAN (PerimeterX) blocks with "Press & Hold": a #px-captcha element
	// and its captcha.js. Its sensor (window._pxAppId with init.js) runs
	// on ordinary pages too, so that alone is nothing.
	case d.marks["px-captcha"]:
		return captcha("perimeterx", "#px-captcha element")
	case d.sourceHas("px-cdn.net") && d.sourceHas("captcha.js") || d.sourceHas("/captcha/captcha.js") && d.scriptHas("_pxappid"):
		return captcha("perimeterx", "HUMAN captcha.js")

	// Akamai Bot Manager's challenge frames its check in
	// #sec-if-cpt-container and posts to /_sec/cp_challenge/; its block page
	// is "Access Denied" with a Reference # from an AkamaiGHost server.
	case d.marks["sec-if-cpt-container"] || d.marks["sec-cpt-if"] || d.hasAnywhere("/_sec/cp_challenge/"):
		return ch("akamai", "Akamai Bot Manager challenge (sec-if-cpt-container)")
	case status == 403 && strings.Contains(strings.ToLower(h["server"]), "akamaighost"):
		return ch("akamai", "server AkamaiGHost")

	// Imperva (Incapsula) serves its check in an iframe of
	// /_Incapsula_Resource; ordinary pages behind it load a script of the
	// same path, so only the frame or the incident text count.
	case d.frameHas("_incapsula_resource"):
		return ch("imperva", "frame from /_Incapsula_Resource")
	case status >= 400 && (strings.Contains(strings.ToLower(h["x-cdn"]), "incapsula") || strings.Contains(strings.ToLower(h["x-cdn"]), "imperva") || h["x-iinfo"] != ""):
		return ch("imperva", "Imperva headers (x-iinfo, x-cdn)")

	// AWS WAF's interstitials load challenge.js or captcha.js from
	// *.awswaf.com.
	case d.sourceHas("awswaf.com") && d.sourceHas("captcha.js"):
		return captcha("aws-waf", "captcha.js from awswaf.com")
	case d.sourceHas("awswaf.com") && d.sourceHas("challenge.js") || d.scriptHas("awswafintegration"):
		return ch("aws-waf", "challenge.js from awswaf.com")

	case status >= 400 && (h["x-sucuri-id"] != "" || h["x-sucuri-block"] != "" || strings.Contains(strings.ToLower(h["server"]), "sucuri")):
		return ch("sucuri", "Sucuri firewall headers")
	case status == 429 && (h["x-kpsdk-ct"] != "" || h["x-kpsdk-r"] != ""):
		return ch("kasada", "Kasada headers (x-kpsdk-*)")
	case strings.EqualFold(d.title, "Vercel Security Checkpoint"):
		return ch("vercel", "")
	}
	// A vendor this list does not know still says what it is doing in its
	// title or first heading.
	for _, t := range append([]string{d.title}, d.headings...) {
		if saysChallenge(t) {
			return ch("", fmt.Sprintf("heading %q", clip(t, 80)))
		}
	}
	return nil
}

// cloudflarePlatform adds the orchestrator's path to the evidence when the
// page loads it.
func (d *documentSurvey) cloudflarePlatform() string {
	if d.sourceHas("/cdn-cgi/challenge-platform/") || d.scriptHas("/cdn-cgi/challenge-platform/") {
		return "loads /cdn-cgi/challenge-platform/"
	}
	return ""
}

// saysChallenge recognises the words of a bot check's title or heading.
func saysChallenge(t string) bool {
	t = strings.ToLower(t)
	for _, p := range []string{"just a moment", "checking your browser", "verify you are human", "verifying you are human",
		"are you a robot", "are you human", "i am not a robot", "unusual traffic from your computer", "please verify you are a human",
		"checking if the site connection is secure", "ddos protection by", "bot verification", "human verification"} {
		if strings.Contains(t, p) {
			return true
		}
	}
	return false
}

// captcha recognises a page whose point is a captcha widget: Turnstile,
// hCaptcha, reCAPTCHA, Arkose, GeeTest, Friendly Captcha.
func (d *documentSurvey) captcha() *render.Obstacle {
	found := func(vendor, seen string) *render.Obstacle {
		return &render.Obstacle{Kind: render.ObstacleCaptcha, Vendor: vendor, Evidence: seen}
	}
	switch {
	// The widgets' scripts load on pages that show a widget only on
	// demand (a sign-up modal), so only a widget shown counts.
	case d.widgets["cf-turnstile"]:
		return found("cloudflare", "Turnstile widget (cf-turnstile)")
	case d.widgets["h-captcha"]:
		return found("hcaptcha", "hCaptcha widget (h-captcha)")
	case d.widgets["g-recaptcha"] || d.frameHas("google.com/recaptcha/") || d.frameHas("recaptcha.net/recaptcha/"):
		return found("recaptcha", "reCAPTCHA widget (g-recaptcha)")
	case d.frameHas("arkoselabs.com") || d.frameHas("funcaptcha.com"):
		return found("arkose", "Arkose Labs frame")
	case d.widgets["geetest_captcha"]:
		return found("geetest", "GeeTest widget")
	case d.widgets["frc-captcha"]:
		return found("friendlycaptcha", "Friendly Captcha widget (frc-captcha)")
	}
	return nil
}

// login recognises a sign-in form standing in for content: a password
// field, or an HTTP 401.
func (d *documentSurvey) login(status int) *render.Obstacle {
	var seen []string
	if d.passwordForm {
		seen = append(seen, "a password field")
	}
	for _, t := range append([]string{d.title}, d.headings...) {
		if saysSignIn(t) {
			seen = append(seen, fmt.Sprintf("heading %q", clip(t, 80)))
			break
		}
	}
	if status != 401 && !d.passwordForm {
		return nil
	}
	return &render.Obstacle{Kind: render.ObstacleLogin, Evidence: evidence(status, seen...)}
}

func saysSignIn(t string) bool {
	t = strings.ToLower(t)
	for _, p := range []string{"sign in", "log in", "login", "signin", "log on", "member login", "sign on"} {
		if strings.Contains(t, p) {
			return true
		}
	}
	return false
}

// paywall recognises content kept for subscribers: schema.org's
// isAccessibleForFree false, paywall markup, or words that say so on a
// page with little else. small says the page has little content beside.
func (d *documentSurvey) paywall(small bool) *render.Obstacle {
	var seen []string
	vendor := ""
	if d.notFree {
		seen = append(seen, "JSON-LD isAccessibleForFree: false")
	}
	var marks []string
	for c := range d.marks {
		if isPaywallMark(c) {
			marks = append(marks, c)
		}
	}
	slices.Sort(marks) // the same evidence every time
	for _, c := range marks {
		switch {
		case strings.HasPrefix(c, "tp-") || strings.HasPrefix(c, "piano-"):
			vendor = "piano"
		case strings.HasPrefix(c, "poool"):
			vendor = "poool"
		case strings.HasPrefix(c, "zephr"):
			vendor = "zephr"
		}
	}
	if len(marks) > 0 {
		seen = append(seen, "element ."+strings.Join(marks[:min(len(marks), 3)], ", ."))
	}
	marked := len(seen) > 0
	if len(d.paywallText) > 0 {
		seen = append(seen, fmt.Sprintf("notice %q", clip(d.paywallText[0], 100)))
	}
	// Words alone could be an article quoting them: they count only on a
	// page with little else.
	if !marked && !(small && len(d.paywallText) > 0) {
		return nil
	}
	return &render.Obstacle{Kind: render.ObstaclePaywall, Vendor: vendor, Evidence: evidence(0, seen...)}
}

// saysSubscribersOnly recognises a paywall's notice.
func saysSubscribersOnly(t string) bool {
	t = strings.ToLower(t)
	for _, p := range []string{"subscribe to continue", "subscribe to read", "to continue reading", "for subscribers only",
		"subscribers only", "already a subscriber", "for paid subscribers", "paid members only", "become a member to read",
		"reached your limit of free", "free articles remaining", "you've read all your free", "create a free account to continue",
		"this content is for members", "unlock this article", "subscribe now to read"} {
		if strings.Contains(t, p) {
			return true
		}
	}
	return false
}

// notAccessibleForFree reports whether a JSON-LD block says its content is
// not free (Google's markup for paywalled content).
func notAccessibleForFree(src string) bool {
	if !strings.Contains(src, "isAccessibleForFree") {
		return false
	}
	var v any
	if json.Unmarshal([]byte(src), &v) != nil {
		return false
	}
	return findNotFree(v, 0)
}

func findNotFree(v any, depth int) bool {
	if depth > 8 {
		return false
	}
	switch t := v.(type) {
	case map[string]any:
		switch f := t["isAccessibleForFree"].(type) {
		case bool:
			if !f {
				return true
			}
		case string:
			if strings.EqualFold(f, "false") {
				return true
			}
		}
		for _, c := range t {
			if findNotFree(c, depth+1) {
				return true
			}
		}
	case []any:
		for _, c := range t {
			if findNotFree(c, depth+1) {
				return true
			}
		}
	}
	return false
}

func (d *documentSurvey) scriptHas(s string) bool { return anyContains(d.scripts, s) }
func (d *documentSurvey) sourceHas(s string) bool { return anyContains(d.sources, s) }
func (d *documentSurvey) frameHas(s string) bool  { return anyContains(d.frames, s) }
func (d *documentSurvey) hasAnywhere(s string) bool {
	return d.scriptHas(s) || d.sourceHas(s) || d.frameHas(s)
}

func anyContains(list []string, s string) bool {
	s = strings.ToLower(s)
	for _, x := range list {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}

// textOf is the text inside n; collapse squeezes its white space.
func textOf(n *html.Node) string {
	var b strings.Builder
	stack := []*html.Node{n}
	for len(stack) > 0 && b.Len() < maxScriptText {
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
			b.WriteByte(' ')
			continue
		}
		if c != n && c.Type == html.ElementNode && (c.DataAtom == atom.Script || c.DataAtom == atom.Style) {
			continue
		}
		for k := c.LastChild; k != nil; k = k.PrevSibling {
			stack = append(stack, k)
		}
	}
	return b.String()
}

func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

func attrOf(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttrNamed(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}
