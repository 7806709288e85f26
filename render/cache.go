package render

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Cache states, as Meta.Cache (and the HTTP X-Cache header) report them.
const (
	// CacheHit is a result answered from the cache, with no render.
	CacheHit = "hit"
	// CacheMiss is a result rendered for this request and offered to the cache.
	CacheMiss = "miss"
	// CacheShared is a result of an identical render already in flight,
	// which this request joined instead of rendering again.
	CacheShared = "shared"
	// CacheBypass is a result rendered because the request asked for no
	// caching (cacheTTL 0); it was neither looked up nor stored.
	CacheBypass = "bypass"
)

// Bounds of Request.CacheTTL, in Cloudflare's terms: a result is reused for
// 5 seconds unless the request says otherwise, and for a day at most.
const (
	DefaultCacheTTL = 5 * time.Second
	MaxCacheTTL     = 24 * time.Hour
)

// Cache keeps successful results for a while, so that a repeated request is
// answered from memory. Service uses it when Options.Cache is set.
//
// A Cache may drop a Set (ristretto does under contention, and admits
// entries asynchronously); Service never relies on one landing. Results
// handed to Set and returned by Get are shared and must not be modified.
type Cache interface {
	// Key names the output req asks for: two requests have the same key
	// exactly when they would render the same result. Every option that
	// changes the output is part of it; CacheTTL is not.
	Key(req *Request) string
	// Get returns the result stored under key if it was stored at most
	// maxAge ago.
	Get(key string, maxAge time.Duration) (*Result, bool)
	// Set offers res for key, to be kept for at most ttl.
	Set(key string, res *Result, ttl time.Duration)
}

// Waiter is implemented by a Cache whose Set lands asynchronously
// (ristretto buffers its writes). Wait returns once every Set made before
// it can be found by Get, or has been refused. Service waits before it
// lets a render's flight go, so a request repeated just after a miss finds
// either the flight or the entry, and is never rendered twice.
type Waiter interface {
	Wait()
}

// PageCache is implemented by a Cache that also keeps rendered pages, so
// that a request for other text formats of a page rendered moments ago is
// answered by extraction alone, with no browser ("render once, derive
// many"). The same TTL rules apply.
type PageCache interface {
	// PageKey names the browser render req needs: every option that
	// changes the rendered document, and none that only chooses what is
	// extracted from it.
	PageKey(req *Request) string
	GetPage(key string, maxAge time.Duration) (*Page, bool)
	SetPage(key string, page *Page, ttl time.Duration)
}

// Claimer is implemented by a Cache that several nodes share, so that
// identical requests render once across all of them rather than once per
// node. Service claims a key before each render a miss leads to.
type Claimer interface {
	// Claim returns a result another node stored under key, no older than
	// maxAge, once one is there; or, when no other node is rendering key,
	// a release func for the caller to call after it has rendered and Set
	// the result. Claim waits under ctx for another node's render. An
	// error other than ctx's means no claim could be made (the cluster is
	// out of reach): the caller renders on its own.
	Claim(ctx context.Context, key string, maxAge time.Duration) (res *Result, release func(), err error)
}

// derivable reports whether req needs nothing from the browser beyond the
// rendered document: no screenshot, PDF or other capture.
func derivable(req *Request) bool {
	for _, f := range req.Formats {
		switch f {
		case FormatMarkdown, FormatText, FormatHTML, FormatRawHTML, FormatLinks, FormatMetadata, FormatOutline:
		default:
			return false
		}
	}
	return true
}

// fromPage answers req by extracting from a stored page.
func (s *Service) fromPage(req *Request, start time.Time) (*Result, bool) {
	pc, ok := s.opts.Cache.(PageCache)
	if !ok || !derivable(req) {
		return nil, false
	}
	page, ok := pc.GetPage(pc.PageKey(req), req.cacheTTL())
	if !ok || !servesRequest(page, req) {
		return nil, false
	}
	obstacle, whole := s.detectObstacle(page)
	if whole {
		return nil, false // never kept; but let a render report it
	}
	res, err := s.opts.Extractor.Extract(page, req)
	if err != nil {
		return nil, false // let a render report it
	}
	res.Meta = pageMeta(page, obstacle)
	res.Meta.Cache = CacheHit
	res.Meta.Timings = Timings{Extract: ms(time.Since(start)), Total: ms(time.Since(start))}
	describeDocument(page, res)
	return res, true
}

// keepPage offers a freshly rendered page to a PageCache.
func (s *Service) keepPage(req *Request, page *Page) {
	pc, ok := s.opts.Cache.(PageCache)
	if !ok || (page.Status != 0 && page.Status >= 400) {
		return
	}
	if ttl := req.cacheTTL(); ttl > 0 {
		pc.SetPage(pc.PageKey(req), page, ttl)
	}
}

// Observer is told about every call to Service.Render as it returns, for
// metrics. It is called synchronously and must be quick.
type Observer interface {
	ObserveRender(Observation)
}

// Observation is one finished call to Service.Render.
type Observation struct {
	// Request is the request as Render saw it: validated and normalised,
	// unless Err says it was invalid.
	Request *Request
	// Result is nil when Err is set.
	Result *Result
	Err    error
	// Cache is the cache state (CacheHit …), or "" when the Service has no
	// cache or the request failed before the cache was consulted.
	Cache    string
	Duration time.Duration
}

// cacheTTL is how long a result of r may be reused: CacheTTL seconds, or
// DefaultCacheTTL when unset. Zero means not at all.
func (r *Request) cacheTTL() time.Duration {
	if r.CacheTTL == nil {
		return DefaultCacheTTL
	}
	return time.Duration(*r.CacheTTL) * time.Second
}

// cacheable reports whether a successful render may be stored. A page that
// answered with a client or server error (404, 429, 503 …) is often
// transient, and reusing it for up to a day would be worse than rendering
// again.
func cacheable(res *Result) bool {
	return res.Meta.Status == 0 || res.Meta.Status < 400
}

// flight is one render in progress that identical requests wait for.
type flight struct {
	done   chan struct{} // closed when res, err and remote are set
	res    *Result
	err    error
	remote bool // res was rendered by another node of a cluster

	waiters int                     // guarded by flightGroup.mu
	cancel  context.CancelCauseFunc // ends the render once no one waits
}

// flightGroup holds the renders in flight by cache key. Its zero value is
// ready to use.
type flightGroup struct {
	mu sync.Mutex
	m  map[string]*flight
}

// renderCached answers req from the cache, from an identical render in
// flight, or by rendering it (and offering the result to the cache). It
// reports which of these it did.
func (s *Service) renderCached(ctx context.Context, req *Request, start time.Time) (*Result, string, error) {
	cache := s.opts.Cache
	if cache == nil {
		res, err := s.renderOnce(ctx, req)
		return res, "", err
	}
	ttl := req.cacheTTL()
	if ttl == 0 {
		res, err := s.renderOnce(ctx, req)
		if err != nil {
			return nil, CacheBypass, err
		}
		res.Meta.Cache = CacheBypass
		return res, CacheBypass, nil
	}
	select {
	case <-s.closed:
		return nil, "", ErrClosed
	default:
	}
	key := cache.Key(req)
	if res, ok := cache.Get(key, ttl); ok {
		return reused(res, CacheHit, start), CacheHit, nil
	}
	if res, ok := s.fromPage(req, start); ok {
		return res, CacheHit, nil
	}

	// Wait under the request's own deadline, so that a caller waiting on
	// someone else's render times out as its own would.
	ctx, cancel := context.WithTimeoutCause(ctx, req.Deadline(s.opts.DefaultTimeout, s.opts.MaxTimeout), ErrTimeout)
	defer cancel()

	g := &s.flights
	g.mu.Lock()
	f, joined := g.m[key]
	if !joined {
		// The render belongs to every caller waiting for it, not to the one
		// that started it: it keeps the first caller's values but not its
		// cancellation, and ends early only when all of them have gone.
		fctx, fcancel := context.WithCancelCause(context.WithoutCancel(ctx))
		f = &flight{done: make(chan struct{}), cancel: fcancel}
		if g.m == nil {
			g.m = make(map[string]*flight)
		}
		g.m[key] = f
		own := *req // the caller may return, and reuse req, before the render ends
		fctx, done, err := s.track(fctx)
		if err != nil {
			delete(g.m, key)
			g.mu.Unlock()
			fcancel(err)
			return nil, "", err
		}
		go func() {
			defer done()
			s.fly(fctx, key, f, &own, ttl)
		}()
	}
	f.waiters++
	g.mu.Unlock()

	state := CacheMiss
	if joined {
		state = CacheShared
	}
	select {
	case <-f.done:
	case <-ctx.Done():
		g.mu.Lock()
		f.waiters--
		if f.waiters == 0 {
			// With the last caller's reason: a deadline stays a
			// timeout, so the render's error says which stage ran out.
			f.cancel(context.Cause(ctx))
		}
		g.mu.Unlock()
		// As the Fetchers do, a caller that stops waiting for any reason
		// gets ErrTimeout: its deadline or its own cancellation ended it.
		if cause := context.Cause(ctx); errors.Is(cause, ErrTimeout) {
			if !joined {
				// Its own render has the same deadline and ends with it:
				// its error says which stage ran out.
				select {
				case <-f.done:
					if f.err != nil {
						return nil, state, f.err
					}
				case <-time.After(time.Second):
				}
				return nil, state, fmt.Errorf("%w after %v", ErrTimeout, req.Deadline(s.opts.DefaultTimeout, s.opts.MaxTimeout))
			}
			return nil, state, fmt.Errorf("%w after %v waiting for an identical render that another request started", ErrTimeout, req.Deadline(s.opts.DefaultTimeout, s.opts.MaxTimeout))
		}
		return nil, state, fmt.Errorf("%w: waiting for a render in flight: %v", ErrTimeout, ctx.Err())
	}
	if f.remote {
		state = CacheShared // another node's render, which this one waited for
	}
	if f.err != nil {
		return nil, state, f.err
	}
	if joined || f.remote {
		return reused(f.res, CacheShared, start), state, nil
	}
	res := *f.res
	res.Meta.Cache = CacheMiss
	return &res, state, nil
}

// fly renders req for everyone waiting on f and offers a success to the cache.
func (s *Service) fly(ctx context.Context, key string, f *flight, req *Request, ttl time.Duration) {
	defer f.cancel(nil)
	res, remote, err := s.renderClaimed(ctx, key, req, ttl)
	g := &s.flights
	g.mu.Lock()
	delete(g.m, key)
	g.mu.Unlock()
	f.res, f.err, f.remote = res, err, remote
	close(f.done)
}

// renderClaimed renders req and offers a success to the cache. With a
// Claimer, it first claims key across the cluster, and returns the result
// of another node's render instead when one was under way (remote).
func (s *Service) renderClaimed(ctx context.Context, key string, req *Request, ttl time.Duration) (res *Result, remote bool, err error) {
	if c, ok := s.opts.Cache.(Claimer); ok {
		cctx, cancel := context.WithTimeoutCause(ctx, req.Deadline(s.opts.DefaultTimeout, s.opts.MaxTimeout), ErrTimeout)
		res, release, err := c.Claim(cctx, key, ttl)
		expired := cctx.Err() != nil
		cancel()
		switch {
		case res != nil:
			return res, true, nil
		case err == nil:
			defer release() // after the Set below, so that waiters find the result
		case expired:
			return nil, false, deadlineError(cctx, fmt.Errorf("waiting for another node's render: %w", err))
		default:
			s.opts.Logger.Debug("rendering without a cluster claim", slog.String("why", err.Error()))
		}
	}
	res, err = s.renderOnce(ctx, req)
	if err == nil && cacheable(res) {
		s.opts.Cache.Set(key, res, ttl)
		if w, ok := s.opts.Cache.(Waiter); ok {
			w.Wait() // before the flight ends: see Waiter
		}
	}
	return res, false, err
}

// reused is a copy of a stored or shared result for one more caller. Its
// timings are the caller's own: no browser time was spent on its behalf.
func reused(stored *Result, state string, start time.Time) *Result {
	res := *stored
	res.Meta.Cache = state
	res.Meta.Timings = Timings{Total: ms(time.Since(start))}
	return &res
}
