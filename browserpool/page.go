package browserpool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	jsonv2 "github.com/chromedp/cdproto/cdp/jsonv2"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/inspector"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/storage"

	"github.com/sous-dev/sous/netguard"
	"github.com/sous-dev/sous/render"
)

func (t *tab) render(ctx context.Context, req *render.Request, guard *networkGuard) (_ *render.Page, dirty bool, err error) {
	// Chromium's own idle signal for the main frame, subscribed before
	// navigation so that none is missed (see waitNetworkIdle).
	lifecycle, stopLifecycle := t.s.Subscribe(page.LifecycleEvent.Method)
	defer stopLifecycle()
	// A renderer that crashes (out of memory, most often) ends the render at
	// once rather than at its deadline.
	ctx, crashed := context.WithCancelCause(ctx)
	defer crashed(nil)
	defer func() {
		if err != nil && errors.Is(context.Cause(ctx), errPageCrashed) {
			err = fmt.Errorf("%w: %w", render.ErrNavigation, errPageCrashed)
		}
	}()
	crashes, stopCrashes := t.s.Subscribe(inspector.TargetCrashed.Method)
	defer stopCrashes()
	go func() {
		select {
		case _, ok := <-crashes:
			if ok {
				crashed(errPageCrashed)
			}
		case <-ctx.Done():
		}
	}()
	net := newNetworkWatch(t.s)
	// Dialogs would block the page's main thread until answered.
	dialogs, stopDialogs := t.s.Subscribe(page.JavascriptDialogOpening.Method)
	defer stopDialogs()
	var helpers sync.WaitGroup
	helperCtx, stopHelpers := context.WithCancel(ctx)
	defer func() {
		stopHelpers()
		helpers.Wait()
		net.stop() // before reading what it saw: its goroutine writes origins
		for o := range net.originsSeen() {
			t.origins[o] = true
		}
		// A page can fill the HTTP auth cache itself (an XHR with a user
		// and password answers a challenge), and no command clears it.
		dirty = dirty || net.authChallenged()
	}()
	helpers.Go(func() { t.dismissDialogs(helperCtx, dialogs) })

	if err := t.apply(ctx, req); err != nil {
		return nil, true, err
	}
	// With scripts off the wipe cannot leave the page from inside it.
	dirty = req.JavaScriptEnabled != nil && !*req.JavaScriptEnabled
	if needsInterception(req) {
		dirty = dirty || req.Authenticate != nil // the HTTP auth cache has no clear command
		if err := t.intercept(ctx, req, &helpers, helperCtx); err != nil {
			return nil, true, err
		}
	}

	wait := req.Wait()
	wantIdle, waitDOM := wait.NetworkIdle, wait.DOMContentLoaded

	status := 0
	if req.URL != "" {
		status, err = t.navigate(ctx, req, net, guard, waitDOM)
	} else {
		err = t.setContent(ctx, req.HTML, waitDOM)
	}
	if err != nil {
		return nil, true, err
	}
	if wantIdle >= 0 {
		if err := t.waitNetworkIdle(ctx, net, lifecycle, wantIdle); err != nil {
			return nil, true, fmt.Errorf("waiting for network idle: %w", err)
		}
	}
	for _, tag := range req.AddStyleTag {
		if err := t.addTag(ctx, "style", tag.URL, tag.Content, "", ""); err != nil {
			return nil, true, fmt.Errorf("addStyleTag: %w", err)
		}
	}
	for _, tag := range req.AddScriptTag {
		if err := t.addTag(ctx, "script", tag.URL, tag.Content, tag.Type, tag.ID); err != nil {
			return nil, true, fmt.Errorf("addScriptTag: %w", err)
		}
	}
	if w := req.WaitForSelector; w != nil {
		if err := t.waitForSelector(ctx, w); err != nil {
			return nil, true, err
		}
	}
	if req.WaitForTimeout > 0 {
		select {
		case <-time.After(time.Duration(req.WaitForTimeout) * time.Millisecond):
		case <-ctx.Done():
			return nil, true, ctx.Err()
		}
	}

	var boxesOf []string
	if req.Wants(render.FormatScrape) {
		for _, e := range req.Elements {
			boxesOf = append(boxesOf, e.Selector)
		}
	}
	p, err := t.snapshot(ctx, boxesOf)
	if err != nil {
		return nil, true, err
	}
	p.Status = status
	if req.URL != "" {
		doc := net.frameDocument(cdp.FrameID(t.targetID))
		p.Headers, p.ContentType = doc.headers, doc.mimeType
	}
	if req.Wants(render.FormatScreenshot) {
		if p.Screenshot, err = t.screenshot(ctx, req); err != nil {
			return nil, true, fmt.Errorf("screenshot: %w", err)
		}
	}
	if req.Wants(render.FormatPDF) {
		if p.PDF, err = t.pdf(ctx, req.PDFOptions); err != nil {
			return nil, true, fmt.Errorf("pdf: %w", err)
		}
	}
	if req.Wants(render.FormatAccessibilityTree) {
		interesting := req.InterestingOnly == nil || *req.InterestingOnly
		if p.AccessibilityTree, err = t.accessibilityTree(ctx, interesting); err != nil {
			return nil, true, fmt.Errorf("accessibility tree: %w", err)
		}
	}
	return p, dirty, nil
}

func (t *tab) dismissDialogs(ctx context.Context, dialogs <-chan jsonv2.Value) {
	for {
		select {
		case _, ok := <-dialogs:
			if !ok {
				return
			}
			cdp.Call(ctx, t.s, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		case <-ctx.Done():
			return
		}
	}
}

func (t *tab) apply(ctx context.Context, req *render.Request) error {
	if v := req.Viewport; v != nil {
		t.overridden.viewport = true
		m := emulation.SetDeviceMetricsOverrideParams{
			Width: int64(v.Width), Height: int64(v.Height), DeviceScaleFactor: v.DeviceScaleFactor, Mobile: v.IsMobile,
		}
		if m.DeviceScaleFactor == 0 {
			m.DeviceScaleFactor = 1
		}
		if v.IsLandscape {
			m.ScreenOrientation = &emulation.ScreenOrientation{Type: emulation.ScreenOrientationTypeLandscapePrimary, Angle: 90}
		}
		if _, err := cdp.Call(ctx, t.s, emulation.SetDeviceMetricsOverride, m); err != nil {
			return fmt.Errorf("viewport: %w", err)
		}
	}
	if req.UserAgent != "" {
		t.overridden.userAgent = true
		if _, err := cdp.Call(ctx, t.s, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: req.UserAgent}); err != nil {
			return fmt.Errorf("userAgent: %w", err)
		}
	}
	if req.JavaScriptEnabled != nil && !*req.JavaScriptEnabled {
		t.overridden.javaScript = true
		if _, err := cdp.Call(ctx, t.s, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
			return fmt.Errorf("setJavaScriptEnabled: %w", err)
		}
	}
	if req.EmulateMediaType != "" {
		t.overridden.media = true
		if _, err := cdp.Call(ctx, t.s, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: req.EmulateMediaType}); err != nil {
			return fmt.Errorf("emulateMediaType: %w", err)
		}
	}
	if len(req.Cookies) > 0 {
		cookies := make([]*network.CookieParam, len(req.Cookies))
		for i, c := range req.Cookies {
			cp := &network.CookieParam{
				Name: c.Name, Value: c.Value, URL: c.URL, Domain: c.Domain, Path: c.Path,
				Secure: c.Secure, HTTPOnly: c.HTTPOnly, SameSite: network.CookieSameSite(c.SameSite),
			}
			if c.Expires > 0 {
				cp.Expires = cdp.TimeSinceEpoch(c.Expires)
			}
			if cp.URL == "" && cp.Domain == "" {
				cp.URL = req.URL
			}
			cookies[i] = cp
			if u, err := url.Parse(cp.URL); err == nil && u.Host != "" {
				t.origins[u.Scheme+"://"+u.Host] = true
			}
		}
		bs := session{conn: t.browser.proc.conn}
		if _, err := cdp.Call(ctx, bs, storage.SetCookies, storage.SetCookiesParams{Cookies: cookies, BrowserContextID: t.contextID}); err != nil {
			return fmt.Errorf("%w: cookies: %v", render.ErrInvalidRequest, err)
		}
	}
	return nil
}

// waitNetworkIdle waits until at most max requests have been in flight for
// 500 ms, as Puppeteer's networkidle0 and networkidle2 do. It counts the
// requests it sees itself, and also accepts Chromium's own lifecycle event
// for the main frame (networkIdle, networkAlmostIdle): requests of
// cross-site iframes report their end to the iframe's own target, which
// the tab does not attach to, so its own count can stay up for good.
func (t *tab) waitNetworkIdle(ctx context.Context, net *networkWatch, lifecycle <-chan jsonv2.Value, max int) error {
	want := "networkIdle"
	if max > 0 {
		want = "networkAlmostIdle"
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	counted := make(chan error, 1)
	go func() { counted <- net.waitIdle(ctx, max, 500*time.Millisecond) }()
	for {
		select {
		case err := <-counted:
			return err
		case raw, ok := <-lifecycle:
			if !ok {
				return errConnClosed
			}
			var ev page.EventLifecycleEvent
			if jsonv2.Unmarshal(raw, &ev) == nil && ev.Name == want && string(ev.FrameID) == string(t.targetID) {
				return nil
			}
		}
	}
}

// errPageCrashed is the cause of a render whose renderer process died.
var errPageCrashed = errors.New("the page crashed; it may have run out of memory")

// needsInterception reports whether the page's requests must be paused: for
// the resource filters, for the extra headers (which go to the requested
// origin only, so each request is judged), and for auth challenges.
func needsInterception(req *render.Request) bool {
	return req.Authenticate != nil || len(req.ExtraHTTPHeaders) > 0 || len(req.RejectResourceTypes) > 0 || len(req.RejectRequestPattern) > 0 ||
		len(req.AllowResourceTypes) > 0 || len(req.AllowRequestPattern) > 0
}

// originOf returns the origin of an http(s) URL as Chromium writes it,
// scheme://host[:port] with the port only when it is not the scheme's
// default, or "" for any other URL.
func originOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	scheme := strings.ToLower(u.Scheme)
	if err != nil || u.Host == "" || (scheme != "http" && scheme != "https") {
		return ""
	}
	host := strings.ToLower(netguard.CanonicalHost(u.Hostname()))
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port := u.Port(); port != "" && !(scheme == "http" && port == "80") && !(scheme == "https" && port == "443") {
		host += ":" + port
	}
	return scheme + "://" + host
}

// withHeaders returns the headers of a paused request with extra set on top,
// replacing a header of the same name whatever its case.
func withHeaders(have network.Headers, extra map[string]string) []*fetch.HeaderEntry {
	out := make([]*fetch.HeaderEntry, 0, len(have)+len(extra))
	for name, v := range have {
		replaced := false
		for k := range extra {
			replaced = replaced || strings.EqualFold(k, name)
		}
		if s, ok := v.(string); ok && !replaced {
			out = append(out, &fetch.HeaderEntry{Name: name, Value: s})
		}
	}
	for name, v := range extra {
		out = append(out, &fetch.HeaderEntry{Name: name, Value: v})
	}
	return out
}

func (t *tab) intercept(ctx context.Context, req *render.Request, helpers *sync.WaitGroup, helperCtx context.Context) error {
	rejectRE, allowRE := req.RequestPatterns()
	lower := func(list []string) []string {
		out := make([]string, len(list))
		for i, s := range list {
			out[i] = strings.ToLower(s)
		}
		return out
	}
	rejectTypes, allowTypes := lower(req.RejectResourceTypes), lower(req.AllowResourceTypes)
	matches := func(res []*regexp.Regexp, u string) bool {
		return slices.ContainsFunc(res, func(re *regexp.Regexp) bool { return re.MatchString(u) })
	}
	allowed := func(ev *fetch.EventRequestPaused) bool {
		if ev.ResourceType == network.ResourceTypeDocument && string(ev.FrameID) == string(t.targetID) {
			return true // the document itself is never dropped
		}
		typ, u := strings.ToLower(string(ev.ResourceType)), ev.Request.URL
		if slices.Contains(rejectTypes, typ) || matches(rejectRE, u) {
			return false
		}
		if len(allowTypes) == 0 && len(allowRE) == 0 {
			return true
		}
		return slices.Contains(allowTypes, typ) || matches(allowRE, u)
	}

	// Extra headers and credentials are for the origin the caller asked for:
	// a redirect or a subresource elsewhere gets neither. (Without a URL,
	// for html, there is no such origin and they go nowhere.)
	home := originOf(req.URL)
	forHome := func(u string) bool { return home != "" && originOf(u) == home }

	paused, stopPaused := t.s.Subscribe(fetch.RequestPaused.Method)
	auth, stopAuth := t.s.Subscribe(fetch.AuthRequired.Method)
	t.overridden.fetch = true
	if _, err := cdp.Call(ctx, t.s, fetch.Enable, fetch.EnableParams{
		Patterns:           []*fetch.RequestPattern{{URLPattern: "*"}},
		HandleAuthRequests: ptr(req.Authenticate != nil),
	}); err != nil {
		stopPaused()
		stopAuth()
		return fmt.Errorf("enable interception: %w", err)
	}
	answered := map[fetch.RequestID]int{}
	helpers.Go(func() {
		defer stopPaused()
		defer stopAuth()
		for {
			select {
			case raw, ok := <-paused:
				if !ok {
					return
				}
				var ev fetch.EventRequestPaused
				if jsonv2.Unmarshal(raw, &ev) != nil || ev.Request == nil {
					continue
				}
				if allowed(&ev) {
					cont := fetch.ContinueRequestParams{RequestID: ev.RequestID}
					if len(req.ExtraHTTPHeaders) > 0 && forHome(ev.Request.URL) {
						cont.Headers = withHeaders(ev.Request.Headers, req.ExtraHTTPHeaders)
					}
					cdp.Call(helperCtx, t.s, fetch.ContinueRequest, cont)
				} else {
					cdp.Call(helperCtx, t.s, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonBlockedByClient})
				}
			case raw, ok := <-auth:
				if !ok {
					return
				}
				var ev fetch.EventAuthRequired
				if jsonv2.Unmarshal(raw, &ev) != nil {
					continue
				}
				resp := &fetch.AuthChallengeResponse{Response: fetch.AuthChallengeResponseResponseCancelAuth}
				// Wrong credentials get the same challenge again; answer
				// twice at most, then let the 401 through. Only a server of
				// the requested origin gets them.
				ch := ev.AuthChallenge
				fromHome := ch != nil && ch.Source != fetch.AuthChallengeSourceProxy && forHome(ch.Origin)
				if a := req.Authenticate; a != nil && fromHome && answered[ev.RequestID] < 2 {
					answered[ev.RequestID]++
					resp = &fetch.AuthChallengeResponse{Response: fetch.AuthChallengeResponseResponseProvideCredentials, Username: a.Username, Password: a.Password}
				}
				cdp.Call(helperCtx, t.s, fetch.ContinueWithAuth, fetch.ContinueWithAuthParams{RequestID: ev.RequestID, AuthChallengeResponse: resp})
			case <-helperCtx.Done():
				return
			}
		}
	})
	return nil
}

func (t *tab) navigate(ctx context.Context, req *render.Request, net *networkWatch, guard *networkGuard, waitDOM bool) (int, error) {
	events, stop := t.s.Subscribe(page.LifecycleEvent.Method)
	defer stop()
	params := page.NavigateParams{URL: req.URL}
	if req.GotoOptions != nil {
		params.Referrer = req.GotoOptions.Referer
	}
	nav, err := cdp.Call(ctx, t.s, page.Navigate, params)
	if err != nil {
		return 0, fmt.Errorf("navigate %s: %w", req.URL, err)
	}
	if nav.ErrorText != "" {
		if err := guard.explain(req.URL, nav.ErrorText); err != nil {
			return 0, err
		}
		// A document Chromium downloads instead of showing aborts the
		// navigation; one of a type it has no page for goes to the http
		// engine, which may read it (a PDF labelled as bytes).
		if doc, ok := net.document(nav.LoaderID); ok && !strings.HasPrefix(doc.mimeType, "text/") {
			return 0, fmt.Errorf("%w: %s is a %s document", render.ErrNotHTML, req.URL, doc.mimeType)
		}
		return 0, fmt.Errorf("%w: %s: %s", render.ErrNavigation, req.URL, nav.ErrorText)
	}

	event := "load"
	if waitDOM {
		event = "DOMContentLoaded"
	}
	if err := waitLifecycle(ctx, events, t.targetID, nav.LoaderID, event); err != nil {
		return 0, fmt.Errorf("navigate %s: waiting for %s: %w", req.URL, event, err)
	}
	if rule, host := net.documentBlocked(nav.LoaderID); rule != "" {
		return 0, render.Blocked(host, rule) // a redirect to a refused address
	}
	if doc, ok := net.document(nav.LoaderID); ok && !doc.shownAsPage() {
		return 0, fmt.Errorf("%w: %s is a %s document", render.ErrNotHTML, req.URL, doc.mimeType)
	}
	return net.documentStatus(nav.LoaderID), nil
}

func (t *tab) setContent(ctx context.Context, html string, waitDOM bool) error {
	// A browser-initiated about:blank gets a fresh, opaque origin.
	if err := t.navigateBlank(ctx); err != nil {
		return err
	}
	if _, err := cdp.Call(ctx, t.s, page.SetDocumentContent, page.SetDocumentContentParams{FrameID: cdp.FrameID(t.targetID), HTML: html}); err != nil {
		return fmt.Errorf("set content: %w", err)
	}
	state := `document.readyState === "complete" || new Promise(r => addEventListener("load", () => r(true), {once: true}))`
	if waitDOM {
		state = `document.readyState !== "loading" || new Promise(r => addEventListener("DOMContentLoaded", () => r(true), {once: true}))`
	}
	_, err := t.eval(ctx, state)
	return err
}

func (t *tab) eval(ctx context.Context, expression string) (jsonv2.Value, error) {
	res, err := cdp.Call(ctx, t.s, runtime.Evaluate, runtime.EvaluateParams{
		Expression: expression, ReturnByValue: ptr(true), AwaitPromise: ptr(true),
	})
	if err != nil {
		return nil, err
	}
	if ex := res.ExceptionDetails; ex != nil {
		msg := ex.Text
		if ex.Exception != nil && ex.Exception.Description != "" {
			msg = ex.Exception.Description
		}
		return nil, fmt.Errorf("page script: %s", msg)
	}
	if res.Result == nil {
		return nil, nil
	}
	return res.Result.Value, nil
}

func (t *tab) addTag(ctx context.Context, kind, src, content, typ, id string) error {
	args, _ := json.Marshal(map[string]string{"kind": kind, "src": src, "content": content, "type": typ, "id": id})
	_, err := t.eval(ctx, `(a => new Promise((resolve, reject) => {
  let el;
  if (a.kind === "style" && a.src) { el = document.createElement("link"); el.rel = "stylesheet"; el.href = a.src; }
  else if (a.kind === "style") { el = document.createElement("style"); el.textContent = a.content; }
  else { el = document.createElement("script"); if (a.type) el.type = a.type; if (a.id) el.id = a.id;
         if (a.src) el.src = a.src; else el.textContent = a.content; }
  if (a.src) { el.onload = () => resolve(true); el.onerror = () => reject(new Error("could not load " + a.src)); }
  (document.head || document.documentElement).appendChild(el);
  if (!a.src) resolve(true);
}))(`+string(args)+`)`)
	return err
}

func (t *tab) waitForSelector(ctx context.Context, w *render.WaitForSelector) error {
	if w.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(w.Timeout)*time.Millisecond)
		defer cancel()
	}
	args, _ := json.Marshal(w)
	_, err := t.eval(ctx, `(w => new Promise((resolve, reject) => {
  const visible = el => { const s = getComputedStyle(el), r = el.getBoundingClientRect();
    return s.visibility !== "hidden" && s.display !== "none" && r.width > 0 && r.height > 0; };
  const check = () => {
    let el;
    try { el = document.querySelector(w.selector); } catch (e) { reject(new Error("invalid selector " + JSON.stringify(w.selector))); return; }
    const ok = w.hidden ? (!el || !visible(el)) : (el && (!w.visible || visible(el)));
    if (ok) resolve(true); else setTimeout(check, 50);
  };
  check();
}))(`+string(args)+`)`)
	if err != nil {
		if strings.Contains(err.Error(), "invalid selector") {
			return fmt.Errorf("%w: waitForSelector: %v", render.ErrInvalidRequest, err)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%w: waiting for selector %q", render.ErrTimeout, w.Selector)
		}
		return fmt.Errorf("waitForSelector: %w", err)
	}
	return nil
}

// hiddenScript lists the elements a person cannot see although their markup
// does not say so: hidden by a stylesheet (display, visibility, opacity,
// zero font size), squeezed to no size with overflow cut off, clipped away,
// placed off the page, or with text the colour of its background. These are
// the carriers of text meant for models and not for people. Each element is
// named by its position among the document's elements in document order
// (getElementsByTagName("*"), which is the parser's order too) and its tag,
// so that the extractor can find it in its own parse of the HTML and check
// it found the same one. The descendants of a listed element are not
// listed; html and body never are, nor what is never shown (head, script,
// style, …). At most 5,000 are listed.
const hiddenScript = `() => {
  const out = [], max = 5000;
  let index = 0;
  const rgb = (c) => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null; const v = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number); return v.length > 3 && v[3] === 0 ? null : v.slice(0, 3); };
  const ownText = (el) => { for (const n of el.childNodes) if (n.nodeType === 3 && n.data.trim()) return true; return false; };
  // bg is the colour behind el's text: its own background, else its
  // parent's; null over an image, where no judgement is made.
  const hides = (el, s, bg) => {
    if (s.display === "none" || s.visibility === "hidden" || s.visibility === "collapse" || s.opacity === "0") return true;
    if (s.display === "contents") return false;
    const r = el.getBoundingClientRect();
    const clips = s.overflow !== "visible" || s.overflowX === "clip" || s.overflowY === "clip";
    const geometry = ((r.width < 1 || r.height < 1) && clips) || s.clip === "rect(0px, 0px, 0px, 0px)" || /inset\(50%\)/.test(s.clipPath) ||
      r.right + scrollX <= 0 || r.bottom + scrollY <= 0 || parseFloat(s.fontSize) === 0;
    if (geometry) return el.textContent.trim() !== "";
    if (ownText(el)) {
      const fg = rgb(s.color);
      if (!fg) return true; // transparent text
      if (bg && Math.abs(fg[0] - bg[0]) + Math.abs(fg[1] - bg[1]) + Math.abs(fg[2] - bg[2]) < 24) return true;
    }
    return false;
  };
  const unread = new Set(["head", "script", "style", "noscript", "template", "link", "meta"]);
  const walk = (el, parentBg) => {
    const i = index++;
    const tag = el.localName;
    if (unread.has(tag)) {
      // Parsed again from the HTML, a noscript holds text, not elements.
      if (tag !== "noscript") index += el.getElementsByTagName("*").length;
      return;
    }
    const s = getComputedStyle(el);
    const bg = s.backgroundImage !== "none" ? null : (rgb(s.backgroundColor) || parentBg);
    if (tag !== "html" && tag !== "body" && out.length < max && hides(el, s, bg)) {
      out.push({index: i, tag});
      index += el.getElementsByTagName("*").length;
      return;
    }
    for (let c = el.firstElementChild; c; c = c.nextElementSibling) walk(c, bg);
  };
  if (document.documentElement) walk(document.documentElement, [255, 255, 255]);
  return {elements: index, list: out};
}`

// maxBoxes is how many matches of one scrape selector get a box; the
// extractor scrapes no more than that either.
const maxBoxes = 1000

// snapshot reads the document and, for each of selectors, the boxes of its
// first maxBoxes matches, in one evaluation so that both see the same DOM.
func (t *tab) snapshot(ctx context.Context, selectors []string) (*render.Page, error) {
	args, _ := json.Marshal(selectors)
	raw, err := t.eval(ctx, `((selectors, max) => {
  const d = document.doctype;
  const doctype = d ? "<!DOCTYPE " + d.name + (d.publicId ? ' PUBLIC "' + d.publicId + '"' : "") + (d.systemId ? ' "' + d.systemId + '"' : "") + ">\n" : "";
  const boxes = {};
  for (const s of selectors || []) {
    let found;
    try { found = document.querySelectorAll(s); } catch (e) { continue; }
    const list = [];
    for (let i = 0; i < found.length && i < max; i++) {
      const r = found[i].getBoundingClientRect();
      list.push({tag: found[i].localName, top: r.top + scrollY, left: r.left + scrollX, width: r.width, height: r.height});
    }
    boxes[s] = list;
  }
  return {url: location.href, title: document.title, html: doctype + (document.documentElement ? document.documentElement.outerHTML : ""), boxes, hidden: (`+hiddenScript+`)()};
})(`+string(args)+`, `+fmt.Sprint(maxBoxes)+`)`)
	if err != nil {
		return nil, fmt.Errorf("read document: %w", err)
	}
	var doc struct {
		URL    string `json:"url"`
		Title  string `json:"title"`
		HTML   string `json:"html"`
		Hidden struct {
			Elements int                 `json:"elements"`
			List     []render.ElementRef `json:"list"`
		} `json:"hidden"`
		Boxes map[string][]struct {
			Tag    string  `json:"tag"`
			Top    float64 `json:"top"`
			Left   float64 `json:"left"`
			Width  float64 `json:"width"`
			Height float64 `json:"height"`
		} `json:"boxes"`
	}
	if err := jsonv2.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("read document: %w", err)
	}
	p := &render.Page{URL: doc.URL, Title: doc.Title, HTML: doc.HTML, Engine: render.EngineBrowser,
		Hidden: doc.Hidden.List, Elements: doc.Hidden.Elements}
	if len(doc.Boxes) > 0 {
		p.Boxes = make(map[string][]render.Box, len(doc.Boxes))
		for s, list := range doc.Boxes {
			boxes := make([]render.Box, len(list))
			for i, b := range list {
				boxes[i] = render.Box{Tag: b.Tag, Top: b.Top, Left: b.Left, Width: b.Width, Height: b.Height}
			}
			p.Boxes[s] = boxes
		}
	}
	return p, nil
}
