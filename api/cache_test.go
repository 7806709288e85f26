package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sous-dev/sous/api"
	"github.com/sous-dev/sous/cache"
	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/fixtures"
	"github.com/sous-dev/sous/metrics"
	"github.com/sous-dev/sous/render"
)

// cachedServer is the API over the shared pool with a cache and metrics in
// front, as `sous serve` runs it.
type cachedServer struct {
	url   string
	cache *cache.Cache
}

func startCached(t testing.TB, ready func() bool) *cachedServer {
	t.Helper()
	c, err := cache.New(cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var svc *render.Service
	m := metrics.New(metrics.Options{
		Cache: func() metrics.CacheStats {
			st := c.Stats()
			return metrics.CacheStats{Bytes: st.Bytes, MaxBytes: st.MaxBytes, Evictions: st.Evictions}
		},
		Pool: func() metrics.PoolStats {
			st := pool.Stats()
			return metrics.PoolStats{Browsers: st.Browsers, Tabs: st.Tabs, IdleTabs: st.Idle, Restarts: st.Restarts}
		},
		Load: func() (int, int) { return svc.Load() },
	})
	svc, err = render.NewService(render.Options{Fetcher: pool, Extractor: extract.New(), Concurrency: 2, Cache: c, Observer: m})
	if err != nil {
		t.Fatal(err)
	}
	srv := api.New(svc, api.Options{
		Ready: func(context.Context) error {
			if !ready() {
				return errors.New("no browser is ready")
			}
			return nil
		},
		Metrics: m.Handler(),
		Pressure: func() api.Pressure {
			running, queued := svc.Load()
			conc, queue := svc.Limits()
			return api.Pressure{Running: running, Queued: queued, MaxConcurrent: conc, MaxQueued: queue, IsAvailable: ready()}
		},
	})
	t.Cleanup(func() {
		svc.Close()
		c.Close()
	})
	return &cachedServer{url: serveAPI(t, srv), cache: c}
}

// reply is one /v1/render answer.
type reply struct {
	status    int
	xCache    string
	browserMs string
	env       api.Envelope
}

func (s *cachedServer) render(t testing.TB, query, body string) reply {
	t.Helper()
	resp, err := http.Post(s.url+"/v1/render"+query, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := reply{status: resp.StatusCode, xCache: resp.Header.Get("X-Cache"), browserMs: resp.Header.Get("X-Browser-Ms-Used")}
	if err := json.NewDecoder(resp.Body).Decode(&r.env); err != nil {
		t.Fatalf("decoding: %v", err)
	}
	return r
}

// state is the cache state a reply reports, checking that the header and
// meta.cache agree.
func (r reply) state(t testing.TB) string {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("status %d: %+v", r.status, r.env.Errors)
	}
	if r.env.Meta.Cache != r.xCache {
		t.Errorf("meta.cache %q but X-Cache %q", r.env.Meta.Cache, r.xCache)
	}
	return r.xCache
}

func TestCacheOverHTTP(t *testing.T) {
	site := fixtures.Start() // its own, so that Hits counts only this test
	defer site.Close()
	s := startCached(t, func() bool { return true })
	// Entries live 10 minutes, not the default 5 s, which a busy machine's
	// renders can outlast between the first step and the sixth.
	article := fmt.Sprintf(`{"url": %q, "formats": ["markdown", "links"], "cacheTTL": 600}`, site.URL+"/article.html")

	steps := []struct {
		name, query, body string
		wantState         string
		wantFetches       int // of /article.html so far
	}{
		{"first", "", article, render.CacheMiss, 1},
		{"repeat", "", article, render.CacheHit, 1},
		{"formats in another order", "", fmt.Sprintf(`{"url": %q, "formats": ["links", "markdown"], "cacheTTL": 600}`, site.URL+"/article.html"), render.CacheHit, 1},
		{"bypass by query", "?cacheTTL=0", article, render.CacheBypass, 2},
		{"bypass by body", "", fmt.Sprintf(`{"url": %q, "formats": ["markdown", "links"], "cacheTTL": 0}`, site.URL+"/article.html"), render.CacheBypass, 3},
		{"still cached", "", article, render.CacheHit, 3},
		{"another viewport", "", fmt.Sprintf(`{"url": %q, "formats": ["markdown", "links"], "viewport": {"width": 500, "height": 400}, "cacheTTL": 600}`, site.URL+"/article.html"), render.CacheMiss, 4},
		// Render once, derive many: text of the page rendered at "first"
		// comes from the stored page, with no new fetch.
		{"another text format", "", fmt.Sprintf(`{"url": %q, "formats": ["text", "markdown", "links"], "onlyMainContent": false, "cacheTTL": 600}`, site.URL+"/article.html"), render.CacheHit, 4},
		{"a screenshot needs the browser", "", fmt.Sprintf(`{"url": %q, "formats": ["text", "screenshot"], "cacheTTL": 600}`, site.URL+"/article.html"), render.CacheMiss, 5},
	}
	var first reply
	for _, st := range steps {
		r := s.render(t, st.query, st.body)
		s.cache.Wait()
		if got := r.state(t); got != st.wantState {
			t.Errorf("%s: cache %q, want %q", st.name, got, st.wantState)
		}
		if n := site.Hits("/article.html"); n != st.wantFetches {
			t.Errorf("%s: %d fetches of the page, want %d", st.name, n, st.wantFetches)
		}
		ms, err := strconv.Atoi(r.browserMs)
		switch {
		case err != nil:
			t.Errorf("%s: X-Browser-Ms-Used %q: %v", st.name, r.browserMs, err)
		case st.wantState == render.CacheHit && ms != 0:
			t.Errorf("%s: X-Browser-Ms-Used %d on a hit, want 0", st.name, ms)
		}
		if st.name == "first" {
			first = r
		}
		if st.wantState == render.CacheHit && r.env.Result.Markdown != first.env.Result.Markdown {
			t.Errorf("%s: the hit's markdown differs from the first render's", st.name)
		}
		if st.name == "another text format" && !strings.Contains(r.env.Result.Text, "ourdough") {
			t.Errorf("%s: text derived from the stored page:\n%s", st.name, r.env.Result.Text)
		}
	}
	if !strings.Contains(first.env.Result.Markdown, "ourdough") {
		t.Errorf("markdown of the article:\n%s", first.env.Result.Markdown)
	}

	for _, q := range []string{"?cacheTTL=abc", "?cacheTTL=-1", "?cacheTTL=86401"} {
		if r := s.render(t, q, article); r.status != 400 || r.env.Errors[0].Code != "invalid_request" {
			t.Errorf("%s: status %d, %+v; want 400 invalid_request", q, r.status, r.env.Errors)
		}
	}
}

func TestCacheExpiresOverHTTP(t *testing.T) {
	site := fixtures.Start()
	defer site.Close()
	s := startCached(t, func() bool { return true })
	body := fmt.Sprintf(`{"url": %q, "cacheTTL": 1}`, site.URL+"/about.html")
	var got []string
	for _, wait := range []time.Duration{0, 0, 1100 * time.Millisecond} {
		time.Sleep(wait)
		got = append(got, s.render(t, "", body).state(t))
		s.cache.Wait()
	}
	if want := []string{"miss", "hit", "miss"}; !slices.Equal(got, want) || site.Hits("/about.html") != 2 {
		t.Errorf("states %v with %d fetches; want %v with 2", got, site.Hits("/about.html"), want)
	}
}

// Errors, and pages that answer with an error status, render every time.
func TestFailuresNeverCachedOverHTTP(t *testing.T) {
	site := fixtures.Start()
	defer site.Close()
	s := startCached(t, func() bool { return true })
	tests := []struct {
		name, body, path string
		wantStatus       int
	}{
		{"page answers 503", fmt.Sprintf(`{"url": %q}`, site.URL+"/status/503"), "/status/503", 200},
		{"deadline", fmt.Sprintf(`{"url": %q, "gotoOptions": {"timeout": 1000, "waitUntil": "load"}}`, site.URL+"/never.html"), "/never.html", 504},
		{"page answers 404", fmt.Sprintf(`{"url": %q}`, site.URL+"/status/404"), "/status/404", 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for i := range 2 {
				r := s.render(t, "", tc.body)
				s.cache.Wait()
				if r.status != tc.wantStatus || (r.status == 200 && r.xCache != render.CacheMiss) {
					t.Errorf("attempt %d: status %d, X-Cache %q; want %d, not a hit", i, r.status, r.xCache, tc.wantStatus)
				}
			}
			if n := site.Hits(tc.path); n != 2 {
				t.Errorf("%d fetches of %s, want 2", n, tc.path)
			}
		})
	}
}

// Eight identical requests at once make one render; /metrics counts them.
func TestConcurrentDuplicatesRenderOnce(t *testing.T) {
	site := fixtures.Start()
	defer site.Close()
	s := startCached(t, func() bool { return true })
	// The page takes over a second to load, so all eight arrive during it.
	body := fmt.Sprintf(`{"url": %q}`, site.URL+"/slow.html?ms=1500")
	states := make([]string, 8)
	var wg sync.WaitGroup
	for i := range states {
		wg.Go(func() { states[i] = s.render(t, "", body).state(t) })
	}
	wg.Wait()
	if n := site.Hits("/slow.html"); n != 1 {
		t.Errorf("%d renders of the page for 8 identical requests, want 1 (states %v)", n, states)
	}
	count := map[string]int{}
	for _, st := range states {
		count[st]++
	}
	if count[render.CacheMiss] != 1 || count[render.CacheMiss]+count[render.CacheShared]+count[render.CacheHit] != 8 {
		t.Errorf("states %v: want one miss, the rest shared (or hits)", states)
	}

	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	text, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`sous_render_requests_total{engine="browser",format="markdown",outcome="ok"} 8`,
		"sous_cache_misses_total 1",
		fmt.Sprintf("sous_cache_shared_total %d", count[render.CacheShared]),
		"sous_cache_bypasses_total 0",
		"sous_cache_max_bytes 2.68435456e+08",
		"sous_pool_tabs ",
		"sous_pool_restarts_total ",
		"sous_render_queued 0",
		`sous_render_duration_seconds_count{engine="browser",format="markdown",outcome="ok"} 8`,
	} {
		if !strings.Contains(string(text), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", text)
	}
}

func TestReadyAndPressure(t *testing.T) {
	for _, ready := range []bool{true, false} {
		s := startCached(t, func() bool { return ready })
		resp, err := http.Get(s.url + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := map[bool]int{true: 200, false: 503}[ready]; resp.StatusCode != want {
			t.Errorf("ready %v: /readyz %d, want %d", ready, resp.StatusCode, want)
		}
		resp, err = http.Get(s.url + "/pressure")
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ Pressure map[string]any }
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		for _, field := range []string{"running", "queued", "maxConcurrent", "maxQueued", "cpu", "memory", "isAvailable", "reason", "message", "date"} {
			if _, ok := body.Pressure[field]; !ok {
				t.Errorf("/pressure lacks %q: %v", field, body.Pressure)
			}
		}
		if body.Pressure["isAvailable"] != ready || body.Pressure["maxConcurrent"] != float64(2) {
			t.Errorf("ready %v: /pressure %v", ready, body.Pressure)
		}
	}
	// Without Ready, /readyz says ready; the pool-backed server is.
	resp, err := http.Get(baseURL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("/readyz without Options.Ready: %d", resp.StatusCode)
	}
}
