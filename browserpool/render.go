package browserpool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	jsonv2 "github.com/chromedp/cdproto/cdp/jsonv2"
	"github.com/chromedp/cdproto/inspector"
	"github.com/chromedp/cdproto/page"

	"github.com/sous-dev/sous/render"
)

// renderRun is one render in a tab: the request, what watches the page
// while it runs, and what the steps found. tab.render runs its steps in
// order; each is a small method that returns an error.
type renderRun struct {
	t     *tab
	req   *render.Request
	guard *networkGuard
	log   *slog.Logger

	net       *networkWatch
	nav       *navigationWatch
	lifecycle <-chan jsonv2.Value // subscribed before navigation, so no event is missed

	helpers   sync.WaitGroup // the goroutines that answer the page (dialogs, paused requests)
	helperCtx context.Context

	scripts bool      // the page's scripts run
	status  int       // of the document asked for
	loaded  time.Time // when the load event (or DOMContentLoaded) came
	// settleBy is when settling must end: the settle budget after load,
	// and never later than what the rest of the render needs.
	settleBy time.Time
	dirty    bool // the tab must not be reused even after a success
	// domChanged is set once the DOM changed during the current settle.
	domChanged bool

	mu         sync.Mutex // guards warnings: the navigation gate writes from a helper
	warnings   []string
	refused    int  // navigations refused
	htmlServed bool // the document given as html was served
	unsettled  bool
	busy       string // what kept the page from settling at the last look

	page *render.Page
}

// step is one stage of a render.
type step struct {
	name string
	run  func(ctx context.Context) error
}

// render runs req in the tab. dirty reports that the tab must not be reused
// even though the render succeeded.
func (t *tab) render(ctx context.Context, req *render.Request, guard *networkGuard, log *slog.Logger) (_ *render.Page, dirty bool, err error) {
	r := &renderRun{t: t, req: req, guard: guard, log: log, scripts: req.JavaScriptEnabled == nil || *req.JavaScriptEnabled}
	lifecycle, stopLifecycle := t.s.Subscribe(page.LifecycleEvent.Method)
	defer stopLifecycle()
	r.lifecycle = lifecycle

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

	r.net = newNetworkWatch(t.s)
	// The requests of frames of other sites are the page's activity too.
	t.sites.startRender(func(s session) { r.net.follow(s, false) })
	r.nav = newNavigationWatch(t.s, cdp.FrameID(t.targetID))
	dialogs, stopDialogs := t.s.Subscribe(page.JavascriptDialogOpening.Method)
	defer stopDialogs()
	helperCtx, stopHelpers := context.WithCancel(ctx)
	r.helperCtx = helperCtx
	defer func() {
		stopHelpers()
		r.helpers.Wait()
		r.nav.stop()
		// From here to the wipe, the wipe's watch takes over: subscribed
		// before this one stops, so that no request falls between them.
		t.watchRequests()
		t.sites.endRender()
		r.net.stop() // before reading what it saw: its goroutine writes origins
		t.keepOrigins(r.net)
		// A request that may outlive the page (a keepalive fetch, a
		// beacon), still in flight, can set cookies after the wipe.
		dirty = dirty || r.net.outliving()
		// A page can fill the HTTP auth cache itself (an XHR with a user
		// and password answers a challenge), and no command clears it.
		dirty = dirty || r.net.authChallenged() || (r.scripts && t.hadServiceWorker())
	}()
	r.helpers.Go(func() { t.dismissDialogs(helperCtx, dialogs, log) })

	for _, s := range r.steps() {
		if err := s.run(ctx); err != nil {
			return nil, true, err
		}
	}
	return r.page, r.dirty, nil
}

// steps lists the stages of a render in the order they run.
func (r *renderRun) steps() []step {
	return []step{
		{"apply", r.apply},
		{"intercept", r.intercept},
		{"load", r.load},
		{"network idle", r.waitNetworkIdle},
		{"tags", r.addTags},
		{"wait for selector", r.waitForSelector},
		{"wait for timeout", r.pause},
		{"settle", r.settleAfterLoad},
		{"overlays", r.hideOverlays},
		{"scroll", r.scroll},
		{"snapshot", r.snapshot},
		{"screenshot", r.screenshot},
		{"pdf", r.pdf},
		{"accessibility tree", r.accessibilityTree},
	}
}

func (r *renderRun) warn(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.warnings = append(r.warnings, fmt.Sprintf(format, args...))
}

// apply sets what the request asks for before navigation.
func (r *renderRun) apply(ctx context.Context) error {
	if err := r.t.apply(ctx, r.req); err != nil {
		return err
	}
	// With scripts off the wipe cannot leave the page from inside it.
	r.dirty = !r.scripts
	return nil
}

// intercept pauses the page's requests: always its documents, for the
// navigation gate; every request when resource filters, extra headers or
// credentials apply.
func (r *renderRun) intercept(ctx context.Context) error {
	r.dirty = r.dirty || r.req.Authenticate != nil // the HTTP auth cache has no clear command
	return r.t.intercept(ctx, r.req, r.gate, r.guard.signer, &r.helpers, r.helperCtx, r.log)
}

// gate decides whether the main frame may load a document at url. With
// url input the page may make maxHops navigations of its own after the
// document asked for; with html input the caller's document is served
// once, from htmlDocumentURL, and stays: every navigation away is refused.
// Each refusal becomes a warning.
func (r *renderRun) gate(url string) (allow bool, body []byte) {
	commits, _ := r.nav.state()
	if r.req.URL != "" && commits <= maxHops {
		return true, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.req.URL == "" && url == htmlDocumentURL && !r.htmlServed {
		r.htmlServed = true
		return true, []byte(r.req.HTML)
	}
	r.refused++
	if r.refused > 1 {
		return false, nil
	}
	if r.req.URL == "" {
		r.warnings = append(r.warnings, fmt.Sprintf("the page tried to navigate to %s; the document given as html was kept", url))
	} else {
		r.warnings = append(r.warnings, fmt.Sprintf("the page navigated %d times on its own; the render stopped following it before %s", maxHops, url))
	}
	return false, nil
}

// load navigates to the request's URL, or loads its HTML into the tab
// (keeping the page from navigating away from it: keepdocument.js), and
// waits for the load event (or DOMContentLoaded).
func (r *renderRun) load(ctx context.Context) (err error) {
	wait := r.loadWait(ctx)
	var late bool
	if r.req.URL != "" {
		r.status, late, err = r.t.navigate(ctx, r.req, r.net, r.nav, r.guard, wait)
	} else {
		keep, err := cdp.Call(ctx, r.t.s, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: keepDocumentScript})
		if err != nil {
			return fmt.Errorf("keep the document: %w", err)
		}
		late, err = r.t.setContent(ctx, r.nav, wait)
		// Installed in this document, it is no longer needed for new ones.
		if _, rmErr := cdp.Call(cleanupContext(ctx), r.t.s, page.RemoveScriptToEvaluateOnNewDocument, page.RemoveScriptToEvaluateOnNewDocumentParams{Identifier: keep.Identifier}); rmErr != nil {
			err = errors.Join(err, fmt.Errorf("keep the document: %w", rmErr))
		}
		if err != nil {
			return err
		}
	}
	if late {
		r.unsettled = true
		r.warn("the load event had not come %d ms after DOMContentLoaded (a frame or resource still loading); the page was read as it stood", wait.grace.Milliseconds())
	}
	r.loaded = time.Now()
	r.settleBy = r.settleDeadline(ctx)
	return err
}

// loadGrace is how long after DOMContentLoaded the default path waits for
// a load event that is late.
const loadGrace = 5 * time.Second

// loadWait says what load waits for: DOMContentLoaded or load as the
// request names; on the default path (settling), a load event at most
// loadGrace after DOMContentLoaded, and never past readBy.
func (r *renderRun) loadWait(ctx context.Context) loadWait {
	if r.req.Wait().DOMContentLoaded {
		return loadWait{event: "DOMContentLoaded"}
	}
	w := loadWait{event: "load"}
	if r.req.Settle() <= 0 {
		return w // an explicit waitUntil keeps its exact meaning
	}
	w.grace, w.by = loadGrace, readBy(ctx)
	return w
}

// settleDeadline is the end of the settle budget: its length after load,
// but never past readBy.
func (r *renderRun) settleDeadline(ctx context.Context) time.Time {
	by := r.loaded.Add(r.req.Settle())
	if end := readBy(ctx); !end.IsZero() {
		by = minTime(by, end)
	}
	return by
}

// readBy is when waiting for the page must end so that the rest of the
// render still fits before ctx's deadline: a quarter of what is left of
// it, at most 2 s, before it. It is zero when ctx has no deadline.
func readBy(ctx context.Context) time.Time {
	d, ok := ctx.Deadline()
	if !ok {
		return time.Time{}
	}
	return d.Add(-min(time.Until(d)/4, 2*time.Second))
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// waitNetworkIdle waits for networkidle0 or networkidle2 when the request
// names one.
func (r *renderRun) waitNetworkIdle(ctx context.Context) error {
	idle := r.req.Wait().NetworkIdle
	if idle < 0 {
		return nil
	}
	if err := r.t.waitNetworkIdle(ctx, r.net, r.lifecycle, idle); err != nil {
		return fmt.Errorf("waiting for network idle: %w", err)
	}
	return nil
}

// addTags adds the request's style and script tags.
func (r *renderRun) addTags(ctx context.Context) error {
	for _, tag := range r.req.AddStyleTag {
		if err := r.t.addTag(ctx, "style", tag.URL, tag.Content, "", ""); err != nil {
			return fmt.Errorf("addStyleTag: %w", err)
		}
	}
	for _, tag := range r.req.AddScriptTag {
		if err := r.t.addTag(ctx, "script", tag.URL, tag.Content, tag.Type, tag.ID); err != nil {
			return fmt.Errorf("addScriptTag: %w", err)
		}
	}
	return nil
}

func (r *renderRun) waitForSelector(ctx context.Context) error {
	if w := r.req.WaitForSelector; w != nil {
		return r.t.waitForSelector(ctx, w)
	}
	return nil
}

// pause waits waitForTimeout.
func (r *renderRun) pause(ctx context.Context) error {
	if r.req.WaitForTimeout <= 0 {
		return nil
	}
	select {
	case <-time.After(time.Duration(r.req.WaitForTimeout) * time.Millisecond):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// settleAfterLoad waits, within the settle budget, until the page is quiet
// (see settle). A page still busy when the budget runs out is read as it
// stands, with a warning.
func (r *renderRun) settleAfterLoad(ctx context.Context) error {
	if r.req.Settle() <= 0 {
		return nil
	}
	err := r.settle(ctx, time.Until(r.settleBy), r.loaded)
	if errors.Is(err, errUnsettled) {
		r.unsettled = true
		r.warn("the page was still busy (%s) when its settle budget of %d ms ran out; it was read as it stood", r.busy, r.req.Settle().Milliseconds())
		return nil
	}
	if err != nil {
		return fmt.Errorf("settle: %w", err)
	}
	return nil
}

// hideOverlays takes consent banners and overlays like them out of the
// page (overlay.js); nothing on them is clicked.
func (r *renderRun) hideOverlays(ctx context.Context) error {
	if _, err := r.callUnlessNavigated(ctx, overlayScript); err != nil {
		return fmt.Errorf("remove overlays: %w", err)
	}
	return nil
}

// callUnlessNavigated calls a page script (see tab.call) and returns a
// nil value and no error when the page navigated under it: the document
// it was for is gone, and the snapshot step settles and reads the next.
func (r *renderRun) callUnlessNavigated(ctx context.Context, fn string, args ...any) (jsonv2.Value, error) {
	before, _ := r.nav.state()
	v, err := r.t.call(ctx, fn, args...)
	if err != nil && ctx.Err() == nil {
		if after, loading := r.nav.state(); after != before || loading {
			return nil, nil
		}
	}
	return v, err
}

// scrollTime bounds the scroll pass; scrollSettle the wait for what it
// set loading.
const (
	scrollTime   = 2 * time.Second
	scrollSettle = time.Second
)

// scroll makes the scroll pass (scroll.js), then waits briefly for what it
// set loading.
func (r *renderRun) scroll(ctx context.Context) error {
	pages := r.req.ScrollPassPages()
	if pages <= 0 || !r.scripts {
		return nil
	}
	start := time.Now()
	visual := r.req.Wants(render.FormatPDF) || (r.req.Wants(render.FormatScreenshot) && r.req.ScreenshotOptions != nil && r.req.ScreenshotOptions.FullPage)
	raw, err := r.callUnlessNavigated(ctx, scrollScript, pages, scrollTime.Milliseconds(), visual)
	if err != nil {
		return fmt.Errorf("scroll pass: %w", err)
	}
	if raw == nil {
		return nil // the page navigated
	}
	var steps int
	if err := jsonv2.Unmarshal(raw, &steps); err != nil {
		return fmt.Errorf("scroll pass: %w", err)
	}
	if steps == 0 {
		return nil
	}
	// The wait runs from the end of the pass, though activity counts from
	// its start: a pass through a long page on a busy machine takes a
	// second or more, and what its last steps set loading (the section at
	// the bottom) would not have been waited for at all.
	wait := scrollSettle
	if d, ok := ctx.Deadline(); ok {
		wait = min(wait, time.Until(d)/4)
	}
	if err := r.settle(ctx, time.Since(start)+wait, start); err != nil && !errors.Is(err, errUnsettled) {
		return fmt.Errorf("settle after the scroll pass: %w", err)
	}
	return nil
}

// maxSnapshots is how many times a document that navigates while it is
// read is read again.
const maxSnapshots = 3

// snapshot reads the document (see tab.snapshot). A page that navigates
// while it is read is not a failure of the browser: the render settles
// again and reads the document it went to.
func (r *renderRun) snapshot(ctx context.Context) error {
	if r.req.URL != "" {
		// The check after load may have run before the response's event
		// came in; by now it has.
		if doc := r.net.frameDocument(cdp.FrameID(r.t.targetID)); doc.mimeType != "" && !doc.shownAsPage() {
			return fmt.Errorf("%w: %s is a %s document", render.ErrNotHTML, r.req.URL, doc.mimeType)
		}
	}
	var boxesOf []string
	if r.req.Wants(render.FormatScrape) {
		for _, e := range r.req.Elements {
			boxesOf = append(boxesOf, e.Selector)
		}
	}
	for attempt := 1; ; attempt++ {
		before, _ := r.nav.state()
		p, err := r.t.snapshot(ctx, boxesOf, r.req.FramesIncluded())
		if err == nil {
			r.page = p
			break
		}
		after, loading := r.nav.state()
		if ctx.Err() != nil || (after == before && !loading) {
			return err
		}
		if attempt == maxSnapshots {
			return fmt.Errorf("%w: the page navigated on each of %d attempts to read it", render.ErrNavigation, maxSnapshots)
		}
		r.warn("the page navigated while it was read; the document it went to was read instead")
		budget := max(time.Until(r.settleBy), scrollSettle)
		if err := r.settle(ctx, budget, time.Now()); err != nil && !errors.Is(err, errUnsettled) {
			return fmt.Errorf("settle after a navigation: %w", err)
		}
	}
	p := r.page
	p.Status = r.status
	if r.req.URL != "" {
		doc := r.net.frameDocument(cdp.FrameID(r.t.targetID))
		p.Headers, p.ContentType = doc.headers, doc.mimeType
		if doc.status != 0 {
			p.Status = doc.status // of the document the page ended on
		}
		p.Redirects = r.nav.redirects(r.req.URL)
	} else {
		p.URL = "about:blank" // the document has no address of its own
	}
	r.mu.Lock()
	p.Warnings = append(p.Warnings, r.warnings...)
	p.Unsettled = r.unsettled
	r.mu.Unlock()
	return nil
}

func (r *renderRun) screenshot(ctx context.Context) error {
	if !r.req.Wants(render.FormatScreenshot) {
		return nil
	}
	shot, err := r.t.screenshot(ctx, r.req)
	if err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	r.page.Screenshot = shot
	return nil
}

func (r *renderRun) pdf(ctx context.Context) error {
	if !r.req.Wants(render.FormatPDF) {
		return nil
	}
	doc, err := r.t.pdf(ctx, r.req.PDFOptions)
	if err != nil {
		return fmt.Errorf("pdf: %w", err)
	}
	r.page.PDF = doc
	return nil
}

func (r *renderRun) accessibilityTree(ctx context.Context) error {
	if !r.req.Wants(render.FormatAccessibilityTree) {
		return nil
	}
	interesting := r.req.InterestingOnly == nil || *r.req.InterestingOnly
	tree, err := r.t.accessibilityTree(ctx, interesting)
	if err != nil {
		return fmt.Errorf("accessibility tree: %w", err)
	}
	r.page.AccessibilityTree = tree
	return nil
}

// hadServiceWorker reports whether the page registered a service worker (or
// whether that cannot be told). A worker's requests are not the page's: an
// XHR whose user and password answer a challenge from inside one fills the
// HTTP auth cache unseen by the page's network events, and no command
// clears that cache, so such a tab is replaced rather than wiped.
func (t *tab) hadServiceWorker() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	v, err := t.eval(ctx, `navigator.serviceWorker ? navigator.serviceWorker.getRegistrations().then(r => r.length > 0) : false`)
	if err != nil {
		return true
	}
	return string(v) != "false"
}
