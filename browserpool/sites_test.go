package browserpool

import (
	"net/url"
	"slices"
	"testing"
)

func TestPossibleSites(t *testing.T) {
	for _, c := range []struct {
		url  string
		want []string
	}{
		{"https://www.example.co.uk:8443/a", []string{"https://www.example.co.uk", "https://example.co.uk", "https://co.uk"}},
		{"http://localhost:80", []string{"http://localhost"}},
		{"https://a.github.io", []string{"https://a.github.io", "https://github.io"}},
		{"http://127.0.0.1:9000", []string{"http://127.0.0.1"}},
		{"http://[::1]:9000", []string{"http://[::1]"}},
	} {
		u, err := url.Parse(c.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := possibleSites(u); !slices.Equal(got, c.want) {
			t.Errorf("possibleSites(%s) = %q, want %q", c.url, got, c.want)
		}
	}
}

func TestPartitionedKeys(t *testing.T) {
	for _, c := range []struct {
		name         string
		tops, framed []string
		want         []string
	}{
		{
			name:   "a frame of another site",
			tops:   []string{"https://www.news.example"},
			framed: []string{"https://ads.example"},
			want:   []string{"https://ads.example/^31", "https://ads.example/^0https://www.news.example", "https://ads.example/^0https://news.example"},
		},
		{
			// Only a suffix the page's host shares with the frame's
			// could be the site of both, and that makes no partitioned key.
			name:   "a frame of the page's registrable domain",
			tops:   []string{"https://www.news.example"},
			framed: []string{"https://cdn.news.example"},
			want:   []string{"https://cdn.news.example/^31", "https://cdn.news.example/^0https://www.news.example"},
		},
		{
			// A page on a public suffix itself (a.github.io's parent) is
			// its own site, and a frame under it another.
			name:   "a page on a bare suffix",
			tops:   []string{"https://github.io"},
			framed: []string{"https://a.github.io"},
			want:   []string{"https://a.github.io/^31", "https://a.github.io/^0https://github.io"},
		},
		{
			name:   "the page's origin under another site, and another port",
			tops:   []string{"http://127.0.0.1:8080"},
			framed: []string{"http://127.0.0.1:8080", "http://127.0.0.1:9090"},
			want:   []string{"http://127.0.0.1:8080/^31", "http://127.0.0.1:9090/^31"},
		},
		{
			name:   "another scheme is another site",
			tops:   []string{"http://a.example"},
			framed: []string{"https://a.example"},
			want:   []string{"https://a.example/^31", "https://a.example/^0http://a.example"},
		},
		{
			name:   "two pages",
			tops:   []string{"http://one.example", "http://two.example"},
			framed: []string{"http://w.example"},
			want:   []string{"http://w.example/^31", "http://w.example/^0http://one.example", "http://w.example/^0http://two.example"},
		},
		{name: "no frames", tops: []string{"http://one.example"}},
	} {
		if got := partitionedKeys(c.tops, c.framed); !slices.Equal(got, c.want) {
			t.Errorf("%s: partitionedKeys = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestStorageOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"https://a.example":            "https://a.example",
		"http://127.0.0.1:8080":        "http://127.0.0.1:8080",
		"null":                         "",
		"://":                          "",
		"chrome-error://chromewebdata": "",
		"about:blank":                  "",
		"":                             "",
	} {
		if got := storageOrigin(in); got != want {
			t.Errorf("storageOrigin(%q) = %q, want %q", in, got, want)
		}
	}
}
