package extract_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sous-dev/sous/render"
)

func TestText(t *testing.T) {
	tests := []struct {
		name string
		html string
		want string
	}{
		{
			name: "whitespace collapses inside a block",
			html: "<p>  one\n\t two   <b>three</b>\n</p>",
			want: "one two three",
		},
		{
			name: "paragraphs are set apart by a blank line, divs by a line break",
			html: "<h1>Title</h1><p>First</p><p>Second</p><div>Third</div><div>Fourth</div>",
			want: "Title\n\nFirst\n\nSecond\n\nThird\nFourth",
		},
		{
			name: "blocks never stack blank lines",
			html: "<div><div><p>A</p></div></div><section><div><p>B</p></div></section>",
			want: "A\n\nB",
		},
		{
			name: "list items are lines, a nested list continues its list",
			html: "<ul><li>one<ul><li>one.a</li><li>one.b</li></ul></li><li>two</li></ul><p>after</p>",
			want: "one\none.a\none.b\ntwo\n\nafter",
		},
		{
			name: "br breaks the line, but not into more than one blank line",
			html: "<p>a<br>b<br><br>c<br><br><br><br>d</p>",
			want: "a\nb\n\nc\n\nd",
		},
		{
			name: "preformatted text keeps its spaces and lines",
			html: "<p>before</p><pre>  x := 1\n\n\n  y  :=  2\n</pre><p>after</p>",
			want: "before\n\n  x := 1\n\n\n  y  :=  2\n\nafter",
		},
		{
			name: "table cells are tab-separated, rows are lines",
			html: "<table><tr><th>Name</th><th>Qty</th></tr><tr><td> Apple <br> green </td><td>3</td></tr><tr><td></td><td>4</td></tr></table>",
			want: "Name\tQty\nApple green\t3\n\t4",
		},
		{
			name: "spanning cells keep the columns aligned",
			html: `<table><tr><td rowspan="2">North</td><td>A</td><td>1</td></tr><tr><td>B</td><td>2</td></tr>` +
				`<tr><td colspan="2">Total</td><td>3</td></tr></table>`,
			want: "North\tA\t1\nNorth\tB\t2\nTotal\t\t3",
		},
		{
			name: "a rowspan ends with its row group",
			html: `<table><tbody><tr><td rowspan="9">a</td><td>b</td></tr></tbody><tbody><tr><td>c</td><td>d</td></tr></tbody></table>`,
			want: "a\tb\nc\td",
		},
		{
			name: "scripts, styles, templates and hidden elements are not text",
			html: `<style>p{}</style><script>var x = "<p>no</p>";</script><template><p>no</p></template>` +
				`<p>yes</p><p hidden>no</p><p aria-hidden="true">no</p><p hidden="until-found">found</p>` +
				`<select><option>no</option></select><noscript>no</noscript>`,
			want: "yes\n\nfound",
		},
		{
			name: "head content is not text",
			html: `<head><title>Title</title><meta name="x" content="y"></head><body>Body</body>`,
			want: "Body",
		},
		{
			name: "non-breaking and ideographic spaces are kept",
			html: "<p>100&nbsp;km</p><p>東京　大阪</p>",
			want: "100\u00a0km\n\n東京\u3000大阪",
		},
		{
			name: "source line breaks inside Japanese text vanish, between Latin words they are spaces",
			html: "<p>日本語の文章は\n  改行されても続きます。\nThis is\nEnglish.</p>",
			want: "日本語の文章は改行されても続きます。 This is English.",
		},
		{
			name: "right-to-left text stays as written",
			html: `<p dir="rtl">שלום <bdi>עולם</bdi></p><p dir="rtl">مرحبا بالعالم</p>`,
			want: "שלום עולם\n\nمرحبا بالعالم",
		},
		{
			name: "ruby annotations read inline",
			html: "<p><ruby>漢<rp>(</rp><rt>かん</rt><rp>)</rp></ruby>字</p>",
			want: "漢(かん)字",
		},
		{
			name: "frameset documents have no body",
			html: `<frameset><frame src="a.html"></frameset>`,
			want: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := extractFormat(t, "https://example.com/", tt.html, render.FormatText).Text
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("text mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
