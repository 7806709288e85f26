package browserpool_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sous-dev/sous/fixtures"
	"github.com/sous-dev/sous/render"
)

// normalized is req as render.Service hands it to a Fetcher.
func normalized(t *testing.T, req *render.Request) *render.Request {
	t.Helper()
	n, err := req.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// inOrder reports the first of want that is missing from s, or out of
// order, or "".
func inOrder(s string, want ...string) string {
	at := 0
	for _, w := range want {
		i := strings.Index(s[at:], w)
		if i < 0 {
			return w
		}
		at += i + len(w)
	}
	return ""
}

// With default options a render returns what a person sees once the page
// has done what it does after load: content fetched late, the document a
// script or meta refresh went to, shadow roots, frames, lazy sections,
// and no consent banner.
func TestFidelityDefaults(t *testing.T) {
	other := fixtures.Start() // another origin, for frames
	t.Cleanup(other.Close)
	otherSite := strings.Replace(other.URL, "127.0.0.1", "localhost", 1) // another site: an out-of-process frame
	tests := []struct {
		name          string
		path          string
		wantURL       string // path; "" for the page's own
		wantRedirects bool
		wantTitle     string
		want          []string // in this order in the HTML
		wantNot       []string
	}{
		{name: "single-page app fetching after a second", path: "/fidelity/spa.html", wantTitle: "The harbour at dawn",
			want: []string{"The harbour at dawn", "Fishing boats"}},
		{name: "app asking through a scheduler loop after its timer", path: "/fidelity/spa-chain.html", wantTitle: "The harbour at dawn",
			want: []string{"The harbour at dawn"}},
		{name: "script redirect", path: "/fidelity/script-redirect.html", wantURL: "/fidelity/target.html", wantRedirects: true,
			wantTitle: "You have arrived", want: []string{"You have arrived"}, wantNot: []string{"Redirecting"}},
		{name: "meta refresh", path: "/fidelity/meta-refresh.html", wantURL: "/fidelity/target.html", wantRedirects: true,
			wantTitle: "You have arrived", want: []string{"You have arrived"}, wantNot: []string{"Moved."}},
		{name: "history change", path: "/fidelity/history.html", wantURL: "/fidelity/history/start", wantRedirects: true,
			wantTitle: "Start route", want: []string{"Start route"}},
		{name: "section loaded on view", path: "/fidelity/long.html?img=defaults", wantTitle: "A long walk along the coast",
			want: []string{"Mile 1", "Mile 60", "only the scroll reveals"}},
		{name: "section loaded on a scroll event", path: "/fidelity/long.html?img=scroll-event&load=scroll", wantTitle: "A long walk along the coast",
			want: []string{"Mile 1", "Mile 60", "only the scroll reveals"}},
		{name: "shadow roots", path: "/fidelity/shadow.html", wantTitle: "Shadow roots",
			want: []string{"Before the components", "Scripted card", "Text of a shadow root attached by script", "By the scripted card", "Declared card", "Text of a declarative shadow root", "After the components"}},
		{name: "same-origin frame", path: "/fidelity/frame.html", wantTitle: "Framed report",
			want: []string{"Quarterly report", `data-sous-frame="` + site.URL + `/fidelity/framed.html"`, "Sales by region"}},
		{name: "cross-origin frame", path: "/fidelity/cross-frame?src=" + other.URL + "/fidelity/framed.html", wantTitle: "Embedded report",
			want: []string{"Embedded report", `data-sous-frame="` + other.URL + `/fidelity/framed.html"`, "Sales by region"}},
		{name: "cross-site frame", path: "/fidelity/cross-frame?src=" + otherSite + "/fidelity/framed.html", wantTitle: "Embedded report",
			want: []string{"Embedded report", `data-sous-frame="` + otherSite + `/fidelity/framed.html"`, "Sales by region"}},
		{name: "consent banners", path: "/fidelity/cookie-banner.html", wantTitle: "Tide tables",
			want: []string{"Reading a tide table", "neap tides"}, wantNot: []string{`class="consent"`, "OneTrust asks"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			page := fetch(t, shared, normalized(t, &render.Request{URL: site.URL + tc.path}))
			wantURL := site.URL + tc.path
			if tc.wantURL != "" {
				wantURL = site.URL + tc.wantURL
			}
			if page.URL != wantURL {
				t.Errorf("URL %s, want %s", page.URL, wantURL)
			}
			var wantRedirects []string
			if tc.wantRedirects {
				wantRedirects = []string{site.URL + tc.path}
			}
			if d := cmp.Diff(wantRedirects, page.Redirects); d != "" {
				t.Errorf("redirects (-want +got):\n%s", d)
			}
			if page.Title != tc.wantTitle {
				t.Errorf("title %q, want %q", page.Title, tc.wantTitle)
			}
			if missing := inOrder(page.HTML, tc.want...); missing != "" {
				t.Errorf("%q missing or out of order in:\n%s", missing, page.HTML)
			}
			for _, not := range tc.wantNot {
				if strings.Contains(page.HTML, not) {
					t.Errorf("%q is in the page", not)
				}
			}
			if page.Status != 200 {
				t.Errorf("status %d", page.Status)
			}
		})
	}
}

// The options that turn fidelity off do: no settle, no scroll pass, no
// frames.
func TestFidelityOptionsOff(t *testing.T) {
	zero, no := 0, false
	tests := []struct {
		name    string
		req     render.Request
		wantNot string
	}{
		{"settleTimeout 0", render.Request{URL: site.URL + "/fidelity/spa.html", SettleTimeout: &zero}, "The harbour at dawn"},
		{"waitUntil load", render.Request{URL: site.URL + "/fidelity/spa.html", GotoOptions: &render.GotoOptions{WaitUntil: render.WaitUntil{"load"}}}, "The harbour at dawn"},
		{"scrollPages 0", render.Request{URL: site.URL + "/fidelity/long.html?img=off", ScrollPages: &zero}, "only the scroll reveals"},
		{"includeFrames false", render.Request{URL: site.URL + "/fidelity/frame.html", IncludeFrames: &no}, "Sales by region"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			page := fetch(t, shared, normalized(t, &tc.req))
			if strings.Contains(page.HTML, tc.wantNot) {
				t.Errorf("%q is in the page although the option is off", tc.wantNot)
			}
		})
	}
}

// The scroll pass runs before a full-page screenshot: the lazy image at
// the bottom of a long page is requested, also on a page whose scripts
// watch nothing. For text alone such a page is not scrolled, so the image
// is not requested.
func TestScrollPassLoadsLazyImagesForFullPageScreenshots(t *testing.T) {
	srv := fixtures.Start()
	defer srv.Close()
	for _, load := range []string{"observer", "none"} {
		img := "fullpage-" + load
		page := fetch(t, shared, normalized(t, &render.Request{
			URL: srv.URL + "/fidelity/long.html?img=" + img + "&load=" + load, Formats: []render.Format{render.FormatScreenshot},
			ScreenshotOptions: &render.ScreenshotOptions{FullPage: true},
		}))
		if len(page.Screenshot) == 0 {
			t.Fatal("no screenshot")
		}
		if n := srv.Hits("/fidelity/img/" + img + ".png"); n == 0 {
			t.Errorf("load=%s: the loading=lazy image was never requested", load)
		}
	}
	fetch(t, shared, normalized(t, &render.Request{URL: srv.URL + "/fidelity/long.html?img=text&load=none"}))
	if n := srv.Hits("/fidelity/img/text.png"); n != 0 {
		t.Errorf("a page that loads nothing on view was scrolled for text: its lazy image was requested %d times", n)
	}
}

// With default options, a page whose load event never comes (a frame that
// never finishes) is read some seconds after DOMContentLoaded, with a
// warning, well inside its deadline, not failed at the deadline.
func TestLateLoadIsReadAfterAGrace(t *testing.T) {
	t.Parallel() // it waits for most of its time
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	page, err := shared.Fetch(ctx, normalized(t, &render.Request{URL: site.URL + "/never.html", GotoOptions: &render.GotoOptions{Timeout: 25000}}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page.HTML, "The document itself arrived") {
		t.Errorf("the document is missing:\n%s", page.HTML)
	}
	if !strings.Contains(strings.Join(page.Warnings, "\n"), "the load event had not come") {
		t.Errorf("warnings %q, want one saying load never came", page.Warnings)
	}
}

// A frame of another site runs in a renderer of its own, whose requests
// the tab's session does not see: the render read the frame before what
// its script fetched had come. Here the answer comes 1.2 s after the
// request, inside the settle budget and short of a long poll
// (staleRequest); the same frame on the page's own site was always read
// with it.
func TestFramesOfOtherSitesAreReadSettled(t *testing.T) {
	t.Parallel()
	var port string
	rec := newWitness(t, func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		switch req.URL.Path {
		case "/top":
			fmt.Fprintf(w, `<p>top</p><iframe src="http://localhost:%s/frame"></iframe>`, port)
		case "/frame":
			fmt.Fprint(w, `<p>frame</p><script>
fetch("/late").then(r => r.text()).then(t => document.body.insertAdjacentHTML("beforeend", "<p>" + t + "</p>"));
</script>`)
		case "/late":
			time.Sleep(1200 * time.Millisecond)
			w.Header().Set("Content-Type", "text/plain")
			fmt.Fprint(w, "fetched late")
		}
	})
	port = rec.port()
	page := fetch(t, oneTab.get(t), normalized(t, &render.Request{URL: rec.URL + "/top"}))
	if !strings.Contains(page.HTML, "<p>fetched late</p>") {
		t.Errorf("the frame was read before its content came:\n%s", page.HTML)
	}
}

// A document given as html stays the caller's: the page's navigations are
// refused and said in a warning. A page of url input that navigates for
// ever is followed maxHops times, then read as it stands.
func TestPageNavigations(t *testing.T) {
	t.Run("html input keeps its document", func(t *testing.T) {
		t.Parallel()
		html := `<!doctype html><title>Given</title><p>The caller's own document.</p>
<script>setTimeout(() => { location.href = "` + site.URL + `/fidelity/target.html"; }, 50);</script>`
		page := fetch(t, shared, normalized(t, &render.Request{HTML: html}))
		if !strings.Contains(page.HTML, "The caller's own document.") || strings.Contains(page.HTML, "You have arrived") {
			t.Errorf("the document was not kept:\n%s", page.HTML)
		}
		if len(page.Warnings) == 0 || !strings.Contains(page.Warnings[0], "/fidelity/target.html") {
			t.Errorf("warnings %q, want one naming the refused navigation", page.Warnings)
		}
	})
	t.Run("html input moving itself while it is parsed", func(t *testing.T) {
		t.Parallel()
		// As saved news pages do: an "upgrade" to https in the head, and a
		// navigation from an inline script before the content.
		html := `<!doctype html><html><head><title>Saved</title>
<script>if (document.location.protocol != "https:") { document.location = document.URL.replace(/^http:/i, "https:"); }</script></head>
<body><script>location.href = "` + site.URL + `/fidelity/target.html";</script><h1>Saved article</h1><p>Every paragraph after the scripts is kept.</p></body></html>`
		page := fetch(t, shared, normalized(t, &render.Request{HTML: html}))
		if missing := inOrder(page.HTML, "Saved article", "Every paragraph after the scripts is kept."); missing != "" || page.URL != "about:blank" {
			t.Errorf("url %s, %q missing:\n%s", page.URL, missing, page.HTML)
		}
		if len(page.Warnings) == 0 || !strings.Contains(page.Warnings[0], "the document given as html was kept") {
			t.Errorf("warnings %q", page.Warnings)
		}
	})
	t.Run("html input with relative subresources", func(t *testing.T) {
		t.Parallel()
		// Saved pages are full of them; they are refused at once, so the
		// render ends well inside a deadline they would otherwise eat.
		var b strings.Builder
		b.WriteString("<!doctype html><title>Saved</title><h1>Relative</h1>")
		for i := range 40 {
			fmt.Fprintf(&b, `<img src="/img/%d.png"><link rel="stylesheet" href="css/%d.css"><script src="js/%d.js"></script><iframe src="frame/%d.html"></iframe>`, i, i, i, i)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
		defer cancel()
		page, err := shared.Fetch(ctx, normalized(t, &render.Request{HTML: b.String()}))
		if err != nil || !strings.Contains(page.HTML, "Relative") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("html input navigating all the time", func(t *testing.T) {
		t.Parallel()
		html := `<!doctype html><title>Restless</title><p>Still here.</p>
<script>setInterval(() => { location.href = "` + site.URL + `/fidelity/target.html?" + Math.random(); }, 5);</script>`
		page := fetch(t, shared, normalized(t, &render.Request{HTML: html, Formats: []render.Format{render.FormatMarkdown, render.FormatScreenshot}}))
		if !strings.Contains(page.HTML, "Still here.") {
			t.Errorf("the document was not kept:\n%s", page.HTML)
		}
	})
	t.Run("url input navigating for ever", func(t *testing.T) {
		t.Parallel()
		// A budget that five hops fit in however busy the machine (four
		// busy processes beside the tests once made them take 20 s): the
		// render must end at the gate, not at the budget.
		settle := 50000
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		page, err := shared.Fetch(ctx, normalized(t, &render.Request{URL: site.URL + "/fidelity/navigating.html", SettleTimeout: &settle, GotoOptions: &render.GotoOptions{Timeout: 60000}}))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(page.HTML, "never stays") {
			t.Errorf("no document:\n%s", page.HTML)
		}
		// The requested page, then 4 hops; the 5th is where it stands.
		if len(page.Redirects) != 5 || !strings.HasSuffix(page.URL, "?n=5") {
			t.Errorf("at %s after %q, want 5 hops followed", page.URL, page.Redirects)
		}
		if !strings.Contains(strings.Join(page.Warnings, "\n"), "navigated 5 times") {
			t.Errorf("warnings %q, want one saying the render stopped following", page.Warnings)
		}
		// Refused, the page stays where it is and is quiet: the render
		// reads it then, not when the settle budget runs out.
		if strings.Contains(strings.Join(page.Warnings, "\n"), "still busy") {
			t.Errorf("warnings %q: the refused navigation was awaited", page.Warnings)
		}
	})
}

// A page that never settles is read when its budget runs out, with a
// warning that says what kept it busy: "network, DOM changes, timers or a
// navigation" left the caller, and whoever debugs the page, to guess.
func TestUnsettledPageSaysWhy(t *testing.T) {
	t.Parallel()
	settle := 1000
	page := fetch(t, shared, normalized(t, &render.Request{SettleTimeout: &settle,
		// A DOM that changes every 10 ms: settle samples the page from its
		// start to its first poll (50 ms), and a slower ticker may fall
		// between the two on a busy machine.
		HTML: `<p id=n>0</p><script>setInterval(() => n.textContent++, 10)</script>`}))
	warnings := strings.Join(page.Warnings, "\n")
	if !strings.Contains(warnings, "still busy (its DOM kept changing) when its settle budget of 1000 ms ran out") {
		t.Errorf("warnings %q, want one saying the DOM kept changing", page.Warnings)
	}
}
