package browserpool_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sous-dev/sous/browserpool"
	"github.com/sous-dev/sous/render"
)

// witness is an HTTP server that remembers the requests it gets, so that a
// test can tell what a page sent to a host other than its own.
type witness struct {
	*httptest.Server
	mu   sync.Mutex
	seen []*http.Request
}

func newWitness(t *testing.T, handler http.HandlerFunc) *witness {
	r := &witness{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.seen = append(r.seen, req.Clone(req.Context()))
		r.mu.Unlock()
		if handler != nil {
			handler(w, req)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<p>recorded</p>")
	}))
	t.Cleanup(r.Close)
	return r
}

// port is the port the witness listens on, for a URL of another host
// (localhost is another site than 127.0.0.1).
func (r *witness) port() string {
	return r.URL[strings.LastIndex(r.URL, ":")+1:]
}

func (r *witness) got() []*http.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*http.Request(nil), r.seen...)
}

// Every request of the browser sends the service's user agent, not
// Chromium's "HeadlessChrome": those of windows a page opens, which the pool
// closes at once but not always before their first request, and those of
// shared workers, which are not part of the tab.
func TestEveryRequestSendsTheUserAgent(t *testing.T) {
	fromWorker := make(chan struct{}, 1)
	rec := newWitness(t, func(w http.ResponseWriter, req *http.Request) {
		switch req.URL.Path {
		case "/worker.js":
			w.Header().Set("Content-Type", "text/javascript")
			fmt.Fprint(w, `onconnect = e => fetch("/from-worker").then(() => e.ports[0].postMessage("done"))`)
			return
		case "/from-worker":
			select {
			case fromWorker <- struct{}{}:
			default:
			}
		}
		if req.URL.Path != "/page" {
			fmt.Fprint(w, "ok")
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<p>page</p><script>
const w = new SharedWorker("/worker.js");
w.port.onmessage = () => {
  window.open("/popup");
  document.body.insertAdjacentHTML("beforeend", "<p id=worker-done>done</p>");
};
</script>`)
	})
	fetch(t, shared, &render.Request{URL: rec.URL + "/page", WaitForSelector: &render.WaitForSelector{Selector: "#worker-done"}})
	select {
	case <-fromWorker:
	case <-time.After(20 * time.Second):
		t.Fatal("the shared worker made no request; the test cannot tell its user agent")
	}
	for _, r := range rec.got() {
		if ua := r.UserAgent(); strings.Contains(ua, "Headless") || ua == "" {
			t.Errorf("%s was requested with user agent %q", r.URL.Path, ua)
		}
	}
}

// WebRTC sends no UDP: neither STUN nor TURN to the ICE servers a page
// names, nor connectivity checks to a candidate it adds. UDP would go around
// the network guard, which sees only the browser's proxied TCP.
func TestWebRTCSendsNoUDP(t *testing.T) {
	udp, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	port := udp.LocalAddr().(*net.UDPAddr).Port
	got := make(chan string, 16)
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := udp.ReadFrom(buf)
			if err != nil {
				close(got)
				return
			}
			got <- fmt.Sprintf("%d bytes from %v", n, from)
		}
	}()
	page := fmt.Sprintf(`<p>rtc</p><script>
(async () => {
  const servers = [{urls: "stun:127.0.0.1:%[1]d"}, {urls: "turn:127.0.0.1:%[1]d", username: "u", credential: "p"}];
  const a = new RTCPeerConnection({iceServers: servers}), b = new RTCPeerConnection();
  a.createDataChannel("x");
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription);
  await a.addIceCandidate({candidate: "candidate:1 1 udp 2122260223 127.0.0.1 %[1]d typ host", sdpMid: "0", sdpMLineIndex: 0});
  document.body.dataset.rtc = "ready";
})().catch(e => { document.body.dataset.rtc = "error " + e; });
</script>`, port)
	rendered := fetch(t, shared, &render.Request{HTML: page, WaitForTimeout: 2000})
	if !strings.Contains(rendered.HTML, `data-rtc="ready"`) {
		t.Logf("the page's WebRTC set-up did not complete:\n%s", rendered.HTML)
	}
	udp.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	var packets []string
	for packet := range got {
		packets = append(packets, packet)
	}
	if len(packets) > 0 {
		t.Errorf("the UDP listener got %d packets, the first %s", len(packets), packets[0])
	}
}

// A page that floods the browser with history entries costs its own render
// and nothing more: the next render, with a deadline that only guards
// against a hang, works. (Without Chromium's flooding protection this page
// kept the browser process from answering anyone for a minute, and grew it by
// gigabytes.)
func TestPushStateFloodDoesNotWedgeThePool(t *testing.T) {
	t.Parallel()
	p, err := browserpool.New(context.Background(), browserpool.Options{Tabs: 2, AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	flood := `<p>x</p><script>for (let i = 0; i < 200000; i++) history.pushState({}, "", "#" + i)</script>`
	p.Fetch(ctx, &render.Request{HTML: flood}) // may time out; it must not take the pool with it
	page := fetch(t, p, &render.Request{URL: site.URL + "/article.html"})
	if !strings.Contains(page.HTML, "sourdough") {
		t.Errorf("the render after the flood came back without its page:\n%s", page.HTML)
	}
}

// A browser that stops answering (here: stopped with SIGSTOP) is noticed by
// the health check: the pool says it is not ready, replaces the browser, and
// renders work again.
func TestUnansweringBrowserIsReplaced(t *testing.T) {
	t.Parallel()
	p, err := browserpool.New(context.Background(), browserpool.Options{Tabs: 1, AllowPrivate: true,
		HealthInterval: 200 * time.Millisecond, HealthTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	fetch(t, p, &render.Request{URL: site.URL + "/about.html"})
	stopped := p.Process()
	if err := syscall.Kill(stopped, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer syscall.Kill(stopped, syscall.SIGCONT)
	sawUnready := false
	for deadline := time.Now().Add(60 * time.Second); p.Process() == stopped || !p.Ready(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the pool kept its stopped browser (ready: %v)", p.Ready())
		}
		if !p.Ready() {
			sawUnready = true
		}
	}
	if !sawUnready {
		t.Error("Ready stayed true while the browser did not answer")
	}
	page := fetch(t, p, &render.Request{URL: site.URL + "/article.html"})
	if !strings.Contains(page.HTML, "sourdough") {
		t.Errorf("the render on the new browser came back without its page:\n%s", page.HTML)
	}
}

// Extra headers and credentials go to the origin of the requested URL only:
// not to a subresource on another origin, not to the target of a redirect to
// another origin, and an auth challenge from another origin is not answered.
func TestCredentialsStayWithTheRequestedOrigin(t *testing.T) {
	elsewhere := newWitness(t, func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == "/auth" && req.Header.Get("Authorization") == "" {
			w.Header().Set("WWW-Authenticate", `Basic realm="elsewhere"`)
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, "<p>who are you?</p>")
			return
		}
		fmt.Fprint(w, "<p>elsewhere</p>")
	})
	home := newWitness(t, func(w http.ResponseWriter, req *http.Request) {
		switch req.URL.Path {
		case "/to-elsewhere":
			http.Redirect(w, req, elsewhere.URL+"/landing", http.StatusFound)
		case "/to-auth":
			http.Redirect(w, req, elsewhere.URL+"/auth", http.StatusFound)
		default:
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprintf(w, `<p>home</p><img src="%s/img.png">`, elsewhere.URL)
		}
	})
	secret := map[string]string{"X-Secret": "s3cret", "Authorization": "Bearer t0ken"}
	creds := &render.Credentials{Username: "sous", Password: "secret"}
	fetch(t, shared, &render.Request{URL: home.URL + "/page", ExtraHTTPHeaders: secret})
	fetch(t, shared, &render.Request{URL: home.URL + "/to-elsewhere", ExtraHTTPHeaders: secret})
	fetch(t, shared, &render.Request{URL: home.URL + "/to-auth", Authenticate: creds})

	var homeGot bool
	for _, r := range home.got() {
		homeGot = homeGot || r.Header.Get("X-Secret") == "s3cret"
	}
	if !homeGot {
		t.Error("the requested origin never got the extra header")
	}
	paths := map[string]bool{}
	for _, r := range elsewhere.got() {
		paths[r.URL.Path] = true
		if r.Header.Get("X-Secret") != "" || r.Header.Get("Authorization") != "" {
			t.Errorf("%s on another origin got X-Secret %q, Authorization %q", r.URL.Path, r.Header.Get("X-Secret"), r.Header.Get("Authorization"))
		}
	}
	for _, want := range []string{"/img.png", "/landing", "/auth"} {
		if !paths[want] {
			t.Errorf("the other origin never got %s; the test proves nothing about it", want)
		}
	}
}

// Memory a page allocates outside the JavaScript heap is capped too: a page
// holding typed arrays (outside V8's heap limit)
// loses its renderer past RendererMemory, its render fails as crashed, and
// the next render works. (A gigabyte here: sixteen 64 MiB typed arrays
// against a 256 MiB cap.)
func TestArrayBufferBombIsCapped(t *testing.T) {
	t.Parallel()
	p, err := browserpool.New(context.Background(), browserpool.Options{Tabs: 1, AllowPrivate: true, RendererMemory: 256 << 20, BrowserMemory: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	bomb := `<p>bomb</p><script>
const held = [];
for (let i = 0; i < 16; i++) held.push(new Uint8Array(64 << 20).fill(1));
document.body.dataset.held = held.length;
</script>`
	// Against a hang only: beside four busy processes, a renderer filling
	// its arrays once took more than a minute to reach the cap.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// Renderers are measured every quarter second: an allocation that ends
	// its render sooner is caught idle, or given back by the wipe. So the
	// render waits two seconds, holding its gigabyte; it once finished
	// before the first measurement.
	page, err := p.Fetch(ctx, &render.Request{HTML: bomb, WaitForTimeout: 2000})
	if err == nil {
		t.Fatalf("the bomb's render succeeded (%d bytes of HTML); its renderer held 1 GiB", len(page.HTML))
	}
	if !strings.Contains(err.Error(), "crashed") {
		t.Errorf("err = %v, want a crashed page", err)
	}
	after := fetch(t, p, &render.Request{URL: site.URL + "/article.html"})
	if !strings.Contains(after.HTML, "sourdough") {
		t.Errorf("the render after the bomb came back without its page:\n%s", after.HTML)
	}
}

// Nothing of one render reaches the next in the same tab: not the window's
// name, the session history, Cache Storage nor service workers. One render
// sets them all, and fills the HTTP auth cache with an XHR's user and
// password (no command clears that cache); the two after it read them
// back, so that one of them runs in the same tab (a pool of one tab keeps
// one spare, and the two take turns).
func TestNothingSurvivesToTheNextRender(t *testing.T) {
	t.Parallel()
	const user, password = "sous", "secret"
	rec := newWitness(t, func(w http.ResponseWriter, req *http.Request) {
		switch req.URL.Path {
		case "/auth":
			if u, p, ok := req.BasicAuth(); !ok || u != user || p != password {
				// The reader's probe gets no challenge, which headless
				// Chromium would leave unanswered: a cached credential is
				// sent unasked, which is what the probe looks for.
				if req.URL.RawQuery != "probe" {
					w.Header().Set("WWW-Authenticate", `Basic realm="leak"`)
				}
				w.WriteHeader(http.StatusUnauthorized)
			}
			fmt.Fprint(w, "auth")
		case "/sw.js":
			w.Header().Set("Content-Type", "text/javascript")
			fmt.Fprint(w, `self.addEventListener("fetch", () => {})`)
		case "/set":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<p>set</p><script>
(async () => {
  window.name = "LEAK-name";
  for (let i = 0; i < 5; i++) history.pushState({}, "", "#s" + i);
  await (await caches.open("leak")).put("/cached", new Response("LEAK"));
  await navigator.serviceWorker.register("/sw.js");
  await navigator.serviceWorker.ready;
  const x = new XMLHttpRequest();
  x.open("GET", "/auth", true, "sous", "secret");
  await new Promise(r => { x.onloadend = r; x.send(); });
  document.body.insertAdjacentHTML("beforeend", "<p id=set>" + x.status + "</p>");
})();
</script>`)
		case "/get":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<p>get</p><script>
(async () => {
  const within = p => Promise.race([p, new Promise(r => setTimeout(() => r("no answer"), 5000))]);
  const got = {name: window.name, history: history.length};
  got.caches = await within(caches.keys().then(k => k.join(",")));
  got.workers = await within(navigator.serviceWorker.getRegistrations().then(r => r.length));
  got.auth = await within(fetch("/auth?probe").then(r => r.status));
  document.body.insertAdjacentHTML("beforeend", "<pre id=got>" + JSON.stringify(got) + "</pre>");
})();
</script>`)
		}
	})
	p := oneTab.get(t)
	set := fetch(t, p, &render.Request{URL: rec.URL + "/set", WaitForSelector: &render.WaitForSelector{Selector: "#set"}})
	if !strings.Contains(set.HTML, `<p id="set">200</p>`) {
		t.Fatalf("the setter did not get through its authentication:\n%s", set.HTML)
	}
	want := `{"name":"","history":HISTORY,"caches":"","workers":0,"auth":401}`
	for i := range 2 {
		got := fetch(t, p, &render.Request{URL: rec.URL + "/get", WaitForSelector: &render.WaitForSelector{Selector: "#got"}})
		text := textBetween(got.HTML, `<pre id="got">`, "</pre>")
		// A reused tab has about:blank behind the page; a new one has not.
		if text != strings.Replace(want, "HISTORY", "1", 1) && text != strings.Replace(want, "HISTORY", "2", 1) {
			t.Errorf("reader %d saw %s, want %s", i, text, want)
		}
	}
	for _, req := range rec.got() {
		if req.URL.RawQuery == "probe" && req.Header.Get("Authorization") != "" {
			t.Error("a reader's request carried the setter's credentials from the HTTP auth cache")
		}
	}
}

// A left page writes nothing: neither its timers nor its unload handlers
// store what the next render of its origin, in the same tab, can read. The
// wipe ends the document before it clears storage, and a tab whose page
// sent a request as it left is replaced: a beacon from a pagehide handler
// had its answer set a cookie after the wipe. A wipe that cleared first,
// or never left the page, fails this too.
func TestLeftPagesWriteNothingAfterTheWipe(t *testing.T) {
	t.Parallel()
	rec := newWitness(t, func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		switch req.URL.Path {
		case "/writer":
			fmt.Fprint(w, `<p>writer</p><script>
const write = what => { localStorage.setItem(what, "1"); document.cookie = what + "=1; path=/; max-age=600"; };
setInterval(() => write("timer"), 1);
for (const type of ["pagehide", "unload", "beforeunload", "visibilitychange"]) addEventListener(type, () => write(type));
// A beacon outlives its document, and its answer sets a cookie.
addEventListener("pagehide", () => navigator.sendBeacon("/beacon", "bye"));
</script>`)
		case "/beacon":
			time.Sleep(300 * time.Millisecond) // the answer comes after the wipe
			http.SetCookie(w, &http.Cookie{Name: "beacon", Value: "1", Path: "/", MaxAge: 600})
		case "/reader":
			// Read once the beacon's answer would have come.
			fmt.Fprint(w, `<pre id=got></pre><script>
setTimeout(() => got.textContent = JSON.stringify({local: Object.keys(localStorage).sort().join(","), cookie: document.cookie}), 600);
</script>`)
		}
	})
	p, err := browserpool.New(context.Background(), browserpool.Options{Tabs: 1, SpareTabs: 1, AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	// Two tabs, taken in turn: of the two readers after each writer, one
	// has the writer's tab.
	// The last round's writer runs without scripts; the readers after it
	// run theirs all the same.
	for round, scripts := range []bool{true, true, false} {
		fetch(t, p, &render.Request{URL: rec.URL + "/writer", WaitForTimeout: 100, JavaScriptEnabled: &scripts})
		for i := range 2 {
			got := fetch(t, p, &render.Request{URL: rec.URL + "/reader", WaitForSelector: &render.WaitForSelector{Selector: "#got:not(:empty)"}})
			if text := textBetween(got.HTML, `<pre id="got">`, "</pre>"); text != `{"local":"","cookie":""}` {
				t.Errorf("round %d, reader %d saw %s", round, i, text)
			}
		}
	}
}

// A request that Chromium carries on after its document is gone (a fetch
// with keepalive, a beacon), still waiting for its answer when the render
// ends, sets its cookies after the wipe: the tab it came from is replaced,
// and no later caller sees them. So too when the document that sent it
// went during the render (a script redirect): the protocol says such a
// request was cancelled with its document, and the browser carries it on.
func TestRequestsThatOutliveThePageSetNothingAfterTheWipe(t *testing.T) {
	t.Parallel()
	t.Run("in flight at the end", func(t *testing.T) {
		t.Parallel()
		outliveThePage(t, "")
	})
	t.Run("sent by a document the render left", func(t *testing.T) {
		t.Parallel()
		outliveThePage(t, `location.replace("/landing");`)
	})
}

// outliveThePage renders a page that sends a keepalive fetch and a beacon,
// then runs then, and checks that their answers reach no later render.
func outliveThePage(t *testing.T, then string) {
	answer := make(chan struct{})
	answered := make(chan string, 16)
	rec := newWitness(t, func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		switch req.URL.Path {
		case "/writer":
			fmt.Fprint(w, `<p>writer</p><script>
fetch("/slow?name=keepalive", {method: "POST", body: "x", keepalive: true});
navigator.sendBeacon("/slow?name=beacon", "x");
fetch("/slow?name=plain"); // cancelled with its document
`+then+`
</script>`)
		case "/landing":
			fmt.Fprint(w, `<p>landing</p>`)
		case "/slow":
			name := req.URL.Query().Get("name")
			defer func() {
				select {
				case answered <- name: // answered, or dropped by the browser
				default:
				}
			}()
			select {
			case <-answer:
			case <-req.Context().Done():
				return
			}
			http.SetCookie(w, &http.Cookie{Name: name, Value: "1", Path: "/", MaxAge: 600})
			w.WriteHeader(http.StatusNoContent)
			w.(http.Flusher).Flush()
		case "/reader":
			fmt.Fprint(w, `<pre id=got></pre><script>got.textContent = JSON.stringify({cookie: document.cookie})</script>`)
		}
	})
	p, err := browserpool.New(context.Background(), browserpool.Options{Tabs: 1, SpareTabs: 1, AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	fetch(t, p, &render.Request{URL: rec.URL + "/writer", WaitForTimeout: 100})
	// The answers come once the writer's tab is wiped (or replaced).
	for deadline := time.Now().Add(time.Minute); p.Stats().Idle < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the pool's tabs never came back")
		}
	}
	close(answer)
	// Wait for both requests to be answered (or dropped).
	for got := map[string]bool{}; !got["keepalive"] || !got["beacon"]; {
		select {
		case name := <-answered:
			got[name] = true
		case <-time.After(30 * time.Second):
			t.Fatalf("only %v of the keepalive fetch and the beacon ended", got)
		}
	}
	time.Sleep(300 * time.Millisecond) // for the browser to take the cookies
	// Two tabs, taken in turn: one of the two readers has the writer's.
	for i := range 2 {
		got := fetch(t, p, &render.Request{URL: rec.URL + "/reader", WaitForSelector: &render.WaitForSelector{Selector: "#got:not(:empty)"}})
		if text := textBetween(got.HTML, `<pre id="got">`, "</pre>"); text != `{"cookie":""}` {
			t.Errorf("reader %d saw %s", i, text)
		}
	}
}

// A frame of another site keeps its storage apart from the same origin's
// at the top (storage partitioning), and Storage.clearDataForOrigin clears
// only the latter: the frame's local and session storage, IndexedDB, Cache
// Storage and partitioned cookies reached the next render in the same tab.
// The page is on 127.0.0.1 and its frame on localhost, two sites, so the
// frame runs out of process; inside it, a frame of its own site on another
// port (in the frame's process) and one of the page's site (out of process
// again, its storage keyed as under another site).
func TestFramesOfOtherSitesLeaveNothingToTheNextRender(t *testing.T) {
	t.Parallel()
	var home, other string // the two servers' ports
	handler := func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		switch req.URL.Path {
		case "/top":
			// Each frame tells the page what it found.
			fmt.Fprintf(w, `<p>top</p><iframe src="http://localhost:%s/frame?name=frame"></iframe><script>
const got = [];
addEventListener("message", e => {
  got.push(e.data);
  if (got.length == 3) document.body.insertAdjacentHTML("beforeend", "<pre id=got>" + got.sort().join("\n") + "</pre>");
});
</script>`, home)
		case "/frame":
			name := req.URL.Query().Get("name")
			if name == "frame" {
				fmt.Fprintf(w, `<iframe src="http://localhost:%s/frame?name=samesite"></iframe>
<iframe src="http://127.0.0.1:%s/frame?name=back"></iframe>`, other, home)
			}
			fmt.Fprintf(w, `<p>frame</p><script>
(async () => {
  const got = {local: localStorage.length, session: sessionStorage.length, cookie: document.cookie,
    caches: (await caches.keys()).length, idb: (await indexedDB.databases()).length};
  localStorage.setItem("leak", "1");
  sessionStorage.setItem("leak", "1");
  document.cookie = "leak=1; SameSite=None; Secure; Partitioned; path=/; max-age=600";
  await caches.open("leak");
  await new Promise(r => { const o = indexedDB.open("leak"); o.onsuccess = o.onerror = r; });
  top.postMessage("%s " + JSON.stringify(got), "*");
})();
</script>`, name)
		}
	}
	rec := newWitness(t, handler)
	home, other = rec.port(), newWitness(t, handler).port()
	p := oneTab.get(t)
	const clean = `{"local":0,"session":0,"cookie":"","caches":0,"idb":0}`
	want := "back " + clean + "\nframe " + clean + "\nsamesite " + clean
	// A pool of one tab keeps a spare, and the two take turns: the second
	// and third renders come after one in the same tab.
	for i := range 3 {
		got := fetch(t, p, &render.Request{URL: rec.URL + "/top", WaitForSelector: &render.WaitForSelector{Selector: "#got"}})
		if text := textBetween(got.HTML, `<pre id="got">`, "</pre>"); text != want {
			t.Errorf("render %d: the frames found\n%s", i, text)
		}
	}
}

// A frame of another site is a page too: a beacon it sent as the page left
// outlived it, and its answer set a cookie after the wipe, which the same
// frame in the next render read ("partitioned=1"; the browser refuses the
// other, a third party's). No session is told of that beacon: the frame's
// is detaching when its pagehide handler runs, so the wipe stops the
// frame's scripts before it leaves the page.
func TestFramesOfOtherSitesSetNothingAfterTheWipe(t *testing.T) {
	t.Parallel()
	var port string
	rec := newWitness(t, func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		switch req.URL.Path {
		case "/top":
			fmt.Fprintf(w, `<p>top</p><iframe src="http://localhost:%s/frame"></iframe><script>
addEventListener("message", e => document.body.insertAdjacentHTML("beforeend", "<pre id=got>" + e.data + "</pre>"));
</script>`, port)
		case "/frame":
			fmt.Fprint(w, `<p>frame</p><script>
addEventListener("pagehide", () => navigator.sendBeacon("/beacon", "bye"));
// Read once the beacon's answer would have come.
setTimeout(() => parent.postMessage(JSON.stringify({cookie: document.cookie}), "*"), 600);
</script>`)
		case "/beacon":
			time.Sleep(300 * time.Millisecond) // the answer comes after the wipe
			w.Header().Add("Set-Cookie", "beacon=1; Path=/; Max-Age=600; SameSite=None; Secure")
			w.Header().Add("Set-Cookie", "partitioned=1; Path=/; Max-Age=600; SameSite=None; Secure; Partitioned")
		}
	})
	port = rec.port()
	p, err := browserpool.New(context.Background(), browserpool.Options{Tabs: 1, SpareTabs: 1, AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	// Two tabs, taken in turn: the third render has the first's tab.
	for i := range 3 {
		got := fetch(t, p, &render.Request{URL: rec.URL + "/top", WaitForSelector: &render.WaitForSelector{Selector: "#got"}})
		if text := textBetween(got.HTML, `<pre id="got">`, "</pre>"); text != `{"cookie":""}` {
			t.Errorf("render %d: the frame found %s", i, text)
		}
	}
}

func textBetween(s, from, to string) string {
	_, s, _ = strings.Cut(s, from)
	s, _, _ = strings.Cut(s, to)
	return strings.ReplaceAll(s, "&#34;", `"`)
}

// A new pool says it is ready only once every tab has rendered its warm-up
// page and waits, clean, for a caller: the first callers do not pay for it.
func TestReadyAfterWarmUp(t *testing.T) {
	t.Parallel()
	p, err := browserpool.New(context.Background(), browserpool.Options{Tabs: 2, SpareTabs: 1, AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	deadline := time.Now().Add(2 * time.Minute)
	for !p.Ready() {
		if time.Now().After(deadline) {
			t.Fatal("the pool never became ready")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if st := p.Stats(); st.Idle != 3 || st.WarmUps != 3 {
		t.Errorf("ready with %d of 3 tabs waiting, %d of them warmed up", st.Idle, st.WarmUps)
	}
	// The warm-up left nothing behind: a render sees a fresh page.
	page := fetch(t, p, &render.Request{HTML: `<p id=h>x</p><script>document.getElementById("h").textContent = history.length + " " + (window.name || "-")</script>`})
	if !strings.Contains(page.HTML, `>2 -<`) && !strings.Contains(page.HTML, `>1 -<`) {
		t.Errorf("after the warm-up, a page sees %s", textBetween(page.HTML, `<p id="h">`, "</p>"))
	}
}

// A cold pool (one `sous render`) opens only the tab it renders in and
// warms none: the render starts as soon as that tab is open.
func TestColdPoolOpensOneTab(t *testing.T) {
	t.Parallel()
	p, err := browserpool.New(context.Background(), browserpool.Options{Tabs: 1, Cold: true, AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	page := fetch(t, p, &render.Request{URL: site.URL + "/article.html"})
	if !strings.Contains(page.HTML, "<article") {
		t.Errorf("a cold pool rendered %.200s", page.HTML)
	}
	if st := p.Stats(); st.Tabs != 1 || st.WarmUps != 0 {
		t.Errorf("a cold pool of one tab has %d tabs, %d warmed up", st.Tabs, st.WarmUps)
	}
}

// A page's permission requests leave nothing for the next render in the
// same tab. Headless Chromium answers a request it cannot show by denying
// it, and remembers the denial for the origin in the browser context, where
// no wipe command reaches (Browser.resetPermissions undoes only overrides
// set over the protocol): a later page of that origin, another caller's,
// would find "denied" where a fresh browser says "prompt", and learn that
// someone asked before it. The readers must see every permission as a
// fresh context shows it, and so must the setter after its requests.
func TestNoPermissionDecisionSurvivesToTheNextRender(t *testing.T) {
	t.Parallel()
	const states = `
const names = ["geolocation", "notifications", "midi", "clipboard-read"];
const states = () => Promise.all(names.map(n => navigator.permissions.query(n === "midi" ? {name: n, sysex: true} : {name: n}).then(s => n + "=" + s.state, e => n + "=" + e.name))).then(s => s.join(" "));
`
	rec := newWitness(t, func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		switch req.URL.Path {
		case "/set":
			fmt.Fprint(w, `<p>set</p><script>`+states+`
(async () => {
  const within = p => Promise.race([p, new Promise(r => setTimeout(r, 5000))]);
  await within(Notification.requestPermission());
  await within(new Promise(r => navigator.geolocation.getCurrentPosition(r, r)));
  await within(navigator.requestMIDIAccess({sysex: true}).catch(() => {}));
  await within(navigator.clipboard.readText().catch(() => {}));
  document.body.insertAdjacentHTML("beforeend", "<pre id=got>" + await states() + "</pre>");
})();
</script>`)
		case "/get":
			fmt.Fprint(w, `<p>get</p><script>`+states+`
states().then(s => document.body.insertAdjacentHTML("beforeend", "<pre id=got>" + s + "</pre>"));
</script>`)
		}
	})
	p := oneTab.get(t)
	const want = "geolocation=prompt notifications=prompt midi=prompt clipboard-read=prompt"
	// The setter and the two readers after it: with one tab and its spare
	// taking turns, the second reader runs in the setter's tab.
	for i, path := range []string{"/set", "/get", "/get"} {
		page := fetch(t, p, &render.Request{URL: rec.URL + path, WaitForSelector: &render.WaitForSelector{Selector: "#got"}})
		if got := textBetween(page.HTML, `<pre id="got">`, "</pre>"); got != want {
			t.Errorf("render %d (%s) saw %s, want %s", i, path, got, want)
		}
	}
}

// A window a render's page opens does not reach the next render in the same
// tab. Kept open, it would be a link between callers: through
// window.opener it reads the next same-origin page and can navigate any,
// the next page finds it by name, and it holds the focus, so the next page
// sees itself hidden and unfocused. Two steps keep it from outliving its
// render: the browser closes every opened window at once (closePopups), and
// the wipe replaces a tab whose page opened one. Either suffices; the test
// fails when neither holds.
func TestOpenedWindowsDoNotReachTheNextRender(t *testing.T) {
	t.Parallel()
	rec := newWitness(t, func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		switch req.URL.Path {
		case "/set":
			fmt.Fprint(w, `<p>set</p><script>window.open("/spy", "spy")</script>`)
		case "/spy":
			// Reports what its opener shows, as long as it lives.
			fmt.Fprint(w, `<p>spy</p><script>
setInterval(() => {
  let seen;
  try { seen = opener.document.title; } catch (e) { seen = "error " + e.name; }
  fetch("/report?" + encodeURIComponent(seen));
}, 20);
</script>`)
		case "/get":
			fmt.Fprint(w, `<title>NEXT-CALLER</title><p>get</p><script>
setTimeout(() => {
  const got = {focus: document.hasFocus(), visibility: document.visibilityState};
  document.body.insertAdjacentHTML("beforeend", "<pre id=got>" + JSON.stringify(got) + "</pre>");
}, 300);
</script>`)
		}
	})
	p := oneTab.get(t)
	fetch(t, p, &render.Request{URL: rec.URL + "/set", WaitForTimeout: 300})
	const want = `{"focus":true,"visibility":"visible"}`
	// With one tab and its spare taking turns, the second reader runs in
	// the setter's tab.
	for i := range 2 {
		page := fetch(t, p, &render.Request{URL: rec.URL + "/get", WaitForSelector: &render.WaitForSelector{Selector: "#got"}})
		if got := textBetween(page.HTML, `<pre id="got">`, "</pre>"); got != want {
			t.Errorf("reader %d saw %s, want %s", i, got, want)
		}
	}
	for _, r := range rec.got() {
		if r.URL.Path == "/report" && strings.Contains(r.URL.RawQuery, "NEXT-CALLER") {
			t.Fatal("a window the setter's page opened read the next caller's page through window.opener")
		}
	}
}

// A page cannot call the service through another address of this machine:
// with the service listening on every interface, its port is refused on the
// machine's LAN address as on loopback, to fetch and to navigation alike,
// while another port of that address stays reachable (so the address
// itself is not what is refused).
func TestPagesCannotCallTheServiceOnAnyLocalAddress(t *testing.T) {
	t.Parallel()
	var lan netip.Addr
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, ia := range addrs {
		if p, err := netip.ParsePrefix(ia.String()); err == nil && p.Addr().Is4() && !p.Addr().IsLoopback() && !p.Addr().IsLinkLocalUnicast() {
			lan = p.Addr()
			break
		}
	}
	if !lan.IsValid() {
		t.Skip("this machine has no IPv4 address but loopback")
	}
	listen := func() (*witness, int) {
		ln, err := net.Listen("tcp4", "0.0.0.0:0")
		if err != nil {
			t.Fatal(err)
		}
		w := &witness{}
		w.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
			w.mu.Lock()
			w.seen = append(w.seen, req.Clone(req.Context()))
			w.mu.Unlock()
			fmt.Fprint(rw, "metrics")
		}))
		w.Listener.Close()
		w.Listener = ln
		w.Start()
		t.Cleanup(w.Close)
		return w, ln.Addr().(*net.TCPAddr).Port
	}
	service, servicePort := listen()
	other, otherPort := listen()
	p, err := browserpool.New(context.Background(), browserpool.Options{Tabs: 1, AllowPrivate: true,
		DenyAddrs: []netip.AddrPort{netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(servicePort))}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	// The guard answers a refused request itself (403), so the page cannot
	// tell; the listeners can.
	page := fmt.Sprintf(`<p>x</p><script>
const get = u => fetch(u, {mode: "no-cors"}).catch(() => {});
Promise.all([get("http://%[1]s:%[2]d/metrics"), get("http://%[1]s:%[3]d/metrics")])
  .then(() => document.body.insertAdjacentHTML("beforeend", "<p id=done>done</p>"));
</script>`, lan, servicePort, otherPort)
	fetch(t, p, &render.Request{HTML: page, WaitForSelector: &render.WaitForSelector{Selector: "#done"}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := p.Fetch(ctx, &render.Request{URL: fmt.Sprintf("http://%s:%d/metrics", lan, servicePort)}); !errors.Is(err, render.ErrBlocked) {
		t.Errorf("a render of the service's own metrics on %s: err = %v, want ErrBlocked", lan, err)
	}
	if n := len(service.got()); n > 0 {
		t.Errorf("the service got %d requests from pages through %s", n, lan)
	}
	if len(other.got()) == 0 {
		t.Error("another port of the LAN address got nothing; the test proves nothing")
	}
}

// A renderer gives back what its page allocated when the render ends: a
// page holding 384 MiB of typed arrays, under the renderer cap, leaves its
// idle renderer small again. (Idle renderers kept a finished page's
// gigabytes for minutes, a few of them together nearing the browser's cap
// while nothing rendered.)
func TestRenderersGiveBackMemoryAfterTheirRender(t *testing.T) {
	t.Parallel()
	p, err := browserpool.New(context.Background(), browserpool.Options{Tabs: 1, AllowPrivate: true, RendererMemory: 1 << 30, BrowserMemory: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	dir := profileDir(t, p)
	// Filling 384 MiB takes its time beside four busy processes.
	page := fetchWithin(t, p, &render.Request{HTML: `<p>x</p><script>
window.held = [];
for (let i = 0; i < 6; i++) held.push(new Uint8Array(64 << 20).fill(1));
document.body.dataset.held = held.length;
</script>`}, 2*time.Minute)
	if !strings.Contains(page.HTML, `data-held="6"`) {
		t.Fatalf("the page did not hold its arrays:\n%s", page.HTML)
	}
	// Once every tab is clean again, the wipe is done: no renderer may
	// still hold the page's arrays. (Left to itself, V8 gave them back
	// only half a minute later.)
	waitIdle(t, p)
	for _, pid := range renderers(dir) {
		if size := anonymousMemory(pid); size > 192<<20 {
			t.Errorf("renderer %d holds %d MiB after its render ended and its tab was wiped", pid, size>>20)
		}
	}
}

// anonymousMemory is the anonymous resident memory of process pid (RssAnon,
// what memory.go measures), or 0.
func anonymousMemory(pid int) int64 {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "RssAnon:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
