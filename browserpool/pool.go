package browserpool

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/target"
	"github.com/sous-dev/sous/render"
)

// Options configure a Pool. Zero values mean the documented defaults.
type Options struct {
	// ExecPath is the Chromium binary; default: FindChrome("").
	ExecPath string
	// Tabs is how many renders the pool runs at once, each in its own tab and
	// its own browser context. Default: 4 per core.
	Tabs int
	// SpareTabs are tabs beyond Tabs, so that renders need not wait while
	// used tabs are wiped in the background. Default: a quarter of Tabs, at
	// least one (none when Unisolated or Cold).
	SpareTabs int
	// Cold opens tabs without the warm-up render and keeps no spare tab
	// unless SpareTabs asks for one, so the first render starts as soon as
	// its tab is open. It suits a command that renders a page or two and
	// exits (`sous render`), which would otherwise warm tabs it never
	// uses; a server wants its first requests warm.
	Cold bool
	// TabReuse is how many renders a tab serves before its browser context is
	// thrown away and a new one made. Between renders a tab is wiped (see
	// Pool); this bounds whatever a wipe might miss. Default 50; 1 means a
	// fresh context for every render.
	TabReuse int
	// RecycleAfterRenders and RecycleAfter retire a browser after that many
	// renders or that much time; work in flight finishes on the old one while
	// a new one takes new work. Defaults: 2000 renders, 30 minutes.
	RecycleAfterRenders int
	RecycleAfter        time.Duration
	// HealthInterval is how often each browser is asked, over the protocol,
	// whether it still answers; HealthTimeout how long it has to answer. A
	// browser that misses two answers in a row is killed and replaced, and
	// Ready is false from the first miss. Defaults: 2 s and 5 s, so that a
	// wedged browser is gone within about 15 s.
	HealthInterval time.Duration
	HealthTimeout  time.Duration
	// RendererMemory caps the memory of each renderer process (all of it,
	// not only the JavaScript heap): one past it is killed, failing its
	// render. Default 1 GiB; negative for none. See memory.go.
	RendererMemory int64
	// BrowserMemory caps the whole browser process tree, in a memory cgroup
	// where the machine lets us make one. Default 1 GiB plus 512 MiB per
	// tab, at most three quarters of the machine's memory; negative for
	// none.
	BrowserMemory int64
	// Unisolated reuses tabs without wiping them, so one request can see the
	// cookies and storage of another. It exists for trusted single-tenant use
	// and as the baseline of `sous bench`; never enable it for shared use.
	Unisolated bool
	// AllowPrivate lets pages load from loopback and private addresses.
	AllowPrivate bool
	// AllowCIDRs lets pages reach these ranges even though they are private.
	AllowCIDRs []netip.Prefix
	// DenyAddrs are refused whatever else allows them: the service's own
	// listeners, so that a page cannot call the API that renders it.
	DenyAddrs []netip.AddrPort
	// Flags are extra Chromium command-line flags.
	Flags []string
	// Stderr receives Chromium's own output; default: discarded.
	Stderr io.Writer
	Logger *slog.Logger
	// Signer, when set, signs every request a page makes, each for its own
	// URL (Web Bot Auth: identity.Signer). It costs every render the
	// interception of all its requests, not only its documents.
	Signer RequestSigner
}

// RequestSigner gives the headers that sign one request of a page.
type RequestSigner interface {
	RequestHeaders(method, rawURL string) (map[string]string, error)
}

// Pool keeps warm Chromium tabs and renders requests in them.
//
// Isolation: every tab lives in its own browser context (an incognito
// profile), and serves one request at a time. A new context and tab cost about
// a quarter of a second of CPU on a 2-core machine, mostly to start a renderer
// process, which would cap the pool at a third of the throughput of reused
// tabs. So a tab is reused, and after each render, off the request path, it
// is navigated away (which ends the page's scripts and connections) and then
// wiped: the context's cookies, the HTTP cache, every storage type of every
// origin the page touched, its history, and the settings the request changed.
// A tab whose render failed, timed out, used HTTP authentication (whose cache
// no command clears), opened another window, or reached TabReuse renders is
// closed with its whole context instead.
type Pool struct {
	opts      Options
	userAgent string // Chromium's own, without "Headless"
	guard     *networkGuard

	ctx    context.Context // ends when the pool closes; parent of background work
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	current  *browserProc // takes new tabs; nil while (re)starting
	browsers map[*browserProc]struct{}
	changed  chan struct{} // closed and replaced whenever current changes

	ready chan *tab // clean tabs waiting for a request

	restarts atomic.Int64
	// warmed counts the first tabs that are ready, warm or not (a tab
	// that failed two warm-ups is ready unwarmed rather than never);
	// Ready waits for all of them. warmUps counts the warm-ups that passed.
	warmed    atomic.Int64
	warmUps   atomic.Int64
	closeOnce sync.Once
}

var _ render.Fetcher = (*Pool)(nil)

// browserProc is one Chromium process and the bookkeeping of its tabs.
type browserProc struct {
	proc    *process
	started time.Time
	renders atomic.Int64
	tabs    atomic.Int64 // tabs alive in it, leased or not
	retired atomic.Bool
	// unhealthy is set while the browser does not answer its health check.
	unhealthy atomic.Bool
}

func (b *browserProc) usable() bool { return b.proc.alive() && !b.retired.Load() }

// New starts a browser and begins warming tabs. It returns once the browser
// answers; tabs become ready in the background.
func New(ctx context.Context, opts Options) (*Pool, error) {
	if opts.Tabs < 0 || opts.SpareTabs < 0 || opts.TabReuse < 0 || opts.RecycleAfterRenders < 0 || opts.RecycleAfter < 0 {
		return nil, errors.New("browserpool: negative option")
	}
	if opts.Tabs == 0 {
		opts.Tabs = render.DefaultConcurrency()
	}
	if opts.SpareTabs == 0 && !opts.Unisolated && !opts.Cold {
		opts.SpareTabs = max(1, opts.Tabs/4)
	}
	if opts.TabReuse == 0 {
		opts.TabReuse = 50
	}
	if opts.RecycleAfterRenders == 0 {
		opts.RecycleAfterRenders = 2000
	}
	if opts.RecycleAfter == 0 {
		opts.RecycleAfter = 30 * time.Minute
	}
	opts.RendererMemory, opts.BrowserMemory = defaultCaps(opts.RendererMemory, opts.BrowserMemory, opts.Tabs+opts.SpareTabs)
	if opts.HealthInterval <= 0 {
		opts.HealthInterval = 2 * time.Second
	}
	if opts.HealthTimeout <= 0 {
		opts.HealthTimeout = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.ExecPath == "" {
		path, err := FindChrome("")
		if err != nil {
			return nil, err
		}
		opts.ExecPath = path
	}
	guard, err := newNetworkGuard(opts.AllowPrivate, opts.AllowCIDRs, opts.DenyAddrs)
	if err != nil {
		return nil, err
	}
	guard.signer = opts.Signer
	opts.Flags = append(slices.Clone(opts.Flags), guard.flags()...)
	pctx, cancel := context.WithCancel(context.Background())
	p := &Pool{
		guard:    guard,
		opts:     opts,
		ctx:      pctx,
		cancel:   cancel,
		browsers: make(map[*browserProc]struct{}),
		changed:  make(chan struct{}),
		ready:    make(chan *tab, opts.Tabs+opts.SpareTabs),
	}
	b, err := p.startBrowser(ctx)
	if err != nil {
		cancel()
		guard.close()
		return nil, err
	}
	p.setCurrent(b)
	for range opts.Tabs + opts.SpareTabs {
		p.spawn(func() { p.refill(nil) })
	}
	p.spawn(p.watchAge)
	return p, nil
}

// spawn runs f as a goroutine that Close waits for.
func (p *Pool) spawn(f func()) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		f()
	}()
}

func (p *Pool) startBrowser(ctx context.Context) (*browserProc, error) {
	proc, ua, err := launchWithUserAgent(ctx, p.opts.ExecPath, p.opts.Flags, p.opts.Stderr,
		memoryCaps{renderer: max(p.opts.RendererMemory, 0), browser: max(p.opts.BrowserMemory, 0)})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", render.ErrBrowser, err)
	}
	p.mu.Lock()
	if p.userAgent == "" {
		p.userAgent = ua
	}
	p.mu.Unlock()
	b := &browserProc{proc: proc, started: time.Now()}
	p.mu.Lock()
	p.browsers[b] = struct{}{}
	p.mu.Unlock()
	p.spawn(func() { p.watch(b) })
	p.spawn(func() { p.checkHealth(b) })
	return b, nil
}

// checkHealth asks b for its version every HealthInterval until it exits. A
// browser busy with one page's flood of work, or stopped, answers nobody:
// renders on it would fail at their deadlines one after another. So one that
// misses two answers in a row is killed, which makes watch replace it.
func (p *Pool) checkHealth(b *browserProc) {
	tick := time.NewTicker(p.opts.HealthInterval)
	defer tick.Stop()
	misses := 0
	for {
		select {
		case <-tick.C:
		case <-b.proc.exited:
			return
		case <-p.ctx.Done():
			return
		}
		ctx, cancel := context.WithTimeout(p.ctx, p.opts.HealthTimeout)
		err := b.proc.conn.call(ctx, "", browser.CommandGetVersion, nil, nil)
		cancel()
		if err == nil {
			misses = 0
			b.unhealthy.Store(false)
			continue
		}
		if p.ctx.Err() != nil || !b.proc.alive() {
			return
		}
		misses++
		b.unhealthy.Store(true)
		if misses >= 2 {
			p.opts.Logger.Warn("browser does not answer; replacing it", "err", err)
			b.proc.close()
			return
		}
	}
}

func (p *Pool) setCurrent(b *browserProc) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.current = b
	close(p.changed)
	p.changed = make(chan struct{})
}

// currentBrowser waits for a browser that takes new tabs.
func (p *Pool) currentBrowser(ctx context.Context) (*browserProc, error) {
	for {
		p.mu.Lock()
		b, changed := p.current, p.changed
		p.mu.Unlock()
		if b != nil && b.usable() {
			return b, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// watch waits for a browser to exit. If it was the current one, it crashed:
// a replacement starts, with a pause between failed starts.
func (p *Pool) watch(b *browserProc) {
	select {
	case <-b.proc.exited:
	case <-b.proc.conn.done:
	case <-p.ctx.Done():
		return
	}
	p.mu.Lock()
	crashed := p.current == b
	if crashed {
		p.current = nil
	}
	delete(p.browsers, b)
	p.mu.Unlock()
	b.proc.close()
	if !crashed {
		return
	}
	p.restarts.Add(1)
	p.opts.Logger.Warn("browser exited; starting a new one")
	p.replaceBrowser()
}

// replaceBrowser starts a browser and makes it current, retrying until it
// works or the pool closes.
func (p *Pool) replaceBrowser() {
	for pause := 100 * time.Millisecond; ; pause = min(2*pause, 5*time.Second) {
		nb, err := p.startBrowser(p.ctx)
		if err == nil {
			p.setCurrent(nb)
			return
		}
		p.opts.Logger.Error("starting browser", "err", err)
		select {
		case <-time.After(pause):
		case <-p.ctx.Done():
			return
		}
	}
}

// retire stops giving b new tabs and starts its successor. b closes when its
// last tab is gone.
func (p *Pool) retire(b *browserProc) {
	if !b.retired.CompareAndSwap(false, true) {
		return
	}
	p.opts.Logger.Info("recycling browser", "renders", b.renders.Load(), "age", time.Since(b.started).Round(time.Second))
	p.restarts.Add(1)
	p.mu.Lock()
	if p.current == b {
		p.current = nil
	}
	p.mu.Unlock()
	p.spawn(p.replaceBrowser)
	p.closeIfDrained(b)
}

func (p *Pool) closeIfDrained(b *browserProc) {
	if b.retired.Load() && b.tabs.Load() == 0 {
		p.mu.Lock()
		delete(p.browsers, b)
		p.mu.Unlock()
		b.proc.close()
	}
}

// watchAge retires browsers older than RecycleAfter.
func (p *Pool) watchAge() {
	tick := time.NewTicker(min(p.opts.RecycleAfter/4, time.Minute))
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			p.mu.Lock()
			b := p.current
			p.mu.Unlock()
			if b != nil && time.Since(b.started) > p.opts.RecycleAfter {
				p.retire(b)
			}
		case <-p.ctx.Done():
			return
		}
	}
}

// refill closes old (if any) and puts a new clean tab in ready. Each of the
// Tabs+SpareTabs slots is always either a ready tab, a leased one, or a wipe
// or refill in progress, so the pool never holds more tabs than that.
func (p *Pool) refill(old *tab) {
	if old != nil {
		if err := old.close(); err != nil {
			p.opts.Logger.Debug("closing a tab", "err", err)
		}
		old.browser.tabs.Add(-1)
		p.closeIfDrained(old.browser)
	}
	for pause := 50 * time.Millisecond; ; pause = min(2*pause, 2*time.Second) {
		b, err := p.currentBrowser(p.ctx)
		if err != nil {
			return // closing
		}
		b.tabs.Add(1)
		t, err := newTab(p.ctx, b, p.userAgent)
		if err == nil && old == nil && !p.opts.Cold && !p.warm(t) {
			t.close() // it failed its warm-up: a fresh one instead, warmed if it can be
			if t, err = newTab(p.ctx, b, p.userAgent); err == nil && !p.warm(t) {
				p.opts.Logger.Warn("a tab failed its warm-up twice; the first render in it will pay for it")
				t.close()
				t, err = newTab(p.ctx, b, p.userAgent)
			}
		}
		if err == nil {
			p.ready <- t
			if old == nil {
				p.warmed.Add(1) // ready and waiting, warm or replaced
			}
			return
		}
		b.tabs.Add(-1)
		if p.ctx.Err() != nil {
			return
		}
		p.opts.Logger.Warn("opening tab", "err", err)
		select {
		case <-time.After(pause):
		case <-p.ctx.Done():
			return
		}
	}
}

// lease waits for a clean tab on a usable browser.
func (p *Pool) lease(ctx context.Context) (*tab, error) {
	for {
		select {
		case t := <-p.ready:
			if t.browser.usable() && !t.crashed() {
				return t, nil
			}
			p.spawn(func() { p.refill(t) })
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for a browser tab: %w", ctx.Err())
		case <-p.ctx.Done():
			return nil, render.ErrClosed
		}
	}
}

// release hands a used tab to a background cleanup that wipes it for the
// next request, or replaces it when it cannot be trusted.
func (p *Pool) release(t *tab, failed bool) {
	b := t.browser
	if n := b.renders.Add(1); n >= int64(p.opts.RecycleAfterRenders) {
		p.retire(b)
	}
	t.uses++
	p.spawn(func() {
		if p.opts.Unisolated && !failed && b.usable() {
			t.unwatchRequests()
			p.ready <- t
			return
		}
		if !failed && t.uses < p.opts.TabReuse && b.usable() && p.ctx.Err() == nil {
			ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
			err := t.wipe(ctx)
			cancel()
			if err == nil {
				p.ready <- t
				return
			}
			p.opts.Logger.Debug("wiping tab failed; replacing it", "err", err)
		}
		p.refill(t)
	})
}

// Fetch renders req in a clean tab. It satisfies render.Fetcher.
func (p *Pool) Fetch(ctx context.Context, req *render.Request) (*render.Page, error) {
	if p.ctx.Err() != nil {
		return nil, render.ErrClosed
	}
	if req.URL != "" {
		if err := p.guard.checkDocument(ctx, req.URL); err != nil {
			return nil, err
		}
	}
	t, err := p.lease(ctx)
	if err != nil {
		return nil, classify(ctx, err)
	}
	page, dirty, err := t.render(ctx, req, p.guard, p.opts.Logger)
	p.release(t, err != nil || dirty)
	if err != nil {
		return nil, classify(ctx, err)
	}
	return page, nil
}

// classify wraps err in the render sentinel that describes it.
func classify(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, render.ErrInvalidRequest), errors.Is(err, render.ErrBlocked),
		errors.Is(err, render.ErrNavigation), errors.Is(err, render.ErrClosed),
		errors.Is(err, render.ErrTimeout), errors.Is(err, render.ErrBrowser), errors.Is(err, render.ErrNotHTML):
		return err
	case ctx.Err() != nil:
		return fmt.Errorf("%w: %v", render.ErrTimeout, err)
	case errors.Is(err, errConnClosed):
		return fmt.Errorf("%w: the browser exited during the render; it is being replaced, try again", render.ErrBrowser)
	}
	return fmt.Errorf("%w: %v", render.ErrBrowser, err)
}

// Stats is a snapshot of the pool for health checks and metrics.
type Stats struct {
	Browsers int   // Chromium processes running
	Tabs     int   // tab slots, spares included
	Idle     int   // clean tabs waiting
	Restarts int64 // browsers replaced after a crash or recycled
	WarmUps  int64 // first tabs that rendered the warm-up page before serving
}

// Stats returns a snapshot of the pool.
func (p *Pool) Stats() Stats {
	p.mu.Lock()
	n := 0
	for b := range p.browsers {
		if b.proc.alive() {
			n++
		}
	}
	p.mu.Unlock()
	return Stats{Browsers: n, Tabs: p.opts.Tabs + p.opts.SpareTabs, Idle: len(p.ready), Restarts: p.restarts.Load(), WarmUps: p.warmUps.Load()}
}

// OpenPages counts the page targets of the current browser, popups
// included. It asks the browser, which costs more than Stats.
func (p *Pool) OpenPages(ctx context.Context) (int, error) {
	p.mu.Lock()
	cur := p.current
	p.mu.Unlock()
	if cur == nil {
		return 0, nil
	}
	ts, err := cdp.Call(ctx, session{conn: cur.proc.conn}, target.GetTargets, target.GetTargetsParams{})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, ti := range ts.TargetInfos {
		if ti.Type == "page" {
			n++
		}
	}
	return n, nil
}

// Ready reports whether a browser is running, accepting tabs and answering
// its health check; /readyz says it.
func (p *Pool) Ready() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.current != nil && p.current.usable() && !p.current.unhealthy.Load() &&
		p.warmed.Load() >= int64(p.opts.Tabs+p.opts.SpareTabs)
}

// warmupPage is what each first tab renders before the pool says it is
// ready: a little of everything a page has, with no network.
var warmupPage = `<!DOCTYPE html><html lang="en"><head><title>Warm-up</title><style>h1{font:bold 2em serif}</style></head>
<body><main><h1>Warm-up</h1><p>Sous renders this page once in each new tab, <a href="/">with a link</a>.</p>
<ul><li>one</li><li>two</li></ul></main><script>document.body.dataset.ready = "1"</script></body></html>`

// warm renders warmupPage in t and wipes it, so that the renderer process,
// the page scripts' compilation and the first round trips are paid before
// Ready says yes rather than by the first callers (who saw 1.2–2.4 s).
// It reports whether t is fit to serve.
func (p *Pool) warm(t *tab) bool {
	req, err := (&render.Request{HTML: warmupPage, Formats: []render.Format{render.FormatMarkdown}}).Normalize()
	if err != nil {
		panic("browserpool: the warm-up request is invalid: " + err.Error())
	}
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	if _, dirty, err := t.render(ctx, req, p.guard, p.opts.Logger); err != nil || dirty {
		p.opts.Logger.Debug("warm-up render failed", "err", err)
		return false
	}
	if err := t.wipe(ctx); err != nil {
		p.opts.Logger.Debug("wiping after the warm-up failed", "err", err)
		return false
	}
	p.warmUps.Add(1)
	return true
}

// Close stops every browser and waits for them and the pool's goroutines to
// end. Renders in flight fail. It is safe to call more than once.
func (p *Pool) Close() error {
	p.closeOnce.Do(func() {
		p.cancel()
		p.mu.Lock()
		browsers := make([]*browserProc, 0, len(p.browsers))
		for b := range p.browsers {
			browsers = append(browsers, b)
		}
		p.mu.Unlock()
		for _, b := range browsers {
			b.proc.close() // fails calls in flight at once
		}
		p.wg.Wait()
		p.guard.close()
	drain:
		for {
			select {
			case <-p.ready:
			default:
				break drain
			}
		}
	})
	return nil
}

// UserAgent is the user agent the pool's pages send by default: Chromium's
// own, without the "Headless" that gives it away. Other engines send it too,
// so that a site answers them as it answers the browser.
func (p *Pool) UserAgent() string { return p.userAgent }

// Process returns the operating-system process of the current browser, or
// nil; tests use it to kill the browser.
func (p *Pool) Process() (pid int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.current == nil || p.current.proc.cmd.Process == nil {
		return 0
	}
	return p.current.proc.cmd.Process.Pid
}

// CPUTime returns the processor time the pool's live browsers have used
// since they started, their exited renderers included, by kind of process
// (see processKind); benchmarks divide its growth by the renders done.
func (p *Pool) CPUTime() map[string]time.Duration {
	p.mu.Lock()
	dirs := make([]string, 0, len(p.browsers))
	for b := range p.browsers {
		dirs = append(dirs, b.proc.dataDir)
	}
	p.mu.Unlock()
	byKind := map[string]time.Duration{}
	for _, d := range dirs {
		cpuOf(d, byKind)
	}
	return byKind
}

// MemoryPSS returns the proportional set size, in bytes, of every Chromium
// process of the pool: the fair share of memory they use.
func (p *Pool) MemoryPSS() int64 {
	p.mu.Lock()
	dirs := make([]string, 0, len(p.browsers))
	for b := range p.browsers {
		dirs = append(dirs, b.proc.dataDir)
	}
	p.mu.Unlock()
	var total int64
	for _, d := range dirs {
		total += pssOf(d)
	}
	return total
}
