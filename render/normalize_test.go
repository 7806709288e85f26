package render_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/sous-dev/sous/cache"
	"github.com/sous-dev/sous/render"
)

// Normalize leaves the caller's request as it was: a request shared by
// several goroutines is read, never written (run with -race).
func TestNormalizeDoesNotModifyTheRequest(t *testing.T) {
	f := &fetcher{}
	svc, _, _ := newService(t, f)
	shared := &render.Request{URL: "  https://example.com/shared  ", GotoOptions: &render.GotoOptions{WaitUntil: render.WaitUntil{"load", "load"}}}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := svc.Render(context.Background(), shared); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if shared.URL != "  https://example.com/shared  " || shared.Formats != nil || shared.Engine != "" || len(shared.GotoOptions.WaitUntil) != 2 {
		t.Errorf("the caller's request changed: %+v", shared)
	}
	n, err := shared.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	if n.URL != "https://example.com/shared" || len(n.Formats) != 1 || n.Formats[0] != render.FormatMarkdown || n.Engine != render.EngineAuto || n.GotoOptions != nil {
		t.Errorf("normalized: %+v", n)
	}
}

// The first problem reported is always the same one, whatever the order a
// map would have given.
func TestNormalizeFirstErrorIsDeterministic(t *testing.T) {
	req := &render.Request{URL: "https://example.com/", RejectRequestPattern: []string{"("}, AllowRequestPattern: []string{"["}}
	for range 64 {
		_, err := req.Normalize()
		if err == nil || !strings.Contains(err.Error(), "rejectRequestPattern[0]") {
			t.Fatalf("err = %v; want the rejectRequestPattern problem, every time", err)
		}
	}
}

// The CLI names the default wait (gotoOptions.waitUntil "load") and the MCP
// tools leave it out: the same page either way, so the same cache key, and
// the second request is a hit.
func TestNormalizedRequestsShareTheirCacheKey(t *testing.T) {
	fromCLI := &render.Request{URL: "https://example.com/page", GotoOptions: &render.GotoOptions{WaitUntil: render.WaitUntil{render.WaitLoad}}}
	fromMCP := &render.Request{URL: "https://example.com/page", Formats: []render.Format{render.FormatMarkdown}}
	a, err := fromCLI.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	b, err := fromMCP.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	if cache.Key(a) != cache.Key(b) {
		t.Errorf("keys differ:\n%+v\n%+v", a, b)
	}

	f := &fetcher{}
	svc, _, _ := newService(t, f)
	ttl := 60
	fromCLI.CacheTTL, fromMCP.CacheTTL = &ttl, &ttl
	if _, err := svc.Render(context.Background(), fromCLI); err != nil {
		t.Fatal(err)
	}
	res, err := svc.Render(context.Background(), fromMCP)
	if err != nil {
		t.Fatal(err)
	}
	if res.Meta.Cache != render.CacheHit || f.calls.Load() != 1 {
		t.Errorf("the MCP-shaped request: cache %q after %d fetches; want a hit after 1", res.Meta.Cache, f.calls.Load())
	}
}

// Patterns are compiled once, by Normalize, and what a stage reads is what
// was checked.
func TestNormalizeCompilesPatternsOnce(t *testing.T) {
	n, err := (&render.Request{URL: "https://example.com/", RejectRequestPattern: []string{`/\.PNG$/i`}}).Normalize()
	if err != nil {
		t.Fatal(err)
	}
	reject, allow := n.RequestPatterns()
	if len(reject) != 1 || !reject[0].MatchString("https://x/a.png") || len(allow) != 0 {
		t.Errorf("reject %v, allow %v", reject, allow)
	}
	again, _ := n.RequestPatterns()
	if again[0] != reject[0] {
		t.Error("the pattern was compiled again")
	}
	if w := n.Wait(); w.NetworkIdle != -1 || w.DOMContentLoaded {
		t.Errorf("wait %+v; want the default", w)
	}
}
