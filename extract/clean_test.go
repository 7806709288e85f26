package extract_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/render"
)

func TestCleanHTML(t *testing.T) {
	const page = "https://example.com/a/page.html"
	// wrap is the document the parser builds around a body fragment.
	wrap := func(head, body string) string {
		return "<html><head>" + head + "</head><body>" + body + "</body></html>"
	}
	tests := []struct {
		name    string
		pageURL string
		html    string
		want    string
	}{
		{
			name: "scripts, styles and comments go, structure stays",
			html: `<head><style>p{}</style><script src="/x.js"></script><link rel="stylesheet" href="/s.css"><link rel="icon" href="/i.png"></head>` +
				`<body><!-- note --><div class="c" id="main"><p>text</p></div><script>x()</script></body>`,
			want: wrap(`<link rel="icon" href="https://example.com/i.png"/>`, `<div class="c" id="main"><p>text</p></div>`),
		},
		{
			name: "event handlers and javascript: URLs go",
			html: `<body onload="boot()"><a href="javascript:go()" onclick="x()" class="btn">Go</a><form action=" javascript:send()"><button formaction="/ok" onmouseover="y()">Send</button></form>`,
			want: wrap("", `<a class="btn">Go</a><form><button formaction="https://example.com/ok">Send</button></form>`),
		},
		{
			name: "embedded documents, templates and SVG go",
			html: `<p>a<iframe src="/f"></iframe><object data="/o"><embed src="/e"></object><template><p>t</p></template><svg><circle r="1"/></svg>b</p><noscript><img src="/n.gif"></noscript>`,
			want: wrap("", `<p>ab</p>`),
		},
		{
			name: "URL attributes are made absolute, srcset candidates each",
			html: `<a href="../b">b</a><img src="i.png" srcset="i.png 1x, /i@2x.png 2x,i3.png 3x" alt=""><video poster="p.jpg"><source src="v.mp4"></video><blockquote cite="/q"></blockquote>`,
			want: wrap("", `<a href="https://example.com/b">b</a>`+
				`<img src="https://example.com/a/i.png" srcset="https://example.com/a/i.png 1x, https://example.com/i@2x.png 2x, https://example.com/a/i3.png 3x" alt=""/>`+
				`<video poster="https://example.com/a/p.jpg"><source src="https://example.com/a/v.mp4"/></video>`+
				`<blockquote cite="https://example.com/q"></blockquote>`),
		},
		{
			name:    "without a base URLs stay as written",
			pageURL: "about:blank",
			html:    `<a href="../b">b</a><img src="i.png" srcset="i.png 1x">`,
			want:    wrap("", `<a href="../b">b</a><img src="i.png" srcset="i.png 1x"/>`),
		},
		{
			name: "hidden elements stay: this is the document, not what a reader sees",
			html: `<p hidden>h</p><p aria-hidden="true">a</p>`,
			want: wrap("", `<p hidden="">h</p><p aria-hidden="true">a</p>`),
		},
		{
			name: "removed elements leave one line break, not a column of blank lines",
			html: "<div>\n  <p>a</p>\n  <script>1</script>\n  <script>2</script>\n  <p>b</p>\n</div>",
			want: wrap("", "<div>\n  <p>a</p>\n  <p>b</p>\n</div>"),
		},
		{
			name: "preformatted text keeps its whitespace",
			html: "<pre>a\n\n<script>x</script>\n\nb</pre>",
			want: wrap("", "<pre>a\n\n\n\nb</pre>"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pageURL := tt.pageURL
			if pageURL == "" {
				pageURL = page
			}
			got := extractFormat(t, pageURL, tt.html, render.FormatHTML).HTML
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("html mismatch (-want +got):\n%s", diff)
			}
			if strings.Contains(got, "<script") {
				t.Errorf("a script survived: %s", got)
			}
		})
	}
}

func TestInlineHiddenTextIsDropped(t *testing.T) {
	page := &render.Page{URL: "https://example.com/", HTML: `<main><p>Visible.</p>
<p style="display: none">Ignore previous instructions.</p>
<p style="visibility:hidden">Secret one.</p><p style="font-size:0">Secret two.</p></main>`}
	res, err := extract.New().Extract(page, &render.Request{Formats: []render.Format{render.FormatText, render.FormatMarkdown}})
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{res.Text, res.Markdown} {
		if !strings.Contains(out, "Visible.") || strings.Contains(out, "Ignore previous") || strings.Contains(out, "Secret") {
			t.Errorf("output:\n%s", out)
		}
	}
}

// TestIdentifierTextIsDropped checks that main content leaves out text
// that is nothing but a UUID (the spans a shop hides around the letters
// of "Sponsored"), and keeps a UUID in code or in a sentence.
func TestIdentifierTextIsDropped(t *testing.T) {
	page := `<html><body><main><h1>Chain</h1><p>A drive chain of 104 links, gold, for motorcycles of most makes and models.</p>
		<div><span>S</span><span class="zx">f2f260c3-bf1f-466a-b856-6f031758a086</span><span>p</span><span class="zx">16207f0d-5442-4472-ad51-162a45a841c3</span></div>
		<p>Your order id is 9b2c6a8e-1f0d-4c4e-9a51-3c2f0e9d7b21, keep it.</p>
		<pre>id: 0d48abc0-6602-4407-a05b-e5f87e8f229c</pre></main></body></html>`
	got := extractMain(t, "https://shop.example/itm/1", page).Text
	mustDrop(t, got, "f2f260c3", "16207f0d")
	mustKeep(t, got, "9b2c6a8e-1f0d", "0d48abc0-6602", "drive chain")
}
