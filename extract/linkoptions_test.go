package extract_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/render"
)

func TestLinkOptions(t *testing.T) {
	const doc = `<a href="/a">A</a><a href="https://blog.shop.example.co.uk/b">B</a>
<a href="https://other.co.uk/c">C</a><a href="https://example.co.uk/d">D</a>
<div hidden><a href="/hidden">H</a></div><p style="display:none"><a href="https://other.co.uk/styled">S</a></p>
<nav aria-hidden="true"><a href="/aria">R</a></nav>`
	tests := []struct {
		name                      string
		pageURL                   string
		visibleOnly, internalOnly bool
		want                      []render.Link
	}{
		{
			name:    "internal means the same registrable domain",
			pageURL: "https://www.shop.example.co.uk/page",
			want: []render.Link{
				{URL: "https://www.shop.example.co.uk/a", Text: "A", Internal: true},
				{URL: "https://blog.shop.example.co.uk/b", Text: "B", Internal: true},
				{URL: "https://other.co.uk/c", Text: "C"},
				{URL: "https://example.co.uk/d", Text: "D", Internal: true},
				{URL: "https://www.shop.example.co.uk/hidden", Text: "H", Internal: true},
				{URL: "https://other.co.uk/styled", Text: "S"},
				{URL: "https://www.shop.example.co.uk/aria", Text: "R", Internal: true},
			},
		},
		{
			name:        "visibleLinksOnly and excludeExternalLinks",
			pageURL:     "https://www.shop.example.co.uk/page",
			visibleOnly: true, internalOnly: true,
			want: []render.Link{
				{URL: "https://www.shop.example.co.uk/a", Text: "A", Internal: true},
				{URL: "https://blog.shop.example.co.uk/b", Text: "B", Internal: true},
				{URL: "https://example.co.uk/d", Text: "D", Internal: true},
			},
		},
		{
			name:         "html input: relative links stay as written and are internal",
			pageURL:      "about:blank",
			internalOnly: true, visibleOnly: true,
			want: []render.Link{{URL: "/a", Text: "A", Internal: true}},
		},
		{
			name:         "an IP address is its own site",
			pageURL:      "http://127.0.0.1:8080/x",
			internalOnly: true, visibleOnly: true,
			want: []render.Link{{URL: "http://127.0.0.1:8080/a", Text: "A", Internal: true}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := extract.New().Extract(&render.Page{URL: tc.pageURL, HTML: doc}, &render.Request{
				Formats: []render.Format{render.FormatLinks}, VisibleLinksOnly: tc.visibleOnly, ExcludeExternalLinks: tc.internalOnly})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, res.Links); diff != "" {
				t.Errorf("links (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMetadataAuthorDatesSiteIcon(t *testing.T) {
	tests := []struct {
		name, doc string
		want      render.Metadata
	}{
		{
			name: "from meta and link tags",
			doc: `<head><meta name="author" content="Mara  Lindqvist"><meta property="article:published_time" content="2024-03-14T08:00:00Z">
<meta property="article:modified_time" content="2024-03-15"><meta property="og:site_name" content="The Crumb Ledger">
<link rel="apple-touch-icon" href="/touch.png"><link rel="shortcut icon" href="/favicon.ico"></head><body><time datetime="2020-01-01">x</time>`,
			want: render.Metadata{Author: "Mara Lindqvist", PublishedTime: "2024-03-14T08:00:00Z", ModifiedTime: "2024-03-15",
				SiteName: "The Crumb Ledger", Favicon: "https://news.example/favicon.ico", OpenGraph: map[string]string{"site_name": "The Crumb Ledger"}},
		},
		{
			name: "from JSON-LD, then time elements",
			doc: `<script type="application/ld+json">{"@graph": [{"@type": "WebSite"}, {"@type": "NewsArticle", "datePublished": "2024-05-02",
"author": [{"@type": "Person", "name": "A. Writer"}, "B. Writer"]}]}</script><link rel=icon href="data:,"><link rel=icon href="icons/i.svg">
<time datetime=" 2024-05-01 ">May 1</time>`,
			want: render.Metadata{Author: "A. Writer, B. Writer", PublishedTime: "2024-05-02", Favicon: "https://news.example/dir/icons/i.svg"},
		},
		{
			name: "a time element when nothing else says",
			doc:  `<p>Posted <time datetime="2024-05-01T10:00">May 1</time></p>`,
			want: render.Metadata{PublishedTime: "2024-05-01T10:00"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := extract.New().Extract(&render.Page{URL: "https://news.example/dir/story", HTML: tc.doc}, &render.Request{Formats: []render.Format{render.FormatMetadata}})
			if err != nil {
				t.Fatal(err)
			}
			got := *res.Metadata
			got.Title, got.JSONLD, got.PageType = "", nil, "" // tested elsewhere
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("metadata (-want +got):\n%s", diff)
			}
		})
	}
}
