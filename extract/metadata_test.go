package extract_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sous-dev/sous/render"
)

func TestMetadata(t *testing.T) {
	const page = "https://example.com/news/story"
	tests := []struct {
		name    string
		pageURL string
		html    string
		want    *render.Metadata
	}{
		{
			name: "empty document gives empty metadata, not nil",
			html: ``,
			want: &render.Metadata{},
		},
		{
			name: "title is collapsed",
			html: "<title>\n  Hello\n   World </title>",
			want: &render.Metadata{Title: "Hello World"},
		},
		{
			name: "title falls back to og:title",
			html: `<title>  </title><meta property="og:title" content="OG title"><h1>Heading</h1>`,
			want: &render.Metadata{Title: "OG title", OpenGraph: map[string]string{"title": "OG title"}},
		},
		{
			name: "then to the first h1",
			html: `<body><h1>First <em>heading</em></h1><h1>Second</h1>`,
			want: &render.Metadata{Title: "First heading"},
		},
		{
			name: "an SVG title is not the document's",
			html: `<body><svg><title>icon</title></svg><h1>Real</h1>`,
			want: &render.Metadata{Title: "Real"},
		},
		{
			name: "description from meta name, any case",
			html: `<meta name="DESCRIPTION" content="  The   description "><meta property="og:description" content="OG">`,
			want: &render.Metadata{Description: "The description", OpenGraph: map[string]string{"description": "OG"}},
		},
		{
			name: "description falls back to og:description",
			html: `<meta property="og:description" content="OG description">`,
			want: &render.Metadata{Description: "OG description", OpenGraph: map[string]string{"description": "OG description"}},
		},
		{
			name: "language from html lang",
			html: `<html lang=" pt-BR "><meta http-equiv="content-language" content="en">`,
			want: &render.Metadata{Language: "pt-BR"},
		},
		{
			name: "language falls back to content-language",
			html: `<html><meta http-equiv="Content-Language" content="fr">`,
			want: &render.Metadata{Language: "fr"},
		},
		{
			name:    "canonical is made absolute",
			pageURL: page,
			html:    `<link rel="Canonical" href="/news/story?id=1"><link rel="canonical" href="/second">`,
			want:    &render.Metadata{Canonical: "https://example.com/news/story?id=1"},
		},
		{
			name:    "canonical resolves against the base",
			pageURL: page,
			html:    `<base href="https://mirror.example.net/a/"><link rel="canonical" href="b">`,
			want:    &render.Metadata{Canonical: "https://mirror.example.net/a/b"},
		},
		{
			name:    "canonical stays as written without a base",
			pageURL: "about:blank",
			html:    `<link rel="canonical" href="/story">`,
			want:    &render.Metadata{Canonical: "/story"},
		},
		{
			name: "open graph: first value wins, keys lose the prefix, name works too",
			html: `<meta property="og:image" content="https://cdn.example.com/1.jpg">
				<meta property="og:image" content="https://cdn.example.com/2.jpg">
				<meta property="OG:Image:Width" content="1200">
				<meta name="og:site_name" content="Site">
				<meta property="og:" content="no key">
				<meta property="og:type">`,
			want: &render.Metadata{SiteName: "Site", OpenGraph: map[string]string{
				"image":       "https://cdn.example.com/1.jpg",
				"image:width": "1200",
				"site_name":   "Site",
			}},
		},
		{
			name: "twitter from name or property",
			html: `<meta name="twitter:card" content="summary"><meta property="twitter:site" content="@site"><meta name="twitter:card" content="second">`,
			want: &render.Metadata{Twitter: map[string]string{"card": "summary", "site": "@site"}},
		},
		{
			name: "json-ld: objects compacted, arrays flattened, @graph kept whole",
			html: `<script type="application/ld+json">{ "@type": "Article",
					"name": "A" }</script>
				<script type="application/ld+json">[{"@type":"Person"}, "stray", null, {"@type":"Place"}]</script>
				<script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"Organization"},{"@type":"WebSite"}]}</script>`,
			want: &render.Metadata{JSONLD: []json.RawMessage{
				json.RawMessage(`{"@type":"Article","name":"A"}`),
				json.RawMessage(`{"@type":"Person"}`),
				json.RawMessage(`{"@type":"Place"}`),
				json.RawMessage(`{"@context":"https://schema.org","@graph":[{"@type":"Organization"},{"@type":"WebSite"}]}`),
			}},
		},
		{
			name: "json-ld: broken blocks are skipped, wrappers peeled, type parameters allowed",
			html: `<script type="application/ld+json">{"@type": "Event",}</script>
				<script type="application/ld+json">  </script>
				<script type="application/ld+json">"just a string"</script>
				<script type="application/ld+json"><!-- {"@type":"Commented"} --></script>
				<script type=" Application/LD+JSON; charset=utf-8">{"@type":"Typed"}</script>
				<script type="application/json">{"@type":"NotLD"}</script>`,
			want: &render.Metadata{JSONLD: []json.RawMessage{
				json.RawMessage(`{"@type":"Commented"}`),
				json.RawMessage(`{"@type":"Typed"}`),
			}},
		},
		{
			name: "json-ld in a template is not the page's",
			html: `<template><script type="application/ld+json">{"@type":"Hidden"}</script></template>`,
			want: &render.Metadata{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := extractFormat(t, tt.pageURL, tt.html, render.FormatMetadata).Metadata
			// The page type has tests of its own (pagetype_test.go).
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(render.Metadata{}, "PageType")); diff != "" {
				t.Errorf("metadata mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
