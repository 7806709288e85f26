package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sous-dev/sous/api"
	"github.com/sous-dev/sous/browserpool"
	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/fixtures"
	"github.com/sous-dev/sous/isolate"
	"github.com/sous-dev/sous/render"
)

var (
	baseURL string
	site    *fixtures.Server
	pool    *browserpool.Pool // shared by every server the tests start
)

// TestMain serves the API on a real listener over a real pool.
func TestMain(m *testing.M) {
	isolate.ServeIfWorker() // this binary is also the script workers (run_test.go)
	site = fixtures.Start()
	var err error
	pool, err = browserpool.New(context.Background(), browserpool.Options{Tabs: 2, AllowPrivate: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	svc, err := render.NewService(render.Options{Fetcher: pool, Extractor: extract.New(), Concurrency: 2})
	if err != nil {
		panic(err)
	}
	srv := api.New(svc, api.Options{BodyLimit: 1 << 20})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go srv.Serve(ln)
	baseURL = "http://" + ln.Addr().String()
	code := m.Run()
	srv.Shutdown(context.Background())
	pool.Close()
	site.Close()
	os.Exit(code)
}

// serveAPI serves srv on a loopback port until the test ends and returns
// its base URL. Cleanups the caller registered before are run after the
// server has shut down.
func serveAPI(tb testing.TB, srv *api.Server) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go srv.Serve(ln)
	tb.Cleanup(func() { srv.Shutdown(context.Background()) })
	return "http://" + ln.Addr().String()
}

func TestRenderStatusCodes(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		wantStatus  int
		wantCode    string
	}{
		{"success", "application/json", fmt.Sprintf(`{"url": %q, "formats": ["markdown", "metadata"]}`, site.URL+"/article.html"), 200, ""},
		{"html input", "", `{"html": "<h1>Hi</h1>", "formats": ["text"]}`, 200, ""},
		{"empty body", "application/json", ``, 400, "invalid_request"},
		{"not json", "application/json", `url=x`, 400, "invalid_request"},
		{"wrong type", "application/json", `{"url": 42}`, 400, "invalid_request"},
		{"unknown field", "application/json", `{"url": "https://example.com", "colour": "red"}`, 400, "invalid_request"},
		{"two values", "application/json", `{"html": "x"} {}`, 400, "invalid_request"},
		{"curl's default content type", "application/x-www-form-urlencoded", `{"html": "x"}`, 200, ""},
		{"bad wait event", "", `{"html": "x", "gotoOptions": {"waitUntil": "idle"}}`, 400, "invalid_request"},
		{"refused connection", "", `{"url": "http://127.0.0.1:1/"}`, 502, "navigation_failed"},
		{"deadline", "", fmt.Sprintf(`{"url": %q, "gotoOptions": {"timeout": 1000, "waitUntil": "load"}}`, site.URL+"/never.html"), 504, "timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequest("POST", baseURL+"/v1/render", strings.NewReader(tc.body))
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var env api.Envelope
			if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
				t.Fatalf("decoding: %v", err)
			}
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status = %d, want %d (%+v)", resp.StatusCode, tc.wantStatus, env.Errors)
			}
			if tc.wantCode == "" {
				if !env.Success || env.Result == nil || env.Meta == nil || len(env.Errors) != 0 {
					t.Errorf("envelope = %+v", env)
				}
				return
			}
			if env.Success || len(env.Errors) != 1 || env.Errors[0].Code != tc.wantCode || env.Errors[0].Message == "" {
				t.Errorf("errors = %+v, want one with code %s", env.Errors, tc.wantCode)
			}
		})
	}
}

// TestRenderBodyTooLarge sends only the headers of an oversized request: the
// server must refuse by Content-Length alone, without reading the body. (A
// client that writes the whole body races the refusal and may see its write
// reset instead of the answer, so the test does not send one.)
func TestRenderBodyTooLarge(t *testing.T) {
	conn, err := net.Dial("tcp", strings.TrimPrefix(baseURL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "POST /v1/render HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", 2<<20)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env api.Envelope
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		t.Fatalf("decoding: %v", err)
	}
	if resp.StatusCode != 413 || env.Success || len(env.Errors) != 1 || env.Errors[0].Code != "too_large" {
		t.Errorf("status %d, errors %+v; want 413 too_large", resp.StatusCode, env.Errors)
	}
}

func TestHealthAndUnknownRoutes(t *testing.T) {
	resp, err := http.Get(baseURL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("/healthz: %d", resp.StatusCode)
	}
	resp, err = http.Get(baseURL + "/v2/nothing")
	if err != nil {
		t.Fatal(err)
	}
	var env api.Envelope
	json.NewDecoder(resp.Body).Decode(&env)
	resp.Body.Close()
	if resp.StatusCode != 404 || len(env.Errors) != 1 || env.Errors[0].Code != "not_found" {
		t.Errorf("unknown route: %d %+v", resp.StatusCode, env)
	}
}
