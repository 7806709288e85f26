package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sous-dev/sous/fixtures"
	"github.com/sous-dev/sous/identity"
	"github.com/sous-dev/sous/identity/identitytest"
)

// sous keygen writes a key that --identity-key reads, prints its keyid,
// and never overwrites one.
func TestKeygen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sous.key")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"keygen", "--out", path}, nil, &out, &out); err != nil {
		t.Fatalf("keygen: %v\n%s", err, out.String())
	}
	keys, err := identity.ReadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "keyid " + identity.Thumbprint(keys[0].Public().(ed25519.PublicKey)); !strings.Contains(out.String(), want) {
		t.Errorf("output %q lacks %q", out.String(), want)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"keygen", "--out", path}, nil, &out, &out); err == nil {
		t.Error("keygen overwrote a key")
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("the key changed")
	}
	if err := run(context.Background(), []string{"keygen"}, nil, &out, &out); err == nil {
		t.Error("keygen without --out succeeded")
	}
}

// With --identity-key, every request sous serve makes is signed and
// verifies with Cloudflare's reference verifier reading the directory the
// service serves at its own address: the browser's document, redirects
// and subresources, a session's navigation, the http engine's fetches and
// redirects, and a crawl's robots.txt, sitemaps and pages.
func TestServeSignsEveryRequest(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs Chromium and node")
	}
	keyFile := filepath.Join(t.TempDir(), "sous.key")
	key, err := identity.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := identity.WriteKeyFile(keyFile, key); err != nil {
		t.Fatal(err)
	}
	rec := &identitytest.Recorder{}
	site := httptest.NewServer(rec.Wrap(fixtures.Handler()))
	defer site.Close()
	s := startServer(t, "--allow-private", "--identity-key", keyFile, "--crawl-host-delay", "1ms")

	for _, body := range []string{
		`{"url": "` + site.URL + `/redirect/1", "engine": "browser", "formats": ["text"]}`,
		`{"url": "` + site.URL + `/resources.html", "engine": "browser", "formats": ["text"]}`,
		`{"url": "` + site.URL + `/redirect/2", "engine": "http", "formats": ["text"]}`,
	} {
		if status, reply := s.render(t, body); status != 200 {
			t.Fatalf("render %s: %d %v", body, status, reply)
		}
	}
	// A session's navigation and its subresources.
	resp, err := http.Post(s.url+"/v1/sessions", "application/json", strings.NewReader(`{"ttl": 60}`))
	if err != nil {
		t.Fatal(err)
	}
	var opened struct{ Result struct{ ID string } }
	err = json.NewDecoder(resp.Body).Decode(&opened)
	resp.Body.Close()
	if err != nil || opened.Result.ID == "" {
		t.Fatalf("open a session: %v %+v", err, opened)
	}
	resp, err = http.Post(s.url+"/v1/sessions/"+opened.Result.ID+"/actions", "application/json",
		strings.NewReader(`{"actions": [{"action": "navigate", "url": "`+site.URL+`/links.html"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("session navigate: %d", resp.StatusCode)
	}
	resp.Body.Close()

	var stdout bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := run(ctx, []string{"crawl", "--server", s.url, "-render=false", "--limit", "3", "-o", t.TempDir(), site.URL + "/site/"}, nil, &stdout, new(bytes.Buffer)); err != nil {
		t.Fatalf("sous crawl --server: %v\n%s", err, s.stderr)
	}

	reqs := rec.Requests()
	seen := map[string]bool{}
	for _, r := range reqs {
		u, err := url.Parse(r.URL)
		if err != nil {
			t.Fatal(err)
		}
		seen[u.Path] = true
	}
	for _, path := range []string{"/links.html", "/redirect/1", "/redirect/2", "/resources.html", "/res/style.css", "/res/font.ttf", "/res/pixel.png", "/res/app.js", "/robots.txt", "/site/sitemap.xml", "/site/"} {
		if !seen[path] {
			t.Errorf("the site never saw %s (saw %v)", path, seen)
		}
	}
	report := identitytest.Verify(t, s.url+identity.DirectoryPath, 0, reqs)
	if !report.Directory.OK {
		t.Fatalf("directory: %+v", report.Directory)
	}
	want := identity.Thumbprint(key.Public().(ed25519.PublicKey))
	for i, r := range report.Requests {
		if !r.OK || r.KeyID != want {
			t.Errorf("%s %s: %+v", reqs[i].Method, reqs[i].URL, r)
		}
	}
}

// A render reports its site's Content Signals, read from robots.txt once
// for many renders; with --respect-signals, a purpose the site refuses is
// code disallowed, and the page is not fetched.
func TestServeContentSignals(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs sous serve")
	}
	site := fixtures.Start()
	defer site.Close()
	s := startServer(t, "--allow-private", "--respect-signals")
	want := map[string]any{"search": "yes", "ai-input": "yes", "ai-train": "no"}
	for _, purpose := range []string{"", "search", "ai-input"} {
		status, reply := s.render(t, `{"url": "`+site.URL+`/article.html", "engine": "http", "formats": ["text"], "purpose": "`+purpose+`"}`)
		meta, _ := reply["meta"].(map[string]any)
		if status != 200 || !reflect.DeepEqual(meta["contentSignals"], want) {
			t.Errorf("purpose %q: %d, contentSignals %v; want 200, %v", purpose, status, meta["contentSignals"], want)
		}
	}
	before := site.Hits("/about.html")
	status, reply := s.render(t, `{"url": "`+site.URL+`/about.html", "engine": "http", "purpose": "ai-train"}`)
	errs, _ := reply["errors"].([]any)
	if status != 403 || len(errs) != 1 || errs[0].(map[string]any)["code"] != "disallowed" || !strings.Contains(errs[0].(map[string]any)["message"].(string), "ai-train=no") {
		t.Errorf("ai-train: %d %v; want 403 disallowed", status, reply)
	}
	if site.Hits("/about.html") != before {
		t.Error("a refused page was fetched")
	}
	if n := site.Hits("/robots.txt"); n != 1 {
		t.Errorf("robots.txt fetched %d times for 4 renders of one site, want 1", n)
	}
	// A render of the site's root reports its llms.txt, read once.
	wantLLMs := map[string]any{"url": site.URL + "/llms.txt", "title": "Sous fixtures", "summary": "Pages for testing Sous: a small site to crawl.", "links": 3.0}
	for range 2 {
		status, reply = s.render(t, `{"url": "`+site.URL+`/", "engine": "http", "cacheTTL": 0}`)
		if meta, _ := reply["meta"].(map[string]any); status != 200 || !reflect.DeepEqual(meta["llmsTxt"], wantLLMs) {
			t.Errorf("root: %d, llmsTxt %v; want %v", status, meta["llmsTxt"], wantLLMs)
		}
	}
	if _, reply := s.render(t, `{"url": "`+site.URL+`/article.html", "engine": "http"}`); reply["meta"].(map[string]any)["llmsTxt"] != nil {
		t.Error("a page that is not the root reports the llms.txt")
	}
	if n := site.Hits("/llms.txt"); n != 1 {
		t.Errorf("llms.txt fetched %d times, want 1", n)
	}
	// Without a key, a pay-per-crawl page is not paid.
	status, reply = s.render(t, `{"url": "`+site.URL+`/pay/0.01", "engine": "http"}`)
	if meta, _ := reply["meta"].(map[string]any); status != 402 || meta["price"] != "USD 0.01" || !strings.Contains(fmt.Sprint(reply["errors"]), "pays no site") {
		t.Errorf("unpaid: %d %v", status, reply)
	}
}

// Pay-per-crawl: a price under --max-price is paid, signed, by either
// engine and reported; one over it, or past what is left of the budget,
// is payment_required with the price; x402 terms come back intact; the
// account shows in /metrics and /pressure.
func TestServePayPerCrawl(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs sous serve")
	}
	keyFile := filepath.Join(t.TempDir(), "sous.key")
	if err := run(context.Background(), []string{"keygen", "--out", keyFile}, nil, new(bytes.Buffer), new(bytes.Buffer)); err != nil {
		t.Fatal(err)
	}
	site := fixtures.Start()
	defer site.Close()
	s := startServer(t, "--allow-private", "--identity-key", keyFile, "--max-price", "0.05", "--payment-budget", "0.05")
	render := func(path, engine string) (int, map[string]any, map[string]any) {
		status, reply := s.render(t, `{"url": "`+site.URL+path+`", "engine": "`+engine+`", "formats": ["text"], "cacheTTL": 0}`)
		meta, _ := reply["meta"].(map[string]any)
		return status, reply, meta
	}
	// A crawl of four pages at USD 0.02 pays page by page until the budget
	// of 0.05 runs out: two paid, two refused.
	crawlResult := crawlToEnd(t, s.url, `{"url": "`+site.URL+`/paysite/", "limit": 5, "render": false, "source": "links"}`)
	if p, _ := crawlResult["payments"].(map[string]any); p == nil || p["paid"] != 2.0 || p["refused"] != 2.0 || p["charged"] != "USD 0.04" {
		t.Errorf("crawl payments %v; want 2 paid (USD 0.04), 2 refused", crawlResult["payments"])
	}
	// What is left, 0.01, pays two single pages at 0.005, by either engine.
	for _, engine := range []string{"http", "browser"} {
		status, reply, meta := render("/pay/0.005", engine)
		result, _ := reply["result"].(map[string]any)
		if status != 200 || meta["charged"] != "USD 0.005" || !strings.Contains(fmt.Sprint(result["text"]), "paid for by the crawler") {
			t.Errorf("%s: %d %v; want the paid page, charged USD 0.005", engine, status, reply)
		}
	}
	for _, tc := range []struct{ path, why string }{
		{"/pay/0.02", "left of --payment-budget"},
		{"/pay/0.10", "more than --max-price"},
	} {
		status, reply, meta := render(tc.path, "http")
		errs, _ := reply["errors"].([]any)
		if status != 402 || len(errs) != 1 || errs[0].(map[string]any)["code"] != "payment_required" ||
			!strings.Contains(fmt.Sprint(errs[0].(map[string]any)["message"]), tc.why) || meta["price"] != "USD "+strings.TrimPrefix(tc.path, "/pay/") {
			t.Errorf("%s: %d %v; want 402 payment_required (%s) with meta.price", tc.path, status, reply, tc.why)
		}
	}
	for _, tc := range []struct{ path, want string }{
		{"/x402/v2", fixtures.X402Requirements},
		{"/x402/v1", fixtures.X402V1Body},
	} {
		status, reply, meta := render(tc.path, "http")
		got, _ := json.Marshal(meta["payment"])
		var want any
		if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
			t.Fatal(err)
		}
		wantJSON, _ := json.Marshal(want)
		if status != 402 || string(got) != string(wantJSON) {
			t.Errorf("%s: %d %v; want 402 with meta.payment %s", tc.path, status, reply, tc.want)
		}
	}
	metrics := get(t, s.url+"/metrics")
	for _, line := range []string{"sous_payments_charged_total 4", "sous_payments_spent_usd_total 0.05", "sous_payments_budget_left_usd 0"} {
		if !strings.Contains(metrics, line+"\n") {
			t.Errorf("/metrics lacks %q", line)
		}
	}
	if p := get(t, s.url+"/pressure"); !strings.Contains(p, `"paymentBudgetLeft":0`) {
		t.Errorf("/pressure: %s", p)
	}
}

// crawlToEnd runs a crawl job on the service at base and returns its
// result once it has ended.
func crawlToEnd(t *testing.T, base, body string) map[string]any {
	t.Helper()
	resp, err := http.Post(base+"/v1/crawl", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var created struct{ Result string }
	err = json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if err != nil || created.Result == "" {
		t.Fatalf("start crawl: %v %+v", err, created)
	}
	var result map[string]any
	waitFor(t, "the crawl to end", func() bool {
		var reply struct{ Result map[string]any }
		if err := json.Unmarshal([]byte(get(t, base+"/v1/crawl/"+created.Result)), &reply); err != nil {
			t.Fatal(err)
		}
		result = reply.Result
		return result["status"] != "running"
	})
	return result
}

func get(t *testing.T, rawURL string) string {
	t.Helper()
	resp, err := http.Get(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
