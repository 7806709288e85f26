package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sous-dev/sous/browserpool"
	"github.com/sous-dev/sous/client"
	"github.com/sous-dev/sous/fixtures"
)

// tmpRoot is the temporary directory as the tests started, before any test
// points TMPDIR at its own: what is built or started here for every test
// must outlive the test that happened to ask first.
var tmpRoot = os.TempDir()

// sousBinary is the sous command, built once, at the first call, for the
// tests that run it as a separate process, the way people and CI run it.
var sousBinary = sync.OnceValue(func() string {
	dir, err := os.MkdirTemp(tmpRoot, "sous-bin-")
	if err != nil {
		panic(err)
	}
	binDir = dir
	binary := filepath.Join(dir, "sous")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building sous: %v\n%s", err, out)
		os.Exit(1)
	}
	return binary
})

// binDir holds the built binary, if one was built.
var binDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if err := stopSharedServers(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// server is a running `sous serve`.
type server struct {
	cmd    *exec.Cmd
	url    string
	tmp    string // its TMPDIR, where Chromium's profiles live
	stderr *lockedBuffer
}

// lockedBuffer is a buffer that a test may read while a process writes it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

func (b *lockedBuffer) String() string { return string(b.Bytes()) }

func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	s, err := launchServer(t.TempDir(), args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.stop(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// Servers that tests share, started by the first test that asks for one and
// stopped by TestMain: each `sous serve` costs a Chromium start and its
// warm-up, seconds of CPU on a busy machine. A test that stops, overloads or
// configures its server starts its own.
var (
	sharedMu      sync.Mutex
	sharedServers = map[string]*server{}
)

// sharedServer returns the shared server started with args.
func sharedServer(t *testing.T, args ...string) *server {
	t.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	key := strings.Join(args, " ")
	if s := sharedServers[key]; s != nil {
		return s
	}
	tmp, err := os.MkdirTemp(tmpRoot, "sous-shared-")
	if err != nil {
		t.Fatal(err)
	}
	s, err := launchServer(tmp, args...)
	if err != nil {
		os.RemoveAll(tmp)
		t.Fatal(err)
	}
	sharedServers[key] = s
	return s
}

// stopSharedServers stops the shared servers, reporting what they left.
func stopSharedServers() error {
	var errs []error
	for _, s := range sharedServers {
		errs = append(errs, s.stop())
		os.RemoveAll(s.tmp)
	}
	return errors.Join(errs...)
}

// launchServer starts `sous serve` with args and TMPDIR tmp, and waits until
// it answers. It renders one page at a time unless args say otherwise
// (--concurrency): each tab is a renderer process to start and warm, and
// most tests send one request at a time.
func launchServer(tmp string, args ...string) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &server{url: "http://" + addr, tmp: tmp, stderr: new(lockedBuffer)}
	s.cmd = exec.Command(sousBinary(), append([]string{"serve", "--addr", addr, "--concurrency", "1"}, args...)...)
	s.cmd.Env = append(os.Environ(), "TMPDIR="+s.tmp)
	s.cmd.Stderr = s.stderr
	// A test binary killed by its -timeout runs no cleanup: the server,
	// and with it Chromium, ends with it all the same.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get(s.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			return s, nil
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("sous serve did not come up: %v\n%s", err, s.stderr)
		}
	}
}

// stop ends the server with SIGTERM and checks that it left no Chromium,
// profile or singleton socket behind in its TMPDIR.
func (s *server) stop() error {
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.cmd.Wait()
	// The guard removes Chromium's profile just after sous exits; wait
	// for it so that the test's own TempDir cleanup does not race it.
	if err := noChromiumLeft(s.tmp); err != nil {
		return err
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if m, _ := filepath.Glob(filepath.Join(s.tmp, "sous-chrome-*")); len(m) == 0 {
			break
		}
	}
	// Nor is Chromium's singleton socket directory left in TMPDIR.
	if m, _ := filepath.Glob(filepath.Join(s.tmp, "org.chromium.Chromium.*")); len(m) > 0 {
		return fmt.Errorf("sous serve left %s in its TMPDIR", m)
	}
	return nil
}

func (s *server) render(t *testing.T, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(s.url+"/v1/render", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var reply map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&reply); err != nil {
		t.Fatalf("decoding reply: %v", err)
	}
	return resp.StatusCode, reply
}

// waitNoChromium waits until no Chromium runs with a profile under dir.
func waitNoChromium(t *testing.T, dir string) {
	t.Helper()
	if err := noChromiumLeft(dir); err != nil {
		t.Fatal(err)
	}
}

// noChromiumLeft waits up to 10 s for the Chromium processes whose profile
// is under dir to end.
func noChromiumLeft(dir string) error {
	deadline := time.Now().Add(10 * time.Second)
	for browserpool.CountProcesses(dir) > 0 {
		if time.Now().After(deadline) {
			return fmt.Errorf("%d Chromium processes still running 10 s after sous ended", browserpool.CountProcesses(dir))
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}

// The done-when of the core: a page whose content is made by script comes
// back as markdown, links and a PNG screenshot over real HTTP.
func TestServeRendersScriptMadePage(t *testing.T) {
	t.Parallel()
	site := fixtures.Start()
	defer site.Close()
	s := sharedServer(t, "--allow-private", "--crawl-host-delay", "1ms")
	status, reply := s.render(t, fmt.Sprintf(`{"url": %q, "formats": ["markdown", "links", "screenshot"], "waitForSelector": {"selector": "#app h1"}}`, site.URL+"/spa.html"))
	if status != 200 || reply["success"] != true {
		t.Fatalf("status %d, reply %v", status, reply)
	}
	result := reply["result"].(map[string]any)
	if md, _ := result["markdown"].(string); !strings.Contains(md, "Fetched items") {
		t.Errorf("markdown lacks the script-made heading:\n%s", md)
	}
	if links, _ := result["links"].([]any); len(links) == 0 {
		t.Error("no links")
	}
	shot, _ := base64.StdEncoding.DecodeString(result["screenshot"].(string))
	if _, err := png.Decode(bytes.NewReader(shot)); err != nil {
		t.Errorf("screenshot is not a PNG: %v", err)
	}
	meta := reply["meta"].(map[string]any)
	if meta["status"] != float64(200) || meta["engine"] != "browser" {
		t.Errorf("meta = %v", meta)
	}
}

// Under the default engine, auto, a page whose content is in its HTML is
// served without a browser, and a page that needs script goes to Chromium.
func TestServeEngineAuto(t *testing.T) {
	t.Parallel()
	site := fixtures.Start()
	defer site.Close()
	s := sharedServer(t, "--allow-private", "--crawl-host-delay", "1ms")
	scriptMade := `<div id=app></div><script>app.innerHTML = "<h1>Made by script</h1>"</script>`
	tests := []struct {
		name, body, engine, want string
	}{
		{"static article", fmt.Sprintf(`{"url": %q, "formats": ["text"]}`, site.URL+"/article.html"), "http", "sourdough"},
		{"main content needs a layout", fmt.Sprintf(`{"url": %q, "formats": ["text"], "onlyMainContent": true}`, site.URL+"/article.html"), "browser", "sourdough"},
		{"script-made html", fmt.Sprintf(`{"html": %q}`, scriptMade), "browser", "# Made by script"},
		{"single-page app", fmt.Sprintf(`{"url": %q}`, site.URL+"/spa.html"), "browser", ""},
		{"engine browser", fmt.Sprintf(`{"url": %q, "engine": "browser"}`, site.URL+"/article.html"), "browser", ""},
		{"engine http keeps the empty app", fmt.Sprintf(`{"url": %q, "engine": "http", "formats": ["html"]}`, site.URL+"/spa.html"), "http", `<div id="app"></div>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, reply := s.render(t, tc.body)
			if status != 200 {
				t.Fatalf("status %d, reply %v", status, reply)
			}
			meta := reply["meta"].(map[string]any)
			if meta["engine"] != tc.engine {
				t.Errorf("meta.engine = %v, want %s", meta["engine"], tc.engine)
			}
			out := fmt.Sprint(reply["result"])
			if !strings.Contains(strings.ToLower(out), strings.ToLower(tc.want)) {
				t.Errorf("result lacks %q: %.400s", tc.want, out)
			}
		})
	}
	status, reply := s.render(t, fmt.Sprintf(`{"url": %q, "engine": "http", "formats": ["screenshot"]}`, site.URL+"/article.html"))
	if status != 400 || !strings.Contains(fmt.Sprint(reply["errors"]), "screenshot") {
		t.Errorf("engine http with a screenshot: status %d, %v", status, reply["errors"])
	}
}

func TestServeRejectsBadInput(t *testing.T) {
	t.Parallel()
	s := sharedServer(t)
	tests := []struct{ name, body, code string }{
		{"no url or html", `{}`, "invalid_request"},
		{"malformed url", `{"url": "not a url"}`, "invalid_request"},
		{"unknown format", `{"url": "https://example.com", "formats": ["mp3"]}`, "invalid_request"},
		{"bad json", `{"url": `, "invalid_request"},
		{"misspelt option", `{"url": "https://example.com", "fromats": ["markdown"]}`, "invalid_request"},
		{"private address", `{"url": "http://127.0.0.1:9/"}`, "blocked"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, reply := s.render(t, tc.body)
			errs, _ := reply["errors"].([]any)
			if len(errs) != 1 {
				t.Fatalf("status %d, reply %v", status, reply)
			}
			e := errs[0].(map[string]any)
			if e["code"] != tc.code || e["message"] == "" {
				t.Errorf("error = %v, want code %s", e, tc.code)
			}
			want := map[string]int{"invalid_request": 400, "blocked": 403}[tc.code]
			if status != want {
				t.Errorf("status = %d, want %d", status, want)
			}
		})
	}
}

// Past --concurrency and --queue, callers get 429 with Retry-After at once.
func TestServeOverloadGives429(t *testing.T) {
	t.Parallel()
	site := fixtures.Start()
	defer site.Close()
	s := startServer(t, "--allow-private", "--queue", "0")
	// cacheTTL 0: identical requests that may use the cache share one render
	// instead of taking a tab each.
	body := fmt.Sprintf(`{"url": %q, "engine": "browser", "gotoOptions": {"timeout": 4000}, "cacheTTL": 0}`, site.URL+"/never.html")
	done := make(chan struct{})
	for range 1 { // fill its tab
		go func() {
			http.Post(s.url+"/v1/render", "application/json", strings.NewReader(body))
			done <- struct{}{}
		}()
	}
	waitFor(t, "the first render to take the tab", func() bool {
		resp, err := http.Get(s.url + "/pressure")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var p struct{ Pressure struct{ Running int } }
		return json.NewDecoder(resp.Body).Decode(&p) == nil && p.Pressure.Running == 1
	})
	resp, err := http.Post(s.url+"/v1/render", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("status %d, Retry-After %q; want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	<-done
}

// waitFor waits, against a hang only, until cond holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

// On SIGTERM, sous takes no new work, lets renders in flight finish within
// --shutdown-grace, then cancels them; a second signal exits at once.
// Either way no Chromium is left. The render here never finishes, with a
// deadline of a minute: had shutdown waited for it, its reply would be a
// timeout.
func TestShutdown(t *testing.T) {
	t.Parallel()
	site := fixtures.Start()
	defer site.Close()
	hanging := fmt.Sprintf(`{"url": %q, "engine": "browser", "gotoOptions": {"timeout": 60000}}`, site.URL+"/hang")
	inFlight := func(s *server) <-chan map[string]any {
		replies := make(chan map[string]any, 1)
		before := site.Hits("/hang")
		go func() {
			resp, err := http.Post(s.url+"/v1/render", "application/json", strings.NewReader(hanging))
			if err != nil {
				replies <- nil // no reply at all
				return
			}
			defer resp.Body.Close()
			var reply map[string]any
			json.NewDecoder(resp.Body).Decode(&reply)
			replies <- reply
		}()
		waitFor(t, "the render to start", func() bool { return site.Hits("/hang") > before })
		return replies
	}

	t.Run("grace, then cancel", func(t *testing.T) {
		s := startServer(t, "--allow-private", "--shutdown-grace", "1s")
		replies := inFlight(s)
		s.cmd.Process.Signal(syscall.SIGTERM)
		reply := <-replies
		if reply == nil || reply["success"] != false || strings.Contains(fmt.Sprint(reply["errors"]), "timeout") {
			t.Errorf("the render in flight: %v; want it cancelled after the grace, not timed out", reply)
		}
		if err := s.cmd.Wait(); err != nil {
			t.Errorf("sous exited with %v\n%s", err, s.stderr)
		}
		waitNoChromium(t, s.tmp)
	})

	t.Run("a second signal", func(t *testing.T) {
		s := startServer(t, "--allow-private", "--shutdown-grace", "10m")
		replies := inFlight(s)
		s.cmd.Process.Signal(syscall.SIGINT)
		waitFor(t, "the shutdown to begin", func() bool { return strings.Contains(s.stderr.String(), "shutting down") })
		s.cmd.Process.Signal(syscall.SIGINT)
		exited := make(chan error, 1)
		go func() { exited <- s.cmd.Wait() }()
		select {
		case <-exited:
		case <-time.After(2 * time.Minute): // against a hang: the grace is 10 minutes
			t.Fatalf("sous did not exit after a second signal\n%s", s.stderr)
		}
		if reply := <-replies; reply != nil && (reply["success"] != false || strings.Contains(fmt.Sprint(reply["errors"]), "timeout")) {
			t.Errorf("the render in flight: %v; want no reply, or its cancellation", reply)
		}
		if !strings.Contains(s.stderr.String(), "second signal") {
			t.Errorf("no word of the second signal:\n%s", s.stderr)
		}
		waitNoChromium(t, s.tmp)
	})
}

// However sous ends, no Chromium outlives it.
func TestNoChromiumOutlivesSous(t *testing.T) {
	t.Parallel()
	site := fixtures.Start()
	defer site.Close()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			s := startServer(t, "--allow-private")
			if status, reply := s.render(t, fmt.Sprintf(`{"url": %q}`, site.URL+"/article.html")); status != 200 {
				t.Fatalf("status %d: %v", status, reply)
			}
			if browserpool.CountProcesses(s.tmp) == 0 {
				t.Fatal("no Chromium found while sous runs; the check is broken")
			}
			s.cmd.Process.Signal(sig)
			done := make(chan error, 1)
			go func() { done <- s.cmd.Wait() }()
			select {
			case err := <-done:
				if sig != syscall.SIGKILL && err != nil {
					t.Errorf("sous exited with %v after %v\n%s", err, sig, s.stderr)
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("sous did not exit after %v", sig)
			}
			waitNoChromium(t, s.tmp)
		})
	}
}

func TestRenderCommand(t *testing.T) {
	t.Parallel()
	site := fixtures.Start()
	defer site.Close()
	tmp := t.TempDir()
	out := filepath.Join(tmp, "page.md")
	// Flags after the URL, as the README types them.
	cmd := exec.Command(sousBinary(), "render", site.URL+"/article.html", "-f", "markdown", "-o", out, "--allow-private", "--engine", "browser")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sous render: %v\n%s", err, b)
	}
	md, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "# ") || !strings.Contains(strings.ToLower(string(md)), "sourdough") {
		t.Errorf("markdown:\n%s", md)
	}
	waitNoChromium(t, tmp)

	// Under engine auto a page the HTTP engine reads starts no browser: it
	// renders with no Chromium to start, and one that needs Chromium says so.
	noChrome := exec.Command(sousBinary(), "render", site.URL+"/article.html", "--allow-private", "--chrome", "/nonexistent/chromium")
	noChrome.Env = cmd.Env
	if b, err := noChrome.CombinedOutput(); err != nil || !strings.Contains(strings.ToLower(string(b)), "sourdough") {
		t.Errorf("sous render of a static page without Chromium: %v\n%s", err, b)
	}
	noChrome = exec.Command(sousBinary(), "render", site.URL+"/spa.html", "--allow-private", "--chrome", "/nonexistent/chromium")
	noChrome.Env = cmd.Env
	if b, err := noChrome.CombinedOutput(); err == nil || !strings.Contains(string(b), "/nonexistent/chromium") {
		t.Errorf("sous render of an app without Chromium: %v\n%s", err, b)
	}

	// A script over the page, run by an isolate worker that ends with sous;
	// and engine http, which needs no browser at all.
	scripted := exec.Command(sousBinary(), "render", "--allow-private", "--engine", "http", "--script", "return {title: page.title, long: page.markdown.length > 500}", site.URL+"/article.html")
	scripted.Env = cmd.Env
	if b, err := scripted.CombinedOutput(); err != nil || !strings.Contains(string(b), `"long": true`) || !strings.Contains(strings.ToLower(string(b)), "sourdough") {
		t.Errorf("sous render --script: %v\n%s", err, b)
	}
	hostile := exec.Command(sousBinary(), "render", "--allow-private", "--engine", "http", "--script", "while (true) {}", site.URL+"/article.html")
	if b, err := hostile.CombinedOutput(); err == nil || !strings.Contains(string(b), "timed out") {
		t.Errorf("sous render with an endless script: %v\n%s", err, b)
	}

	// The same through a running service, with the Go client.
	s := sharedServer(t, "--allow-private", "--crawl-host-delay", "1ms")
	viaServer := exec.Command(sousBinary(), "render", "--server", s.url, "-f", "text", site.URL+"/article.html")
	if b, err := viaServer.CombinedOutput(); err != nil || !strings.Contains(strings.ToLower(string(b)), "sourdough") {
		t.Errorf("sous render --server: %v\n%s", err, b)
	}

}

// The command line as people type it: help and version exit 0, a mistake
// is one line saying what to do and exits 2, and nothing says "sous:" twice.
func TestCommandLine(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		status     int
		stdout     string // a part of standard output
		stderrLine string // the whole of standard error, when one line
	}{
		{name: "bare", args: nil, status: 2},
		{name: "help", args: []string{"help"}, status: 0, stdout: "sous render URL"},
		{name: "version", args: []string{"--version"}, status: 0, stdout: "sous "},
		{name: "version command", args: []string{"version"}, status: 0, stdout: "sous "},
		{name: "unknown command", args: []string{"rendr"}, status: 2, stderrLine: `sous: unknown command "rendr" (run "sous help" for the commands)`},
		{name: "render help", args: []string{"render", "--help"}, status: 0, stdout: "-f string"},
		{name: "render -h", args: []string{"render", "https://example.com", "-h"}, status: 0, stdout: "-wait-until"},
		{name: "crawl help", args: []string{"crawl", "--help"}, status: 0, stdout: "-jsonl"},
		{name: "serve help", args: []string{"serve", "--help"}, status: 0, stdout: "-queue value"},
		{name: "mcp help", args: []string{"mcp", "--help"}, status: 0, stdout: "-allow-private"},
		{name: "bench help", args: []string{"bench", "--help"}, status: 0, stdout: "-modes"},
		{name: "render no URL", args: []string{"render"}, status: 2, stderrLine: `sous: render takes one URL, got 0: [] (run "sous render --help" for the flags)`},
		{name: "render two URLs", args: []string{"render", "https://a.example", "-f", "text", "https://b.example"}, status: 2,
			stderrLine: `sous: render takes one URL, got 2: ["https://a.example" "https://b.example"] (run "sous render --help" for the flags)`},
		{name: "render bad flag", args: []string{"render", "https://example.com", "--formt", "text"}, status: 2,
			stderrLine: `sous: flag provided but not defined: -formt (run "sous render --help" for the flags)`},
		{name: "crawl no URL", args: []string{"crawl", "-o", "x"}, status: 2, stderrLine: `sous: crawl takes one URL, got 0: [] (run "sous crawl --help" for the flags)`},
		{name: "serve argument", args: []string{"serve", "now"}, status: 2, stderrLine: `sous: serve takes no arguments, got ["now"] (run "sous serve --help" for the flags)`},
		{name: "short token", args: []string{"serve", "--token", "abc"}, status: 2,
			stderrLine: `sous: invalid value "abc" for flag -token: a token must have at least 16 characters, so that it cannot be guessed (run "sous serve --help" for the flags)`},
		{name: "bad queue", args: []string{"serve", "--queue", "-1"}, status: 2,
			stderrLine: `sous: invalid value "-1" for flag -queue: want a number of renders, 0 or more, not "-1" (run "sous serve --help" for the flags)`},
		// "--" ends the flags: what follows is an argument even if it looks like one.
		{name: "double dash", args: []string{"render", "--", "-f"}, status: 1, stderrLine: `sous: invalid request: url must start with http:// or https://, not "-f"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var stdout, stderr bytes.Buffer
			err := run(ctx, tt.args, nil, &stdout, &stderr)
			status := exitStatus(err, &stderr)
			if status != tt.status {
				t.Errorf("exit status %d, want %d (err %v)", status, tt.status, err)
			}
			if !strings.Contains(stdout.String(), tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, &stdout)
			}
			if tt.stderrLine != "" && strings.TrimSuffix(stderr.String(), "\n") != tt.stderrLine {
				t.Errorf("stderr\n%s\nwant\n%s", &stderr, tt.stderrLine)
			}
			if strings.Contains(stderr.String(), "sous: sous:") || strings.Contains(stderr.String(), "exit status") {
				t.Errorf("stderr:\n%s", &stderr)
			}
		})
	}

	// An error the service answered, as sous render --server prints it.
	var stderr bytes.Buffer
	exitStatus(fmt.Errorf("render: %w", &client.Error{Status: 401, Code: "unauthorized", Message: "a bearer token is required"}), &stderr)
	if got, want := stderr.String(), "sous: render: the service answered 401 unauthorized: a bearer token is required\n"; got != want {
		t.Errorf("stderr %q, want %q", got, want)
	}
}
