// Package identitytest checks Web Bot Auth signatures in tests with an
// independent verifier, Cloudflare's reference implementation run by node
// (see verify-web-bot-auth.mjs), and records the requests a test server
// receives so that their signatures can be checked.
//
//	rec := &identitytest.Recorder{}
//	site := httptest.NewServer(rec.Wrap(handler))
//	// … make Sous fetch from site …
//	report := identitytest.Verify(t, directoryURL, 0, rec.Requests())
package identitytest

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

//go:embed verify-web-bot-auth.mjs
var script []byte

// Request is a request as a server received it.
type Request struct {
	Method  string      `json:"method"`
	URL     string      `json:"url"`
	Headers [][2]string `json:"headers"`
}

// Header returns the first value of the header name.
func (r Request) Header(name string) string {
	for _, h := range r.Headers {
		if http.CanonicalHeaderKey(h[0]) == http.CanonicalHeaderKey(name) {
			return h[1]
		}
	}
	return ""
}

// Recorder keeps every request that reaches the handlers it wraps.
type Recorder struct {
	mu   sync.Mutex
	reqs []Request
}

// Wrap records each request, then hands it to next.
func (rec *Recorder) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		req := Request{Method: r.Method, URL: scheme + "://" + r.Host + r.RequestURI}
		for name, values := range r.Header {
			for _, v := range values {
				req.Headers = append(req.Headers, [2]string{name, v})
			}
		}
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, req)
		rec.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

// Requests returns the requests recorded so far, oldest first.
func (rec *Recorder) Requests() []Request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]Request(nil), rec.reqs...)
}

// Reset forgets the requests recorded so far.
func (rec *Recorder) Reset() {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.reqs = nil
}

// Result is the verifier's verdict on one thing.
type Result struct {
	OK    bool   `json:"ok"`
	Error string `json:"error"`
	KeyID string `json:"keyid"`
	Keys  int    `json:"keys"`
}

// Report is the verifier's verdict on a directory and on requests, in the
// order given.
type Report struct {
	Directory Result   `json:"directory"`
	Requests  []Result `json:"requests"`
}

// Verify runs the independent verifier over reqs, with the key directory
// at directoryURL, at time now (Unix seconds; 0 is the present). It skips
// the test when node or npm is missing or the verifier cannot be installed.
func Verify(t testing.TB, directoryURL string, now int64, reqs []Request) Report {
	t.Helper()
	dir := install(t)
	in, err := json.Marshal(map[string]any{"directory": directoryURL, "now": nowOrNil(now), "requests": reqs})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", filepath.Join(dir, "verify-web-bot-auth.mjs"))
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the verifier failed: %v\n%s", err, stderr.Bytes())
	}
	var report Report
	if err := json.Unmarshal(out, &report); err != nil {
		t.Fatalf("the verifier said %s: %v", out, err)
	}
	return report
}

func nowOrNil(now int64) any {
	if now == 0 {
		return nil
	}
	return now
}

var installMu sync.Mutex

// install puts the verifier and its npm packages (web-bot-auth, and
// http-message-sig 0.3 under another name) in the user's cache directory
// (~/.cache/sous/web-bot-auth), once per machine, and returns where.
func install(t testing.TB) string {
	t.Helper()
	installMu.Lock()
	defer installMu.Unlock()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed; skipping the Web Bot Auth verifier", tool)
		}
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Skipf("no cache directory for the verifier: %v", err)
	}
	dir := filepath.Join(cache, "sous", "web-bot-auth")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "http-message-sig-rfc9421")); err != nil {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		npm := exec.Command("npm", "install", "--no-audit", "--no-fund", "--prefix", dir,
			"web-bot-auth@0.1.3", "http-message-sig-rfc9421@npm:http-message-sig@0.3.0")
		if out, err := npm.CombinedOutput(); err != nil {
			t.Skipf("npm could not install the verifier: %v\n%s", err, out)
		}
	}
	if err := writeScript(filepath.Join(dir, "verify-web-bot-auth.mjs")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// writeScript puts the verifier at path unless it is there already, whole:
// written beside it and renamed into place, since another package's tests,
// in another process, may be running it. (Written in place, a verifier
// read while truncated ran as an empty script and said nothing.)
func writeScript(path string) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, script) {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".verify-*.mjs")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // gone once renamed
	if _, err := tmp.Write(script); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
