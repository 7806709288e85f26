package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sous-dev/sous/crawl"
	"github.com/sous-dev/sous/fixtures"
)

// markdownFiles lists the .md files under dir, relative to it.
func markdownFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".md") {
			rel, _ := filepath.Rel(dir, path)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	slices.Sort(files)
	return files
}

// The done-when of crawling: sous crawl writes the fixture site to one
// markdown file per page, in Chromium, and through a running service;
// --jsonl writes every record.
func TestCrawlCommand(t *testing.T) {
	t.Parallel()
	site := fixtures.Start()
	defer site.Close()
	tmp := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // against a hang only
	defer cancel()
	// No page hangs (/never.html's load event never fires, but its
	// DOMContentLoaded does), so that the deadline only guards against a
	// hang and a busy machine cannot fail a page.
	want := []string{"never.md", "site/a.md", "site/b.md", "site/deep.md", "site/deeper.md", "site/docs/index.md",
		"site/index.md", "site/only-in-sitemap.md", "site/query_a_1_b_2.md"}

	// The crawl in Chromium runs the built command, as people run it, with
	// its own TMPDIR for Chromium's profile: the test runs beside others.
	dir := filepath.Join(tmp, "out")
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, sousBinary(), "crawl", site.URL+"/site/", "-o", dir, "--allow-private", "--host-delay", "1ms", "--limit", "50", "--wait-until", "domcontentloaded", "--timeout", "60s")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("sous crawl: %v\n%s", err, stderr.String())
	}
	if got := markdownFiles(t, dir); !slices.Equal(got, want) {
		t.Errorf("files %q, want %q", got, want)
	}
	a, err := os.ReadFile(filepath.Join(dir, "site", "a.md"))
	if err != nil || !strings.HasPrefix(string(a), "---\nurl: "+site.URL+"/site/a.html\ntitle: \"Page A\"\nstatus: 200\n---\n\n# Page A") {
		t.Errorf("a.md: %v\n%s", err, a)
	}
	if !strings.Contains(stdout.String(), "completed: 9 pages written") {
		t.Errorf("stdout %q", stdout.String())
	}
	// Not a terminal: a plain line per page.
	for _, line := range []string{"completed  " + site.URL + "/site/a.html", "disallowed " + site.URL + "/site/private/secret.html", "errored    " + site.URL + "/site/broken.html"} {
		if !strings.Contains(stderr.String(), line) {
			t.Errorf("stderr lacks %q:\n%s", line, stderr.String())
		}
	}
	waitNoChromium(t, tmp)

	// Every record as JSON, without a browser.
	jsonDir := filepath.Join(tmp, "jsonl")
	stdout.Reset()
	if err := run(ctx, []string{"crawl", "--allow-private", "--host-delay", "1ms", "-render=false", "--jsonl", "--limit", "50", "-o", jsonDir, site.URL + "/site/"}, nil, &stdout, new(bytes.Buffer)); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(jsonDir, "crawl.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r crawl.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		seen[strings.TrimPrefix(r.URL, site.URL)] = string(r.Status)
	}
	if len(seen) != len(fixtures.CrawlSite) || seen["/site/private/secret.html"] != "disallowed" || seen["https://example.org/elsewhere"] != "skipped" {
		t.Errorf("jsonl records: %v", seen)
	}

	// Through a running service.
	s := sharedServer(t, "--allow-private", "--crawl-host-delay", "1ms")
	viaServer := filepath.Join(tmp, "server")
	stdout.Reset()
	if err := run(ctx, []string{"crawl", "--server", s.url, "-render=false", "--limit", "50", "-o", viaServer, site.URL + "/site/"}, nil, &stdout, new(bytes.Buffer)); err != nil {
		t.Fatalf("sous crawl --server: %v\n%s", err, s.stderr)
	}
	if got := markdownFiles(t, viaServer); !slices.Equal(got, want) {
		t.Errorf("files via the server %q", got)
	}

	if err := run(ctx, []string{"crawl"}, nil, new(bytes.Buffer), new(bytes.Buffer)); err == nil {
		t.Error("crawl with no URL succeeded")
	}

	// A local site without --allow-private: every page is refused, which
	// is a failure that says what to do, not "completed: 0 pages written".
	err = run(ctx, []string{"crawl", site.URL + "/site/", "-o", filepath.Join(tmp, "blocked"), "--host-delay", "1ms", "-render=false"}, nil, new(bytes.Buffer), new(bytes.Buffer))
	if err == nil || !strings.Contains(err.Error(), "no page could be crawled") || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("crawl of a blocked site: %v", err)
	}
	waitNoChromium(t, tmp)
}

// On a terminal, progress is a bar redrawn in place.
func TestCrawlProgressBar(t *testing.T) {
	var out bytes.Buffer
	v := newProgressView(&out, true)
	v.update(crawl.Update{Progress: crawl.Progress{Total: 10, Finished: 5, Errored: 1}})
	v.done()
	if got := out.String(); !strings.HasPrefix(got, "\r[###############...............] 5/10 pages, 1 errored, 0 disallowed") || !strings.HasSuffix(got, "\n") {
		t.Errorf("%q", got)
	}
}
