package extract

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"
)

func TestFlatten(t *testing.T) {
	deep := func(n int, open, close string) string {
		return strings.Repeat(open, n) + "x" + strings.Repeat(close, n)
	}
	tests := []struct {
		name           string
		html           string
		dropFormatting bool
		want           string
	}{
		{
			name: "shallow documents pass unchanged",
			html: `<div><p>a <b>b</b></p><ul><li>1<li>2</ul><script>if (a<b) {}</script></div>`,
			want: `<div><p>a <b>b</b></p><ul><li>1<li>2</ul><script>if (a<b) {}</script></div>`,
		},
		{
			name: "wrappers past their depth go, with their end tags, content stays",
			html: deep(102, "<div>", "</div>") + "<p>after</p>",
			want: deep(100, "<div>", "</div>") + "<p>after</p>",
		},
		{
			name: "content elements go only past the second depth",
			html: strings.Repeat("<div>", 100) + deep(102, "<blockquote>", "</blockquote>"),
			want: strings.Repeat("<div>", 100) + deep(100, "<blockquote>", "</blockquote>"),
		},
		{
			name: "custom elements are wrappers",
			html: strings.Repeat("<div>", 100) + `<app-card><p>x</p></app-card>`,
			want: strings.Repeat("<div>", 100) + `<p>x</p>`,
		},
		{
			name: "raw text elements are never dropped, or their text would become markup",
			html: strings.Repeat("<p>", 200) + `<script>"<div><div>"</script><textarea><b></textarea>`,
			want: strings.Repeat("<p>", 200) + `<script>"<div><div>"</script><textarea><b></textarea>`,
		},
		{
			name: "an end tag the parser would ignore does not count as closing",
			// </mark> meets a <blockquote> first, so the parser ignores it:
			// the model must still count the mark open.
			html: strings.Repeat("<mark><blockquote></mark>", 100) + "<i>x</i>",
			want: strings.Repeat("<mark><blockquote></mark>", 100) + "x",
		},
		{
			name:           "formatting tags can go altogether",
			html:           `<p><b>bold</b> <a href="/x"><i>link</i></a> <font color=red>red</font></p>`,
			dropFormatting: true,
			want:           `<p>bold <a href="/x">link</a> red</p>`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := flatten(tt.html, nestingModel{wrapperLimit: 100, limit: 200, dropFormatting: tt.dropFormatting})
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("flatten mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTextOnly(t *testing.T) {
	got := textOnly(`<div><h1>Title</h1><p>One <b>two</b><br>three</p><script>x("<p>")</script>` +
		`<template><p>not text</p></template><style>p{}</style><title>T</title><ul><li>item</li></ul></div>`)
	want := "\n<p>\n<p>Title\n<p>\n<p>One two<br>three\n<p>\n<p>\n<p>\n<p>\n<p>item\n<p>\n<p>\n<p>"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("textOnly mismatch (-want +got):\n%s", diff)
	}
}

func TestParseWork(t *testing.T) {
	tests := []struct {
		name string
		html string
		want int
	}{
		{"shallow", "<p>a</p><p>b</p>", 0 + 1 + 0 + 1},
		{"deep end tags", strings.Repeat("<div>", 10) + strings.Repeat("</p>", 5), 45 + 5*10},
		{"void and raw text elements open nothing", "<br><img><script>x</script><p>", 0 + 0 + 0 + 0 + 0},
		{"depth counts at most the parser's limit", strings.Repeat("<div>", 600) + "</p>", (511*512)/2 + 88*512 + 512},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseWork(tt.html); got != tt.want {
				t.Errorf("parseWork = %d, want %d", got, tt.want)
			}
		})
	}
}

// TestMayOverworkBound checks the bound that lets most pages skip the
// estimate: parseWork never counts more than 512 per '<'.
func TestMayOverworkBound(t *testing.T) {
	for _, s := range []string{
		"", "<p>a", strings.Repeat("<div>", 600) + strings.Repeat("<b>x</b>", 300),
		strings.Repeat("<div>", 1000), "a < b and <<<<", strings.Repeat("<i>", 70_000),
	} {
		if work, bound := parseWork(s), strings.Count(s, "<")*512; work > bound {
			t.Errorf("parseWork = %d over the bound %d for a document of %d bytes", work, bound, len(s))
		}
	}
	if mayOverwork(strings.Repeat("<p>text</p>", 20_000)) {
		t.Error("a page of 40,000 tags may not reach maxParseWork, yet is estimated")
	}
}

// TestParseDocumentBoundsWork: a document whose tags would each make the
// parser search hundreds of open elements is flattened first, keeping its
// text.
func TestParseDocumentBoundsWork(t *testing.T) {
	s := strings.Repeat("<div>", 400) + "<p>kept</p>" + strings.Repeat("</p>", 100_000)
	if work := parseWork(s); work <= maxParseWork {
		t.Fatalf("test document has work %d, not over maxParseWork", work)
	}
	if !mayOverwork(s) {
		t.Fatal("mayOverwork skips the estimate of a document over maxParseWork")
	}
	doc, err := parseDocument(s)
	if err != nil {
		t.Fatal(err)
	}
	depth := 0
	var walk func(n *html.Node, d int)
	walk = func(n *html.Node, d int) {
		depth = max(depth, d)
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, d+1)
		}
	}
	walk(doc, 0)
	if depth > 60 {
		t.Errorf("tree is %d deep; flattening should have kept it near 48", depth)
	}
	if !strings.Contains(textContent(doc), "kept") {
		t.Error("the text was lost")
	}
}
