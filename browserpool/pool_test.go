package browserpool_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sous-dev/sous/browserpool"
	"github.com/sous-dev/sous/fixtures"
	"github.com/sous-dev/sous/render"
)

// One pool and one fixture server for the tests that only read pages, as
// chromedp and rod share one browser per test binary. Tests that count
// requests, kill browsers or need a pool of their own make their own.
var (
	shared *browserpool.Pool
	site   *fixtures.Server
)

func TestMain(m *testing.M) {
	if _, err := browserpool.FindChrome(""); err != nil {
		fmt.Fprintln(os.Stderr, "browserpool tests need Chromium:", err)
		os.Exit(1)
	}
	site = fixtures.Start()
	var err error
	shared, err = browserpool.New(context.Background(), browserpool.Options{Tabs: 4, AllowPrivate: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	shared.Close()
	guarded.close()
	oneTab.close()
	site.Close()
	os.Exit(code)
}

// lazyPool is a pool that tests share: started by the first that asks,
// closed by TestMain.
type lazyPool struct {
	opts browserpool.Options
	once sync.Once
	pool *browserpool.Pool
	err  error
}

func (l *lazyPool) get(t *testing.T) *browserpool.Pool {
	t.Helper()
	l.once.Do(func() { l.pool, l.err = browserpool.New(context.Background(), l.opts) })
	if l.err != nil {
		t.Fatal(l.err)
	}
	return l.pool
}

func (l *lazyPool) close() {
	if l.pool != nil {
		l.pool.Close()
	}
}

// oneTab is a pool of one tab that may reach private addresses, for the
// tests that check what one render leaves to the next in the same tab.
// They share it: renders of other tests between theirs only add to what
// must not leak.
var oneTab = &lazyPool{opts: browserpool.Options{Tabs: 1, AllowPrivate: true}}

// fetch renders req in p or fails the test. Its deadline only guards
// against a hang: on a machine busy with other work, a render that starts
// a browser (the first in a pool, or the first after a crash) has taken
// over 30 s.
func fetch(t *testing.T, p *browserpool.Pool, req *render.Request) *render.Page {
	t.Helper()
	return fetchWithin(t, p, req, 2*time.Minute)
}

// fetchWithin is fetch with a deadline of d, for pages that take long.
func fetchWithin(t *testing.T, p *browserpool.Pool, req *render.Request, d time.Duration) *render.Page {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	page, err := p.Fetch(ctx, req)
	if err != nil {
		t.Fatalf("Fetch(%s): %v", req.URL, err)
	}
	return page
}

func TestFetchPages(t *testing.T) {
	tests := []struct {
		name       string
		req        render.Request
		wantStatus int
		wantURL    string
		wantHTML   []string
		wantNot    []string
	}{
		{
			name:       "static article",
			req:        render.Request{URL: site.URL + "/article.html"},
			wantStatus: 200,
			wantHTML:   []string{"<h1", "sourdough"},
		},
		{
			name:       "content made by script after a fetch",
			req:        render.Request{URL: site.URL + "/spa.html", WaitForSelector: &render.WaitForSelector{Selector: "#app h1"}},
			wantStatus: 200,
			wantHTML:   []string{"Fetched items", "<li"},
		},
		{
			name:       "networkidle0 waits for the fetch too",
			req:        render.Request{URL: site.URL + "/spa.html", GotoOptions: &render.GotoOptions{WaitUntil: render.WaitUntil{"networkidle0"}}},
			wantStatus: 200,
			wantHTML:   []string{"Fetched items"},
		},
		{
			name:       "load waits for a slow subresource",
			req:        render.Request{URL: site.URL + "/slow.html"},
			wantStatus: 200,
			wantHTML:   []string{`id="late"`},
		},
		{
			name:       "redirect chain",
			req:        render.Request{URL: site.URL + "/redirect/3"},
			wantStatus: 200,
			wantURL:    site.URL + "/article.html",
			wantHTML:   []string{"sourdough"},
		},
		{
			name:       "error status is reported, not failed",
			req:        render.Request{URL: site.URL + "/status/404"},
			wantStatus: 404,
		},
		{
			name:     "html input",
			req:      render.Request{HTML: `<title>Given</title><p id="x">given html</p><script>document.getElementById("x").dataset.ran = "yes"</script>`},
			wantURL:  "about:blank",
			wantHTML: []string{"given html", `data-ran="yes"`},
		},
		{
			name:     "scripts disabled",
			req:      render.Request{URL: site.URL + "/spa.html", JavaScriptEnabled: new(false)},
			wantHTML: []string{`id="app"`},
			wantNot:  []string{"<h1>Fetched items"},
		},
		{
			name:     "user agent and extra headers",
			req:      render.Request{URL: site.URL + "/headers.html", UserAgent: "SousTest/1.0", ExtraHTTPHeaders: map[string]string{"X-Sous-Test": "hello"}},
			wantHTML: []string{"SousTest/1.0", "hello"},
		},
		{
			name:     "cookies option",
			req:      render.Request{URL: site.URL + "/cookies", Cookies: []render.Cookie{{Name: "flavour", Value: "rye"}}},
			wantHTML: []string{"flavour=rye"},
		},
		{
			name:     "http authentication",
			req:      render.Request{URL: site.URL + "/auth", Authenticate: &render.Credentials{Username: "sous", Password: "secret"}},
			wantHTML: []string{"authenticated as sous"},
		},
		{
			name:     "style and script tags",
			req:      render.Request{URL: site.URL + "/about.html", AddScriptTag: []render.ScriptTag{{Content: `document.body.dataset.added = "script"`}}, AddStyleTag: []render.StyleTag{{Content: "body { color: red }"}}},
			wantHTML: []string{`data-added="script"`, "color: red"},
		},
		{
			name:     "big table",
			req:      render.Request{URL: site.URL + "/table.html"},
			wantHTML: []string{"<table", "</table>"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			page := fetch(t, shared, &tc.req)
			if tc.wantStatus != 0 && page.Status != tc.wantStatus {
				t.Errorf("status = %d, want %d", page.Status, tc.wantStatus)
			}
			if tc.wantURL != "" && page.URL != tc.wantURL {
				t.Errorf("URL = %q, want %q", page.URL, tc.wantURL)
			}
			for _, s := range tc.wantHTML {
				if !strings.Contains(page.HTML, s) {
					t.Errorf("HTML lacks %q", s)
				}
			}
			for _, s := range tc.wantNot {
				if strings.Contains(page.HTML, s) {
					t.Errorf("HTML has %q", s)
				}
			}
			if page.Engine != "browser" {
				t.Errorf("Engine = %q", page.Engine)
			}
		})
	}
}

// A page whose load event never fires times out when the request names
// waitUntil load (the default path reads it after a grace: see
// TestLateLoadIsReadAfterAGrace).
func TestNeverLoadingPageTimesOut(t *testing.T) {
	t.Parallel() // it waits for most of its time
	ctx, cancel := context.WithTimeoutCause(context.Background(), 2*time.Second, render.ErrTimeout)
	defer cancel()
	_, err := shared.Fetch(ctx, normalized(t, &render.Request{URL: site.URL + "/never.html", GotoOptions: &render.GotoOptions{WaitUntil: render.WaitUntil{"load"}}}))
	if !errors.Is(err, render.ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	// The pool is still fine afterwards.
	fetch(t, shared, &render.Request{URL: site.URL + "/about.html"})
}

func TestNavigationErrors(t *testing.T) {
	_, err := shared.Fetch(context.Background(), &render.Request{URL: "http://127.0.0.1:1/"})
	if !errors.Is(err, render.ErrNavigation) {
		t.Errorf("refused port: err = %v, want ErrNavigation", err)
	}
}

func TestPrivateAddressesBlockedByDefault(t *testing.T) {
	t.Parallel()
	p, err := browserpool.New(context.Background(), browserpool.Options{Tabs: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, u := range []string{site.URL + "/article.html", "http://localhost:9/", "http://[::1]/", "http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/"} {
		_, err := p.Fetch(context.Background(), &render.Request{URL: u})
		if !errors.Is(err, render.ErrBlocked) {
			t.Errorf("%s: err = %v, want ErrBlocked", u, err)
		}
	}
}

// Each render must start from a clean browser: what one page stores, the
// next request must not see, even in the same reused tab.
func TestRendersAreIsolated(t *testing.T) {
	t.Parallel()
	p := oneTab.get(t)
	fetch(t, p, &render.Request{URL: site.URL + "/cookies?set=leak=1"})
	for i := range 3 {
		page := fetch(t, p, &render.Request{URL: site.URL + "/cookies/js.html"})
		for _, leak := range []string{"leak=1", "visited", "js_visited", "session_visited"} {
			if strings.Contains(textOf(page.HTML, `<ul id="cookies">`), leak) || strings.Contains(textOf(page.HTML, `<ul id="storage">`), leak) ||
				strings.Contains(textOf(page.HTML, `<ul id="session">`), leak) {
				t.Errorf("render %d sees %q from an earlier render:\n%s", i, leak, page.HTML)
			}
		}
		if !strings.Contains(page.HTML, ">ready<") {
			t.Errorf("render %d: the page script did not run", i)
		}
	}
}

// A response the browser may cache must not outlive its render: a later
// caller's page would get the earlier caller's copy (fetched with their
// cookies and headers) without asking the server. The fixture server
// forbids caching everywhere, so this test serves its own cacheable script.
// Four renders in a pool of two tabs (one of them spare) reuse a tab at
// least twice.
func TestHTTPCacheIsWiped(t *testing.T) {
	t.Parallel()
	var fetched atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/cacheable.js" {
			n := fetched.Add(1)
			w.Header().Set("Cache-Control", "public, max-age=600")
			w.Header().Set("Content-Type", "text/javascript")
			fmt.Fprintf(w, "document.title = 'copy %d';", n)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<!doctype html><script src="/cacheable.js"></script><p>cacheable script</p>`)
	}))
	defer srv.Close()
	p := oneTab.get(t)
	const renders = 4
	for i := range renders {
		page := fetch(t, p, &render.Request{URL: srv.URL + "/page.html"})
		if want := fmt.Sprintf("copy %d", i+1); page.Title != want {
			t.Errorf("render %d ran the script's %q, want %q: a copy cached by an earlier render", i, page.Title, want)
		}
	}
	if n := fetched.Load(); n != renders {
		t.Errorf("the server was asked for the script %d times in %d renders", n, renders)
	}
}

// textOf returns the part of s from marker to the next </ul>.
func textOf(s, marker string) string {
	i := strings.Index(s, marker)
	if i < 0 {
		return ""
	}
	s = s[i:]
	if j := strings.Index(s, "</ul>"); j >= 0 {
		s = s[:j]
	}
	return s
}

func TestRejectResourceTypes(t *testing.T) {
	own := fixtures.Start()
	defer own.Close()
	page := fetch(t, shared, &render.Request{URL: own.URL + "/resources.html", RejectResourceTypes: []string{"image", "stylesheet"}})
	if n := own.Hits("/res/pixel.png"); n != 0 {
		t.Errorf("image fetched %d times despite rejectResourceTypes", n)
	}
	if n := own.Hits("/res/style.css"); n != 0 {
		t.Errorf("stylesheet fetched %d times despite rejectResourceTypes", n)
	}
	if n := own.Hits("/res/app.js"); n != 1 {
		t.Errorf("script fetched %d times, want 1", n)
	}
	if !strings.Contains(page.HTML, `data-script="ran"`) {
		t.Error("the allowed script did not run")
	}
	fetch(t, shared, &render.Request{URL: own.URL + "/resources.html", RejectRequestPattern: []string{`/\.css$/`}})
	if n := own.Hits("/res/style.css"); n != 0 {
		t.Errorf("stylesheet fetched %d times despite rejectRequestPattern", n)
	}
	if n := own.Hits("/res/pixel.png"); n != 1 {
		t.Errorf("image fetched %d times, want 1", n)
	}
}

// Tabs share a browser; a screenshot must show its own page even when
// several are taken at once.
func TestScreenshotsUnderConcurrency(t *testing.T) {
	colors := fixtures.ColorNames()
	var wg sync.WaitGroup
	for _, name := range colors {
		wg.Go(func() {
			page := fetch(t, shared, &render.Request{URL: site.URL + "/color/" + name + ".html", Formats: []render.Format{render.FormatScreenshot}})
			img, err := png.Decode(bytes.NewReader(page.Screenshot))
			if err != nil {
				t.Errorf("%s: decode: %v", name, err)
				return
			}
			want, ok := fixtures.Color(name)
			if !ok {
				t.Fatalf("no colour %q", name)
			}
			b := img.Bounds()
			r, g, bl, _ := img.At(b.Dx()/2, b.Dy()/2).RGBA()
			if uint8(r>>8) != want.R || uint8(g>>8) != want.G || uint8(bl>>8) != want.B {
				t.Errorf("%s: centre pixel is %d,%d,%d, want %d,%d,%d", name, r>>8, g>>8, bl>>8, want.R, want.G, want.B)
			}
			if b.Dx() != 1280 || b.Dy() != 800 {
				t.Errorf("%s: screenshot is %v, want the 1280×800 viewport", name, b.Size())
			}
		})
	}
	wg.Wait()
}

func TestScreenshotOptionsAndPDF(t *testing.T) {
	page := fetch(t, shared, &render.Request{URL: site.URL + "/big.html", Formats: []render.Format{render.FormatScreenshot, render.FormatPDF},
		ScreenshotOptions: &render.ScreenshotOptions{FullPage: true}, Viewport: &render.Viewport{Width: 640, Height: 480}})
	img, err := png.Decode(bytes.NewReader(page.Screenshot))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 640 || b.Dy() <= 480 {
		t.Errorf("full-page screenshot is %v, want 640 wide and taller than the viewport", b.Size())
	}
	if !bytes.HasPrefix(page.PDF, []byte("%PDF-")) {
		t.Errorf("PDF starts with %q", page.PDF[:min(8, len(page.PDF))])
	}
	jpeg := fetch(t, shared, &render.Request{URL: site.URL + "/about.html", Formats: []render.Format{render.FormatScreenshot},
		ScreenshotOptions: &render.ScreenshotOptions{Type: "jpeg", Quality: 50}})
	if !bytes.HasPrefix(jpeg.Screenshot, []byte{0xff, 0xd8}) {
		t.Error("jpeg screenshot is not a JPEG")
	}
}

// After the browser is killed, renders in flight fail fast and the pool
// brings a new browser up for the next ones.
func TestBrowserCrashIsReplaced(t *testing.T) {
	t.Parallel()
	p, err := browserpool.New(context.Background(), browserpool.Options{Tabs: 1, AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	fetch(t, p, &render.Request{URL: site.URL + "/about.html"})

	inflight := make(chan error, 1)
	go func() {
		_, err := p.Fetch(context.Background(), &render.Request{URL: site.URL + "/never.html"})
		inflight <- err
	}()
	time.Sleep(500 * time.Millisecond) // let it reach the browser
	if err := syscall.Kill(p.Process(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-inflight:
		if !errors.Is(err, render.ErrBrowser) {
			t.Errorf("in-flight render: err = %v, want ErrBrowser", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the in-flight render did not fail after the browser died")
	}
	fetch(t, p, &render.Request{URL: site.URL + "/about.html"})
	if s := p.Stats(); s.Restarts < 1 {
		t.Errorf("Restarts = %d, want at least 1", s.Restarts)
	}
}

// Recycling replaces the browser every few renders without failing any.
func TestRecycleDropsNoWork(t *testing.T) {
	t.Parallel()
	// One tab (and its spare) per browser: the six renders still queue
	// for tabs while browsers are retired under them.
	p, err := browserpool.New(context.Background(), browserpool.Options{Tabs: 1, AllowPrivate: true, RecycleAfterRenders: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	// The last of the six waits for three rounds of renders and two browser
	// starts, each with its warm-up: seconds apiece on a busy machine, so
	// the deadline is for a hang, not for speed.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			if _, err := p.Fetch(ctx, &render.Request{URL: site.URL + "/article.html"}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if s := p.Stats(); s.Restarts < 2 {
		t.Errorf("Restarts = %d after 6 renders with RecycleAfterRenders 2", s.Restarts)
	}
}

// Close leaves no Chromium process behind.
func TestCloseLeavesNoProcesses(t *testing.T) {
	t.Parallel()
	p, err := browserpool.New(context.Background(), browserpool.Options{Tabs: 2, AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	fetch(t, p, &render.Request{URL: site.URL + "/article.html"})
	dir := profileDir(t, p)
	if n := len(processesOf(dir, "")); n == 0 {
		t.Fatal("found no Chromium process while the pool runs; the check is broken")
	}
	p.Close()
	p.Close() // twice is fine
	// Close has killed them all; under load the kernel can take a moment to
	// tear a big renderer down, so allow it that before calling one left.
	for deadline := time.Now().Add(10 * time.Second); len(processesOf(dir, "")) > 0 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	if n := len(processesOf(dir, "")); n != 0 {
		t.Errorf("%d Chromium processes left after Close", n)
	}
	if _, err := p.Fetch(context.Background(), &render.Request{URL: site.URL}); !errors.Is(err, render.ErrClosed) {
		t.Errorf("Fetch after Close: err = %v, want ErrClosed", err)
	}
}
