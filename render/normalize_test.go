package render_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sous-dev/sous/cache"
	"github.com/sous-dev/sous/render"
)

// Normalize leaves the caller's request as it was: a request shared by
// several goroutines is read, never written (run with -race).
func TestNormalizeDoesNotModifyTheRequest(t *testing.T) {
	f := &fetcher{}
	svc, _, _ := newService(t, f)
	shared := &render.Request{URL: "  https://example.com/shared  ", GotoOptions: &render.GotoOptions{WaitUntil: render.WaitUntil{"load", "networkidle0", "load"}}}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := svc.Render(context.Background(), shared); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if shared.URL != "  https://example.com/shared  " || shared.Formats != nil || shared.Engine != "" || len(shared.GotoOptions.WaitUntil) != 3 {
		t.Errorf("the caller's request changed: %+v", shared)
	}
	n, err := shared.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	if n.URL != "https://example.com/shared" || len(n.Formats) != 1 || n.Formats[0] != render.FormatMarkdown || n.Engine != render.EngineAuto ||
		n.GotoOptions == nil || len(n.GotoOptions.WaitUntil) != 1 || n.GotoOptions.WaitUntil[0] != render.WaitNetworkIdle0 {
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
	// Two bad headers: a map has no order of its own, the refusal does.
	headers := &render.Request{URL: "https://example.com/", ExtraHTTPHeaders: map[string]string{
		"X-B": "line\nbreak", "X-A": "line\rbreak", "X-C": "nul\x00",
	}}
	for range 64 {
		_, err := headers.Normalize()
		if err == nil || !strings.Contains(err.Error(), `"X-A"`) {
			t.Fatalf("err = %v; want the X-A problem, every time", err)
		}
	}
}

// One caller names the defaults (markdown, the settle budget, the scroll
// pass, frames) and another leaves them out: the same page either way, so
// the same cache key, and the second request is a hit.
func TestNormalizedRequestsShareTheirCacheKey(t *testing.T) {
	settle, pages, frames := render.DefaultSettle, render.DefaultScrollPages, true
	fromCLI := &render.Request{URL: "https://example.com/page", SettleTimeout: &settle, ScrollPages: &pages, IncludeFrames: &frames}
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

// The fidelity options: settling by default, off when the caller says what
// to wait for (waitUntil, "load" included, or waitForSelector) unless
// settleTimeout says otherwise; bounds refused with the field's name.
func TestSettleBudget(t *testing.T) {
	ms := func(v int) *int { return &v }
	tests := []struct {
		name string
		req  render.Request
		want time.Duration
	}{
		{"default", render.Request{URL: "https://example.com/"}, 3 * time.Second},
		{"waitUntil load", render.Request{URL: "https://example.com/", GotoOptions: &render.GotoOptions{WaitUntil: render.WaitUntil{"load"}}}, 0},
		{"waitUntil networkidle0", render.Request{URL: "https://example.com/", GotoOptions: &render.GotoOptions{WaitUntil: render.WaitUntil{"networkidle0"}}}, 0},
		{"waitForSelector", render.Request{URL: "https://example.com/", WaitForSelector: &render.WaitForSelector{Selector: "h1"}}, 0},
		{"waitUntil and settleTimeout", render.Request{URL: "https://example.com/", GotoOptions: &render.GotoOptions{WaitUntil: render.WaitUntil{"load"}}, SettleTimeout: ms(500)}, 500 * time.Millisecond},
		{"settleTimeout 0", render.Request{URL: "https://example.com/", SettleTimeout: ms(0)}, 0},
		{"html", render.Request{HTML: "<p>x</p>", SettleTimeout: ms(1200)}, 1200 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := tc.req.Normalize()
			if err != nil {
				t.Fatal(err)
			}
			if got := n.Settle(); got != tc.want {
				t.Errorf("Settle() = %v, want %v", got, tc.want)
			}
		})
	}
	for _, bad := range []render.Request{
		{URL: "https://example.com/", SettleTimeout: ms(-1)},
		{URL: "https://example.com/", SettleTimeout: ms(render.MaxSettleTimeout + 1)},
		{URL: "https://example.com/", ScrollPages: ms(-1)},
		{URL: "https://example.com/", ScrollPages: ms(render.MaxScrollPages + 1)},
	} {
		if _, err := bad.Normalize(); !errors.Is(err, render.ErrInvalidRequest) {
			t.Errorf("%+v: err = %v, want ErrInvalidRequest", bad, err)
		}
	}
}
