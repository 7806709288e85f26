package browserpool_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sous-dev/sous/browserpool"
	"github.com/sous-dev/sous/render"
)

// victim is a server on a loopback address the guard must keep pages away
// from; it records every request that reaches it.
type victim struct {
	url  string
	mu   sync.Mutex
	hits []string
}

func startVictim(t *testing.T, host string) *victim {
	t.Helper()
	ln, err := net.Listen("tcp", host+":0")
	if err != nil {
		t.Skipf("cannot listen on %s: %v", host, err)
	}
	v := &victim{url: "http://" + ln.Addr().String()}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v.mu.Lock()
		v.hits = append(v.hits, r.URL.Path)
		v.mu.Unlock()
		fmt.Fprint(w, "secret")
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return v
}

func (v *victim) requests() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.hits...)
}

// With default flags, nothing a page does reaches a loopback server: the
// pool here allows only the fixtures' address, 127.0.0.1, and the victim
// listens on 127.0.0.2.
func TestGuardKeepsPagesOffPrivateAddresses(t *testing.T) {
	t.Parallel()
	v := startVictim(t, "127.0.0.2")
	p := guarded.get(t)

	// A page allowed in, that reaches for the victim every way it can.
	html := strings.ReplaceAll(`<!doctype html><title>probe</title>
<link rel="stylesheet" href="VICTIM/css">
<style>body { background: url(VICTIM/bg) }</style>
<img src="VICTIM/img">
<iframe src="VICTIM/iframe"></iframe>
<script src="VICTIM/script"></script>
<script>
  fetch("VICTIM/fetch").catch(() => {});
  try { new WebSocket("VICTIM/ws".replace("http", "ws")); } catch (e) {}
  try { new EventSource("VICTIM/events"); } catch (e) {}
  navigator.sendBeacon && navigator.sendBeacon("VICTIM/beacon", "x");
  try { new Worker("VICTIM/worker"); } catch (e) {}
</script>`, "VICTIM", v.url)
	// One deadline for the four renders below, which only guards against a
	// hang: beside four busy processes 20 s ran out before the last.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := p.Fetch(ctx, &render.Request{HTML: html, GotoOptions: &render.GotoOptions{WaitUntil: render.WaitUntil{"networkidle0"}}}); err != nil {
		t.Fatalf("render: %v", err)
	}
	// With default options the render settles, scrolls and reads frames:
	// the frame of the victim's address is refused like the rest, and its
	// refusal is not read as content.
	settled, cancelSettled := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancelSettled()
	page, err := p.Fetch(settled, &render.Request{HTML: html})
	if err != nil {
		t.Fatalf("render with default options: %v", err)
	}
	if strings.Contains(page.HTML, "data-sous-frame") || strings.Contains(page.HTML, "secret") {
		t.Errorf("a refused frame was read into the page:\n%s", page.HTML)
	}
	// A script navigation of the whole page, in a render of its own.
	p.Fetch(ctx, &render.Request{HTML: `<script>location.href = "` + v.url + `/navigate"</script>`, WaitForTimeout: 500})

	// The document itself, and a redirect from an allowed host to it.
	_, err = p.Fetch(ctx, &render.Request{URL: v.url + "/document"})
	if !errors.Is(err, render.ErrBlocked) {
		t.Errorf("document: err = %v, want ErrBlocked", err)
	}
	redirector := startRedirector(t, v.url+"/redirected")
	_, err = p.Fetch(ctx, &render.Request{URL: redirector + "/go"})
	if !errors.Is(err, render.ErrBlocked) {
		t.Errorf("redirect to a private address: err = %v, want ErrBlocked", err)
	}
	if got := v.requests(); len(got) != 0 {
		t.Errorf("the loopback server was reached: %v", got)
	}
}

// startRedirector serves, on the allowed 127.0.0.1, a redirect to target.
func startRedirector(t *testing.T, target string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.RedirectHandler(target, http.StatusFound)}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// Subresources of an allowed page still load through the guard's proxy.
func TestGuardLetsAllowedTrafficThrough(t *testing.T) {
	t.Parallel()
	p := guarded.get(t)
	page := fetch(t, p, &render.Request{URL: site.URL + "/spa.html", WaitForSelector: &render.WaitForSelector{Selector: "#app h1"}})
	if !strings.Contains(page.HTML, "Fetched items") || page.Status != 200 {
		t.Errorf("status %d, html:\n%s", page.Status, page.HTML)
	}

	// An allowed address where nothing listens is a failed navigation, for
	// every format: never the proxy's own words served as the page.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String() + "/"
	ln.Close()
	for _, formats := range [][]render.Format{{render.FormatMarkdown}, {render.FormatScreenshot}} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		page, err := p.Fetch(ctx, &render.Request{URL: dead, Formats: formats})
		cancel()
		if !errors.Is(err, render.ErrNavigation) || !strings.Contains(err.Error(), "connection refused") {
			t.Errorf("%v of a refused connection: err %v, want navigation failed: connection refused", formats, err)
		}
		if page != nil && (strings.Contains(page.HTML, "proxy") || strings.Contains(page.HTML, "refused")) {
			t.Errorf("%v: the proxy's error served as content:\n%s", formats, page.HTML)
		}
	}
}

// A page that exhausts memory or opens windows in a loop harms only its own
// render; the next render works.
func TestHostilePagesAreContained(t *testing.T) {
	t.Parallel()
	p, err := browserpool.New(context.Background(), browserpool.Options{Tabs: 1, AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	// The bomb fills half a gigabyte and V8 collects garbage again and again
	// near its limit: on two cores beside four busy processes that took over
	// 40 s. The deadline only guards against a render that never ends; what
	// the test wants is the crash.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err = p.Fetch(ctx, &render.Request{HTML: `<script>
  const hoard = [];
  for (;;) hoard.push(new Array(1 << 20).fill(Math.random()));
</script>`})
	if !errors.Is(err, render.ErrNavigation) || !strings.Contains(err.Error(), "crashed") {
		t.Errorf("memory bomb: err = %v, want a crashed-page ErrNavigation", err)
	}
	if ctx.Err() != nil {
		t.Fatal("the memory bomb ran into the deadline instead of failing fast")
	}
	// A deadline of its own: on a busy machine the bomb takes a good part
	// of the first one before its renderer dies.
	ctx, cancel = context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	if _, err := p.Fetch(ctx, &render.Request{HTML: `<script>
  for (let i = 0; i < 200; i++) window.open("about:blank");
</script>`, WaitForTimeout: 1000}); err != nil {
		t.Fatal(err)
	}
	if n, err := p.OpenPages(ctx); err != nil || n > 3 {
		t.Errorf("%d pages open after a page opened 200 windows; popups should be closed at once", n)
	}
	fetch(t, p, &render.Request{URL: site.URL + "/about.html"})
}

// A blocked resource must not hold networkidle0 until the deadline: a
// cross-site iframe's requests report their end to the iframe's own target,
// so the render also takes Chromium's own idle signal.
func TestNetworkIdleWithBlockedRedirects(t *testing.T) {
	v := startVictim(t, "127.0.0.2")
	p := guarded.get(t)
	rec := startRecorder(t, `<link rel="stylesheet" href="/r/css"><iframe src="/r/frame"></iframe><p>probe</p>`, v.url)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req := &render.Request{URL: rec.url + "/page", GotoOptions: &render.GotoOptions{WaitUntil: render.WaitUntil{"networkidle0"}}}
	if _, err := p.Fetch(ctx, req); err != nil {
		t.Fatalf("networkidle0 with blocked redirects: %v", err)
	}
	if got := v.requests(); len(got) != 0 {
		t.Errorf("the loopback server was reached: %v", got)
	}
}
