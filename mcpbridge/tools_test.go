package mcpbridge_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/jpeg"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/sous-dev/sous/cache"
	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/render"
)

func TestListTools(t *testing.T) {
	for _, transport := range transports {
		t.Run(transport, func(t *testing.T) {
			cs := connect(t, transport, service, nil)
			res, err := cs.ListTools(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, tool := range res.Tools {
				names = append(names, tool.Name)
				if len(tool.Description) < 80 {
					t.Errorf("%s: description too thin for a model to act on: %q", tool.Name, tool.Description)
				}
				if tool.Annotations == nil || !tool.Annotations.ReadOnlyHint {
					t.Errorf("%s: not marked read-only", tool.Name)
				}
			}
			slices.Sort(names)
			// Only tools whose capability exists; crawl and run_code arrive
			// with theirs.
			if diff := cmp.Diff([]string{"links", "outline", "pdf", "render", "scrape", "screenshot"}, names); diff != "" {
				t.Errorf("tools (-want +got):\n%s", diff)
			}
		})
	}
}

// image returns the one image of res, decoded far enough to know its size.
func image(t *testing.T, res *mcp.CallToolResult) (mime string, width, height, size int) {
	t.Helper()
	for _, c := range res.Content {
		if img, ok := c.(*mcp.ImageContent); ok {
			cfg, err := jpeg.DecodeConfig(bytes.NewReader(img.Data))
			if err != nil {
				t.Fatalf("image (%s, %d bytes) is not a JPEG: %v", img.MIMEType, len(img.Data), err)
			}
			return img.MIMEType, cfg.Width, cfg.Height, len(img.Data)
		}
	}
	t.Fatalf("no image in %s", text(res))
	return
}

func TestToolCalls(t *testing.T) {
	article := site.URL + "/article.html"
	tests := []struct {
		name  string
		tool  string
		args  map[string]any
		check func(t *testing.T, res *mcp.CallToolResult)
	}{
		{"markdown by default", "render", map[string]any{"url": article}, succeeds(func(t *testing.T, res *mcp.CallToolResult) {
			wantText(t, res, "Untrusted web content from "+article, "\nTitle: ", "\n# ", "ourdough")
		})},
		{"text", "render", map[string]any{"url": article, "format": "text"}, succeeds(func(t *testing.T, res *mcp.CallToolResult) {
			wantText(t, res, "ourdough")
			if strings.Contains(text(res), "\n# ") {
				t.Error("text format has markdown headings")
			}
		})},
		{"metadata", "render", map[string]any{"url": article, "format": "metadata"}, succeeds(func(t *testing.T, res *mcp.CallToolResult) {
			wantText(t, res, `"openGraph": {`, `"jsonLd": [`)
		})},
		{"links format", "render", map[string]any{"url": article, "format": "links"}, succeeds(func(t *testing.T, res *mcp.CallToolResult) {
			wantText(t, res, "- [", site.URL+"/about.html")
		})},
		{"html input", "render", map[string]any{"html": `<h1>Hello</h1><p>From <a href="https://example.com/x">here</a>.</p>`}, succeeds(func(t *testing.T, res *mcp.CallToolResult) {
			wantText(t, res, "from the given html", "# Hello", "[here](https://example.com/x)")
		})},
		{"cut at maxChars", "render", map[string]any{"url": article, "maxChars": 300}, succeeds(func(t *testing.T, res *mcp.CallToolResult) {
			// 300 characters leave no room for the long notes: the short ones.
			wantText(t, res, "Page 1/", "[Next: call render with page 2.]")
		})},
		{"second page", "render", map[string]any{"url": article, "maxChars": 300, "page": 2}, succeeds(func(t *testing.T, res *mcp.CallToolResult) {
			wantText(t, res, "Page 2/")
		})},
		// With default arguments the tools settle: an app's content that
		// arrives a second after load is there, its "Loading" shell is not.
		{"app content after a second", "render", map[string]any{"url": site.URL + "/fidelity/spa.html"}, succeeds(func(t *testing.T, res *mcp.CallToolResult) {
			wantText(t, res, "The harbour at dawn", "Fishing boats come in")
		})},
		{"links", "links", map[string]any{"url": site.URL + "/links.html"}, succeeds(func(t *testing.T, res *mcp.CallToolResult) {
			wantText(t, res, " links.\n", "- [", "](<"+site.URL)
		})},
		{"scrape", "scrape", map[string]any{"url": article, "selectors": []string{"h2", "nav a"}}, succeeds(func(t *testing.T, res *mcp.CallToolResult) {
			body := text(res)
			var scraped []render.Scraped
			if err := json.Unmarshal([]byte(body[strings.Index(body, "\n\n["):]), &scraped); err != nil {
				t.Fatalf("scrape result is not JSON after its header: %v\n%s", err, clip(body, 1500))
			}
			if len(scraped) != 2 || scraped[0].Selector != "h2" || len(scraped[0].Results) < 3 || len(scraped[1].Results) != 4 {
				t.Fatalf("scraped %+v", scraped)
			}
			h2 := scraped[0].Results[0]
			if h2.Text != "Temperature is the whole story" || h2.Top == nil || *h2.Top <= 0 || h2.Width == nil || *h2.Width <= 0 {
				t.Errorf("first h2 = %+v, want its text and a box", h2)
			}
		})},
		{"scrape paged", "scrape", map[string]any{"url": article, "selectors": []string{"p"}, "maxChars": 500}, succeeds(func(t *testing.T, res *mcp.CallToolResult) {
			wantText(t, res, "Page 1 of ", "call scrape again with the same arguments and page 2")
		})},
		{"outline", "outline", map[string]any{"url": article}, succeeds(func(t *testing.T, res *mcp.CallToolResult) {
			wantText(t, res, "Untrusted web content from "+article, "\n- banner [e1]\n", `  - navigation "Main" [e3]`, `heading[2] "Temperature is the whole story"`, "-> "+site.URL+"/about.html")
		})},
		{"screenshot of the viewport", "screenshot", map[string]any{"url": article}, succeeds(func(t *testing.T, res *mcp.CallToolResult) {
			mime, w, h, _ := image(t, res)
			if mime != "image/jpeg" || w != 1280 || h != 800 {
				t.Errorf("image %s %d×%d, want image/jpeg 1280×800", mime, w, h)
			}
			wantText(t, res, "Untrusted web content", "Screenshot of the top of the page in a 1280×800 viewport: 1280×800 px JPEG")
		})},
		{"screenshot of an element", "screenshot", map[string]any{"url": article, "selector": "h1", "width": 800, "height": 600}, succeeds(func(t *testing.T, res *mcp.CallToolResult) {
			if _, w, h, _ := image(t, res); w > 800 || h >= 600 {
				t.Errorf("element screenshot is %d×%d, want one heading's size", w, h)
			}
		})},
		{"screenshot of a tall page", "screenshot", map[string]any{"url": site.URL + "/big.html", "fullPage": true}, succeeds(func(t *testing.T, res *mcp.CallToolResult) {
			_, w, h, size := image(t, res)
			if h > 8000 || size > 1<<20 || w >= h {
				t.Errorf("full-page image is %d×%d, %d bytes; want a tall image scaled to at most 8000 px and 1 MiB", w, h, size)
			}
			wantText(t, res, "Scaled down from 1280×14400 px")
		})},
		{"pdf", "pdf", map[string]any{"url": article}, succeeds(func(t *testing.T, res *mcp.CallToolResult) {
			var found bool
			for _, c := range res.Content {
				if r, ok := c.(*mcp.EmbeddedResource); ok {
					found = true
					if r.Resource.MIMEType != "application/pdf" || !bytes.HasPrefix(r.Resource.Blob, []byte("%PDF-")) || r.Resource.URI != article {
						t.Errorf("resource %s %s, %d bytes starting %q", r.Resource.URI, r.Resource.MIMEType, len(r.Resource.Blob), r.Resource.Blob[:min(8, len(r.Resource.Blob))])
					}
				}
			}
			if !found {
				t.Errorf("no embedded resource in %s", text(res))
			}
		})},

		// Failures are results a model can act on, never protocol errors.
		{"neither url nor html", "render", map[string]any{}, wantError("Error (invalid_request)", "give either url or html")},
		{"page past the end", "render", map[string]any{"html": "<p>short</p>", "page": 3}, wantError("page 3 is past the end")},
		{"unknown format", "render", map[string]any{"html": "<p>x</p>", "format": "mp3"}, wantError("format")},
		{"unknown argument", "render", map[string]any{"html": "<p>x</p>", "colour": "red"}, wantError("colour")},
		{"maxChars too small", "render", map[string]any{"html": "<p>x</p>", "maxChars": 1}, wantError("maxChars")},
		{"fullPage and selector", "screenshot", map[string]any{"html": "<p>x</p>", "fullPage": true, "selector": "p"}, wantError("give fullPage or selector, not both")},
		{"bad scrape selector", "scrape", map[string]any{"html": "<p>x</p>", "selectors": []string{"p", "div["}}, wantError("Error (invalid_request)", "elements[1]", `"div["`)},
		{"scrape without selectors", "scrape", map[string]any{"html": "<p>x</p>", "selectors": []string{}}, wantError("selectors")},
		{"selector matching nothing", "screenshot", map[string]any{"html": "<p>x</p>", "selector": "#nothing"}, wantError("Error (invalid_request)", "#nothing")},
	}
	// Each call goes over both transports, one after the other, to a
	// service with a cache: the second transport's call is answered from
	// it, so each page is rendered once, not once a transport.
	c, err := cache.New(cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cached, err := render.NewService(render.Options{Fetcher: pool, Extractor: extract.New(), Cache: c, Concurrency: 2, DefaultTimeout: renderTimeout})
	if err != nil {
		t.Fatal(err)
	}
	defer cached.Close()
	sessions := map[string]*mcp.ClientSession{}
	for _, transport := range transports {
		sessions[transport] = connect(t, transport, cached, nil)
	}
	t.Run("calls", func(t *testing.T) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				for _, transport := range transports {
					t.Run(transport, func(t *testing.T) {
						tc.check(t, call(t, sessions[transport], tc.tool, tc.args))
					})
				}
			})
		}
	})
}

// A render that runs out of time is a result that says so and what to try.
// Its service gives renders 3 s, not the package's 20, which the test would
// otherwise wait out on each transport.
func TestTimeoutIsAToolResult(t *testing.T) {
	t.Parallel()
	short, err := render.NewService(render.Options{Fetcher: pool, Extractor: extract.New(), Concurrency: 2, DefaultTimeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { short.Close() }) // after the parallel subtests
	for _, transport := range transports {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			cs := connect(t, transport, short, nil)
			res := call(t, cs, "render", map[string]any{"url": site.URL + "/never.html", "waitUntil": "load"})
			wantError("Error (timeout)", `waitUntil "domcontentloaded"`)(t, res)
		})
	}
}

// succeeds checks for a result without IsError, then runs check.
func succeeds(check func(*testing.T, *mcp.CallToolResult)) func(*testing.T, *mcp.CallToolResult) {
	return func(t *testing.T, res *mcp.CallToolResult) {
		t.Helper()
		if res.IsError {
			t.Fatalf("IsError: %s", text(res))
		}
		check(t, res)
	}
}

// wantError checks for an IsError result whose text holds each of parts.
func wantError(parts ...string) func(*testing.T, *mcp.CallToolResult) {
	return func(t *testing.T, res *mcp.CallToolResult) {
		t.Helper()
		if !res.IsError {
			t.Errorf("IsError is false; text:\n%s", text(res))
		}
		wantText(t, res, parts...)
	}
}

func wantText(t *testing.T, res *mcp.CallToolResult, parts ...string) {
	t.Helper()
	got := text(res)
	for _, p := range parts {
		if !strings.Contains(got, p) {
			t.Errorf("result lacks %q:\n%s", p, clip(got, 1500))
		}
	}
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Every kind of render failure becomes an IsError result that names its
// stable code and says what to do.
func TestFailuresAreToolResults(t *testing.T) {
	var fail error
	cs := connect(t, "in-memory", rendererFunc(func(context.Context, *render.Request) (*render.Result, error) { return nil, fail }), nil)
	tests := []struct {
		err        error
		code, hint string
	}{
		{fmt.Errorf("http://10.0.0.1/: %w: 10.0.0.1 is a private address", render.ErrBlocked), "blocked", "Use a public URL"},
		{fmt.Errorf("navigate: %w", render.ErrTimeout), "timeout", "domcontentloaded"},
		{render.ErrOverloaded, "overloaded", "Wait a few seconds"},
		{fmt.Errorf("dial: %w", render.ErrNavigation), "navigation_failed", "Check the URL"},
		{render.ErrBrowser, "browser_error", "Call again"},
		{render.ErrClosed, "unavailable", "shutting down"},
		{errors.New("disk on fire"), "internal", "unexpected"},
	}
	for _, tc := range tests {
		t.Run(tc.code, func(t *testing.T) {
			fail = tc.err
			res := call(t, cs, "render", map[string]any{"url": "https://example.com/"})
			if !res.IsError {
				t.Fatalf("IsError false for %v", tc.err)
			}
			wantText(t, res, "Error ("+tc.code+"): "+tc.err.Error(), tc.hint)
		})
	}
}

// A malformed call, such as one naming no tool that exists, is a protocol
// error; everything else is a tool result.
func TestUnknownToolIsProtocolError(t *testing.T) {
	cs := connect(t, "in-memory", service, nil)
	_, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "teleport", Arguments: map[string]any{"url": "https://example.com/"}})
	if err == nil || !strings.Contains(err.Error(), "teleport") {
		t.Errorf("calling an unknown tool: err = %v, want a protocol error naming it", err)
	}
}

// A tool call's progress notifications reach the client while the render is
// still under way, which proves the HTTP response streams rather than
// arriving whole at the end. The page is held back until the first
// notification has arrived; if the response were buffered, it never would.
func TestProgressStreamsOverHTTP(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock)
	held := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		fmt.Fprint(w, "<title>Held</title><h1>Held back</h1>")
	}))
	defer held.Close()
	defer unblock() // before held.Close, which waits for the handler

	progress := make(chan string, 10)
	cs := connect(t, "http", service, &mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
			progress <- req.Params.Message
		},
	})
	done := make(chan *mcp.CallToolResult, 1)
	go func() {
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{
			Name: "render", Arguments: map[string]any{"url": held.URL}, Meta: mcp.Meta{"progressToken": "p1"},
		})
		if err != nil {
			t.Errorf("CallTool: %v", err)
		}
		done <- res
	}()
	select {
	case msg := <-progress:
		if !strings.Contains(msg, "rendering "+held.URL) {
			t.Errorf("first progress message %q", msg)
		}
	case res := <-done:
		t.Fatalf("the call ended before any progress arrived: %v", res)
	case <-time.After(time.Minute):
		t.Fatal("no progress notification while the render was held: the response does not stream")
	}
	unblock()
	res := <-done
	if res == nil || res.IsError {
		t.Fatalf("result after release: %+v", res)
	}
	wantText(t, res, "# Held back")
}
