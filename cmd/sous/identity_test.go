package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
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
// and subresources, the http engine's fetches and redirects, and a
// crawl's robots.txt, sitemaps and pages.
func TestServeSignsEveryRequest(t *testing.T) {
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
	for _, path := range []string{"/redirect/1", "/redirect/2", "/resources.html", "/res/style.css", "/res/font.ttf", "/res/pixel.png", "/res/app.js", "/robots.txt", "/site/sitemap.xml", "/site/"} {
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
