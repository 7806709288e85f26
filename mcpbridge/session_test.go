package mcpbridge_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/fixtures"
	"github.com/sous-dev/sous/mcpbridge"
	"github.com/sous-dev/sous/session"
)

// sessionClients starts an MCP server with the browser_* tools over a
// stateful HTTP handler and connects n clients to it with the real SDK.
func sessionClients(t *testing.T, n int, log *bytes.Buffer) ([]*mcp.ClientSession, *session.Manager) {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m, err := session.NewManager(session.Options{Browser: pool, Extractor: extract.New(), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	srv, err := mcpbridge.NewServer(service, &mcpbridge.Options{Sessions: m, Secrets: map[string]string{"APP_PASSWORD": fixtures.AppPassword}, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	h, err := mcpbridge.NewHandler(srv, &mcpbridge.HandlerOptions{Stateful: true, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	var clients []*mcp.ClientSession
	for range n {
		client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "v0"}, nil)
		cs, err := client.Connect(t.Context(), &mcp.StreamableClientTransport{Endpoint: hs.URL, MaxRetries: -1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cs.Close() })
		clients = append(clients, cs)
	}
	return clients, m
}

// refIn finds the ref of the snapshot line holding what.
func refIn(t *testing.T, text, what string) string {
	t.Helper()
	for line := range strings.Lines(text) {
		if strings.Contains(line, what) {
			if _, rest, ok := strings.Cut(line, "[ref="); ok {
				return rest[:strings.IndexByte(rest, ']')]
			}
		}
	}
	t.Fatalf("no %s in:\n%s", what, text)
	return ""
}

// TestBrowserToolsSignIn is the flow over MCP with Playwright's
// tool names: one client signs in with a secret and reads the page behind
// the login; a second client, connected at the same time, has its own
// browser and sees the login page; closing the first client's browser ends
// its login.
func TestBrowserToolsSignIn(t *testing.T) {
	var log bytes.Buffer
	clients, m := sessionClients(t, 2, &log)
	a, b := clients[0], clients[1]
	var results []*mcp.CallToolResult
	callOK := func(cs *mcp.ClientSession, tool string, args map[string]any) string {
		t.Helper()
		res := call(t, cs, tool, args)
		results = append(results, res)
		if res.IsError {
			t.Fatalf("%s: %s", tool, text(res))
		}
		return text(res)
	}

	out := callOK(a, "browser_navigate", map[string]any{"url": site.URL + "/app/login"})
	user, password := refIn(t, out, `textbox "Username"`), refIn(t, out, `textbox "Password"`)
	callOK(a, "browser_type", map[string]any{"element": "Username", "ref": user, "text": fixtures.AppUser})
	out = callOK(a, "browser_type", map[string]any{"element": "Password", "ref": password, "text": "APP_PASSWORD", "submit": true})
	if !strings.Contains(out, "/app/account") || !strings.Contains(out, "Welcome, agent") {
		t.Fatalf("after signing in:\n%s", out)
	}
	out = callOK(a, "browser_snapshot", nil)
	if !strings.Contains(out, "Your balance: 42 loaves") {
		t.Errorf("the snapshot behind the login:\n%s", out)
	}

	out = callOK(b, "browser_navigate", map[string]any{"url": site.URL + "/app/account"})
	if !strings.Contains(out, "/app/login") || strings.Contains(out, "Welcome") {
		t.Errorf("the second client shares the first one's login:\n%s", out)
	}
	if n := len(m.List()); n != 2 {
		t.Errorf("%d browser sessions for two clients", n)
	}

	callOK(a, "browser_close", nil)
	out = callOK(a, "browser_navigate", map[string]any{"url": site.URL + "/app/account"})
	if !strings.Contains(out, "/app/login") {
		t.Errorf("after browser_close the login survived:\n%s", out)
	}
	// Ending an MCP session ends its browser.
	b.Close()
	for range 100 {
		if len(m.List()) == 1 {
			break
		}
		waitABit()
	}
	if n := len(m.List()); n != 1 {
		t.Errorf("%d browser sessions after one client left", n)
	}

	for _, r := range results {
		raw, _ := json.Marshal(r)
		if strings.Contains(string(raw), "horse") {
			t.Errorf("a result shows the password: %s", raw)
		}
	}
	m.Close() // so that nothing logs while the log is read
	if strings.Contains(log.String(), "horse") {
		t.Errorf("the log shows the password")
	}
}

// TestBrowserToolsPage covers the other tools on the fixture app: forms,
// selects, keys, waits, tabs, dialogs, uploads and screenshots.
func TestBrowserToolsPage(t *testing.T) {
	var log bytes.Buffer
	clients, _ := sessionClients(t, 1, &log)
	c := clients[0]
	callOK := func(tool string, args map[string]any) string {
		t.Helper()
		res := call(t, c, tool, args)
		if res.IsError {
			t.Fatalf("%s %v: %s", tool, args, text(res))
		}
		return text(res)
	}
	out := callOK("browser_navigate", map[string]any{"url": site.URL + "/app/wizard"})
	out = callOK("browser_fill_form", map[string]any{"fields": []map[string]any{
		{"name": "Full name", "type": "textbox", "ref": refIn(t, out, `textbox "Full name"`), "value": "Ada"},
	}})
	callOK("browser_select_option", map[string]any{"element": "Plan", "ref": "#plan", "values": []string{"Pro"}})
	out = callOK("browser_press_key", map[string]any{"key": "Enter"})
	if !strings.Contains(out, "/app/wizard/2") {
		t.Fatalf("Enter did not submit:\n%s", out)
	}
	callOK("browser_hover", map[string]any{"element": "terms", "ref": "#terms"})
	out = callOK("browser_click", map[string]any{"element": "Next", "ref": refIn(t, out, `button "Next"`)})
	callOK("browser_wait_for", map[string]any{"text": "Thanks, Ada"})
	if !strings.Contains(out, "Plan: pro") {
		t.Errorf("the summary:\n%s", out)
	}
	out = callOK("browser_navigate_back", nil)
	if !strings.Contains(out, "/app/wizard/2") {
		t.Errorf("back:\n%s", out)
	}

	callOK("browser_navigate", map[string]any{"url": site.URL + "/app/popup"})
	out = callOK("browser_click", map[string]any{"element": "link", "ref": "a[target=_blank]"})
	// The window opens a moment after the click.
	for deadline := time.Now().Add(time.Minute); !strings.Contains(out, "### Open tabs") && time.Now().Before(deadline); {
		out = callOK("browser_tabs", map[string]any{"action": "list"})
	}
	callOK("browser_tabs", map[string]any{"action": "select", "index": 1})
	callOK("browser_wait_for", map[string]any{"text": "Opened by"})
	out = callOK("browser_snapshot", nil)
	if !strings.Contains(out, "Opened by the link.") || !strings.Contains(out, "### Open tabs") {
		t.Errorf("the new tab:\n%s", out)
	}
	callOK("browser_tabs", map[string]any{"action": "close"})

	callOK("browser_navigate", map[string]any{"url": site.URL + "/app/dialog"})
	out = callOK("browser_click", map[string]any{"element": "Delete", "ref": "#delete"})
	if !strings.Contains(out, "[confirm dialog]") {
		t.Fatalf("the confirm:\n%s", out)
	}
	out = callOK("browser_handle_dialog", map[string]any{"accept": true})
	if !strings.Contains(out, "Deleted.") {
		t.Errorf("after accepting:\n%s", out)
	}

	callOK("browser_navigate", map[string]any{"url": site.URL + "/app/upload"})
	callOK("browser_file_upload", map[string]any{"files": []map[string]any{{"name": "a.txt", "contentBase64": "aGVsbG8="}}})
	out = callOK("browser_click", map[string]any{"element": "Upload", "ref": "button[type=submit]"})
	if !strings.Contains(out, "Received a.txt, 5 bytes") {
		t.Errorf("after uploading:\n%s", out)
	}
	res := call(t, c, "browser_take_screenshot", nil)
	if res.IsError || len(res.Content) != 2 {
		t.Fatalf("screenshot: %s", text(res))
	}
	if img, ok := res.Content[1].(*mcp.ImageContent); !ok || len(img.Data) < 1000 {
		t.Errorf("screenshot content: %T", res.Content[1])
	}
	res = call(t, c, "browser_click", map[string]any{"element": "nothing", "ref": "e99999"})
	if !res.IsError || !strings.Contains(text(res), "invalid_request") {
		t.Errorf("a ref that is not there: %s", text(res))
	}
}

// waitABit lets another goroutine run; a poll, not a synchronisation.
func waitABit() { time.Sleep(50 * time.Millisecond) }
