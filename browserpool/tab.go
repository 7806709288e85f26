package browserpool

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	jsonv2 "github.com/chromedp/cdproto/cdp/jsonv2"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/inspector"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/cdproto/target"
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
	// sites follows the page's frames of other sites, whose storage the
	// wipe must clear under the page's site (sites.go).
	sites *siteWatch
	// crashes receives Inspector.targetCrashed, so that a tab whose
	// renderer died while it waited idle is replaced, not leased.
	crashes     <-chan jsonv2.Value
	stopCrashes func()

	// What the last render changed and the wipe must undo.
	origins    map[string]bool
	overridden overrides

	// sent receives Network.requestWillBeSent from the end of the last
	// render to the end of its wipe (watchRequests).
	sent     <-chan jsonv2.Value
	stopSent func()
}

type overrides struct {
	viewport, userAgent, javaScript, media, fetch bool
}

func ptr[T any](v T) *T { return &v }

// newTab creates a browser context with one tab in b, ready for a render.
func newTab(ctx context.Context, b *browserProc, userAgent string) (_ *tab, err error) {
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
			err = errors.Join(err, t.close())
		}
	}()
	if _, err := cdp.Call(ctx, bs, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorDeny, BrowserContextID: t.contextID,
	}); err != nil {
		return nil, fmt.Errorf("deny downloads: %w", err)
	}
	if err := holdPermissions(ctx, bs, t.contextID); err != nil {
		return nil, err
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
	t.crashes, t.stopCrashes = t.s.Subscribe(inspector.TargetCrashed.Method)
	t.sites = newSiteWatch(b.proc.conn, at.SessionID)
	steps := []struct {
		method string
		params any
	}{
		{page.CommandEnable, page.EnableParams{}},
		{inspector.CommandEnable, nil}, // for Inspector.targetCrashed
		{page.CommandSetLifecycleEventsEnabled, page.SetLifecycleEventsEnabledParams{Enabled: true}},
		{network.CommandEnable, network.EnableParams{}},
		{emulation.CommandSetDeviceMetricsOverride, defaultMetrics()},
		// What the settle step asks of a page (settle.js), in every
		// document from its start, frames included.
		{page.CommandAddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: settleScript}},
		// Follow the page's frames of other sites (sites.go).
		{target.CommandSetAutoAttach, autoAttachFrames},
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

// close disposes of the tab's browser context, which closes the tab. An
// error means the browser did not confirm it; a browser that no longer
// answers is replaced with all its contexts.
func (t *tab) close() error {
	t.unwatchRequests()
	if t.stopPopups != nil {
		t.stopPopups()
	}
	if t.stopCrashes != nil {
		t.stopCrashes()
	}
	if t.sites != nil {
		t.sites.close()
	}
	if !t.browser.proc.alive() {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	bs := session{conn: t.browser.proc.conn}
	if _, err := cdp.Call(ctx, bs, target.DisposeBrowserContext, target.DisposeBrowserContextParams{BrowserContextID: t.contextID}); err != nil {
		return fmt.Errorf("dispose of the tab's browser context: %w", err)
	}
	return nil
}

// leavePage ends the current document, with its scripts, timers and
// connections, by navigating to about:blank from inside the page, which
// keeps the tab's renderer process (the new about:blank inherits the page's
// origin). A navigation from the browser once started a renderer per render
// and halved the pool's throughput; with ProactivelySwapBrowsingInstance off
// (chromeFlags) it costs the same. It returns once the main frame has
// committed about:blank, so the old document is gone.
//
// This navigation is most of what isolation costs: about 38 of the 46 CPU
// ms a wiped render takes over a reused one (sous bench, concurrency 8),
// in the browser's navigation and commit, its window's frames and the
// renderer's new document.
func (t *tab) leavePage(ctx context.Context) error {
	navigated, stop := t.s.Subscribe(page.FrameNavigated.Method)
	defer stop()
	// keepdocument.js would cancel the navigation: switch it off first.
	if _, err := t.eval(ctx, `(() => { const k = window[Symbol.for("sous.keepdocument")]; if (k) k.off = true; location.replace("about:blank"); })()`); err != nil {
		return fmt.Errorf("leave page: %w", err)
	}
	err := awaitEvent(ctx, navigated, func(ev *page.EventFrameNavigated) bool {
		return ev.Frame != nil && string(ev.Frame.ID) == string(t.targetID) && ev.Frame.URL == "about:blank"
	})
	if err != nil {
		return fmt.Errorf("leave page: %w", err)
	}
	return nil
}

// keepOrigins adds the origins w saw the page request from to those the
// wipe clears. Call it after w.stop.
func (t *tab) keepOrigins(w *networkWatch) {
	for o := range w.originsSeen() {
		t.origins[o] = true
	}
}

// crashed reports whether the tab's renderer has died since it was made. A
// render that sees the crash fails and the tab is replaced, so this matters
// for idle tabs: the OOM killer or an operator may kill any renderer.
func (t *tab) crashed() bool {
	select {
	case <-t.crashes:
		return true
	default:
		return false
	}
}

// watchRequests starts following the requests the page sends, for the
// wipe: see there.
func (t *tab) watchRequests() {
	t.unwatchRequests()
	t.sent, t.stopSent = t.s.Subscribe(network.RequestWillBeSent.Method)
}

func (t *tab) unwatchRequests() {
	if t.stopSent != nil {
		t.stopSent()
		t.sent, t.stopSent = nil, nil
	}
}

// wipe makes the tab fit for another caller's request: see Pool.
func (t *tab) wipe(ctx context.Context) error {
	// A request that may outlive its document (a keepalive fetch, a
	// beacon: mayOutliveDocument), sent after the render ended, and any
	// request the page sends as it leaves (from an unload handler), may
	// set a cookie after the wipe: the tab is replaced instead. (Waiting
	// for it does not work: the protocol reports it ended with the
	// document, while the browser carries it on.) The render itself
	// marked its tab dirty for one still in flight when it ended.
	if t.sent == nil {
		t.watchRequests()
	}
	defer t.unwatchRequests()
	sent, full := buffered(t.sent)
	if full {
		return errors.New("the page sent too many requests after the render to tell whether one may outlive it")
	}
	for _, raw := range sent {
		var ev network.EventRequestWillBeSent
		if jsonv2.Unmarshal(raw, &ev) == nil && mayOutliveDocument(ev.Type) {
			return fmt.Errorf("the page sent a %s request after the render, which may set cookies after the wipe", ev.Type)
		}
	}
	t.sites.leave(ctx)
	if err := t.leavePage(ctx); err != nil {
		return err
	}
	select {
	case <-t.popups:
		return errors.New("the page opened a window")
	default:
	}
	// Every frame is gone with the page: what the watch saw is complete.
	tops, framed, err := t.sites.take()
	if err != nil {
		return err
	}
	for _, o := range framed {
		t.origins[o] = true // for what a frame's origin keeps unpartitioned
	}
	if err := t.releaseMemory(ctx); err != nil {
		return err
	}
	// The browsing context outlives its documents, and so does its name:
	// about:blank, now in the page's place, forgets it.
	if _, err := t.eval(ctx, `window.name = ""`); err != nil {
		return fmt.Errorf("clear window.name: %w", err)
	}
	// Permissions need nothing here: the context holds every permission
	// that asks the user at "prompt" (holdPermissions), so a page's request
	// is neither granted nor remembered. (Browser.resetPermissions would
	// drop that hold, and it clears nothing a page can set.)
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
	for _, key := range partitionedKeys(tops, framed) {
		_, err := cdp.Call(ctx, t.s, storage.ClearDataForStorageKey, storage.ClearDataForStorageKeyParams{StorageKey: key, StorageTypes: "all"})
		if err != nil && !invalidStorageKey(err) {
			return fmt.Errorf("clear %s: %w", key, err)
		}
	}
	select {
	case <-t.sent:
		return errors.New("the page sent a request as it left, which may set cookies after the wipe")
	default:
	}
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
	if o.userAgent && t.userAgent == "" {
		return errors.New("the user agent was overridden and the default is unknown")
	}
	add(o.userAgent, emulation.CommandSetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: t.userAgent})
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
	return awaitEvent(ctx, events, func(ev *page.EventLifecycleEvent) bool {
		return ev.Name == name && string(ev.FrameID) == string(frame) && (loader == "" || ev.LoaderID == loader)
	})
}
