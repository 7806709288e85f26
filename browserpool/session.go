package browserpool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chromedp/cdproto/cdp"
	jsonv2 "github.com/chromedp/cdproto/cdp/jsonv2"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/inspector"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"

	"github.com/sous-dev/sous/render"
	sessions "github.com/sous-dev/sous/session"
)

// Sessions' browser side. A session is a browser context of its own on the
// pool's current browser, beside the pool's tabs but outside their slots:
// session.Manager bounds how many there are. Its traffic goes through the
// same network guard as every render (the guard is the browser's proxy),
// its renderers are under the same memory watch, and its popups stay open
// as tabs (see process.sessionContexts). The context counts as a tab of its
// browser, so a browser being recycled lives on until its sessions end.

var _ sessions.Browser = (*Pool)(nil)

// OpenContext opens a browser context with one blank tab for a session.
func (p *Pool) OpenContext(ctx context.Context, opts sessions.ContextOptions) (sessions.Context, error) {
	if p.ctx.Err() != nil {
		return nil, render.ErrClosed
	}
	b, err := p.currentBrowser(ctx)
	if err != nil {
		return nil, classify(ctx, err)
	}
	b.tabs.Add(1)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	bs := session{conn: b.proc.conn}
	bc, err := cdp.Call(ctx, bs, target.CreateBrowserContext, target.CreateBrowserContextParams{DisposeOnDetach: ptr(true)})
	if err != nil {
		b.tabs.Add(-1)
		p.closeIfDrained(b)
		return nil, classify(ctx, fmt.Errorf("create browser context: %w", err))
	}
	b.proc.sessionContexts.Store(bc.BrowserContextID, struct{}{})
	life, stop := context.WithCancel(p.ctx)
	sc := &sessionContext{
		pool: p, browser: b, id: bc.BrowserContextID, opts: opts, life: life, stop: stop,
		refs: map[string]refTarget{}, origins: map[string]bool{}, attaching: map[target.ID]chan struct{}{}, done: make(chan struct{}),
	}
	ok := false
	defer func() {
		if !ok {
			sc.Close()
		}
	}()
	if err := sc.keepDownloads(ctx); err != nil {
		return nil, classify(ctx, err)
	}
	if err := sc.watchTargets(ctx); err != nil {
		return nil, classify(ctx, err)
	}
	if _, err := sc.newTab(ctx); err != nil {
		return nil, classify(ctx, err)
	}
	ok = true
	return sc, nil
}

// sessionContext is one session's browser context: sessions.Context.
type sessionContext struct {
	pool    *Pool
	browser *browserProc
	id      cdp.BrowserContextID
	opts    sessions.ContextOptions

	life context.Context // ends at Close; bounds the context's background work
	stop context.CancelFunc
	wg   sync.WaitGroup

	mu     sync.Mutex
	tabs   []*sessionTab // in the order they opened
	active *sessionTab
	// refs maps the refs of snapshots to their elements; nextRef numbers
	// them across tabs, so that a ref never names two elements.
	refs    map[string]refTarget
	nextRef int
	// origins are those whose documents the context loaded, whose local
	// storage StorageState reads.
	origins map[string]bool
	// attaching holds the targets being attached to, closed when done.
	attaching map[target.ID]chan struct{}
	uploadDir string
	downloads *sessionDownloads // set once at the start

	done    chan struct{}
	endOnce sync.Once
	err     error

	closeOnce sync.Once
}

var _ sessions.Context = (*sessionContext)(nil)

// refTarget is the element a ref names: a DOM node of a tab's document.
type refTarget struct {
	tab  *sessionTab
	node cdp.BackendNodeID
}

// sessionTab is one tab of a session.
type sessionTab struct {
	*tab
	// documents counts the documents the tab's main frame committed.
	documents atomic.Int64

	mu     sync.Mutex
	dialog *sessions.Dialog
	// dialogOpened receives a value when a dialog opens, so that an action
	// whose input opened one stops waiting for the page, which the dialog
	// has stopped.
	dialogOpened chan struct{}
	// nodeRefs are the refs of this tab's elements, for its current
	// document (documentOfRefs).
	nodeRefs       map[cdp.BackendNodeID]string
	documentOfRefs int64

	closed atomic.Bool
	// sessionLife ends when the session closes: it bounds input left to
	// finish after a dialog (see untilDialog).
	sessionLife context.Context
}

// end records why the context ended by itself and closes Done.
func (sc *sessionContext) end(err error) {
	sc.endOnce.Do(func() {
		sc.mu.Lock()
		sc.err = err
		sc.mu.Unlock()
		close(sc.done)
	})
}

func (sc *sessionContext) Done() <-chan struct{} { return sc.done }

func (sc *sessionContext) Err() error {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.err
}

// watchTargets follows the targets of the browser: a page the context's
// pages open (a popup, a link with target=_blank) becomes a tab of the
// session, and a tab whose page closed leaves it. A browser that exits
// ends the session.
func (sc *sessionContext) watchTargets(ctx context.Context) error {
	bs := session{conn: sc.browser.proc.conn}
	created, stopCreated := bs.Subscribe(target.TargetCreated.Method)
	destroyed, stopDestroyed := bs.Subscribe(target.TargetDestroyed.Method)
	sc.wg.Go(func() {
		defer stopCreated()
		defer stopDestroyed()
		for {
			select {
			case raw, ok := <-created:
				if !ok {
					sc.end(fmt.Errorf("%w: the browser exited; the session has ended", render.ErrBrowser))
					return
				}
				var ev target.EventTargetCreated
				if jsonv2.Unmarshal(raw, &ev) != nil || ev.TargetInfo == nil || ev.TargetInfo.BrowserContextID != sc.id ||
					ev.TargetInfo.Type != "page" || ev.TargetInfo.OpenerID == "" {
					continue
				}
				actx, cancel := context.WithTimeout(sc.life, 10*time.Second)
				if _, err := sc.attach(actx, ev.TargetInfo.TargetID); err != nil && sc.life.Err() == nil {
					sc.pool.opts.Logger.Debug("attaching to a session's popup", "err", err)
				}
				cancel()
			case raw, ok := <-destroyed:
				if !ok {
					return
				}
				var ev target.EventTargetDestroyed
				if jsonv2.Unmarshal(raw, &ev) == nil {
					sc.forget(ev.TargetID)
				}
			case <-sc.life.Done():
				return
			}
		}
	})
	return nil
}

// newTab opens a blank tab in the context and makes it the active one.
func (sc *sessionContext) newTab(ctx context.Context) (*sessionTab, error) {
	bs := session{conn: sc.browser.proc.conn}
	tg, err := cdp.Call(ctx, bs, target.CreateTarget, target.CreateTargetParams{URL: "about:blank", BrowserContextID: sc.id})
	if err != nil {
		return nil, fmt.Errorf("create target: %w", err)
	}
	st, err := sc.attach(ctx, tg.TargetID)
	if err != nil {
		return nil, err
	}
	sc.mu.Lock()
	sc.active = st
	sc.mu.Unlock()
	return st, nil
}

// attach attaches to a page target of the context and sets it up as a tab:
// page and network events, the session's viewport, user agent, locale and
// time zone. The first tab becomes the active one.
func (sc *sessionContext) attach(ctx context.Context, id target.ID) (*sessionTab, error) {
	for {
		sc.mu.Lock()
		for _, st := range sc.tabs {
			if st.targetID == id {
				sc.mu.Unlock()
				return st, nil
			}
		}
		busy, ok := sc.attaching[id]
		if !ok {
			busy = make(chan struct{})
			sc.attaching[id] = busy
			sc.mu.Unlock()
			break
		}
		sc.mu.Unlock()
		// Another goroutine attaches to it (a popup is seen both as a
		// new target and in Tabs): wait, then take its tab.
		select {
		case <-busy:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	defer func() {
		sc.mu.Lock()
		close(sc.attaching[id])
		delete(sc.attaching, id)
		sc.mu.Unlock()
	}()
	conn := sc.browser.proc.conn
	at, err := cdp.Call(ctx, session{conn: conn}, target.AttachToTarget, target.AttachToTargetParams{TargetID: id, Flatten: ptr(true)})
	if err != nil {
		return nil, fmt.Errorf("attach: %w", err)
	}
	userAgent := sc.opts.UserAgent
	if userAgent == "" {
		userAgent = sc.pool.userAgent
	}
	st := &sessionTab{
		tab:          &tab{browser: sc.browser, contextID: sc.id, targetID: id, s: session{conn: conn, id: at.SessionID}, userAgent: userAgent, origins: map[string]bool{}},
		dialogOpened: make(chan struct{}, 1),
		nodeRefs:     map[cdp.BackendNodeID]string{},
		sessionLife:  sc.life,
	}
	sc.watchTab(st)
	metrics := defaultMetrics()
	if v := sc.opts.Viewport; v != nil {
		metrics = emulation.SetDeviceMetricsOverrideParams{Width: int64(v.Width), Height: int64(v.Height), DeviceScaleFactor: v.DeviceScaleFactor, Mobile: v.IsMobile}
		if metrics.DeviceScaleFactor == 0 {
			metrics.DeviceScaleFactor = 1
		}
	}
	type step struct {
		method string
		params any
	}
	steps := []step{
		{page.CommandEnable, page.EnableParams{}},
		{inspector.CommandEnable, nil},
		{page.CommandSetLifecycleEventsEnabled, page.SetLifecycleEventsEnabledParams{Enabled: true}},
		{network.CommandEnable, network.EnableParams{}},
		{emulation.CommandSetDeviceMetricsOverride, metrics},
	}
	if userAgent != "" {
		steps = append(steps, step{emulation.CommandSetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: userAgent, AcceptLanguage: sc.opts.Locale}})
	}
	if sc.opts.Locale != "" {
		steps = append(steps, step{emulation.CommandSetLocaleOverride, emulation.SetLocaleOverrideParams{Locale: sc.opts.Locale}})
	}
	if sc.opts.Timezone != "" {
		steps = append(steps, step{emulation.CommandSetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: sc.opts.Timezone}})
	}
	if signer := sc.pool.guard.signer; signer != nil {
		method, params := sc.signSessionRequests(st, signer)
		steps = append(steps, step{method, params})
	}
	for _, s := range steps {
		if err := st.s.Call(ctx, s.method, s.params, nil); err != nil {
			if s.method == emulation.CommandSetTimezoneOverride || s.method == emulation.CommandSetLocaleOverride {
				return nil, fmt.Errorf("%w: %s: %v", render.ErrInvalidRequest, s.method, err)
			}
			return nil, fmt.Errorf("%s: %w", s.method, err)
		}
	}
	sc.mu.Lock()
	sc.tabs = append(sc.tabs, st)
	if sc.active == nil {
		sc.active = st
	}
	sc.mu.Unlock()
	return st, nil
}

// watchTab follows the events of a tab that outlive any one action: its
// renderer crashing (which ends the session: most often it ran out of
// memory), dialogs opening and closing, and documents committing.
func (sc *sessionContext) watchTab(st *sessionTab) {
	crashes, stopCrashes := st.s.Subscribe(inspector.TargetCrashed.Method)
	opened, stopOpened := st.s.Subscribe(page.JavascriptDialogOpening.Method)
	closed, stopClosed := st.s.Subscribe(page.JavascriptDialogClosed.Method)
	navigated, stopNavigated := st.s.Subscribe(page.FrameNavigated.Method)
	sc.wg.Go(func() {
		defer stopCrashes()
		defer stopOpened()
		defer stopClosed()
		defer stopNavigated()
		for {
			select {
			case _, ok := <-crashes:
				if !ok {
					return
				}
				limit := ""
				if m := sc.pool.opts.RendererMemory; m > 0 {
					limit = fmt.Sprintf(" (more than the %d MiB a page may use)", m>>20)
				}
				sc.end(fmt.Errorf("%w: the page crashed, most often because it used too much memory%s; the session has ended", render.ErrBrowser, limit))
				return
			case raw, ok := <-opened:
				if !ok {
					return
				}
				var ev page.EventJavascriptDialogOpening
				if jsonv2.Unmarshal(raw, &ev) != nil {
					continue
				}
				st.mu.Lock()
				st.dialog = &sessions.Dialog{Type: string(ev.Type), Message: ev.Message, DefaultPrompt: ev.DefaultPrompt}
				st.mu.Unlock()
				select {
				case st.dialogOpened <- struct{}{}:
				default:
				}
			case _, ok := <-closed:
				if !ok {
					return
				}
				st.mu.Lock()
				st.dialog = nil
				st.mu.Unlock()
			case raw, ok := <-navigated:
				if !ok {
					return
				}
				var ev page.EventFrameNavigated
				if jsonv2.Unmarshal(raw, &ev) != nil || ev.Frame == nil || ev.Frame.ParentID != "" {
					continue
				}
				st.documents.Add(1)
				if o := originOf(ev.Frame.URL); o != "" {
					sc.mu.Lock()
					if len(sc.origins) < 256 {
						sc.origins[o] = true
					}
					sc.mu.Unlock()
				}
			case <-sc.life.Done():
				return
			}
		}
	})
}

// forget removes the tab of a target that closed; the last one opened
// becomes active if it was.
func (sc *sessionContext) forget(id target.ID) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	i := slices.IndexFunc(sc.tabs, func(st *sessionTab) bool { return st.targetID == id })
	if i < 0 {
		return
	}
	st := sc.tabs[i]
	st.closed.Store(true)
	sc.tabs = slices.Delete(sc.tabs, i, i+1)
	for ref, rt := range sc.refs {
		if rt.tab == st {
			delete(sc.refs, ref)
		}
	}
	if sc.active == st {
		sc.active = nil
		if n := len(sc.tabs); n > 0 {
			sc.active = sc.tabs[n-1]
		}
	}
}

// front returns the active tab, brought to the front of its window.
// Chromium stops drawing a tab another one hides (a link with
// target=_blank brings its new tab forward, hiding its opener), and input
// to a tab that draws nothing waits for a frame that never comes. It is
// asked each time, as the page can bring another tab forward at any
// moment; a tab already in front costs one round trip.
func (sc *sessionContext) front(ctx context.Context) (*sessionTab, error) {
	st, err := sc.current()
	if err != nil {
		return nil, err
	}
	if _, err := cdp.Call(ctx, st.s, page.BringToFront, cdp.Empty{}); err != nil {
		return nil, fmt.Errorf("bring the tab to the front: %w", err)
	}
	return st, nil
}

// current returns the active tab.
func (sc *sessionContext) current() (*sessionTab, error) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.active == nil {
		return nil, fmt.Errorf("%w: the session has no tab open; open one with newTab", render.ErrInvalidRequest)
	}
	return sc.active, nil
}

func (st *sessionTab) pendingDialog() *sessions.Dialog {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.dialog
}

// Dialog returns the dialog open on the active tab, or nil.
func (sc *sessionContext) Dialog() *sessions.Dialog {
	st, err := sc.current()
	if err != nil {
		return nil
	}
	if d := st.pendingDialog(); d != nil {
		c := *d
		return &c
	}
	return nil
}

// Tabs lists the context's tabs.
func (sc *sessionContext) Tabs(ctx context.Context) ([]sessions.Tab, error) {
	bs := session{conn: sc.browser.proc.conn}
	infos, err := cdp.Call(ctx, bs, target.GetTargets, target.GetTargetsParams{})
	if err != nil {
		return nil, fmt.Errorf("list targets: %w", err)
	}
	sc.adoptPopups(ctx, infos.TargetInfos)
	sc.mu.Lock()
	defer sc.mu.Unlock()
	out := make([]sessions.Tab, 0, len(sc.tabs))
	for i, st := range sc.tabs {
		t := sessions.Tab{Index: i, Active: st == sc.active}
		for _, ti := range infos.TargetInfos {
			if ti.TargetID == st.targetID {
				t.URL, t.Title = ti.URL, ti.Title
			}
		}
		out = append(out, t)
	}
	return out, nil
}

// adoptPopups attaches to the windows the context's pages opened that are
// not tabs yet: one opened a moment ago may not have reached watchTargets.
// infos are the browser's targets, or nil to ask for them.
func (sc *sessionContext) adoptPopups(ctx context.Context, infos []*target.Info) {
	if infos == nil {
		got, err := cdp.Call(ctx, session{conn: sc.browser.proc.conn}, target.GetTargets, target.GetTargetsParams{})
		if err != nil {
			return
		}
		infos = got.TargetInfos
	}
	for _, ti := range infos {
		if ti.Type == "page" && ti.BrowserContextID == sc.id && ti.OpenerID != "" {
			if _, err := sc.attach(ctx, ti.TargetID); err != nil && sc.life.Err() == nil {
				sc.pool.opts.Logger.Debug("attaching to a session's popup", "err", err)
			}
		}
	}
}

// Page reads the active tab's document, and a screenshot of its viewport
// when asked.
func (sc *sessionContext) Page(ctx context.Context, screenshot bool) (*render.Page, error) {
	st, err := sc.front(ctx)
	if err != nil {
		return nil, err
	}
	p, err := st.snapshot(ctx, nil, true)
	if err != nil {
		return nil, err
	}
	p.Engine = render.EngineBrowser
	if screenshot {
		if p.Screenshot, err = st.screenshot(ctx, &render.Request{}); err != nil {
			return nil, fmt.Errorf("screenshot: %w", err)
		}
	}
	return p, nil
}

// Close disposes of the context with its tabs. It is safe to call more
// than once.
func (sc *sessionContext) Close() error {
	sc.closeOnce.Do(func() {
		sc.stop()
		sc.wg.Wait()
		if sc.browser.proc.alive() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			bs := session{conn: sc.browser.proc.conn}
			_, err := cdp.Call(ctx, bs, target.DisposeBrowserContext, target.DisposeBrowserContextParams{BrowserContextID: sc.id})
			cancel()
			if err != nil {
				// The context's cookies and pages would outlive the session
				// in a browser that serves others: that browser goes instead,
				// once its other tabs are done.
				sc.pool.opts.Logger.Warn("disposing a session's browser context failed; retiring its browser", "err", err)
				sc.pool.retire(sc.browser)
			}
		}
		sc.browser.proc.sessionContexts.Delete(sc.id)
		sc.browser.tabs.Add(-1)
		sc.pool.closeIfDrained(sc.browser)
		if sc.uploadDir != "" {
			os.RemoveAll(sc.uploadDir)
		}
		if sc.downloads != nil {
			os.RemoveAll(sc.downloads.dir)
		}
		sc.end(errors.New("closed"))
	})
	return nil
}

// errDialogOpen is the error of an action tried while a dialog waits.
func errDialogOpen(d *sessions.Dialog) error {
	return fmt.Errorf("%w: a %s dialog is open (%q) and stops the page until answered; answer it with the dialog action", render.ErrInvalidRequest, d.Type, clipText(d.Message, 200))
}

func clipText(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// trimError shortens Chromium's protocol errors to their message.
func trimError(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && strings.Contains(msg, "(-3") {
		return msg[:i]
	}
	return msg
}
