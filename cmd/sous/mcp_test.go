package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/sous-dev/sous/fixtures"
)

func mcpText(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			b.WriteString(t.Text)
		}
	}
	return b.String()
}

func toolNames(t *testing.T, cs *mcp.ClientSession) []string {
	t.Helper()
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
	}
	slices.Sort(names)
	return names
}

func callTool(t *testing.T, cs *mcp.ClientSession, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res
}

// The done-when of the MCP issue, over HTTP: an MCP client connected to
// `sous serve`'s /mcp lists the tools and gets markdown and an image for a
// real page, through the API server.
func TestMCPServeOverHTTP(t *testing.T) {
	t.Parallel()
	site := fixtures.Start()
	defer site.Close()
	s := startServer(t, "--allow-private", "--timeout", "20s")
	client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "v0"}, nil)
	cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: s.url + "/mcp", MaxRetries: -1}, nil)
	if err != nil {
		t.Fatalf("connecting to /mcp: %v\n%s", err, s.stderr)
	}
	defer cs.Close()
	if got := toolNames(t, cs); !slices.Equal(got, []string{"browser_click", "browser_close", "browser_file_upload", "browser_fill_form", "browser_handle_dialog", "browser_hover",
		"browser_navigate", "browser_navigate_back", "browser_press_key", "browser_select_option", "browser_snapshot", "browser_tabs",
		"browser_take_screenshot", "browser_type", "browser_wait_for", "crawl", "links", "outline", "pdf", "render", "run_code", "scrape", "screenshot"}) {
		t.Errorf("tools = %v", got)
	}
	md := callTool(t, cs, "render", map[string]any{"url": site.URL + "/article.html"})
	if md.IsError || !strings.Contains(mcpText(md), "Untrusted web content") || !strings.Contains(mcpText(md), "\n# ") {
		t.Errorf("render: IsError %v\n%s", md.IsError, mcpText(md))
	}
	shot := callTool(t, cs, "screenshot", map[string]any{"url": site.URL + "/article.html", "width": 640, "height": 480})
	var image *mcp.ImageContent
	for _, c := range shot.Content {
		if img, ok := c.(*mcp.ImageContent); ok {
			image = img
		}
	}
	if shot.IsError || image == nil || image.MIMEType != "image/jpeg" || !bytes.HasPrefix(image.Data, []byte{0xff, 0xd8}) {
		t.Errorf("screenshot: IsError %v, image %v\n%s", shot.IsError, image != nil, mcpText(shot))
	}
	scraped := callTool(t, cs, "scrape", map[string]any{"url": site.URL + "/article.html", "selectors": []string{"h1", "nav a"}})
	if text := mcpText(scraped); scraped.IsError || !strings.Contains(text, `"selector": "h1"`) || !strings.Contains(text, "ourdough") {
		t.Errorf("scrape: IsError %v\n%s", scraped.IsError, text)
	}
	outline := callTool(t, cs, "outline", map[string]any{"url": site.URL + "/article.html"})
	if text := mcpText(outline); outline.IsError || !strings.Contains(text, "heading[1]") || !strings.Contains(text, "[e1]") {
		t.Errorf("outline: IsError %v\n%s", outline.IsError, text)
	}
}

// A tool call's progress notification reaches the client through the API server
// while the page is still being held back by the test: the response is
// streamed as server-sent events, not buffered until the handler returns.
func TestMCPServeStreamsProgress(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	held := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
			fmt.Fprint(w, "<title>Held</title><h1>Held back</h1>")
		case <-r.Context().Done():
		}
	}))
	defer held.Close()
	defer unblock()
	s := startServer(t, "--allow-private")

	progress := make(chan string, 10)
	client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "v0"}, &mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
			progress <- req.Params.Message
		},
	})
	cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: s.url + "/mcp", MaxRetries: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	done := make(chan *mcp.CallToolResult, 1)
	go func() {
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{
			Name: "render", Arguments: map[string]any{"url": held.URL}, Meta: mcp.Meta{"progressToken": "held"},
		})
		if err != nil {
			t.Errorf("CallTool: %v", err)
		}
		done <- res
	}()
	select {
	case msg := <-progress:
		if !strings.HasPrefix(msg, "rendering ") {
			t.Errorf("progress message %q", msg)
		}
	case res := <-done:
		t.Fatalf("the call ended before any progress arrived: %+v", res)
	case <-time.After(time.Minute):
		t.Fatal("no progress notification while the page was held: the server buffers the response")
	}
	unblock()
	if res := <-done; res == nil || res.IsError || !strings.Contains(mcpText(res), "# Held back") {
		t.Errorf("result after release: %+v", res)
	}
}

// /mcp refuses DNS rebinding and cross-origin pages behind the API server too, and
// mounting it leaves the API's own routes and JSON 404 as they were.
func TestMCPServeChecksRequests(t *testing.T) {
	t.Parallel()
	s := sharedServer(t)
	port := s.url[strings.LastIndex(s.url, ":")+1:]
	post := func(host string, header map[string]string) (int, string) {
		t.Helper()
		// With sessions on, /mcp is stateful: a client's first request
		// is initialize.
		req, _ := http.NewRequest("POST", s.url+"/mcp", strings.NewReader(`{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "curl", "version": "1"}}}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		for k, v := range header {
			req.Header.Set(k, v)
		}
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	tests := []struct {
		name   string
		host   string
		header map[string]string
		status int
		body   string
	}{
		{"an agent", "", nil, 200, `"serverInfo"`},
		{"localhost", "localhost:" + port, nil, 200, `"serverInfo"`},
		{"DNS rebinding", "evil.example:" + port, nil, 403, "DNS rebinding"},
		{"a cross-origin page", "", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, 403, "evil.example"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if status, body := post(tc.host, tc.header); status != tc.status || !strings.Contains(body, tc.body) {
				t.Errorf("status %d, body %.300q; want %d with %q", status, body, tc.status, tc.body)
			}
		})
	}
	resp, err := http.Get(s.url + "/v2/nothing")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || !strings.Contains(string(body), `"not_found"`) {
		t.Errorf("unknown route: %d %s; want the API's JSON 404", resp.StatusCode, body)
	}
	if status, _ := s.render(t, `{"html": "<p>still here</p>"}`); status != 200 {
		t.Errorf("/v1/render after mounting /mcp: status %d", status)
	}
}

// --token protects /mcp as it protects /v1: api's bearer check runs before
// the route /mcp is served from.
func TestMCPServeRequiresToken(t *testing.T) {
	t.Parallel()
	const token = "mcp-test-token-0123456789"
	s := startServer(t, "--token", token)
	connect := func(header string) error {
		client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "v0"}, nil)
		httpClient := &http.Client{Transport: bearer{header, http.DefaultTransport}}
		cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: s.url + "/mcp", HTTPClient: httpClient, MaxRetries: -1}, nil)
		if err == nil {
			toolNames(t, cs)
			cs.Close()
		}
		return err
	}
	if err := connect(""); err == nil {
		t.Error("connected to /mcp without a token")
	}
	if err := connect("Bearer wrong-token-0123456789"); err == nil {
		t.Error("connected to /mcp with a wrong token")
	}
	if err := connect("Bearer " + token); err != nil {
		t.Errorf("connecting with the token: %v", err)
	}
}

// bearer sets the Authorization header of every request, when it has one.
type bearer struct {
	header string
	next   http.RoundTripper
}

func (b bearer) RoundTrip(req *http.Request) (*http.Response, error) {
	if b.header != "" {
		req = req.Clone(req.Context())
		req.Header.Set("Authorization", b.header)
	}
	return b.next.RoundTrip(req)
}

// `sous mcp` as an agent runs it: a subprocess spoken to over stdin and
// stdout. Without --allow-private, a loopback URL is a blocked-address tool
// error, not a crash; html input needs no network.
func TestMCPStdio(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	cmd := exec.Command(sousBinary(), "mcp")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "v0"}, nil)
	cs, err := client.Connect(context.Background(), &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("connecting to sous mcp: %v\n%s", err, &stderr)
	}
	if got := toolNames(t, cs); !slices.Equal(got, []string{"browser_click", "browser_close", "browser_file_upload", "browser_fill_form", "browser_handle_dialog", "browser_hover",
		"browser_navigate", "browser_navigate_back", "browser_press_key", "browser_select_option", "browser_snapshot", "browser_tabs",
		"browser_take_screenshot", "browser_type", "browser_wait_for", "crawl", "links", "outline", "pdf", "render", "run_code", "scrape", "screenshot"}) {
		t.Errorf("tools = %v", got)
	}
	md := callTool(t, cs, "render", map[string]any{"html": "<h1>Over stdio</h1><p>Hello.</p>"})
	if md.IsError || !strings.Contains(mcpText(md), "# Over stdio") {
		t.Errorf("render: IsError %v\n%s", md.IsError, mcpText(md))
	}
	blocked := callTool(t, cs, "render", map[string]any{"url": "http://127.0.0.1:9/"})
	if !blocked.IsError || !strings.Contains(mcpText(blocked), "Error (blocked)") {
		t.Errorf("loopback URL: IsError %v\n%s", blocked.IsError, mcpText(blocked))
	}
	pdf := callTool(t, cs, "pdf", map[string]any{"html": "<h1>A document</h1>"})
	var embedded *mcp.EmbeddedResource
	for _, c := range pdf.Content {
		if r, ok := c.(*mcp.EmbeddedResource); ok {
			embedded = r
		}
	}
	if pdf.IsError || embedded == nil || embedded.Resource.MIMEType != "application/pdf" || !bytes.HasPrefix(embedded.Resource.Blob, []byte("%PDF-")) {
		t.Errorf("pdf: IsError %v, resource %v\n%s", pdf.IsError, embedded != nil, mcpText(pdf))
	}

	// Closing the session closes sous's input, and sous ends cleanly.
	if err := cs.Close(); err != nil {
		t.Errorf("closing the session: %v", err)
	}
	if cmd.ProcessState == nil || !cmd.ProcessState.Success() {
		t.Errorf("sous mcp ended with %v\n%s", cmd.ProcessState, &stderr)
	}
	if !strings.Contains(stderr.String(), "serving MCP") {
		t.Errorf("no log on stderr:\n%s", &stderr)
	}
	waitNoChromium(t, tmp)
}

func TestMCPHelp(t *testing.T) {
	var stdout bytes.Buffer
	err := run(context.Background(), []string{"mcp", "--help"}, nil, &stdout, new(bytes.Buffer))
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(stdout.String(), "sous mcp") || !strings.Contains(stdout.String(), "-allow-private") {
		t.Errorf("mcp --help: err %v, output:\n%s", err, &stdout)
	}
	if err := run(context.Background(), []string{"mcp", "extra"}, nil, new(bytes.Buffer), new(bytes.Buffer)); err == nil {
		t.Error("mcp with an argument succeeded")
	}
}
