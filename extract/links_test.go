package extract_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/render"
)

// extractFormat runs Extract for one format and fails the test on error.
func extractFormat(t *testing.T, pageURL, html string, format render.Format) *render.Result {
	t.Helper()
	res, err := extract.New().Extract(&render.Page{URL: pageURL, HTML: html}, &render.Request{Formats: []render.Format{format}})
	if err != nil {
		t.Fatalf("Extract: %v", err)
	}
	return res
}

func TestLinks(t *testing.T) {
	const page = "https://example.com/docs/page.html"
	tests := []struct {
		name    string
		pageURL string
		html    string
		want    []render.Link
	}{
		{
			name:    "relative links resolve against the page",
			pageURL: page,
			html:    `<a href="other.html">Other</a> <a href="../up/">Up</a> <a href="/root?q=1&amp;r=2">Root</a>`,
			want: []render.Link{
				{URL: "https://example.com/docs/other.html", Text: "Other"},
				{URL: "https://example.com/up/", Text: "Up"},
				{URL: "https://example.com/root?q=1&r=2", Text: "Root"},
			},
		},
		{
			name:    "base href wins, resolved against the page",
			pageURL: page,
			html:    `<head><base href="/v2/"></head><a href="guide">Guide</a>`,
			want:    []render.Link{{URL: "https://example.com/v2/guide", Text: "Guide"}},
		},
		{
			name:    "only the first base with an href counts",
			pageURL: page,
			html:    `<head><base target="_blank"><base href="https://cdn.example.net/a/"><base href="https://other.example/"></head><a href="b">B</a>`,
			want:    []render.Link{{URL: "https://cdn.example.net/a/b", Text: "B"}},
		},
		{
			name:    "absolute base works without a page address",
			pageURL: "about:blank",
			html:    `<base href="https://example.org/x/"><a href="y">Y</a>`,
			want:    []render.Link{{URL: "https://example.org/x/y", Text: "Y"}},
		},
		{
			name:    "no usable base keeps relative links as written",
			pageURL: "about:blank",
			html:    `<base href="/relative/"><a href="a.html#part">A</a> <a href="//cdn.example.com/lib.js">CDN</a> <a href="?page=2">Next</a> <a href="https://example.com">Abs</a>`,
			want: []render.Link{
				{URL: "a.html", Text: "A"},
				{URL: "//cdn.example.com/lib.js", Text: "CDN"},
				{URL: "?page=2", Text: "Next"},
				{URL: "https://example.com/", Text: "Abs"},
			},
		},
		{
			name:    "empty page address is no base either",
			pageURL: "",
			html:    `<a href="x/y">XY</a>`,
			want:    []render.Link{{URL: "x/y", Text: "XY"}},
		},
		{
			name:    "links to no other page are dropped",
			pageURL: page,
			html: `<a href="#top">Top</a><a href="#">Hash</a><a href="">Empty</a><a>No href</a>
				<a href="javascript:void(0)">JS</a><a href=" JavaScript:alert(1)">JS2</a><a href="java&#9;script:alert(1)">JS3</a>
				<a href="mailto:a@example.com">Mail</a><a href="tel:+1555">Tel</a><a href="data:text/html,hi">Data</a>
				<a href="ftp://example.com/f">FTP</a><a href="http://[::1">Broken</a><a href="http:no-host">No host</a>
				<a href="/kept">Kept</a>`,
			want: []render.Link{{URL: "https://example.com/kept", Text: "Kept"}},
		},
		{
			name:    "duplicates collapse on the address without its fragment",
			pageURL: page,
			html: `<a href="/a#one">First</a><a href="/b">B</a><a href="/a#two">Second</a>
				<a href="https://EXAMPLE.com/a">Third</a><a href="https://example.com">Home</a><a href="/">Home again</a>`,
			want: []render.Link{
				{URL: "https://example.com/a", Text: "First"},
				{URL: "https://example.com/b", Text: "B"},
				{URL: "https://example.com/", Text: "Home"},
			},
		},
		{
			name:    "a later text fills a first occurrence without one",
			pageURL: page,
			html:    `<a href="/p"><span class="icon"></span></a><a href="/p">Product</a><a href="/p">Ignored</a>`,
			want:    []render.Link{{URL: "https://example.com/p", Text: "Product"}},
		},
		{
			name:    "text is collapsed, with accessible-name fallbacks",
			pageURL: page,
			html: `<a href="/1">  Spread
					over   lines </a>
				<a href="/2" aria-label="Cart" title="ignored"><svg><title>icon</title></svg></a>
				<a href="/3" title="Only a title"></a>
				<a href="/4"><img src="a.png" alt="Logo"> <img src="b.png" alt=" Home "></a>
				<a href="/5"><img src="c.png"></a>
				<map><area href="/6" alt="Region"></map>`,
			want: []render.Link{
				{URL: "https://example.com/1", Text: "Spread over lines"},
				{URL: "https://example.com/2", Text: "Cart"},
				{URL: "https://example.com/3", Text: "Only a title"},
				{URL: "https://example.com/4", Text: "Logo Home"},
				{URL: "https://example.com/5"},
				{URL: "https://example.com/6", Text: "Region"},
			},
		},
		{
			name:    "links in templates, noscript and scripts are not the page's",
			pageURL: page,
			html: `<template><a href="/t">T</a></template><noscript><a href="/n">N</a></noscript>
				<script>document.write('<a href="/s">S</a>')</script><a href="/real">Real</a>`,
			want: []render.Link{{URL: "https://example.com/real", Text: "Real"}},
		},
		{
			name:    "hrefs are trimmed and lose tabs and newlines like a browser's",
			pageURL: page,
			html:    "<a href=\"  /spaced\n/path  \">S</a>",
			want:    []render.Link{{URL: "https://example.com/spaced/path", Text: "S"}},
		},
		{
			name:    "spaces in paths are escaped",
			pageURL: page,
			html:    `<a href="my file.pdf">PDF</a>`,
			want:    []render.Link{{URL: "https://example.com/docs/my%20file.pdf", Text: "PDF"}},
		},
		{
			name:    "hidden links are still links",
			pageURL: page,
			html:    `<nav hidden><a href="/menu">Menu</a></nav>`,
			want:    []render.Link{{URL: "https://example.com/menu", Text: "Menu"}},
		},
		{
			name:    "no links is nil",
			pageURL: page,
			html:    `<p>nothing here</p>`,
			want:    nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := extractFormat(t, tt.pageURL, tt.html, render.FormatLinks).Links
			// Internal has its own test (TestLinkOptions).
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(render.Link{}, "Internal")); diff != "" {
				t.Errorf("links mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
