package browserpool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
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
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/cdproto/target"

	"github.com/sous-dev/sous/netguard"
	"github.com/sous-dev/sous/render"
)

// dismissDialogs refuses every dialog the page opens (alert, confirm,
// prompt, beforeunload), which would block its main thread until answered.
func (t *tab) dismissDialogs(ctx context.Context, dialogs <-chan jsonv2.Value, log *slog.Logger) {
	for {
		select {
		case _, ok := <-dialogs:
			if !ok {
				return
			}
			if _, err := cdp.Call(ctx, t.s, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false}); err != nil && ctx.Err() == nil {
				log.Debug("dismissing a dialog", "err", err)
			}
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
	if err != nil {
		return "" // Chromium sends URLs Go does not parse (a bad escape in a data: URL)
	}
	scheme := strings.ToLower(u.Scheme)
	if u.Host == "" || (scheme != "http" && scheme != "https") {
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

// continueWith continues a paused request with extra headers, and with its
// signature when signer is set.
func continueWith(ev *fetch.EventRequestPaused, extra map[string]string, signer RequestSigner, log *slog.Logger) fetch.ContinueRequestParams {
	if signer != nil {
		extra = signed(signer, ev.Request, extra, log)
	}
	cont := fetch.ContinueRequestParams{RequestID: ev.RequestID}
	if len(extra) > 0 {
		cont.Headers = withHeaders(ev.Request.Headers, extra)
	}
	return cont
}

// signed returns extra with the headers that sign req added. A request
// that cannot be signed (not http or https) goes unsigned.
func signed(signer RequestSigner, req *network.Request, extra map[string]string, log *slog.Logger) map[string]string {
	sig, err := signer.RequestHeaders(req.Method, req.URL)
	if err != nil {
		log.Debug("request left unsigned", "err", err)
		return extra
	}
	out := make(map[string]string, len(extra)+len(sig))
	maps.Copy(out, extra)
	maps.Copy(out, sig)
	return out
}

// navigationGate decides, for a request of the main frame's document,
// whether the page may navigate there (see renderRun.gate). A non-nil body
// answers the request with that HTML document instead of the network.
type navigationGate func(url string) (allow bool, body []byte)

// intercept pauses the page's requests to apply the request's resource
// filters, its extra headers (for the requested origin only) and
// credentials, and gate, which every navigation of the main frame passes;
// signer, when set, signs every request for its own URL. Without filters,
// headers, credentials or signer only documents are paused.
func (t *tab) intercept(ctx context.Context, req *render.Request, gate navigationGate, signer RequestSigner, helpers *sync.WaitGroup, helperCtx context.Context, log *slog.Logger) error {
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
			allow, _ := gate(ev.Request.URL) // the document itself is never dropped by the filters
			return allow
		}
		typ, u := strings.ToLower(string(ev.ResourceType)), ev.Request.URL
		if originOf(u) == htmlOrigin {
			return false // a relative URL of a document given as html: there is nothing there
		}
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

	// A document given as html pauses every request too: those its relative
	// URLs make go to htmlDocumentURL's host, which is refused at once
	// rather than looked up (see allowed).
	pattern := &fetch.RequestPattern{URLPattern: "*"}
	if !needsInterception(req) && signer == nil && req.URL != "" {
		pattern.ResourceType = network.ResourceTypeDocument
	}
	paused, stopPaused := t.s.Subscribe(fetch.RequestPaused.Method)
	auth, stopAuth := t.s.Subscribe(fetch.AuthRequired.Method)
	t.overridden.fetch = true
	if _, err := cdp.Call(ctx, t.s, fetch.Enable, fetch.EnableParams{
		Patterns:           []*fetch.RequestPattern{pattern},
		HandleAuthRequests: ptr(req.Authenticate != nil),
	}); err != nil {
		stopPaused()
		stopAuth()
		return fmt.Errorf("enable interception: %w", err)
	}
	// answer sends a paused request on its way. A request the page has
	// cancelled meanwhile cannot be answered, which is no fault.
	answer := func(method string, params any) {
		if err := t.s.Call(helperCtx, method, params, nil); err != nil && helperCtx.Err() == nil {
			log.Debug("answering a paused request", "method", method, "err", err)
		}
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
				if body := served(&ev, gate); body != nil {
					answer(fetch.CommandFulfillRequest, fetch.FulfillRequestParams{
						RequestID: ev.RequestID, ResponseCode: 200, Body: body,
						ResponseHeaders: []*fetch.HeaderEntry{{Name: "Content-Type", Value: "text/html; charset=utf-8"}},
					})
				} else if allowed(&ev) {
					var extra map[string]string
					if len(req.ExtraHTTPHeaders) > 0 && forHome(ev.Request.URL) {
						extra = req.ExtraHTTPHeaders
					}
					answer(fetch.CommandContinueRequest, continueWith(&ev, extra, signer, log))
				} else if ev.ResourceType == network.ResourceTypeDocument {
					// A navigation answered 204 No Content does not happen:
					// the document stays (a frame stays empty), with no
					// error page in its place, and goes on loading. Error
					// pages cost: 40 refused frames took 1.3 s more.
					answer(fetch.CommandFulfillRequest, fetch.FulfillRequestParams{RequestID: ev.RequestID, ResponseCode: 204})
				} else {
					answer(fetch.CommandFailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonBlockedByClient})
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
				answer(fetch.CommandContinueWithAuth, fetch.ContinueWithAuthParams{RequestID: ev.RequestID, AuthChallengeResponse: resp})
			case <-helperCtx.Done():
				return
			}
		}
	})
	return nil
}

// navigate loads req.URL and waits for its load event (or
// DOMContentLoaded), or for that of a document the page went on to (a
// script redirect before load). It returns the HTTP status of the document
// asked for.
func (t *tab) navigate(ctx context.Context, req *render.Request, net *networkWatch, pages *navigationWatch, guard *networkGuard, wait loadWait) (status int, late bool, err error) {
	events, stop := t.s.Subscribe(page.LifecycleEvent.Method)
	defer stop()
	params := page.NavigateParams{URL: req.URL}
	if req.GotoOptions != nil {
		params.Referrer = req.GotoOptions.Referer
	}
	loaded, err := cdp.Call(ctx, t.s, page.Navigate, params)
	if err != nil {
		return 0, false, fmt.Errorf("navigate %s: %w", req.URL, err)
	}
	if loaded.ErrorText != "" {
		if err := guard.explain(req.URL, loaded.ErrorText); err != nil {
			return 0, false, err
		}
		// A document Chromium downloads instead of showing aborts the
		// navigation; one of a type it has no page for goes to the http
		// engine, which may read it (a PDF labelled as bytes).
		if doc, ok := net.document(loaded.LoaderID); ok && !strings.HasPrefix(doc.mimeType, "text/") {
			return 0, false, fmt.Errorf("%w: %s is a %s document", render.ErrNotHTML, req.URL, doc.mimeType)
		}
		return 0, false, fmt.Errorf("%w: %s: %s", render.ErrNavigation, req.URL, loaded.ErrorText)
	}

	movedOn := func() bool { commits, _ := pages.state(); return commits > 1 }
	err = waitLoad(ctx, events, t.targetID, loaded.LoaderID, wait, movedOn)
	late = errors.Is(err, errLoadLate)
	if err != nil && !late {
		return 0, false, fmt.Errorf("navigate %s: waiting for %s: %w", req.URL, wait.event, err)
	}
	if rule, host := net.documentBlocked(loaded.LoaderID); rule != "" {
		return 0, false, render.Blocked(host, rule) // a redirect to a refused address
	}
	if doc, ok := net.document(loaded.LoaderID); ok && !doc.shownAsPage() {
		return 0, false, fmt.Errorf("%w: %s is a %s document", render.ErrNotHTML, req.URL, doc.mimeType)
	}
	return net.documentStatus(loaded.LoaderID), late, nil
}

// htmlDocumentURL is where a document given as html is loaded from: the
// navigation gate answers its request with the caller's HTML, and nothing
// else can (.invalid names never resolve). Loaded from a URL, unlike a
// document written into about:blank, the page's own navigations ask the
// network for their documents, so that the gate can refuse them: a script
// that "upgrades" the page to https, or reloads it, would otherwise
// replace the caller's document with an empty one.
const htmlDocumentURL = "http://html.sous.invalid/"

// htmlOrigin is htmlDocumentURL's origin.
const htmlOrigin = "http://html.sous.invalid"

// served returns the body the gate answers a paused request with, if any.
func served(ev *fetch.EventRequestPaused, gate navigationGate) []byte {
	if ev.ResourceType != network.ResourceTypeDocument || ev.Request.URL != htmlDocumentURL {
		return nil
	}
	_, body := gate(ev.Request.URL)
	return body
}

// setContent loads html as the tab's document, as Puppeteer's setContent
// does, from htmlDocumentURL, and waits for its load event (or
// DOMContentLoaded). The navigation gate serves it.
func (t *tab) setContent(ctx context.Context, pages *navigationWatch, wait loadWait) (late bool, err error) {
	events, stop := t.s.Subscribe(page.LifecycleEvent.Method)
	defer stop()
	loaded, err := cdp.Call(ctx, t.s, page.Navigate, page.NavigateParams{URL: htmlDocumentURL})
	if err != nil {
		return false, fmt.Errorf("set content: %w", err)
	}
	if loaded.ErrorText != "" {
		return false, fmt.Errorf("%w: set content: %s", render.ErrNavigation, loaded.ErrorText)
	}
	movedOn := func() bool { commits, _ := pages.state(); return commits > 1 }
	err = waitLoad(ctx, events, t.targetID, loaded.LoaderID, wait, movedOn)
	if errors.Is(err, errLoadLate) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("set content: waiting for %s: %w", wait.event, err)
	}
	return false, nil
}

// addTag adds a style or script tag (addStyleTag, addScriptTag).
func (t *tab) addTag(ctx context.Context, kind, src, content, typ, id string) error {
	_, err := t.call(ctx, addTagScript, map[string]string{"kind": kind, "src": src, "content": content, "type": typ, "id": id})
	return err
}

// waitForSelector waits for the condition of w, within its own timeout.
func (t *tab) waitForSelector(ctx context.Context, w *render.WaitForSelector) error {
	if w.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(w.Timeout)*time.Millisecond)
		defer cancel()
	}
	raw, err := t.call(ctx, waitForSelectorScript, w)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%w: waiting for selector %q", render.ErrTimeout, w.Selector)
		}
		return fmt.Errorf("waitForSelector: %w", err)
	}
	var verdict any
	if err := jsonv2.Unmarshal(raw, &verdict); err != nil {
		return fmt.Errorf("waitForSelector: %w", err)
	}
	if verdict == "invalid" {
		return fmt.Errorf("%w: waitForSelector: invalid selector %q", render.ErrInvalidRequest, w.Selector)
	}
	return nil
}

// loadWait is what the load step waits for: the lifecycle event, and how
// long after DOMContentLoaded a late load event is awaited. A page whose
// load never comes (a frame or a tracker that never finishes) shows its
// content all the same; on the default path it is read after grace, but
// never later than by (when set), rather than failing at the deadline. A
// zero grace waits for the event until the deadline.
type loadWait struct {
	event string
	grace time.Duration
	by    time.Time
}

// lateAfter is how long after now, DOMContentLoaded, a late load event is
// awaited.
func (w loadWait) lateAfter() time.Duration {
	until := time.Now().Add(w.grace)
	if !w.by.IsZero() {
		until = minTime(until, w.by)
	}
	return time.Until(until)
}

// errLoadLate is waitLoad's answer when DOMContentLoaded came but load did
// not within the grace.
var errLoadLate = errors.New("the load event did not come")

// waitLoad waits for w's lifecycle event in frame for the navigation of
// loader, or of any navigation once movedOn says the page moved on from it.
func waitLoad(ctx context.Context, events <-chan jsonv2.Value, frame target.ID, loader cdp.LoaderID, w loadWait, movedOn func() bool) error {
	var late <-chan time.Time
	for {
		select {
		case raw, ok := <-events:
			if !ok {
				return errConnClosed
			}
			var ev page.EventLifecycleEvent
			if jsonv2.Unmarshal(raw, &ev) != nil || string(ev.FrameID) != string(frame) {
				continue
			}
			ours := ev.LoaderID == loader || movedOn()
			switch {
			case !ours:
			case ev.Name == w.event:
				return nil
			case ev.Name == "DOMContentLoaded" && w.grace > 0 && late == nil:
				late = time.After(w.lateAfter())
			}
		case <-late:
			return errLoadLate
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
