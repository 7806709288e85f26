package extract

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFlattenNesting(t *testing.T) {
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
			name: "tags past the depth go, with their end tags, content stays",
			html: deep(maxFlatDepth+2, "<div>", "</div>") + "<p>after</p>",
			want: deep(maxFlatDepth, "<div>", "</div>") + "<p>after</p>",
		},
		{
			name: "raw text elements are never dropped, or their text would become markup",
			html: strings.Repeat("<div>", maxFlatDepth) + `<script>"<div><div>"</script><textarea><b></textarea>`,
			want: strings.Repeat("<div>", maxFlatDepth) + `<script>"<div><div>"</script><textarea><b></textarea>`,
		},
		{
			name: "an end tag the parser would ignore does not count as closing",
			// </span> meets a <div> first, so the parser ignores it: the
			// model must still count the span open.
			html: strings.Repeat("<span><div></span>", maxFlatDepth/2) + "<i>x</i>",
			want: strings.Repeat("<span><div></span>", maxFlatDepth/2) + "x",
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
			got := flattenNesting(tt.html, tt.dropFormatting)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("flattenNesting mismatch (-want +got):\n%s", diff)
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
