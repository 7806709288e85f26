package httpfetch_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/fixtures"
	"github.com/sous-dev/sous/httpfetch"
	"github.com/sous-dev/sous/netguard"
	"github.com/sous-dev/sous/render"
)

var site *fixtures.Server

func TestMain(m *testing.M) {
	site = fixtures.Start()
	code := m.Run()
	site.Close()
	os.Exit(code)
}

// loopbackOnly is a guard that lets the fixture server (on 127.0.0.1) in and
// refuses every other private address.
func loopbackOnly(t *testing.T) *netguard.Guard {
	t.Helper()
	g, err := netguard.New(netguard.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func fetch(t *testing.T, f *httpfetch.Fetcher, req *render.Request) (*render.Page, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return f.Fetch(ctx, req)
}

func TestFetchArticle(t *testing.T) {
	f := httpfetch.New(httpfetch.Options{Guard: loopbackOnly(t)})
	defer f.Close()
	page, err := fetch(t, f, &render.Request{URL: site.URL + "/redirect/2"})
	if err != nil {
		t.Fatal(err)
	}
	if page.URL != site.URL+"/article.html" || page.Status != 200 || page.Engine != "http" {
		t.Errorf("url %s, status %d, engine %s; want the article after two redirects, 200, http", page.URL, page.Status, page.Engine)
	}
	if page.Title == "" || !strings.Contains(page.HTML, "<article") {
		t.Errorf("title %q, html %.200q", page.Title, page.HTML)
	}

	// A browser reads 2130706433 as 127.0.0.1, and so does the fetcher.
	page, err = fetch(t, f, &render.Request{URL: strings.Replace(site.URL, "127.0.0.1", "2130706433", 1) + "/article.html"})
	if err != nil || page.URL != site.URL+"/article.html" {
		t.Errorf("decimal host: %v, url %v", err, page)
	}
}

// The request's user agent, headers, referer, cookies and credentials reach
// the site, as they would from the browser.
func TestFetchSendsRequestOptions(t *testing.T) {
	f := httpfetch.New(httpfetch.Options{UserAgent: "DefaultAgent/1"})
	defer f.Close()
	page, err := fetch(t, f, &render.Request{
		URL:              site.URL + "/headers",
		Engine:           render.EngineHTTP,
		UserAgent:        "TestAgent/2",
		ExtraHTTPHeaders: map[string]string{"X-Sous-Test": "yes"},
		GotoOptions:      &render.GotoOptions{Referer: "https://referrer.example/"},
		Cookies:          []render.Cookie{{Name: "flavour", Value: "salt", Domain: "127.0.0.1"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"TestAgent/2", "X-Sous-Test", "https://referrer.example/", "flavour=salt"} {
		if !strings.Contains(page.HTML, want) {
			t.Errorf("the site did not see %q:\n%s", want, page.HTML)
		}
	}
	if strings.Contains(page.HTML, "DefaultAgent") {
		t.Error("the default user agent was sent alongside the request's")
	}

	page, err = fetch(t, f, &render.Request{URL: site.URL + "/auth", Authenticate: &render.Credentials{Username: fixtures.AuthUser, Password: fixtures.AuthPassword}})
	if err != nil {
		t.Fatal(err)
	}
	if page.Status != 200 || !strings.Contains(page.HTML, "authenticated as "+fixtures.AuthUser) {
		t.Errorf("auth: status %d, %s", page.Status, page.Title)
	}
}

func TestFetchErrors(t *testing.T) {
	f := httpfetch.New(httpfetch.Options{Guard: loopbackOnly(t), MaxBytes: 1 << 10})
	defer f.Close()
	other := strings.Replace(site.URL, "127.0.0.1", "127.0.0.2", 1)
	tests := []struct {
		name string
		url  string
		want error
	}{
		{"loopback not allowed", other + "/article.html", render.ErrBlocked},
		{"loopback in hex", strings.Replace(site.URL, "127.0.0.1", "0x7f.0.0.2", 1) + "/article.html", render.ErrBlocked},
		{"redirect loop", site.URL + "/redirect-loop", render.ErrNavigation},
		{"refused connection", "http://127.0.0.1:1/", render.ErrNavigation},
		{"too large", site.URL + "/article.html", render.ErrPageTooLarge},
		{"an image under engine http", site.URL + "/img/loaf.png", render.ErrNavigation},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := fetch(t, f, &render.Request{URL: tc.url, Engine: render.EngineHTTP})
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}

	// A page over the limit names the limit and what raises it; under auto
	// it goes to the browser, which has no such limit.
	_, err := fetch(t, f, &render.Request{URL: site.URL + "/article.html", Engine: render.EngineHTTP})
	if render.CodeOf(err) != render.CodePageTooLarge || !strings.Contains(err.Error(), "1 KiB") || !strings.Contains(err.Error(), "--max-page-size") {
		t.Errorf("too large: %v (code %s)", err, render.CodeOf(err))
	}
	if _, err := fetch(t, f, &render.Request{URL: site.URL + "/article.html"}); !errors.Is(err, render.ErrNeedsBrowser) {
		t.Errorf("too large under auto: %v, want a hand-over to the browser", err)
	}

	// The request's deadline ends a document that never finishes.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := f.Fetch(ctx, &render.Request{URL: site.URL + "/hang"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("hang: err = %v, want the deadline", err)
	}
}

// A redirect from an allowed host to a refused one is refused at connect
// time, by the guard that dials.
func TestFetchRedirectToBlocked(t *testing.T) {
	target := strings.Replace(site.URL, "127.0.0.1", "127.0.0.2", 1) + "/article.html"
	redirector := httptest.NewServer(http.RedirectHandler(target, http.StatusFound))
	defer redirector.Close()
	f := httpfetch.New(httpfetch.Options{Guard: loopbackOnly(t)})
	defer f.Close()
	_, err := fetch(t, f, &render.Request{URL: redirector.URL})
	if !errors.Is(err, render.ErrBlocked) || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("err = %v, want blocked by the loopback rule", err)
	}
}

// Documents in other charsets are decoded to UTF-8, and text documents are
// shown in a <pre> as a browser shows them.
func TestFetchDecodes(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/latin1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=iso-8859-1")
		w.Write([]byte("<html><head><title>Cr\xe8me br\xfbl\xe9e</title></head><body><p>Caf\xe9</p></body></html>"))
	})
	mux.HandleFunc("/meta", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(`<html><head><meta charset="windows-1252"><title>x</title></head><body><p>na` + "\xefve \x93quoted\x94" + `</p></body></html>`))
	})
	mux.HandleFunc("/plain", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("a < b & c"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	f := httpfetch.New(httpfetch.Options{})
	defer f.Close()
	for path, want := range map[string]string{
		"/latin1": "Café",
		"/meta":   "naïve “quoted”",
		"/plain":  "<pre>a &lt; b &amp; c</pre>",
	} {
		page, err := fetch(t, f, &render.Request{URL: srv.URL + path, Engine: render.EngineHTTP})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if !strings.Contains(page.HTML, want) {
			t.Errorf("%s: %q does not contain %q", path, page.HTML, want)
		}
	}
}

// Under engine auto, a document that needs script hands over to the
// browser; under engine http it is returned as it is.
func TestFetchAutoHandsOver(t *testing.T) {
	f := httpfetch.New(httpfetch.Options{})
	defer f.Close()
	_, err := fetch(t, f, &render.Request{URL: site.URL + "/spa.html"})
	if !errors.Is(err, render.ErrNeedsBrowser) || !strings.Contains(err.Error(), "#app") {
		t.Errorf("spa under auto: err = %v, want ErrNeedsBrowser naming #app", err)
	}
	if _, err := fetch(t, f, &render.Request{URL: site.URL + "/spa.html", Engine: render.EngineHTTP}); err != nil {
		t.Errorf("spa under http: %v", err)
	}
	if _, err := fetch(t, f, &render.Request{URL: site.URL + "/img/loaf.png"}); !errors.Is(err, render.ErrNeedsBrowser) {
		t.Errorf("image under auto: err = %v, want ErrNeedsBrowser", err)
	}
}

func TestNeedsBrowser(t *testing.T) {
	article := "<p>" + strings.Repeat("Bread needs time, warmth and patience. ", 20) + "</p>"
	tests := []struct {
		name, html string
		needs      bool
	}{
		{"static article", "<title>t</title><body>" + article, false},
		{"article with analytics", "<body>" + article + `<script src="/ga.js"></script>`, false},
		{"article with a comments noscript", "<body>" + article + strings.Repeat(article, 3) + `<noscript>Please enable JavaScript to view the comments.</noscript><script src="/c.js"></script>`, false},
		{"script writes the page", `<body><script>document.body.innerHTML = "<h1>Hi</h1>"</script>`, true},
		{"empty react root", `<body><div id="root"></div><script src="/bundle.js"></script>`, true},
		{"server-rendered next.js", `<body><div id="__next">` + article + `</div><script src="/_next/main.js"></script>`, false},
		{"angular root", `<body><app-root></app-root><p>` + strings.Repeat("footer text ", 30) + `</p><script src="main.js"></script>`, true},
		{"noscript wall", `<body><noscript>You need to enable JavaScript to run this app.</noscript><p>Loading…</p>`, true},
		{"meta refresh", `<head><meta http-equiv="refresh" content="0; url=/next"></head><body>` + article, true},
		{"only json-ld", `<body><p>Short note.</p><script type="application/ld+json">{"@type":"Article"}</script>`, false},
		{"tiny page without script", `<body><p>Hello.</p>`, false},
		{"script redirect", "<body>" + article + `<script>setTimeout(() => location.replace("/next"), 300)</script>`, true},
		{"script assigning location.href", "<body>" + article + `<script>if (old) location.href = "/new";</script>`, true},
		{"script comparing location", "<body>" + article + `<script>if (location.href == "/x") track();</script>`, false},
		{"declarative shadow root", "<body>" + article + `<my-card><template shadowrootmode="open"><p>Inside</p></template></my-card>`, true},
		{"empty custom element", "<body>" + article + `<story-card></story-card><script src="/cards.js"></script>`, true},
		{"custom element with its text", "<body><relative-time>" + article + `</relative-time><script src="/time.js"></script>`, false},
		{"iframe as the content", `<body><h1>Report</h1><iframe src="/report.html" width="800" height="600"></iframe>`, true},
		{"tracking iframe", "<body>" + strings.Repeat(article, 3) + `<iframe src="/t.html" width="1" height="1"></iframe>`, false},
		{"section loaded on view", "<body>" + article + `<section id="more"></section><script>new IntersectionObserver(load).observe(more)</script>`, true},
		{"images filled by script", "<body>" + article + `<img data-src="/a.jpg" alt="a">`, true},
		{"consent banner in the markup", "<body>" + article + `<div id="onetrust-consent-sdk"><p>We use cookies</p><button>Accept</button></div>`, true},
		{"lazy image with its address", "<body>" + article + `<img src="/a.jpg" loading="lazy" alt="a">`, false},
	}
	f := httpfetch.New(httpfetch.Options{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := fetch(t, f, &render.Request{HTML: tc.html})
			if got := errors.Is(err, render.ErrNeedsBrowser); got != tc.needs {
				t.Errorf("needs browser = %v (%v), want %v", got, err, tc.needs)
			}
			off := false
			if _, err := fetch(t, f, &render.Request{HTML: tc.html, JavaScriptEnabled: &off}); err != nil {
				t.Errorf("with JavaScript off, nothing needs the browser: %v", err)
			}
		})
	}
}

// BenchmarkHTTPEngine is the http engine end to end against a local page:
// fetch over loopback, then markdown of the main content, through
// render.Service as a request would go.
func BenchmarkHTTPEngine(b *testing.B) {
	f := httpfetch.New(httpfetch.Options{})
	defer f.Close()
	svc, err := render.NewService(render.Options{Fetcher: f, HTTPFetcher: f, Extractor: extract.New()})
	if err != nil {
		b.Fatal(err)
	}
	zero := 0
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := &render.Request{URL: site.URL + "/article.html", Engine: render.EngineHTTP, OnlyMainContent: true, CacheTTL: &zero}
			res, err := svc.Render(context.Background(), req)
			if err != nil || res.Markdown == "" {
				b.Fatalf("render: %v", err)
			}
		}
	})
}

// Credentials and extra headers go to the requested origin only: a redirect
// to another port of the same host gets neither.
func TestFetchKeepsCredentialsOnTheirOrigin(t *testing.T) {
	var mu sync.Mutex
	var got []http.Header
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Clone())
		mu.Unlock()
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html><body><p>elsewhere</p></body></html>")
	}))
	defer elsewhere.Close()
	home := httptest.NewServer(http.RedirectHandler(elsewhere.URL+"/landing", http.StatusFound))
	defer home.Close()

	f := httpfetch.New(httpfetch.Options{Guard: loopbackOnly(t)})
	defer f.Close()
	_, err := fetch(t, f, &render.Request{URL: home.URL + "/start", Engine: render.EngineHTTP,
		Authenticate: &render.Credentials{Username: "sous", Password: "secret"}, ExtraHTTPHeaders: map[string]string{"X-Secret": "s3cret"}})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) == 0 {
		t.Fatal("the redirect was not followed; the test proves nothing")
	}
	for _, h := range got {
		if h.Get("Authorization") != "" || h.Get("X-Secret") != "" {
			t.Errorf("another origin got Authorization %q, X-Secret %q", h.Get("Authorization"), h.Get("X-Secret"))
		}
	}
}
