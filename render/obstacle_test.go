package render_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sous-dev/sous/cache"
	"github.com/sous-dev/sous/render"
)

// pageFetcher serves pages made by page, counting calls, or fails with err.
type pageFetcher struct {
	calls atomic.Int64
	page  func(req *render.Request) *render.Page
	err   error
}

func (f *pageFetcher) Fetch(ctx context.Context, req *render.Request) (*render.Page, error) {
	f.calls.Add(1)
	if f.err != nil {
		return nil, f.err
	}
	return f.page(req), nil
}

// markerDetector is an Extractor that takes a page whose HTML starts with
// "obstacle:KIND" for a whole obstacle of that kind, and "notice:KIND" for
// one beside content.
type markerDetector struct{ extractor }

func (markerDetector) Extract(page *render.Page, req *render.Request) (*render.Result, error) {
	return &render.Result{Text: page.HTML, Metadata: &render.Metadata{Title: page.Title}}, nil
}

func (markerDetector) DetectObstacle(page *render.Page) (*render.Obstacle, bool) {
	for _, prefix := range []string{"obstacle:", "notice:"} {
		if kind, ok := strings.CutPrefix(page.HTML, prefix); ok {
			return &render.Obstacle{Kind: kind, Vendor: "acme", Evidence: "the marker " + prefix}, prefix == "obstacle:"
		}
	}
	return nil, false
}

func TestObstacleIsAResult(t *testing.T) {
	browser := &pageFetcher{page: func(req *render.Request) *render.Page {
		return &render.Page{URL: req.URL, Status: 403, HTML: "obstacle:challenge", Title: "Just a moment...", Engine: "browser"}
	}}
	c := newCache(t)
	svc, err := render.NewService(render.Options{Fetcher: browser, Extractor: markerDetector{}, Cache: c})
	if err != nil {
		t.Fatal(err)
	}
	req := render.Request{URL: "https://example.com/"}
	for range 2 {
		r := req
		_, err = svc.Render(context.Background(), &r)
		if !errors.Is(err, render.ErrObstacle) || render.CodeOf(err) != "obstacle" {
			t.Fatalf("err = %v (code %q), want an obstacle", err, render.CodeOf(err))
		}
	}
	if n := browser.calls.Load(); n != 2 {
		t.Errorf("the browser rendered %d times, want 2: an obstacle is never answered from the cache", n)
	}
	m := render.MetaOf(err)
	if m == nil {
		t.Fatal("the error carries no meta")
	}
	want := render.Meta{Status: 403, URL: "https://example.com/", Title: "Just a moment...", Engine: "browser",
		Obstacle: &render.Obstacle{Kind: "challenge", Vendor: "acme", Evidence: "the marker obstacle:"}}
	m.Timings = render.Timings{}
	if d := cmp.Diff(want, *m); d != "" {
		t.Errorf("meta (-want +got):\n%s", d)
	}
	if !strings.Contains(err.Error(), "challenge") || !strings.Contains(err.Error(), "acme") {
		t.Errorf("message %q names neither the kind nor the vendor", err)
	}
}

func TestObstacleBesideContent(t *testing.T) {
	browser := &pageFetcher{page: func(req *render.Request) *render.Page {
		return &render.Page{URL: req.URL, Status: 200, HTML: "notice:paywall", Engine: "browser"}
	}}
	c := newCache(t)
	svc, err := render.NewService(render.Options{Fetcher: browser, Extractor: markerDetector{}, Cache: c})
	if err != nil {
		t.Fatal(err)
	}
	for _, formats := range [][]render.Format{{"markdown"}, {"text"}} { // the second from the page cache
		res, err := svc.Render(context.Background(), &render.Request{URL: "https://example.com/", Formats: formats})
		if err != nil {
			t.Fatal(err)
		}
		if o := res.Meta.Obstacle; o == nil || o.Kind != "paywall" {
			t.Errorf("%v (cache %s): meta.obstacle = %+v, want the paywall", formats, res.Meta.Cache, o)
		}
		if len(res.Meta.Warnings) == 0 {
			t.Errorf("%v: no warning says the content may be cut short", formats)
		}
	}
}

func TestAutoHandsAChallengeToTheBrowser(t *testing.T) {
	plain := &pageFetcher{page: func(req *render.Request) *render.Page {
		return &render.Page{URL: req.URL, Status: 403, HTML: "obstacle:challenge", Engine: "http"}
	}}
	browser := &pageFetcher{page: func(req *render.Request) *render.Page {
		return &render.Page{URL: req.URL, Status: 200, HTML: "passed", Engine: "browser"}
	}}
	svc, err := render.NewService(render.Options{Fetcher: browser, HTTPFetcher: plain, Extractor: markerDetector{}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.Render(context.Background(), &render.Request{URL: "https://example.com/"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Meta.Engine != "browser" || res.Text != "passed" {
		t.Errorf("got %q from %s, want the browser's page", res.Text, res.Meta.Engine)
	}

	// A login wall is no better in a browser.
	plain.page = func(req *render.Request) *render.Page {
		return &render.Page{URL: req.URL, Status: 200, HTML: "obstacle:login", Engine: "http"}
	}
	before := browser.calls.Load()
	_, err = svc.Render(context.Background(), &render.Request{URL: "https://example.com/login"})
	if !errors.Is(err, render.ErrObstacle) {
		t.Errorf("err = %v, want the login obstacle", err)
	}
	if browser.calls.Load() != before {
		t.Error("a login wall was handed to the browser")
	}
}

func TestDocumentTheBrowserCannotShow(t *testing.T) {
	browser := &pageFetcher{err: fmt.Errorf("%w: an application/pdf document", render.ErrNotHTML)}
	plain := &pageFetcher{page: func(req *render.Request) *render.Page {
		if req.Engine != render.EngineHTTP {
			t.Errorf("the document was fetched under engine %q, want http (as it is, no hand-over)", req.Engine)
		}
		return &render.Page{URL: req.URL, Status: 200, HTML: "<h1>Report</h1>", Title: "Report", Engine: "http",
			ContentType: "application/pdf", Pages: 3, Warnings: []string{"pages 2 to 3 have no text"}}
	}}
	svc, err := render.NewService(render.Options{Fetcher: browser, HTTPFetcher: plain, Extractor: markerDetector{}})
	if err != nil {
		t.Fatal(err)
	}
	zero := 0
	for _, engine := range []string{"browser", "auto"} {
		res, err := svc.Render(context.Background(), &render.Request{URL: "https://example.com/r.pdf", Engine: engine,
			OnlyMainContent: true, Formats: []render.Format{"markdown", "metadata"}, CacheTTL: &zero})
		if err != nil {
			t.Fatalf("engine %s: %v", engine, err)
		}
		if res.Meta.ContentType != "application/pdf" || res.Metadata == nil || res.Metadata.Pages != 3 {
			t.Errorf("engine %s: contentType %q, metadata %+v; want application/pdf with 3 pages", engine, res.Meta.ContentType, res.Metadata)
		}
		if d := cmp.Diff([]string{"pages 2 to 3 have no text"}, res.Meta.Warnings); d != "" {
			t.Errorf("engine %s: warnings (-want +got):\n%s", engine, d)
		}
	}

	for _, f := range []render.Format{"screenshot", "pdf"} {
		_, err := svc.Render(context.Background(), &render.Request{URL: "https://example.com/r.pdf", Formats: []render.Format{f}, CacheTTL: &zero})
		if !errors.Is(err, render.ErrInvalidRequest) || !strings.Contains(err.Error(), "web page") {
			t.Errorf("%s of a PDF: err = %v, want an invalid request that says why", f, err)
		}
	}

	alone, err := render.NewService(render.Options{Fetcher: browser, Extractor: markerDetector{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alone.Render(context.Background(), &render.Request{URL: "https://example.com/r.pdf"}); !errors.Is(err, render.ErrNavigation) {
		t.Errorf("without an http engine: err = %v, want navigation failed", err)
	}
}

func newCache(t *testing.T) *cache.Cache {
	t.Helper()
	c, err := cache.New(cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
