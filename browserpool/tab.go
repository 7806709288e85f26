package browserpool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	jsonv2 "github.com/chromedp/cdproto/cdp/jsonv2"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/cdproto/target"

	"github.com/sous-dev/sous/render"
)

// Default viewport of every tab, a common laptop size.
const (
	defaultWidth  = 1280
	defaultHeight = 800
)

// tab is one page target in its own browser context.
type tab struct {
	browser   *browserProc
	contextID cdp.BrowserContextID
	targetID  target.ID
	s         session
	userAgent string // the default, restored after a request overrides it
	uses      int

	// popups receives Page.windowOpen: a page that opened a window taints
	// its context, so the tab is replaced rather than wiped.
	popups     <-chan jsonv2.Value
	stopPopups func()

	// What the last render changed and the wipe must undo.
	origins    map[string]bool
	overridden overrides
}

type overrides struct {
	viewport, userAgent, headers, javaScript, media, fetch bool
}

func ptr[T any](v T) *T { return &v }

// newTab creates a browser context with one tab in b, ready for a render.
func newTab(ctx context.Context, b *browserProc, userAgent string) (*tab, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	bs := session{conn: b.proc.conn}
	bc, err := cdp.Call(ctx, bs, target.CreateBrowserContext, target.CreateBrowserContextParams{DisposeOnDetach: ptr(true)})
	if err != nil {
		return nil, fmt.Errorf("create browser context: %w", err)
	}
	t := &tab{browser: b, contextID: bc.BrowserContextID, userAgent: userAgent, origins: map[string]bool{}}
	ok := false
	defer func() {
		if !ok {
			t.close()
		}
	}()
	if _, err := cdp.Call(ctx, bs, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorDeny, BrowserContextID: t.contextID,
	}); err != nil {
		return nil, fmt.Errorf("deny downloads: %w", err)
	}
	tg, err := cdp.Call(ctx, bs, target.CreateTarget, target.CreateTargetParams{URL: "about:blank", BrowserContextID: t.contextID})
	if err != nil {
		return nil, fmt.Errorf("create target: %w", err)
	}
	t.targetID = tg.TargetID
	at, err := cdp.Call(ctx, bs, target.AttachToTarget, target.AttachToTargetParams{TargetID: t.targetID, Flatten: ptr(true)})
	if err != nil {
		return nil, fmt.Errorf("attach: %w", err)
	}
	t.s = session{conn: b.proc.conn, id: at.SessionID}
	t.popups, t.stopPopups = t.s.Subscribe(page.WindowOpen.Method)
	steps := []struct {
		method string
		params any
	}{
		{page.CommandEnable, page.EnableParams{}},
		{page.CommandSetLifecycleEventsEnabled, page.SetLifecycleEventsEnabledParams{Enabled: true}},
		{network.CommandEnable, network.EnableParams{}},
		{emulation.CommandSetDeviceMetricsOverride, defaultMetrics()},
	}
	if userAgent != "" {
		steps = append(steps, struct {
			method string
			params any
		}{emulation.CommandSetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: userAgent}})
	}
	for _, st := range steps {
		if err := t.s.Call(ctx, st.method, st.params, nil); err != nil {
			return nil, fmt.Errorf("%s: %w", st.method, err)
		}
	}
	ok = true
	return t, nil
}

func defaultMetrics() emulation.SetDeviceMetricsOverrideParams {
	return emulation.SetDeviceMetricsOverrideParams{Width: defaultWidth, Height: defaultHeight, DeviceScaleFactor: 1}
}

// close disposes of the tab's browser context, which closes the tab.
func (t *tab) close() {
	if t.stopPopups != nil {
		t.stopPopups()
	}
	if !t.browser.proc.alive() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	bs := session{conn: t.browser.proc.conn}
	cdp.Call(ctx, bs, target.DisposeBrowserContext, target.DisposeBrowserContextParams{BrowserContextID: t.contextID})
}

// navigateBlank navigates to about:blank and waits until the old document is
// gone: its scripts, timers and connections end with it.
func (t *tab) navigateBlank(ctx context.Context) error {
	events, stop := t.s.Subscribe(page.LifecycleEvent.Method)
	defer stop()
	nav, err := cdp.Call(ctx, t.s, page.Navigate, page.NavigateParams{URL: "about:blank"})
	if err != nil {
		return fmt.Errorf("navigate to about:blank: %w", err)
	}
	if nav.ErrorText != "" {
		return fmt.Errorf("navigate to about:blank: %s", nav.ErrorText)
	}
	return waitLifecycle(ctx, events, t.targetID, nav.LoaderID, "load")
}

// leavePage ends the current document, with its scripts, timers and
// connections, by navigating to about:blank from inside the page. Unlike a
// navigation from the browser, that keeps the tab's renderer process (the new
// about:blank inherits the page's origin), which measured at twice the
// throughput of the pool. It returns once the main frame has committed
// about:blank, so the old document is gone.
func (t *tab) leavePage(ctx context.Context) error {
	navigated, stop := t.s.Subscribe(page.FrameNavigated.Method)
	defer stop()
	if _, err := t.eval(ctx, "location.replace('about:blank')"); err != nil {
		return fmt.Errorf("leave page: %w", err)
	}
	for {
		select {
		case raw, ok := <-navigated:
			if !ok {
				return errConnClosed
			}
			var ev page.EventFrameNavigated
			if jsonv2.Unmarshal(raw, &ev) == nil && ev.Frame != nil && string(ev.Frame.ID) == string(t.targetID) && ev.Frame.URL == "about:blank" {
				return nil
			}
		case <-ctx.Done():
			return fmt.Errorf("leave page: %w", ctx.Err())
		}
	}
}

// wipe makes the tab fit for another caller's request: see Pool.
func (t *tab) wipe(ctx context.Context) error {
	if err := t.leavePage(ctx); err != nil {
		return err
	}
	select {
	case <-t.popups:
		return errors.New("the page opened a window")
	default:
	}
	bs := session{conn: t.browser.proc.conn}
	if len(t.origins) > 64 {
		return errors.New("too many origins to wipe one by one")
	}
	if _, err := cdp.Call(ctx, bs, storage.ClearCookies, storage.ClearCookiesParams{BrowserContextID: t.contextID}); err != nil {
		return err
	}
	for origin := range t.origins {
		if _, err := cdp.Call(ctx, t.s, storage.ClearDataForOrigin, storage.ClearDataForOriginParams{Origin: origin, StorageTypes: "all"}); err != nil {
			return fmt.Errorf("clear %s: %w", origin, err)
		}
	}
	clear(t.origins)
	if _, err := cdp.Call(ctx, t.s, network.ClearBrowserCache, cdp.Empty{}); err != nil {
		return err
	}
	if _, err := cdp.Call(ctx, t.s, page.ResetNavigationHistory, cdp.Empty{}); err != nil {
		return err
	}
	o := t.overridden
	var undo []struct {
		method string
		params any
	}
	add := func(on bool, method string, params any) {
		if on {
			undo = append(undo, struct {
				method string
				params any
			}{method, params})
		}
	}
	add(o.viewport, emulation.CommandSetDeviceMetricsOverride, defaultMetrics())
	add(o.userAgent && t.userAgent != "", emulation.CommandSetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: t.userAgent})
	add(o.headers, network.CommandSetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{}})
	add(o.javaScript, emulation.CommandSetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: false})
	add(o.media, emulation.CommandSetEmulatedMedia, emulation.SetEmulatedMediaParams{})
	add(o.fetch, fetch.CommandDisable, nil)
	for _, u := range undo {
		if err := t.s.Call(ctx, u.method, u.params, nil); err != nil {
			return fmt.Errorf("%s: %w", u.method, err)
		}
	}
	t.overridden = overrides{}
	return nil
}

// waitLifecycle waits for the lifecycle event name of frame and loader.
func waitLifecycle(ctx context.Context, events <-chan jsonv2.Value, frame target.ID, loader cdp.LoaderID, name string) error {
	for {
		select {
		case raw, ok := <-events:
			if !ok {
				return errConnClosed
			}
			var ev page.EventLifecycleEvent
			if jsonv2.Unmarshal(raw, &ev) == nil && ev.Name == name && string(ev.FrameID) == string(frame) && (loader == "" || ev.LoaderID == loader) {
				return nil
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// render runs req in the tab. dirty reports that the tab must not be reused
// even though the render succeeded.
func (t *tab) render(ctx context.Context, req *render.Request, allowPrivate bool) (_ *render.Page, dirty bool, err error) {
	net := newNetworkWatch(t.s)
	defer net.stop()
	// Dialogs would block the page's main thread until answered.
	dialogs, stopDialogs := t.s.Subscribe(page.JavascriptDialogOpening.Method)
	defer stopDialogs()
	var helpers sync.WaitGroup
	helperCtx, stopHelpers := context.WithCancel(ctx)
	defer func() {
		stopHelpers()
		helpers.Wait()
		for o := range net.originsSeen() {
			t.origins[o] = true
		}
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

	wantIdle := -1
	waitDOM := false
	if g := req.GotoOptions; g != nil {
		for _, w := range g.WaitUntil {
			switch w {
			case render.WaitNetworkIdle0:
				wantIdle = 0
			case render.WaitNetworkIdle2:
				if wantIdle != 0 {
					wantIdle = 2
				}
			case render.WaitDOMContentLoaded:
				waitDOM = len(g.WaitUntil) == 1
			}
		}
	}

	status := 0
	if req.URL != "" {
		status, err = t.navigate(ctx, req, net, waitDOM)
	} else {
		err = t.setContent(ctx, req.HTML, waitDOM)
	}
	if err != nil {
		return nil, true, err
	}
	if wantIdle >= 0 {
		if err := net.waitIdle(ctx, wantIdle, 500*time.Millisecond); err != nil {
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

	p, err := t.snapshot(ctx)
	if err != nil {
		return nil, true, err
	}
	p.Status = status
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

// apply sets what the request asks for before navigation.
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
	if len(req.ExtraHTTPHeaders) > 0 {
		t.overridden.headers = true
		h := network.Headers{}
		for k, v := range req.ExtraHTTPHeaders {
			h[k] = v
		}
		if _, err := cdp.Call(ctx, t.s, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: h}); err != nil {
			return fmt.Errorf("setExtraHTTPHeaders: %w", err)
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

func needsInterception(req *render.Request) bool {
	return req.Authenticate != nil || len(req.RejectResourceTypes) > 0 || len(req.RejectRequestPattern) > 0 ||
		len(req.AllowResourceTypes) > 0 || len(req.AllowRequestPattern) > 0
}

// intercept pauses every request of the page to apply the request's
// resource filters and answer authentication challenges.
func (t *tab) intercept(ctx context.Context, req *render.Request, helpers *sync.WaitGroup, helperCtx context.Context) error {
	compile := func(list []string) []*regexp.Regexp {
		out := make([]*regexp.Regexp, 0, len(list))
		for _, p := range list {
			if re, err := render.CompilePattern(p); err == nil {
				out = append(out, re)
			}
		}
		return out
	}
	rejectRE, allowRE := compile(req.RejectRequestPattern), compile(req.AllowRequestPattern)
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
					cdp.Call(helperCtx, t.s, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
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
				// twice at most, then let the 401 through.
				if a := req.Authenticate; a != nil && answered[ev.RequestID] < 2 {
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

// navigate loads req.URL and waits for load (or DOMContentLoaded). It
// returns the HTTP status of the document.
func (t *tab) navigate(ctx context.Context, req *render.Request, net *networkWatch, waitDOM bool) (int, error) {
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
		if blocked := net.blockedReason(); blocked != "" {
			return 0, fmt.Errorf("%w: %s", render.ErrBlocked, blocked)
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
	return net.documentStatus(nav.LoaderID), nil
}

// setContent replaces the document with html, as Puppeteer's setContent does.
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

// eval runs expression in the page and returns its JSON value, awaiting a
// promise if it returns one.
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

// snapshot reads the document as it is now.
func (t *tab) snapshot(ctx context.Context) (*render.Page, error) {
	raw, err := t.eval(ctx, `(() => {
  const d = document.doctype;
  const doctype = d ? "<!DOCTYPE " + d.name + (d.publicId ? ' PUBLIC "' + d.publicId + '"' : "") + (d.systemId ? ' "' + d.systemId + '"' : "") + ">\n" : "";
  return {url: location.href, title: document.title, html: doctype + (document.documentElement ? document.documentElement.outerHTML : "")};
})()`)
	if err != nil {
		return nil, fmt.Errorf("read document: %w", err)
	}
	var doc struct {
		URL   string `json:"url"`
		Title string `json:"title"`
		HTML  string `json:"html"`
	}
	if err := jsonv2.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("read document: %w", err)
	}
	return &render.Page{URL: doc.URL, Title: doc.Title, HTML: doc.HTML, Engine: "browser"}, nil
}

func (t *tab) screenshot(ctx context.Context, req *render.Request) ([]byte, error) {
	o := req.ScreenshotOptions
	if o == nil {
		o = &render.ScreenshotOptions{}
	}
	params := page.CaptureScreenshotParams{Format: page.CaptureScreenshotFormatPng, FromSurface: ptr(true)}
	switch o.Type {
	case "jpeg":
		params.Format = page.CaptureScreenshotFormatJpeg
	case "webp":
		params.Format = page.CaptureScreenshotFormatWebp
	}
	if o.Quality > 0 && params.Format != page.CaptureScreenshotFormatPng {
		params.Quality = ptr(int64(o.Quality))
	}
	if o.OptimizeForSpeed {
		params.OptimizeForSpeed = ptr(true)
	}
	if o.CaptureBeyondViewport != nil {
		params.CaptureBeyondViewport = o.CaptureBeyondViewport
	}
	switch {
	case req.Selector != "":
		sel, _ := json.Marshal(req.Selector)
		raw, err := t.eval(ctx, `(s => { const el = document.querySelector(s); if (!el) return null;
  el.scrollIntoView({block: "center"}); const r = el.getBoundingClientRect();
  return {x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height}; })(`+string(sel)+`)`)
		if err != nil {
			return nil, err
		}
		var clip *page.Viewport
		if err := jsonv2.Unmarshal(raw, &clip); err != nil || clip == nil || clip.Width == 0 || clip.Height == 0 {
			return nil, fmt.Errorf("%w: selector %q matches no visible element", render.ErrInvalidRequest, req.Selector)
		}
		clip.Scale = 1
		params.Clip = clip
		params.CaptureBeyondViewport = ptr(true)
	case o.Clip != nil:
		scale := o.Clip.Scale
		if scale == 0 {
			scale = 1
		}
		params.Clip = &page.Viewport{X: o.Clip.X, Y: o.Clip.Y, Width: o.Clip.Width, Height: o.Clip.Height, Scale: scale}
	case o.FullPage:
		m, err := cdp.Call(ctx, t.s, page.GetLayoutMetrics, cdp.Empty{})
		if err != nil {
			return nil, err
		}
		if m.CSSContentSize != nil {
			params.Clip = &page.Viewport{Width: m.CSSContentSize.Width, Height: min(m.CSSContentSize.Height, 16384), Scale: 1}
			params.CaptureBeyondViewport = ptr(true)
		}
	}
	if o.OmitBackground {
		if _, err := cdp.Call(ctx, t.s, emulation.SetDefaultBackgroundColorOverride, emulation.SetDefaultBackgroundColorOverrideParams{Color: &cdp.RGBA{}}); err != nil {
			return nil, err
		}
		defer cdp.Call(context.WithoutCancel(ctx), t.s, emulation.SetDefaultBackgroundColorOverride, emulation.SetDefaultBackgroundColorOverrideParams{})
	}
	res, err := cdp.Call(ctx, t.s, page.CaptureScreenshot, params)
	if err != nil {
		return nil, err
	}
	return res.Data, nil
}

// Paper sizes in inches, as Puppeteer names them.
var paperSizes = map[string][2]float64{
	"letter": {8.5, 11}, "legal": {8.5, 14}, "tabloid": {11, 17}, "ledger": {17, 11},
	"a0": {33.1, 46.8}, "a1": {23.4, 33.1}, "a2": {16.54, 23.4}, "a3": {11.7, 16.54},
	"a4": {8.27, 11.7}, "a5": {5.83, 8.27}, "a6": {4.13, 5.83},
}

func (t *tab) pdf(ctx context.Context, o *render.PDFOptions) ([]byte, error) {
	if o == nil {
		o = &render.PDFOptions{}
	}
	params := page.PrintToPDFParams{
		Landscape:           ptr(o.Landscape),
		PrintBackground:     ptr(o.PrintBackground),
		DisplayHeaderFooter: ptr(o.DisplayHeaderFooter),
		HeaderTemplate:      o.HeaderTemplate,
		FooterTemplate:      o.FooterTemplate,
		PageRanges:          o.PageRanges,
		PreferCSSPageSize:   ptr(o.PreferCSSPageSize),
		Scale:               o.Scale,
		GenerateTaggedPDF:   ptr(true),
	}
	size := paperSizes["letter"]
	if o.Format != "" {
		s, ok := paperSizes[strings.ToLower(o.Format)]
		if !ok {
			return nil, fmt.Errorf("%w: pdfOptions.format %q is not a known paper size", render.ErrInvalidRequest, o.Format)
		}
		size = s
	}
	params.PaperWidth, params.PaperHeight = size[0], size[1]
	for _, l := range []struct {
		css string
		dst *float64
	}{{o.Width, &params.PaperWidth}, {o.Height, &params.PaperHeight}} {
		if l.css != "" {
			in, err := cssInches(l.css)
			if err != nil {
				return nil, fmt.Errorf("%w: pdfOptions: %v", render.ErrInvalidRequest, err)
			}
			*l.dst = in
		}
	}
	if m := o.Margin; m != nil {
		for _, l := range []struct {
			css string
			dst **float64
		}{{m.Top, &params.MarginTop}, {m.Right, &params.MarginRight}, {m.Bottom, &params.MarginBottom}, {m.Left, &params.MarginLeft}} {
			if l.css != "" {
				in, err := cssInches(l.css)
				if err != nil {
					return nil, fmt.Errorf("%w: pdfOptions.margin: %v", render.ErrInvalidRequest, err)
				}
				*l.dst = ptr(in)
			}
		}
	}
	if o.OmitBackground {
		if _, err := cdp.Call(ctx, t.s, emulation.SetDefaultBackgroundColorOverride, emulation.SetDefaultBackgroundColorOverrideParams{Color: &cdp.RGBA{}}); err != nil {
			return nil, err
		}
		defer cdp.Call(context.WithoutCancel(ctx), t.s, emulation.SetDefaultBackgroundColorOverride, emulation.SetDefaultBackgroundColorOverrideParams{})
	}
	res, err := cdp.Call(ctx, t.s, page.PrintToPDF, params)
	if err != nil {
		return nil, err
	}
	return res.Data, nil
}

// cssInches converts a CSS length (px, in, cm, mm; a bare number is px) to inches.
func cssInches(s string) (float64, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	units := map[string]float64{"px": 1.0 / 96, "in": 1, "cm": 1 / 2.54, "mm": 1 / 25.4}
	unit := 1.0 / 96
	for suffix, f := range units {
		if strings.HasSuffix(s, suffix) {
			s, unit = strings.TrimSuffix(s, suffix), f
			break
		}
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%q is not a CSS length", s)
	}
	return v * unit, nil
}
