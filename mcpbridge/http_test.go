package mcpbridge_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sous-dev/sous/mcpbridge"
	"github.com/sous-dev/sous/render"
)

// The endpoint refuses what a hostile web page could send through the
// user's browser, and serves everything else.
func TestHandlerChecksOriginAndHost(t *testing.T) {
	srv, err := mcpbridge.NewServer(rendererFunc(func(context.Context, *render.Request) (*render.Result, error) {
		return &render.Result{Markdown: "# Hi"}, nil
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := mcpbridge.NewHandler(srv, &mcpbridge.HandlerOptions{AllowedOrigins: []string{"https://app.example"}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(h)
	defer hs.Close()
	self := hs.URL // http://127.0.0.1:PORT
	port := strings.TrimPrefix(self, "http://127.0.0.1:")

	tests := []struct {
		name       string
		method     string
		host       string // Host header; empty: the server's address
		header     map[string]string
		wantStatus int
		wantBody   string
	}{
		{"an agent: no Origin", "POST", "", nil, 200, "tools"},
		{"localhost by name", "POST", "localhost:" + port, nil, 200, "tools"},
		{"a page of the endpoint's own origin", "POST", "", map[string]string{"Origin": self, "Sec-Fetch-Site": "same-origin"}, 200, "tools"},
		{"an allowed origin", "POST", "", map[string]string{"Origin": "https://app.example", "Sec-Fetch-Site": "cross-site"}, 200, "tools"},
		{"another site, modern browser", "POST", "", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, 403, "https://evil.example"},
		{"another site, old browser", "POST", "", map[string]string{"Origin": "https://evil.example"}, 403, "https://evil.example"},
		{"DNS rebinding", "POST", "evil.example:" + port, map[string]string{"Origin": "http://evil.example:" + port, "Sec-Fetch-Site": "same-origin"}, 403, "DNS rebinding"},
		{"preflight of an allowed origin", "OPTIONS", "", map[string]string{"Origin": "https://app.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type, mcp-protocol-version"}, 204, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, self, strings.NewReader(`{"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}`))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			if tc.host != "" {
				req.Host = tc.host
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantStatus || !strings.Contains(string(body), tc.wantBody) {
				t.Errorf("status %d, body %q; want %d with %q", resp.StatusCode, body, tc.wantStatus, tc.wantBody)
			}
			if origin := tc.header["Origin"]; origin == "https://app.example" {
				if got := resp.Header.Get("Access-Control-Allow-Origin"); got != origin {
					t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, origin)
				}
				if tc.method == "OPTIONS" && !strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "mcp-protocol-version") {
					t.Errorf("preflight allows headers %q", resp.Header.Get("Access-Control-Allow-Headers"))
				}
			} else if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
				t.Errorf("Access-Control-Allow-Origin = %q for origin %q", got, origin)
			}
		})
	}
}

func TestNewHandlerRefusesBadOrigins(t *testing.T) {
	srv, err := mcpbridge.NewServer(rendererFunc(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, origin := range []string{"app.example", "https://app.example/path", "://"} {
		if _, err := mcpbridge.NewHandler(srv, &mcpbridge.HandlerOptions{AllowedOrigins: []string{origin}}); err == nil {
			t.Errorf("NewHandler accepted allowed origin %q", origin)
		}
	}
}
