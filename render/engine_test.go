package render_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sous-dev/sous/cache"
	"github.com/sous-dev/sous/render"
)

// plainFetcher is a fake HTTP engine: it hands pages under /app over to the
// browser, as the real one does with pages that need script, unless the
// request insists on engine http.
type plainFetcher struct{ calls atomic.Int64 }

func (f *plainFetcher) Fetch(ctx context.Context, req *render.Request) (*render.Page, error) {
	f.calls.Add(1)
	if strings.Contains(req.URL, "/app") && req.Engine != render.EngineHTTP {
		return nil, fmt.Errorf("%w: the app root is empty", render.ErrNeedsBrowser)
	}
	return &render.Page{URL: req.URL, Status: 200, HTML: "<p>plain</p>", Engine: render.EngineHTTP}, nil
}

func TestEngineChoice(t *testing.T) {
	browser, plain := &fetcher{}, &plainFetcher{}
	svc, err := render.NewService(render.Options{Fetcher: browser, HTTPFetcher: plain, Extractor: extractor{}})
	if err != nil {
		t.Fatal(err)
	}
	zero := 0
	tests := []struct {
		name       string
		req        render.Request
		wantEngine string
		wantPlain  int64 // calls of the http engine
	}{
		{"auto serves a static page over http", render.Request{URL: "https://example.com/a"}, "http", 1},
		{"auto hands an app over to the browser", render.Request{URL: "https://example.com/app"}, "browser", 1},
		{"auto sends a screenshot to the browser", render.Request{URL: "https://example.com/a", Formats: []render.Format{"screenshot"}}, "browser", 0},
		{"auto sends waitForSelector to the browser", render.Request{URL: "https://example.com/a", WaitForSelector: &render.WaitForSelector{Selector: "h1"}}, "browser", 0},
		{"auto sends scrape to the browser, for positions", render.Request{URL: "https://example.com/a", Formats: []render.Format{"scrape"}, Elements: []render.ScrapeElement{{Selector: "p"}}}, "browser", 0},
		{"auto sends main content to the browser, for what is hidden", render.Request{URL: "https://example.com/a", OnlyMainContent: true}, "browser", 0},
		{"http serves main content when asked", render.Request{URL: "https://example.com/a", OnlyMainContent: true, Engine: "http"}, "http", 1},
		{"browser", render.Request{URL: "https://example.com/a", Engine: "browser"}, "browser", 0},
		{"http keeps an app", render.Request{URL: "https://example.com/app", Engine: "http"}, "http", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := plain.calls.Load()
			req := tc.req
			req.CacheTTL = &zero
			res, err := svc.Render(context.Background(), &req)
			if err != nil {
				t.Fatal(err)
			}
			if res.Meta.Engine != tc.wantEngine {
				t.Errorf("meta.engine = %q, want %q", res.Meta.Engine, tc.wantEngine)
			}
			if got := plain.calls.Load() - before; got != tc.wantPlain {
				t.Errorf("http engine called %d times, want %d", got, tc.wantPlain)
			}
		})
	}
}

func TestEngineErrors(t *testing.T) {
	browserOnly, err := render.NewService(render.Options{Fetcher: &fetcher{}, Extractor: extractor{}})
	if err != nil {
		t.Fatal(err)
	}
	both, err := render.NewService(render.Options{Fetcher: &fetcher{}, HTTPFetcher: &plainFetcher{}, Extractor: extractor{}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		svc  *render.Service
		req  render.Request
		want string // in the message
	}{
		{"unknown engine", both, render.Request{URL: "https://example.com/", Engine: "fast"}, "want auto, browser or http"},
		{"http cannot screenshot", both, render.Request{URL: "https://example.com/", Engine: "http", Formats: []render.Format{"screenshot"}}, "the screenshot format"},
		{"http cannot wait for idle", both, render.Request{URL: "https://example.com/", Engine: "http", GotoOptions: &render.GotoOptions{WaitUntil: render.WaitUntil{"networkidle0"}}}, "networkidle0"},
		{"no http engine here", browserOnly, render.Request{URL: "https://example.com/", Engine: "http"}, "not available"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.svc.Render(context.Background(), &tc.req)
			if !errors.Is(err, render.ErrInvalidRequest) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want invalid_request mentioning %q", err, tc.want)
			}
		})
	}
	// Without an http engine, auto is the browser.
	res, err := browserOnly.Render(context.Background(), &render.Request{URL: "https://example.com/"})
	if err != nil || res.Meta.Engine != "browser" {
		t.Errorf("auto without an http engine: %v, engine %q", err, res.Meta.Engine)
	}
}

// The page cache shares a page between requests that differ only in what
// they extract, but never hands a page fetched without a layout to one that
// needs a layout to leave out what people cannot see.
func TestPageCacheKeepsEnginesApart(t *testing.T) {
	c, err := cache.New(cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	browser, plain := &fetcher{}, &plainFetcher{}
	svc, err := render.NewService(render.Options{Fetcher: browser, HTTPFetcher: plain, Extractor: extractor{}, Cache: c})
	if err != nil {
		t.Fatal(err)
	}
	ttl := 60
	steps := []struct {
		req                   render.Request
		wantEngine, wantCache string
	}{
		{render.Request{URL: "https://example.com/a", Formats: []render.Format{"text"}}, "http", "miss"},
		{render.Request{URL: "https://example.com/a", Formats: []render.Format{"links"}}, "http", "hit"},
		{render.Request{URL: "https://example.com/a", Formats: []render.Format{"text"}, OnlyMainContent: true}, "browser", "miss"},
		// The browser's page now serves both.
		{render.Request{URL: "https://example.com/a", Formats: []render.Format{"markdown"}, OnlyMainContent: true}, "browser", "hit"},
		{render.Request{URL: "https://example.com/a", Formats: []render.Format{"metadata"}}, "browser", "hit"},
	}
	for i, step := range steps {
		req := step.req
		req.CacheTTL = &ttl
		res, err := svc.Render(context.Background(), &req)
		if err != nil {
			t.Fatal(err)
		}
		c.Wait()
		if res.Meta.Engine != step.wantEngine || res.Meta.Cache != step.wantCache {
			t.Errorf("step %d: engine %s, cache %s; want %s, %s", i, res.Meta.Engine, res.Meta.Cache, step.wantEngine, step.wantCache)
		}
	}
}
