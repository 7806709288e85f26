package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sous-dev/sous/api"
	"github.com/sous-dev/sous/render"
)

// Every route, not only /mcp, refuses what a web page in the user's browser
// could send it: another origin's POST, a request through a rebinding name,
// and a browser's JSON labelled as something else. Clients that are not
// browsers (no Origin) are served as before, and an allowed origin gets
// CORS.
func TestBrowserRequestsAreChecked(t *testing.T) {
	srv := api.New(renderFunc(func(*render.Request) (*render.Result, error) {
		return &render.Result{Markdown: "ok"}, nil
	}), api.Options{AllowOrigins: []string{"https://app.example.com"}})
	base := serveAPI(t, srv)
	host := strings.TrimPrefix(base, "http://")
	body := `{"html": "<p>x</p>"}`
	tests := []struct {
		name       string
		path       string
		headers    map[string]string
		wantStatus int
		wantCode   string
	}{
		{name: "curl", path: "/v1/render", headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, wantStatus: 200},
		{name: "another origin", path: "/v1/render", headers: map[string]string{"Origin": "https://evil.example", "Content-Type": "text/plain"}, wantStatus: 403, wantCode: "cross_origin"},
		{name: "another origin as JSON", path: "/v1/render", headers: map[string]string{"Origin": "https://evil.example", "Content-Type": "application/json"}, wantStatus: 403, wantCode: "cross_origin"},
		{name: "cross-site fetch", path: "/v1/render", headers: map[string]string{"Sec-Fetch-Site": "cross-site", "Content-Type": "application/json"}, wantStatus: 403, wantCode: "cross_origin"},
		{name: "rebinding host", path: "/v1/render", headers: map[string]string{"Host": "rebind.attacker.example:" + strings.Split(host, ":")[1], "Content-Type": "application/json"}, wantStatus: 403, wantCode: "bad_host"},
		{name: "rebinding host on crawl", path: "/v1/crawl", headers: map[string]string{"Host": "rebind.attacker.example"}, wantStatus: 403, wantCode: "bad_host"},
		{name: "same origin as text", path: "/v1/render", headers: map[string]string{"Origin": base, "Sec-Fetch-Site": "same-origin", "Content-Type": "text/plain"}, wantStatus: 415, wantCode: "unsupported_media_type"},
		{name: "same origin as JSON", path: "/v1/render", headers: map[string]string{"Origin": base, "Sec-Fetch-Site": "same-origin", "Content-Type": "application/json"}, wantStatus: 200},
		{name: "allowed origin", path: "/v1/render", headers: map[string]string{"Origin": "https://app.example.com", "Sec-Fetch-Site": "cross-site", "Content-Type": "application/json"}, wantStatus: 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", base+tc.path, strings.NewReader(body))
			for k, v := range tc.headers {
				if k == "Host" {
					req.Host = v
					continue
				}
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var env api.Envelope
			json.NewDecoder(resp.Body).Decode(&env)
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status %d, want %d (%+v)", resp.StatusCode, tc.wantStatus, env.Errors)
			}
			if tc.wantCode != "" && (len(env.Errors) != 1 || env.Errors[0].Code != tc.wantCode) {
				t.Errorf("errors %+v, want code %s", env.Errors, tc.wantCode)
			}
			allowed := resp.Header.Get("Access-Control-Allow-Origin")
			if want := tc.headers["Origin"] == "https://app.example.com"; want != (allowed != "") {
				t.Errorf("Access-Control-Allow-Origin %q", allowed)
			}
		})
	}

	// A route asked with the wrong method says which methods it takes.
	resp, err := http.Get(base + "/v1/render")
	if err != nil {
		t.Fatal(err)
	}
	var env api.Envelope
	json.NewDecoder(resp.Body).Decode(&env)
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" || len(env.Errors) != 1 || env.Errors[0].Code != "method_not_allowed" {
		t.Errorf("GET /v1/render: %d, Allow %q, %+v", resp.StatusCode, resp.Header.Get("Allow"), env.Errors)
	}

	// The allowed origin's preflight is answered; another's is not.
	for origin, want := range map[string]int{"https://app.example.com": 204, "https://evil.example": 404} {
		req, _ := http.NewRequest("OPTIONS", base+"/v1/render", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == 204 != (want == 204) {
			t.Errorf("preflight from %s: %d", origin, resp.StatusCode)
		}
	}
}

// A page of another site, in a real browser, cannot make the service
// render: the simple POSTs a page may send anywhere without asking (text,
// form and multipart bodies, no preflight) reach the API and are refused
// there. Before the check, the JSON in a text/plain body was served.
func TestAPageOfAnotherSiteCannotUseTheAPI(t *testing.T) {
	var served atomic.Int64
	srv := api.New(renderFunc(func(*render.Request) (*render.Result, error) {
		served.Add(1)
		return &render.Result{Markdown: "ok"}, nil
	}), api.Options{})
	base := serveAPI(t, srv)
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<p>attack</p><script>
const body = JSON.stringify({html: "<p>x</p>"});
const post = type => fetch(%q, {method: "POST", mode: "no-cors", headers: {"Content-Type": type}, body});
Promise.all(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"].map(post))
  .then(r => "sent " + r.length, e => "failed " + e)
  .then(s => document.body.insertAdjacentHTML("beforeend", "<p id=done>" + s + "</p>"));
</script>`, base+"/v1/render")
	}))
	defer attacker.Close()
	// localhost and 127.0.0.1 are different sites to the browser.
	page := strings.Replace(attacker.URL, "127.0.0.1", "localhost", 1) + "/attack"
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	got, err := pool.Fetch(ctx, &render.Request{URL: page, WaitForSelector: &render.WaitForSelector{Selector: "#done"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got.HTML, "sent 3") {
		t.Fatalf("the page's requests did not reach the API; the test proves nothing:\n%s", got.HTML)
	}
	if n := served.Load(); n > 0 {
		t.Errorf("a page of another site had the service render %d times", n)
	}
}

// renderFunc is a Renderer made of a function, for routes whose test is
// about the transport, not the page.
type renderFunc func(*render.Request) (*render.Result, error)

func (f renderFunc) Render(_ context.Context, req *render.Request) (*render.Result, error) {
	return f(req)
}
