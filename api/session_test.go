package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sous-dev/sous/api"
	"github.com/sous-dev/sous/client"
	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/fixtures"
	"github.com/sous-dev/sous/render"
	"github.com/sous-dev/sous/session"
)

const sessionToken = "session-test-token-0123456789"

// sessionServer serves the API with sessions over the shared pool, behind
// a token, and returns its base URL; log receives every log line of the
// manager and the API.
func sessionServer(t *testing.T, max int, log io.Writer) string {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m, err := session.NewManager(session.Options{Browser: pool, Extractor: extract.New(), MaxSessions: max, Logger: logger, ActionTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	svc, err := render.NewService(render.Options{Fetcher: pool, Extractor: extract.New(), Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	return serveAPI(t, api.New(svc, api.Options{Sessions: m, Tokens: []string{sessionToken}, Logger: logger}))
}

// post sends a JSON body with the token and returns the status and body.
func sessionCall(t *testing.T, method, url string, body any) (int, http.Header, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+sessionToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, out
}

// TestSessionsOverHTTP is the flow over real HTTP and Chromium:
// sign in with a secret, read the page behind the login, export the
// storage state; a second session from that state reads it without
// signing in; a third sees the login page. No reply and no log line holds
// the password.
func TestSessionsOverHTTP(t *testing.T) {
	var log syncBuffer
	base := sessionServer(t, 4, &log)
	var replies [][]byte
	check := func(status int, body []byte, want int) {
		t.Helper()
		replies = append(replies, body)
		if status != want {
			t.Fatalf("status %d, want %d: %s", status, want, body)
		}
	}

	status, _, body := sessionCall(t, "POST", base+"/v1/sessions", map[string]any{"ttl": 120, "secrets": map[string]string{"PASSWORD": fixtures.AppPassword}})
	check(status, body, 200)
	var created api.SessionEnvelope[session.Info]
	if err := json.Unmarshal(body, &created); err != nil || created.Result.ID == "" {
		t.Fatalf("create: %v %s", err, body)
	}
	id := created.Result.ID

	status, _, body = sessionCall(t, "POST", base+"/v1/sessions/"+id+"/actions", map[string]any{"actions": []map[string]any{
		{"action": "navigate", "url": site.URL + "/app/login"},
		{"action": "type", "target": "#username", "text": fixtures.AppUser},
		{"action": "type", "target": "#password", "secret": "PASSWORD", "submit": true},
	}, "formats": []string{"markdown"}})
	check(status, body, 200)
	var acted api.SessionEnvelope[session.ActResult]
	if err := json.Unmarshal(body, &acted); err != nil || !acted.Success || len(acted.Result.Steps) != 3 {
		t.Fatalf("sign in: %v %s", err, body)
	}
	if !strings.Contains(acted.Result.Markdown, "Your balance: 42 loaves") || !strings.Contains(acted.Result.Snapshot, "Welcome, agent") {
		t.Errorf("behind the login: %s\n%s", acted.Result.Markdown, acted.Result.Snapshot)
	}

	status, _, body = sessionCall(t, "GET", base+"/v1/sessions/"+id+"/storage", nil)
	check(status, body, 200)
	var state api.SessionEnvelope[session.StorageState]
	if err := json.Unmarshal(body, &state); err != nil || len(state.Result.Cookies) == 0 {
		t.Fatalf("storage: %v %s", err, body)
	}

	// The second session through the Go client, from the exported state.
	c, err := client.New(client.Options{BaseURL: base, Token: sessionToken})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	second, err := c.CreateSession(ctx, &session.CreateRequest{StorageState: &state.Result})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Act(ctx, second.ID, &session.ActRequest{Actions: []session.Action{{Kind: session.DoNavigate, URL: site.URL + "/app/account"}}})
	if err != nil || res.Failed() != nil || !strings.Contains(res.Snapshot, "Welcome, agent") {
		t.Errorf("the second session: %v %+v", err, res)
	}
	third, err := c.CreateSession(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err = c.Act(ctx, third.ID, &session.ActRequest{Actions: []session.Action{{Kind: session.DoNavigate, URL: site.URL + "/app/account"}}})
	if err != nil || !strings.HasSuffix(res.URL, "/app/login") {
		t.Errorf("the third session: %v %+v", err, res)
	}
	res, err = c.Act(ctx, second.ID, &session.ActRequest{Actions: []session.Action{
		{Kind: session.DoNavigate, URL: site.URL + "/app/"}, {Kind: session.DoClick, Target: "#export"}, {Kind: session.DoWait, TimeMs: 500},
	}})
	if err != nil || len(res.Downloads) != 1 {
		t.Errorf("a download: %v %+v", err, res)
	} else if content, err := c.SessionDownload(ctx, second.ID, 0); err != nil || !strings.HasPrefix(string(content), "name,loaves") {
		t.Errorf("reading the download: %q %v", content, err)
	}
	list, err := c.Sessions(ctx)
	if err != nil || len(list) != 3 {
		t.Errorf("list: %v %d", err, len(list))
	}

	// A failed step: 200 with the page, success false and the step's code.
	status, _, body = sessionCall(t, "POST", base+"/v1/sessions/"+id+"/actions", map[string]any{"actions": []map[string]any{{"action": "click", "target": "#nothing"}}})
	check(status, body, 200)
	if err := json.Unmarshal(body, &acted); err != nil || acted.Success || len(acted.Errors) != 1 || acted.Errors[0].Code != "invalid_request" || acted.Result.URL == "" {
		t.Errorf("a failed step: %s", body)
	}
	// The session budget: a fourth opens, a fifth is 429 with Retry-After.
	if _, err := c.CreateSession(ctx, nil); err != nil {
		t.Fatal(err)
	}
	status, hdr, body := sessionCall(t, "POST", base+"/v1/sessions", map[string]any{})
	check(status, body, 429)
	if hdr.Get("Retry-After") == "" || !strings.Contains(string(body), `"overloaded"`) {
		t.Errorf("a session past the limit: %v %s", hdr, body)
	}
	// Closed is gone, with the reason.
	status, _, body = sessionCall(t, "DELETE", base+"/v1/sessions/"+id, nil)
	check(status, body, 200)
	status, _, body = sessionCall(t, "GET", base+"/v1/sessions/"+id, nil)
	check(status, body, 404)
	if err := c.CloseSession(ctx, third.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Session(ctx, third.ID); !errors.Is(err, render.ErrNotFound) {
		t.Errorf("a closed session through the client: %v", err)
	}
	// Without the token, nothing.
	resp, err := http.Post(base+"/v1/sessions", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("without a token: %d", resp.StatusCode)
	}

	for _, r := range append(replies, log.Bytes()) {
		for _, form := range []string{fixtures.AppPassword, "horse+%26", "horse%20%26", `horse \u0026`, "horse &amp;"} {
			if bytes.Contains(r, []byte(form)) {
				t.Errorf("the password shows (as %q) in: %.300s", form, r)
			}
		}
	}
}

// syncBuffer is a bytes.Buffer that log lines from other goroutines may
// write to while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}
