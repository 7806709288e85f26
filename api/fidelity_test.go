package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sous-dev/sous/api"
	"github.com/sous-dev/sous/crawl"
	"github.com/sous-dev/sous/fixtures"
	"github.com/sous-dev/sous/render"
)

// Each case of issue #12, with default options ({"url": …} or {"html": …}
// and nothing else) over real HTTP, through engine auto and real Chromium:
// what comes back is what a person would see.
func TestFidelityOverHTTP(t *testing.T) {
	base := autoServer(t)
	other := fixtures.Start() // a second origin, for a cross-origin frame
	t.Cleanup(other.Close)
	htmlAway := `<!doctype html><title>Given</title><h1>The caller's document</h1><p>Kept as it was given, whatever its script does.</p>
<script>setTimeout(() => { location.href = "` + site.URL + `/fidelity/target.html"; }, 50);</script>`
	htmlRestless := `<!doctype html><title>Restless</title><h1>Saved news page</h1><p>Its scripts navigate all the time, also while the page is read.</p>
<script>setInterval(() => { location.replace("` + site.URL + `/fidelity/target.html?" + Math.random()); }, 3);</script>`
	tests := []struct {
		name       string
		body       map[string]any
		want       []string // in the markdown, in this order
		wantNot    []string
		wantURL    string // path, when the page moved
		wantWarn   string
		wantEngine string
	}{
		{name: "app fetching after a second", body: map[string]any{"url": site.URL + "/fidelity/spa.html"},
			want: []string{"The harbour at dawn", "Fishing boats come in"}, wantEngine: "browser"},
		{name: "script redirect", body: map[string]any{"url": site.URL + "/fidelity/script-redirect.html"},
			want: []string{"You have arrived"}, wantNot: []string{"Redirecting"}, wantURL: "/fidelity/target.html", wantEngine: "browser"},
		{name: "meta refresh", body: map[string]any{"url": site.URL + "/fidelity/meta-refresh.html"},
			want: []string{"You have arrived"}, wantNot: []string{"Moved."}, wantURL: "/fidelity/target.html", wantEngine: "browser"},
		{name: "section loaded on view", body: map[string]any{"url": site.URL + "/fidelity/long.html"},
			want: []string{"Mile 1", "Mile 60", "only the scroll reveals"}, wantEngine: "browser"},
		{name: "shadow roots", body: map[string]any{"url": site.URL + "/fidelity/shadow.html"},
			want: []string{"Before the components", "Text of a shadow root attached by script", "By the scripted card", "Text of a declarative shadow root", "After the components"}, wantEngine: "browser"},
		{name: "same-origin frame", body: map[string]any{"url": site.URL + "/fidelity/frame.html"},
			want: []string{"Quarterly report", "Sales by region", "sourdough still the favourite"}, wantEngine: "browser"},
		{name: "cross-origin frame", body: map[string]any{"url": site.URL + "/fidelity/cross-frame?src=" + other.URL + "/fidelity/framed.html"},
			want: []string{"Embedded report", "Sales by region"}, wantEngine: "browser"},
		{name: "cookie banner", body: map[string]any{"url": site.URL + "/fidelity/cookie-banner.html"},
			want: []string{"Reading a tide table", "neap tides"}, wantNot: []string{"842 partners", "Accept All Cookies", "OneTrust"}},
		{name: "html navigating away", body: map[string]any{"html": htmlAway},
			want: []string{"The caller's document", "Kept as it was given"}, wantNot: []string{"You have arrived"}, wantWarn: "the document given as html was kept"},
		{name: "html navigating while read", body: map[string]any{"html": htmlRestless, "formats": []string{"markdown", "links", "screenshot"}},
			want: []string{"Saved news page"}, wantNot: []string{"You have arrived"}, wantWarn: "the document given as html was kept"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body, err := json.Marshal(tc.body)
			if err != nil {
				t.Fatal(err)
			}
			resp, raw := postJSON(t, base+"/v1/render", string(body))
			var env api.Envelope
			if err := json.Unmarshal(raw, &env); err != nil {
				t.Fatalf("%v: %s", err, raw)
			}
			if resp.StatusCode != 200 || !env.Success || env.Result == nil || env.Meta == nil {
				t.Fatalf("status %d: %.600s", resp.StatusCode, raw)
			}
			md := env.Result.Markdown
			at := 0
			for _, w := range tc.want {
				i := strings.Index(md[at:], w)
				if i < 0 {
					t.Fatalf("%q missing or out of order in markdown:\n%s", w, md)
				}
				at += i + len(w)
			}
			for _, not := range tc.wantNot {
				if strings.Contains(md, not) {
					t.Errorf("%q is in the markdown:\n%s", not, md)
				}
			}
			if tc.wantURL != "" {
				requested, _ := tc.body["url"].(string)
				if env.Meta.URL != site.URL+tc.wantURL || len(env.Meta.Redirects) == 0 || env.Meta.Redirects[0] != requested {
					t.Errorf("meta.url %s, meta.redirects %q; want %s after %s", env.Meta.URL, env.Meta.Redirects, site.URL+tc.wantURL, requested)
				}
			}
			if tc.wantWarn != "" && !strings.Contains(strings.Join(env.Meta.Warnings, "\n"), tc.wantWarn) {
				t.Errorf("meta.warnings %q, want one saying %q", env.Meta.Warnings, tc.wantWarn)
			}
			if tc.wantEngine != "" && env.Meta.Engine != tc.wantEngine {
				t.Errorf("engine %s, want %s", env.Meta.Engine, tc.wantEngine)
			}
		})
	}

	t.Run("cloudflare route", func(t *testing.T) {
		t.Parallel()
		resp, raw := postJSON(t, base+"/browser-rendering/markdown", fmt.Sprintf(`{"url": %q}`, site.URL+"/fidelity/spa.html"))
		var env struct {
			Success bool
			Result  string
			Meta    *render.Meta
		}
		if err := json.Unmarshal(raw, &env); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || !env.Success || !strings.Contains(env.Result, "The harbour at dawn") {
			t.Errorf("status %d: %.600s; want the app's content", resp.StatusCode, raw)
		}
	})

	t.Run("empty page explained", func(t *testing.T) {
		t.Parallel()
		resp, raw := postJSON(t, base+"/v1/render", `{"html": "<!doctype html><title>Nothing</title><body><script>var x = 1;</script></body>", "engine": "browser"}`)
		var env api.Envelope
		if err := json.Unmarshal(raw, &env); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || !env.Success || env.Result.Markdown != "" || len(env.Meta.Warnings) != 1 || !strings.Contains(env.Meta.Warnings[0], "document is empty") {
			t.Errorf("status %d: %s; want an empty success that says the document is empty", resp.StatusCode, raw)
		}
	})
}

// A crawl's pages settle as renders do: an app's content that arrives a
// second after load is in the page's record. (That a crawl's pages take
// the default settle budget is TestPageRequest's; this one gives a budget
// of its own, as the default's 3 s ran out once on a machine busy enough
// to delay the app's one-second timer and its fetch past it.)
func TestFidelityInCrawls(t *testing.T) {
	base := crawlServer(t)
	status, body := call(t, "POST", base+"/v1/crawl", fmt.Sprintf(`{"url": %q, "limit": 1, "formats": ["markdown"], "settleTimeout": 30000}`, site.URL+"/fidelity/spa.html"))
	var created struct {
		Success bool   `json:"success"`
		Result  string `json:"result"`
	}
	if err := json.Unmarshal(body, &created); err != nil || status != 200 || !created.Success {
		t.Fatalf("create: %d %s", status, body)
	}
	resp, err := http.Get(base + "/v1/crawl/" + created.Result + "/events")
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.Copy(io.Discard, resp.Body) // the stream ends when the job does
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	status, body = call(t, "GET", base+"/v1/crawl/"+created.Result, "")
	var got struct {
		Result crawl.Result `json:"result"`
	}
	if err := json.Unmarshal(body, &got); err != nil || status != 200 || len(got.Result.Records) != 1 {
		t.Fatalf("get: %d %.500s", status, body)
	}
	if r := got.Result.Records[0]; !strings.Contains(r.Markdown, "The harbour at dawn") {
		t.Errorf("record %+v, want the app's content", r)
	}
}
