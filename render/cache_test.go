package render_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sous-dev/sous/cache"
	"github.com/sous-dev/sous/render"
)

// fetcher is a fake render.Fetcher that counts its calls, may fail, and may
// hold each fetch until release is closed.
type fetcher struct {
	calls   atomic.Int64
	err     error
	status  int
	release chan struct{} // nil: answer at once
	ended   chan error    // receives ctx.Err() of fetches that were held, if set
}

func (f *fetcher) Fetch(ctx context.Context, req *render.Request) (*render.Page, error) {
	n := f.calls.Add(1)
	if f.release != nil {
		select {
		case <-f.release:
		case <-ctx.Done():
			if f.ended != nil {
				f.ended <- ctx.Err()
			}
			return nil, fmt.Errorf("%w: %v", render.ErrTimeout, ctx.Err())
		}
	}
	if f.err != nil {
		return nil, f.err
	}
	status := f.status
	if status == 0 {
		status = 200
	}
	return &render.Page{URL: req.URL, Status: status, HTML: fmt.Sprintf("<p>render %d</p>", n), Engine: "browser"}, nil
}

type extractor struct{}

func (extractor) Extract(page *render.Page, req *render.Request) (*render.Result, error) {
	return &render.Result{Text: page.HTML}, nil
}

// countingCache is the real cache, counting lookups so that a test can tell
// when callers have reached the point of joining a render in flight.
type countingCache struct {
	*cache.Cache
	gets atomic.Int64
}

func (c *countingCache) Get(key string, maxAge time.Duration) (*render.Result, bool) {
	c.gets.Add(1)
	return c.Cache.Get(key, maxAge)
}

// observer records the cache states of the renders it is told about.
type observer struct {
	mu     sync.Mutex
	states []string
}

func (o *observer) ObserveRender(ob render.Observation) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.states = append(o.states, ob.Cache)
}

func newService(t *testing.T, f *fetcher) (*render.Service, *countingCache, *observer) {
	t.Helper()
	c, err := cache.New(cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	cc := &countingCache{Cache: c}
	obs := &observer{}
	svc, err := render.NewService(render.Options{Fetcher: f, Extractor: extractor{}, Concurrency: 2, Cache: cc, Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	return svc, cc, obs
}

func seconds(n int) *int { return &n }

func TestCacheStates(t *testing.T) {
	type step struct {
		req       render.Request
		wantCache string
		wantText  string
	}
	page := "https://example.com/"
	tests := []struct {
		name      string
		steps     []step
		wantCalls int64
	}{
		{"hit after miss", []step{
			{render.Request{URL: page}, render.CacheMiss, "<p>render 1</p>"},
			{render.Request{URL: page}, render.CacheHit, "<p>render 1</p>"},
			{render.Request{URL: "HTTPS://EXAMPLE.com"}, render.CacheHit, "<p>render 1</p>"},
		}, 1},
		{"bypass with 0", []step{
			{render.Request{URL: page}, render.CacheMiss, "<p>render 1</p>"},
			{render.Request{URL: page, CacheTTL: seconds(0)}, render.CacheBypass, "<p>render 2</p>"},
			{render.Request{URL: page}, render.CacheHit, "<p>render 1</p>"},
		}, 2},
		{"options in the key", []step{
			{render.Request{URL: page}, render.CacheMiss, "<p>render 1</p>"},
			{render.Request{URL: page, Viewport: &render.Viewport{Width: 400, Height: 300}}, render.CacheMiss, "<p>render 2</p>"},
			{render.Request{URL: page, UserAgent: "bot"}, render.CacheMiss, "<p>render 3</p>"},
			{render.Request{URL: page, Viewport: &render.Viewport{Width: 400, Height: 300}}, render.CacheHit, "<p>render 2</p>"},
		}, 3},
		// Render once, derive many: other text formats of a page rendered
		// moments ago come from the stored page, with no new render; a
		// screenshot needs the browser again.
		{"derived formats", []step{
			{render.Request{URL: page}, render.CacheMiss, "<p>render 1</p>"},
			{render.Request{URL: page, Formats: []render.Format{render.FormatText, render.FormatLinks}}, render.CacheHit, "<p>render 1</p>"},
			{render.Request{URL: page, Formats: []render.Format{render.FormatHTML}, OnlyMainContent: true}, render.CacheHit, "<p>render 1</p>"},
			{render.Request{URL: page, Formats: []render.Format{render.FormatText, render.FormatScreenshot}}, render.CacheMiss, "<p>render 2</p>"},
			{render.Request{URL: page, Formats: []render.Format{render.FormatText}, CacheTTL: new(0)}, render.CacheBypass, "<p>render 3</p>"},
		}, 3},
		{"html input", []step{
			{render.Request{HTML: "<p>a</p>"}, render.CacheMiss, "<p>render 1</p>"},
			{render.Request{HTML: "<p>a</p>"}, render.CacheHit, "<p>render 1</p>"},
			{render.Request{HTML: "<p>b</p>"}, render.CacheMiss, "<p>render 2</p>"},
		}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fetcher{}
			svc, c, obs := newService(t, f)
			var want, got []string
			for i, s := range tc.steps {
				res, err := svc.Render(context.Background(), &s.req)
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				c.Wait()
				if res.Meta.Cache != s.wantCache || res.Text != s.wantText {
					t.Errorf("step %d: cache %q, text %q; want %q, %q", i, res.Meta.Cache, res.Text, s.wantCache, s.wantText)
				}
				want = append(want, s.wantCache)
				got = append(got, res.Meta.Cache)
			}
			if n := f.calls.Load(); n != tc.wantCalls {
				t.Errorf("%d fetches, want %d", n, tc.wantCalls)
			}
			if diff := cmp.Diff(want, obs.states); diff != "" {
				t.Errorf("observed states (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCacheExpiry(t *testing.T) {
	f := &fetcher{}
	svc, c, _ := newService(t, f)
	req := func() *render.Request { return &render.Request{URL: "https://example.com/", CacheTTL: seconds(1)} }
	if _, err := svc.Render(context.Background(), req()); err != nil {
		t.Fatal(err)
	}
	c.Wait()
	if res, err := svc.Render(context.Background(), req()); err != nil || res.Meta.Cache != render.CacheHit {
		t.Fatalf("second render: %v, %v; want a hit", res, err)
	}
	time.Sleep(1100 * time.Millisecond)
	res, err := svc.Render(context.Background(), req())
	if err != nil || res.Meta.Cache != render.CacheMiss || f.calls.Load() != 2 {
		t.Errorf("after the TTL: %+v, %v, %d fetches; want a miss and a second fetch", res, err, f.calls.Load())
	}
}

// A failure is never stored, nor is a page that answered with an error status.
func TestFailuresNotCached(t *testing.T) {
	tests := []struct {
		name string
		f    *fetcher
	}{
		{"navigation error", &fetcher{err: fmt.Errorf("navigate: %w", render.ErrNavigation)}},
		{"blocked", &fetcher{err: fmt.Errorf("guard: %w", render.ErrBlocked)}},
		{"status 503", &fetcher{status: 503}},
		{"status 404", &fetcher{status: 404}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svc, c, _ := newService(t, tc.f)
			for range 2 {
				res, err := svc.Render(context.Background(), &render.Request{URL: "https://example.com/"})
				c.Wait()
				if err == nil && res.Meta.Cache != render.CacheMiss {
					t.Errorf("cache = %q, want miss", res.Meta.Cache)
				}
			}
			if n := tc.f.calls.Load(); n != 2 {
				t.Errorf("%d fetches, want 2", n)
			}
		})
	}
}

// renders is a set of identical renders running at once.
type renders struct {
	wg      sync.WaitGroup
	results []*render.Result
	errs    []error
}

// startJoined starts one identical render per context and returns once all
// have looked in the cache and had the moment to join the render in flight;
// the fake fetcher holds that render until the test releases it.
func startJoined(t *testing.T, svc *render.Service, c *countingCache, ctxs ...context.Context) *renders {
	t.Helper()
	r := &renders{results: make([]*render.Result, len(ctxs)), errs: make([]error, len(ctxs))}
	before := c.gets.Load()
	for i, ctx := range ctxs {
		r.wg.Go(func() {
			r.results[i], r.errs[i] = svc.Render(ctx, &render.Request{URL: "https://example.com/"})
		})
	}
	for c.gets.Load() < before+int64(len(ctxs)) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // from the lookup to joining is a few instructions
	return r
}

func (r *renders) states() map[string]int {
	r.wg.Wait()
	states := map[string]int{}
	for i, res := range r.results {
		if r.errs[i] != nil {
			states[string(render.CodeOf(r.errs[i]))]++
			continue
		}
		states[res.Meta.Cache]++
	}
	return states
}

func TestIdenticalRequestsRenderOnce(t *testing.T) {
	f := &fetcher{release: make(chan struct{})}
	svc, c, obs := newService(t, f)
	ctxs := make([]context.Context, 8)
	for i := range ctxs {
		ctxs[i] = context.Background()
	}
	r := startJoined(t, svc, c, ctxs...)
	close(f.release)
	if diff := cmp.Diff(map[string]int{render.CacheMiss: 1, render.CacheShared: 7}, r.states()); diff != "" {
		t.Errorf("cache states (-want +got):\n%s", diff)
	}
	if n := f.calls.Load(); n != 1 {
		t.Errorf("%d fetches for 8 identical requests, want 1", n)
	}
	for _, res := range r.results[1:] {
		if res.Text != r.results[0].Text {
			t.Errorf("results differ: %q and %q", res.Text, r.results[0].Text)
		}
	}
	if len(obs.states) != 8 {
		t.Errorf("observer told of %d renders, want 8", len(obs.states))
	}
	c.Wait()
	if res, err := svc.Render(context.Background(), &render.Request{URL: "https://example.com/"}); err != nil || res.Meta.Cache != render.CacheHit {
		t.Errorf("after the shared render: %+v, %v; want a hit", res, err)
	}
}

// The render belongs to all who wait for it: the caller that started it may
// leave without ending it for the others, and when the last one leaves the
// render ends.
func TestSharedRenderOutlivesItsStarter(t *testing.T) {
	f := &fetcher{release: make(chan struct{}), ended: make(chan error, 1)}
	svc, c, _ := newService(t, f)
	starter, leave := context.WithCancel(context.Background())
	first := startJoined(t, svc, c, starter)
	second := startJoined(t, svc, c, context.Background())
	leave()
	if diff := cmp.Diff(map[string]int{"timeout": 1}, first.states()); diff != "" {
		t.Errorf("the starter (-want +got):\n%s", diff)
	}
	close(f.release)
	if diff := cmp.Diff(map[string]int{render.CacheShared: 1}, second.states()); diff != "" {
		t.Errorf("the one who stayed (-want +got):\n%s", diff)
	}

	f = &fetcher{release: make(chan struct{}), ended: make(chan error, 1)}
	svc, c, _ = newService(t, f)
	a, leaveA := context.WithCancel(context.Background())
	b, leaveB := context.WithCancel(context.Background())
	both := startJoined(t, svc, c, a, b)
	leaveA()
	leaveB()
	both.states()
	select {
	case err := <-f.ended:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("fetch ended with %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("the fetch went on after everyone waiting for it left")
	}
}

func TestCacheTTLValidation(t *testing.T) {
	for _, ttl := range []int{-1, 86401, 1 << 62} {
		req := &render.Request{URL: "https://example.com/", CacheTTL: seconds(ttl)}
		if err := req.Validate(); !errors.Is(err, render.ErrInvalidRequest) {
			t.Errorf("cacheTTL %d: %v, want ErrInvalidRequest", ttl, err)
		}
	}
	for _, ttl := range []int{0, 5, 86400} {
		req := &render.Request{URL: "https://example.com/", CacheTTL: seconds(ttl)}
		if err := req.Validate(); err != nil {
			t.Errorf("cacheTTL %d: %v", ttl, err)
		}
	}
}

// A request repeated as soon as its first render returned is a hit: the
// cache's buffered Set has landed before the flight ends. Two hundred
// back-to-back pairs, not one rendered twice.
func TestRepeatAfterMissIsAHit(t *testing.T) {
	f := &fetcher{}
	svc, _, _ := newService(t, f)
	for i := range 200 {
		req := &render.Request{URL: fmt.Sprintf("https://example.com/pair/%d", i), CacheTTL: seconds(60)}
		first, err := svc.Render(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		second, err := svc.Render(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if first.Meta.Cache != render.CacheMiss || second.Meta.Cache != render.CacheHit {
			t.Fatalf("pair %d: %s then %s; want a miss then a hit", i, first.Meta.Cache, second.Meta.Cache)
		}
	}
	if n := f.calls.Load(); n != 200 {
		t.Errorf("%d renders for 200 pages", n)
	}
}
