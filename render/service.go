package render

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a Service. Zero values mean the documented defaults.
type Options struct {
	Fetcher   Fetcher   // required: the browser
	Extractor Extractor // required

	// HTTPFetcher, when set, serves EngineHTTP and is tried first under
	// EngineAuto; nil means every request renders in the browser.
	HTTPFetcher Fetcher

	// Concurrency is how many requests render at once; default: 4 per core.
	Concurrency int
	// Queue is how many more may wait for a slot; past it, ErrOverloaded.
	// Default: 4 × Concurrency. Negative means no waiting at all.
	Queue int
	// DefaultTimeout bounds a request that sets none; default 30 s.
	DefaultTimeout time.Duration
	// MaxTimeout bounds any request; default 60 s.
	MaxTimeout time.Duration

	// Cache answers repeated requests from memory and lets identical
	// requests in flight share one render; nil means no cache.
	Cache Cache
	// Observer is told about every render, for metrics; nil means none.
	Observer Observer
	// Processor runs Request.Script over a result, after the cache; nil
	// means requests with a script are refused.
	Processor Processor
	// Signals reads sites' Content Signals, reported as
	// Meta.ContentSignals; nil means they are not read. With
	// RespectSignals, a request whose Purpose its site refuses fails with
	// ErrDisallowed before anything is fetched.
	Signals        SignalReader
	RespectSignals bool
	// LLMsTxt reads sites' llms.txt, reported as Meta.LLMsTxt by renders
	// of a site's root page; nil means it is not read.
	LLMsTxt LLMsTxtReader
	// Payer pays pay-per-crawl prices; nil means none is paid, and such
	// pages fail with ErrPaymentRequired.
	Payer Payer

	Logger *slog.Logger
}

// Service runs render requests through admission, fetch and extraction under
// one deadline. It is safe for concurrent use.
type Service struct {
	opts  Options
	slots chan struct{}

	waiting atomic.Int64
	running atomic.Int64
	avgMs   atomic.Int64 // moving average of render time, for Retry-After
	flights flightGroup  // renders in flight by cache key

	// Every render in flight, a caller's or a flight's, is counted in
	// renders and runs under base, which Close cancels. mu orders the
	// counting against closing, so that no render starts once Shutdown
	// has begun to wait.
	base       context.Context
	cancelBase context.CancelFunc
	mu         sync.Mutex
	renders    sync.WaitGroup
	closeOnce  sync.Once
	closed     chan struct{}
}

// NewService checks opts and returns a Service.
func NewService(opts Options) (*Service, error) {
	if opts.Fetcher == nil || opts.Extractor == nil {
		return nil, errors.New("render: Options.Fetcher and Options.Extractor are required")
	}
	if opts.Concurrency < 0 {
		return nil, fmt.Errorf("render: Concurrency %d is negative", opts.Concurrency)
	}
	if opts.Concurrency == 0 {
		opts.Concurrency = DefaultConcurrency()
	}
	if opts.Queue == 0 {
		opts.Queue = 4 * opts.Concurrency
	}
	if opts.Queue < 0 {
		opts.Queue = 0
	}
	if opts.DefaultTimeout == 0 {
		opts.DefaultTimeout = 30 * time.Second
	}
	if opts.MaxTimeout == 0 {
		opts.MaxTimeout = 60 * time.Second
	}
	if opts.DefaultTimeout > opts.MaxTimeout {
		return nil, fmt.Errorf("render: DefaultTimeout %v exceeds MaxTimeout %v", opts.DefaultTimeout, opts.MaxTimeout)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	base, cancel := context.WithCancelCause(context.Background())
	return &Service{
		opts:       opts,
		slots:      make(chan struct{}, opts.Concurrency),
		closed:     make(chan struct{}),
		base:       base,
		cancelBase: func() { cancel(ErrClosed) },
	}, nil
}

// DefaultConcurrency is the number of renders in flight a machine gets by
// default: four per core, since a render spends much of its time waiting on
// the network and the browser.
func DefaultConcurrency() int { return 4 * runtime.NumCPU() }

// Limits reports the effective concurrency and queue length.
func (s *Service) Limits() (concurrency, queue int) { return s.opts.Concurrency, s.opts.Queue }

// Load reports how many requests are rendering and how many wait.
func (s *Service) Load() (running, waiting int) {
	return int(s.running.Load()), int(s.waiting.Load())
}

// RetryAfter estimates when an overloaded caller should try again.
func (s *Service) RetryAfter() time.Duration {
	d := time.Duration(s.avgMs.Load()) * time.Millisecond
	return max(time.Second, d.Round(time.Second))
}

// Shutdown ends the service gracefully: new requests fail with ErrClosed
// at once, and renders in flight may finish until ctx ends; then the rest
// are cancelled (their callers get ErrClosed) and Shutdown waits for them
// to return. No goroutine of the service outlives it. It returns ctx's
// error when renders had to be cancelled.
func (s *Service) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closeOnce.Do(func() { close(s.closed) })
	s.mu.Unlock()
	finished := make(chan struct{})
	go func() {
		s.renders.Wait()
		close(finished)
	}()
	select {
	case <-finished:
		s.cancelBase()
		return nil
	case <-ctx.Done():
		s.cancelBase()
		<-finished
		return ctx.Err()
	}
}

// Close ends the service at once: new requests fail with ErrClosed,
// renders in flight are cancelled, and Close returns when they have. It is
// safe to call more than once.
func (s *Service) Close() error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s.Shutdown(ctx)
	return nil
}

// track counts a render in flight until done is called, and gives it a
// context that Close cancels too; it fails once the service is closing.
func (s *Service) track(ctx context.Context) (context.Context, func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.closed:
		return nil, nil, ErrClosed
	default:
	}
	s.renders.Add(1)
	ctx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(s.base, func() { cancel(ErrClosed) })
	return ctx, func() {
		stop()
		cancel(nil)
		s.renders.Done()
	}, nil
}

// Render runs one request. Its errors wrap the sentinels of this package.
//
// With Options.Cache, a request repeated within its cacheTTL is answered
// from the cache, and identical requests in flight share one render;
// Meta.Cache says which happened. Results may share memory with the cache
// and with other callers: treat them as read-only.
func (s *Service) Render(ctx context.Context, in *Request) (*Result, error) {
	start := time.Now()
	var res *Result
	state := ""
	req, err := in.Normalize()
	if err != nil {
		req = in // for the Observer
	} else {
		err = s.checkTimeout(req)
	}
	if c, ok := s.opts.Extractor.(RequestChecker); ok && err == nil {
		err = c.CheckRequest(req) // before paying for a render
	}
	if err == nil && req.Script != "" && s.opts.Processor == nil {
		err = invalid("this service runs no scripts; leave out script")
	}
	rendered, added := req, []Format(nil)
	if req.Script != "" {
		rendered, added = withScriptFormats(req)
	}
	if err == nil {
		err = s.checkSignals(ctx, req)
	}
	if err == nil {
		res, state, err = s.renderCached(ctx, rendered, start)
	}
	if err == nil && req.Script != "" {
		res, err = s.process(ctx, req, res, start)
		if err == nil && len(added) > 0 {
			res = withoutFormats(res, added)
		}
	}
	if s.opts.Observer != nil {
		s.opts.Observer.ObserveRender(Observation{Request: req, Result: res, Err: err, Cache: state, Duration: time.Since(start)})
	}
	return res, err
}

// renderOnce renders req once, without the cache (Render has validated
// req), under its deadline, as a list of stages:
// admission, fetch (with payment where the page asks for it), the check for
// an obstacle, extraction, and the Result's Meta.
func (s *Service) renderOnce(ctx context.Context, req *Request) (_ *Result, err error) {
	start := time.Now()
	ctx, done, err := s.track(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	defer func() {
		if err != nil && !errors.Is(err, ErrClosed) && errors.Is(context.Cause(ctx), ErrClosed) {
			err = fmt.Errorf("%w: the render was cancelled: %v", ErrClosed, err)
		}
	}()
	deadline := req.Deadline(s.opts.DefaultTimeout, s.opts.MaxTimeout)
	ctx, cancel := context.WithTimeoutCause(ctx, deadline, ErrTimeout)
	defer cancel()

	release, err := s.admit(ctx)
	if err != nil {
		return nil, stageError(ctx, deadline, "in the queue, waiting for a render slot", err)
	}
	defer release()
	clock := stageClock{start: start, queued: time.Since(start)}
	signals := s.readSignals(ctx, req) // beside the fetch, not after it
	llms := s.readLLMsTxt(ctx, req)

	page, charged, err := s.load(ctx, req, deadline)
	if err != nil {
		return nil, err
	}
	clock.fetched = time.Since(start)
	obstacle, err := s.screen(page, clock)
	if err != nil {
		return nil, err
	}
	s.keepPage(req, page)
	res, err := s.extract(ctx, req, page, deadline)
	if err != nil {
		return nil, err
	}
	res.Meta = pageMeta(page, obstacle)
	res.Meta.Timings = clock.timings(true)
	describeDocument(page, res)
	explainEmpty(page, req, res)
	res.Meta.ContentSignals = <-signals
	res.Meta.LLMsTxt = <-llms
	res.Meta.Charged = charged
	s.observe(time.Since(start) - clock.queued)
	return res, nil
}

// stageClock keeps when a render's stages ended, for its Meta.Timings.
type stageClock struct {
	start           time.Time
	queued, fetched time.Duration // since start
}

// timings are the stages' durations so far; extracted says the extraction
// has run, and took the time since the fetch.
func (c stageClock) timings(extracted bool) Timings {
	total := time.Since(c.start)
	t := Timings{Queue: ms(c.queued), Fetch: ms(c.fetched - c.queued), Total: ms(total)}
	if extracted {
		t.Extract = ms(total - c.fetched)
	}
	return t
}

// load is the fetch stage: the page, paid for when it answers 402 Payment
// Required and the request allows a price; charged is what was paid.
func (s *Service) load(ctx context.Context, req *Request, deadline time.Duration) (page *Page, charged string, err error) {
	page, err = s.fetch(ctx, req)
	if err != nil {
		return nil, "", stageError(ctx, deadline, "loading the page (navigation and settle)", err)
	}
	if page.Status == http.StatusPaymentRequired {
		if page, charged, err = s.payFor(ctx, req, page); err != nil {
			return nil, "", stageError(ctx, deadline, "paying for the page", err)
		}
	}
	return page, charged, nil
}

// screen looks for an obstacle on page: one that is the whole page (a bot
// challenge, a login wall) ends the render with an *ObstacleError; one
// beside the content is returned, to be reported with it.
func (s *Service) screen(page *Page, clock stageClock) (*Obstacle, error) {
	obstacle, whole := s.detectObstacle(page)
	if !whole {
		return obstacle, nil
	}
	meta := pageMeta(page, nil)
	meta.Obstacle = obstacle
	meta.Timings = clock.timings(false)
	return nil, &ObstacleError{Meta: meta}
}

// extract is the extraction stage: the Result the Extractor makes of page,
// with the artifacts the browser made (screenshot, PDF, accessibility tree)
// where the request asks for them.
func (s *Service) extract(ctx context.Context, req *Request, page *Page, deadline time.Duration) (*Result, error) {
	res, err := s.opts.Extractor.Extract(page, req)
	if err != nil {
		return nil, fmt.Errorf("extract: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, stageError(ctx, deadline, "extracting the page", err)
	}
	if req.Wants(FormatScreenshot) {
		res.Screenshot = page.Screenshot
	}
	if req.Wants(FormatPDF) {
		res.PDF = page.PDF
	}
	if req.Wants(FormatAccessibilityTree) {
		res.AccessibilityTree = page.AccessibilityTree
	}
	return res, nil
}

// fetch turns req into a Page with the engine it calls for. Under
// EngineAuto the HTTP Fetcher goes first and hands over to the browser a
// page that needs script, or that is a bot challenge (which a browser may
// pass); a document the browser cannot show (a PDF) goes back to the HTTP
// Fetcher, which reads its text.
func (s *Service) fetch(ctx context.Context, req *Request) (*Page, error) {
	fetcher, fallback, err := s.engineFor(req)
	if err != nil {
		return nil, err
	}
	page, err := fetcher.Fetch(ctx, req)
	if fallback && errors.Is(err, ErrNeedsBrowser) {
		s.opts.Logger.Debug("http engine hands over to the browser", slog.String("url", req.URL), slog.String("why", err.Error()))
		page, err = s.opts.Fetcher.Fetch(ctx, req)
	} else if fallback && err == nil {
		if o, whole := s.detectObstacle(page); whole && o.Kind == ObstacleChallenge {
			s.opts.Logger.Debug("http engine hands a challenge over to the browser", slog.String("url", req.URL))
			page, err = s.opts.Fetcher.Fetch(ctx, req)
		}
	}
	if errors.Is(err, ErrNotHTML) {
		page, err = s.documentByHTTP(ctx, req, err)
	}
	return page, err
}

// pageMeta is the part of a result's Meta that page and its obstacle give.
func pageMeta(page *Page, obstacle *Obstacle) Meta {
	m := Meta{Status: page.Status, URL: page.URL, Redirects: page.Redirects, Title: page.Title, Engine: page.Engine, Obstacle: obstacle}
	if page.ContentType != "" && page.ContentType != "text/html" {
		m.ContentType = page.ContentType
	}
	m.Warnings = append(m.Warnings, page.Warnings...)
	if obstacle != nil {
		m.Warnings = append(m.Warnings, fmt.Sprintf("the page shows a %s beside its content, which may be cut short: %s", obstacle.Kind, obstacle.Evidence))
	}
	return m
}

// describeDocument adds to res what page knows and its markup does not
// say: the page count of a PDF.
func describeDocument(page *Page, res *Result) {
	if res.Metadata != nil && page.Pages > 0 {
		md := *res.Metadata // the Extractor's, which may be shared
		md.Pages = page.Pages
		res.Metadata = &md
	}
}

// admit waits for a render slot, or fails at once when the queue is full.
func (s *Service) admit(ctx context.Context) (release func(), err error) {
	select {
	case s.slots <- struct{}{}:
	default:
		if s.waiting.Add(1) > int64(s.opts.Queue) {
			s.waiting.Add(-1)
			return nil, fmt.Errorf("%w: %d renders running and %d waiting", ErrOverloaded, s.opts.Concurrency, s.opts.Queue)
		}
		defer s.waiting.Add(-1)
		select {
		case s.slots <- struct{}{}:
		case <-ctx.Done():
			return nil, deadlineError(ctx, ctx.Err())
		case <-s.closed:
			return nil, ErrClosed
		}
	}
	s.running.Add(1)
	return func() {
		s.running.Add(-1)
		<-s.slots
	}, nil
}

func (s *Service) observe(d time.Duration) {
	old := s.avgMs.Load()
	s.avgMs.Store((old*7 + d.Milliseconds()) / 8)
}

// checkTimeout refuses a deadline over the service's maximum, rather than
// cut it short unasked: waitForTimeout over its maximum is refused too.
func (s *Service) checkTimeout(req *Request) error {
	if g := req.GotoOptions; g != nil && time.Duration(g.Timeout)*time.Millisecond > s.opts.MaxTimeout {
		return invalid("gotoOptions.timeout is %d ms; the maximum is %d ms (the operator's --max-timeout)", g.Timeout, s.opts.MaxTimeout.Milliseconds())
	}
	return nil
}

// stageError says, for an error the request's deadline caused, which stage
// ran out of time and how long the request had: "timed out after 30s
// loading the page (navigation and settle): navigate …: waiting for load".
// Other errors pass through.
func stageError(ctx context.Context, deadline time.Duration, stage string, err error) error {
	if ctx.Err() == nil || !errors.Is(context.Cause(ctx), ErrTimeout) {
		return err
	}
	detail := strings.TrimSuffix(strings.TrimSuffix(err.Error(), ": "+context.DeadlineExceeded.Error()), ": "+ErrTimeout.Error())
	if detail == context.DeadlineExceeded.Error() || detail == ErrTimeout.Error() {
		return fmt.Errorf("%w after %v %s (the request's deadline: gotoOptions.timeout, or the service's default)", ErrTimeout, deadline, stage)
	}
	return fmt.Errorf("%w after %v %s (the request's deadline: gotoOptions.timeout, or the service's default): %s", ErrTimeout, deadline, stage, detail)
}

// deadlineError makes sure an error caused by the request's deadline wraps
// ErrTimeout, whatever the stage that noticed it returned.
func deadlineError(ctx context.Context, err error) error {
	if errors.Is(err, ErrTimeout) {
		return err
	}
	if ctx.Err() != nil && errors.Is(context.Cause(ctx), ErrTimeout) {
		return fmt.Errorf("%w: %v", ErrTimeout, err)
	}
	return err
}
