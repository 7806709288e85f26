package browserpool_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sous-dev/sous/browserpool"
	"github.com/sous-dev/sous/render"
)

// guarded is a pool with default safety that may reach only 127.0.0.1,
// where the tests' allowed servers listen; victims listen on 127.0.0.2.
var guarded = &lazyPool{opts: browserpool.Options{Tabs: 2, AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}}

// recorder is an allowed server on 127.0.0.1 that serves page at /page,
// redirects /r/... to target/..., and records every path it is asked for.
type recorder struct {
	url  string
	mu   sync.Mutex
	hits []string
}

func startRecorder(t *testing.T, page, target string) *recorder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{url: "http://" + ln.Addr().String()}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.hits = append(rec.hits, r.URL.Path)
		rec.mu.Unlock()
		switch {
		case r.URL.Path == "/page":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, page)
		case strings.HasPrefix(r.URL.Path, "/r/"):
			http.Redirect(w, r, target+strings.TrimPrefix(r.URL.Path, "/r"), http.StatusFound)
		default:
			fmt.Fprint(w, "ok")
		}
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return rec
}

func (rec *recorder) requests() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.hits)
}

// A subresource of an allowed page that redirects to a blocked address is
// stopped at the redirect, whatever kind of request it is: the guard checks
// every connection, not only the first of a chain.
func TestGuardBlocksSubresourceRedirects(t *testing.T) {
	t.Parallel()
	v := startVictim(t, "127.0.0.2")
	// The page is served by the allowed host, so its fetches are same-origin
	// up to the redirect, and the browser follows it.
	page := `<!doctype html><title>redirects</title>
<link rel="stylesheet" href="/r/css">
<img src="/r/img">
<iframe src="/r/iframe"></iframe>
<script src="/r/script"></script>
<script>
  fetch("/r/fetch").catch(() => {});
  fetch("/r/fetch-no-cors", {mode: "no-cors"}).catch(() => {});
  const x = new XMLHttpRequest(); x.open("GET", "/r/xhr"); x.send();
  try { new Worker("/r/worker"); } catch (e) {}
  navigator.sendBeacon && navigator.sendBeacon("/r/beacon", "x");
</script>`
	rec := startRecorder(t, page, v.url)
	p := guarded.get(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Not networkidle0: a stylesheet or iframe whose redirect the guard
	// refuses never reports an end to the network watch, so the wait would
	// run to the deadline. A pause after load lets the requests happen.
	if _, err := p.Fetch(ctx, &render.Request{URL: rec.url + "/page", WaitForTimeout: 1500}); err != nil {
		t.Fatalf("render: %v", err)
	}
	// The test means something only if the redirects were asked for.
	for _, path := range []string{"/r/img", "/r/fetch", "/r/css"} {
		if !slices.Contains(rec.requests(), path) {
			t.Errorf("the page never requested %s; requests: %v", path, rec.requests())
		}
	}
	if got := v.requests(); len(got) != 0 {
		t.Errorf("a redirect reached the blocked server: %v", got)
	}
}

// Chromium canonicalises odd spellings of a host — decimal, octal and hex
// IPv4, short dotted forms, trailing dots, percent-encoding, full-width
// digits, IPv4-mapped IPv6, userinfo and backslash tricks — before the
// guard's proxy sees the request. Whatever the spelling, the proxy must see a
// host that the guard classifies as the address Chromium would connect to:
// each form of the blocked 127.0.0.2 reaches nothing, and (so that the test
// cannot pass by Chromium simply refusing the URL) the same forms of the
// allowed 127.0.0.1 do reach a server there.
func TestGuardAgreesWithChromiumOnOddHosts(t *testing.T) {
	t.Parallel()
	v := startVictim(t, "127.0.0.2")
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(v.url, "http://"))
	canary := startRecorder(t, "", "")
	_, canaryPort, _ := net.SplitHostPort(strings.TrimPrefix(canary.url, "http://"))

	// Each form names 127.0.0.N; "N" is replaced by 1 and 2.
	forms := []struct {
		name, host string
		reaches    bool // whether Chromium connects to 127.0.0.N at all (checked with N=1)
	}{
		{"dotted", "127.0.0.N", true},
		{"decimal", "213070643N", true}, // 2130706433 = 127.0.0.1, …4 = .2 (see below)
		{"hex", "0x7f00000N", true},
		{"octal", "01770000000N", true},
		{"dotted hex", "0x7f.0x0.0x0.0xN", true},
		{"dotted octal", "0177.00.0.0N", true},
		{"short hex", "0x7f.N", true},
		{"short", "127.N", true},
		{"three parts", "127.0.N", true},
		{"trailing dot", "127.0.0.N.", true},
		{"percent-encoded", "%31%32%37.0.0.N", true},
		{"full-width digits", "１２７.０.０.N", true},
		{"upper-case hex", "0X7F.0.0.N", true},
		{"IPv4-mapped IPv6", "[::ffff:127.0.0.N]", true},
		{"IPv4-mapped IPv6, hex", "[::ffff:7f00:N]", true},
		{"IPv4-compatible IPv6", "[::127.0.0.N]", false},
		{"IPv6 with a zone", "[::ffff:127.0.0.N%25lo]", false},
		// Chromium refuses subresources with credentials in their URL.
		{"userinfo", "allowed.example@127.0.0.N", false},
		{"userinfo with a port", "127.0.0.1:9@127.0.0.N", false},
	}
	page := func(portOf string, n string) string {
		var b strings.Builder
		b.WriteString("<!doctype html><title>forms</title>\n")
		for i, f := range forms {
			host := strings.ReplaceAll(f.host, "N", n)
			if f.name == "decimal" {
				host = map[string]string{"1": "2130706433", "2": "2130706434"}[n]
			}
			u := fmt.Sprintf("http://%s:%s/form/%d", host, portOf, i)
			fmt.Fprintf(&b, "<img src=%q>\n<script>fetch(%q, {mode: \"no-cors\"}).catch(() => {})</script>\n", u, u+"/fetch")
		}
		// Backslash and tab tricks: the host is what precedes them.
		fmt.Fprintf(&b, "<img src=\"http://127.0.0.%s:%s\\@127.0.0.1:%s/backslash\">\n", n, portOf, portOf)
		return b.String()
	}

	p := guarded.get(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := p.Fetch(ctx, &render.Request{HTML: page(port, "2"), WaitForTimeout: 1500}); err != nil {
		t.Fatalf("render with blocked forms: %v", err)
	}
	if got := v.requests(); len(got) != 0 {
		var names []string
		for _, path := range got {
			var i int
			if _, err := fmt.Sscanf(path, "/form/%d", &i); err == nil && i < len(forms) {
				names = append(names, forms[i].name)
			} else {
				names = append(names, path)
			}
		}
		t.Errorf("the blocked server was reached through these forms: %v", names)
	}

	if _, err := p.Fetch(ctx, &render.Request{HTML: page(canaryPort, "1"), WaitForTimeout: 1500}); err != nil {
		t.Fatalf("render with allowed forms: %v", err)
	}
	hits := canary.requests()
	for i, f := range forms {
		reached := slices.Contains(hits, fmt.Sprintf("/form/%d", i))
		if f.reaches && !reached {
			t.Errorf("%s: the allowed server was not reached, so the blocked case proves nothing", f.name)
		}
		if !f.reaches && reached {
			t.Logf("%s: reached the allowed server, though Chromium was expected to refuse it", f.name)
		}
	}
}
