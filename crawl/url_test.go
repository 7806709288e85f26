package crawl

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNormalize(t *testing.T) {
	base, _ := url.Parse("https://Example.com/docs/guide/")
	tests := []struct {
		name, ref, want, key string
	}{
		{"case of scheme and host", "HTTPS://WWW.Example.COM/Path", "https://www.example.com/Path", "https://www.example.com/Path"},
		{"default http port", "http://example.com:80/a", "http://example.com/a", "http://example.com/a"},
		{"default https port", "https://example.com:443/a", "https://example.com/a", "https://example.com/a"},
		{"other port kept", "https://example.com:8443/a", "https://example.com:8443/a", "https://example.com:8443/a"},
		{"fragment dropped", "https://example.com/a#part", "https://example.com/a", "https://example.com/a"},
		{"query sorted", "https://example.com/a?b=2&a=1&", "https://example.com/a?a=1&b=2", "https://example.com/a?a=1&b=2"},
		{"empty query dropped", "https://example.com/a?", "https://example.com/a", "https://example.com/a"},
		{"empty path", "https://example.com", "https://example.com/", "https://example.com/"},
		{"trailing slash kept, not keyed", "https://example.com/docs/", "https://example.com/docs/", "https://example.com/docs"},
		{"dot segments", "https://example.com/a/./b/../c", "https://example.com/a/c", "https://example.com/a/c"},
		{"relative", "../intro.html#top", "https://example.com/docs/intro.html", "https://example.com/docs/intro.html"},
		{"root relative", "/x?z=1&y=2", "https://example.com/x?y=2&z=1", "https://example.com/x?y=2&z=1"},
		{"credentials dropped", "https://user:pw@example.com/a", "https://example.com/a", "https://example.com/a"},
		{"ipv6", "http://[::1]:8080/a", "http://[::1]:8080/a", "http://[::1]:8080/a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, err := Normalize(base, tc.ref)
			if err != nil {
				t.Fatal(err)
			}
			if got := u.String(); got != tc.want {
				t.Errorf("Normalize(%q) = %q, want %q", tc.ref, got, tc.want)
			}
			if got := sameKey(u); got != tc.key {
				t.Errorf("sameKey = %q, want %q", got, tc.key)
			}
		})
	}
	for _, ref := range []string{"mailto:a@example.com", "javascript:void(0)", "ftp://example.com/x", "data:text/html,hi", "tel:+1"} {
		if u, err := Normalize(base, ref); err == nil {
			t.Errorf("Normalize(%q) = %v, want an error", ref, u)
		}
	}
}

func TestScope(t *testing.T) {
	start, _ := Normalize(nil, "https://www.example.com/docs/")
	tests := []struct {
		name string
		opts Scope
		yes  []string
		no   []string
	}{
		{"same host by default", Scope{},
			[]string{"https://www.example.com/a", "http://www.example.com/b"},
			[]string{"https://example.com/a", "https://api.example.com/a", "https://other.org/", "https://www.example.com:8443/a"}},
		{"subdomains", Scope{IncludeSubdomains: true},
			[]string{"https://example.com/a", "https://api.example.com/a", "https://a.b.example.com/"},
			[]string{"https://notexample.com/", "https://other.org/"}},
		{"external", Scope{IncludeExternalLinks: true},
			[]string{"https://other.org/", "https://www.example.com/a"}, nil},
		{"include, whole URL", Scope{IncludePatterns: []string{"https://www.example.com/docs/**"}},
			[]string{"https://www.example.com/docs/a", "https://www.example.com/docs/a/b"},
			[]string{"https://www.example.com/blog/a"}},
		{"include, path with one star", Scope{IncludePatterns: []string{"/docs/*"}},
			[]string{"https://www.example.com/docs/a"},
			[]string{"https://www.example.com/docs/a/b"}},
		{"exclude wins", Scope{IncludePatterns: []string{"**"}, ExcludePatterns: []string{"*/private/**"}},
			[]string{"https://www.example.com/docs/a"},
			[]string{"https://www.example.com/private/a", "https://www.example.com/private/a/b"}},
		{"query patterns", Scope{ExcludePatterns: []string{"/search?*"}},
			[]string{"https://www.example.com/search"},
			[]string{"https://www.example.com/search?q=x"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newScope(start, tc.opts)
			for _, raw := range tc.yes {
				if u, _ := Normalize(nil, raw); !s.allows(u) {
					t.Errorf("%s refused", raw)
				}
			}
			for _, raw := range tc.no {
				if u, _ := Normalize(nil, raw); s.allows(u) {
					t.Errorf("%s allowed", raw)
				}
			}
		})
	}
}

func TestRobots(t *testing.T) {
	const file = `# comments are ignored
User-agent: Googlebot
Disallow: /

User-agent: sous
User-agent: other
Disallow: /private/
Allow: /private/open$
Disallow: /*.pdf$
Disallow: /tmp
Allow: /tmp/keep/
Crawl-delay: 1.5

User-agent: *
Disallow: /everything-but-sous/

Sitemap: https://example.com/sitemap.xml
Sitemap: https://example.com/more.xml.gz
`
	r := parseRobots([]byte(file), "Sous")
	tests := map[string]bool{
		"/":                     true,
		"/page.html":            true,
		"/private/":             false,
		"/private/x":            false,
		"/private/open":         true,
		"/private/open/x":       false,
		"/files/a.pdf":          false,
		"/files/a.pdf?x=1":      true,
		"/tmp":                  false,
		"/tmpfile":              false,
		"/tmp/keep/x":           true,
		"/everything-but-sous/": true,
		"/robots.txt":           true,
	}
	for path, want := range tests {
		if got := r.allowed(path); got != want {
			t.Errorf("allowed(%q) = %v, want %v", path, got, want)
		}
	}
	if r.delay != 1500*time.Millisecond {
		t.Errorf("delay = %v", r.delay)
	}
	if diff := cmp.Diff([]string{"https://example.com/sitemap.xml", "https://example.com/more.xml.gz"}, r.sitemaps); diff != "" {
		t.Errorf("sitemaps (-want +got):\n%s", diff)
	}
	// A crawler with no group of its own follows *.
	other := parseRobots([]byte(file), "SomeBot")
	if other.allowed("/everything-but-sous/x") || !other.allowed("/private/x") {
		t.Error("the * group does not apply to an agent without a group")
	}
	if parseRobots([]byte("User-agent: *\nDisallow:\n"), "sous").allowed("/x") != true {
		t.Error("an empty Disallow forbids something")
	}
}

func TestContentSignals(t *testing.T) {
	const file = `User-agent: *
Content-Signal: search=yes, ai-input=yes, ai-train=no
Allow: /

User-agent: Sous
Content-Signal: ai-train=yes,AI-Input = no , resale=maybe
Content-Signal: ai-train=no
Disallow: /private/
`
	for _, tc := range []struct {
		agent string
		want  ContentSignals
	}{
		{"OtherBot", ContentSignals{"search": "yes", "ai-input": "yes", "ai-train": "no"}},
		// Its own group, and a signal given twice keeps its no; a value
		// other than yes or no says nothing.
		{"Sous/1.4.2", ContentSignals{"ai-input": "no", "ai-train": "no"}},
	} {
		t.Run(tc.agent, func(t *testing.T) {
			r := parseRobots([]byte(file), tc.agent)
			if diff := cmp.Diff(tc.want, r.signals); diff != "" {
				t.Errorf("signals (-want +got):\n%s", diff)
			}
		})
	}
	cs := parseRobots([]byte(file), "OtherBot").signals
	for _, tc := range []struct {
		purposes []string
		want     string
	}{
		{nil, ""},
		{[]string{"search", "ai-input"}, ""},
		{[]string{"search", "ai-train"}, "ai-train"},
	} {
		if got := cs.Forbids(tc.purposes); got != tc.want {
			t.Errorf("Forbids(%v) = %q, want %q", tc.purposes, got, tc.want)
		}
	}
	if parseRobots([]byte("User-agent: *\nDisallow: /x\n"), "sous").signals != nil {
		t.Error("signals from a file that gives none")
	}
}

func TestParseSitemap(t *testing.T) {
	const doc = `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url><loc> https://example.com/a </loc><lastmod>2026-01-01</lastmod>
    <image:image><image:loc>https://example.com/a.png</image:loc></image:image></url>
  <url><loc>https://example.com/b?x=1&amp;y=2</loc></url>
</urlset>`
	locs, index, err := parseSitemap(strings.NewReader(doc))
	if err != nil || index {
		t.Fatalf("index %v, err %v", index, err)
	}
	if diff := cmp.Diff([]string{"https://example.com/a", "https://example.com/b?x=1&y=2"}, locs); diff != "" {
		t.Errorf("locs (-want +got):\n%s", diff)
	}
	if _, _, err := parseSitemap(strings.NewReader("<html><body>not a sitemap</body></html>")); err == nil {
		t.Error("an HTML page parsed as a sitemap")
	}
}

func FuzzRobots(f *testing.F) {
	f.Add([]byte("User-agent: *\nDisallow: /a*b$\nAllow: /\nCrawl-delay: 3\n"), "/a/b")
	f.Add([]byte("user-agent:sous\ndisallow:/$\n"), "/")
	f.Fuzz(func(t *testing.T, body []byte, path string) {
		r := parseRobots(body, "sous")
		r.allowed(path) // must not panic
		if r.delay < 0 || r.delay > maxCrawlDelay {
			t.Errorf("delay %v out of bounds", r.delay)
		}
	})
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"https://Example.com:443/a/../b?z=1&a=2#f", "//x.org/", "../a", "http://[::1]:80/"} {
		f.Add(s)
	}
	base, _ := url.Parse("https://example.com/dir/page")
	f.Fuzz(func(t *testing.T, ref string) {
		u, err := Normalize(base, ref)
		if err != nil {
			return
		}
		again, err := Normalize(nil, u.String())
		if err != nil {
			t.Fatalf("normalised %q to %q, which does not normalise: %v", ref, u, err)
		}
		if sameKey(again) != sameKey(u) {
			t.Errorf("not idempotent: %q → %q → %q", ref, u, again)
		}
	})
}

func FuzzRequestJSON(f *testing.F) {
	f.Add([]byte(`{"url": "https://example.com/", "limit": 5, "depth": 2, "source": "links", "formats": ["markdown"],
		"options": {"includePatterns": ["/docs/**"]}, "gotoOptions": {"timeout": 1000}, "crawlPurposes": ["search"]}`))
	f.Add([]byte(`{"url": "https://example.com/", "formats": ["json"], "jsonOptions": {"prompt": "x"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var r Request
		if json.Unmarshal(body, &r) != nil {
			return
		}
		if r.Validate(100, true) != nil {
			return
		}
		start, err := Normalize(nil, r.URL)
		if err != nil {
			return
		}
		newScope(start, r.Options).allows(start) // patterns must compile
		if _, err := json.Marshal(r); err != nil {
			t.Fatalf("a valid request does not encode: %v", err)
		}
	})
}
