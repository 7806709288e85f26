package extract_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sous-dev/sous/render"
)

func TestMarkdown(t *testing.T) {
	const page = "https://example.com/blog/post"
	tests := []struct {
		name    string
		pageURL string
		html    string
		want    string
	}{
		{
			name: "headings are ATX",
			html: "<h1>One</h1><h2>Two</h2><h3>Three</h3>",
			want: "# One\n\n## Two\n\n### Three",
		},
		{
			// What Chromium makes of an empty text body, such as a bare 404.
			name: "an empty pre is no code block",
			html: "<pre style=\"word-wrap: break-word; white-space: pre-wrap;\"></pre>",
			want: "",
		},
		{
			name: "an empty pre between paragraphs",
			html: "<p>one</p><pre>\n\n</pre><p>two</p>",
			want: "one\n\ntwo",
		},
		{
			name: "fenced code keeps its language and its blank lines",
			html: "<pre><code class=\"language-python\">def f():\n\n\n    return 1\n</code></pre><pre class=\"lang-sh\">ls -l</pre>",
			want: "```python\ndef f():\n\n\n    return 1\n```\n\n```sh\nls -l\n```",
		},
		{
			name: "the language where highlighters put it",
			html: `<div class="highlight highlight-source-python"><pre>print("hi")</pre></div>` +
				`<div class="highlight-shell-session notranslate"><div class="highlight"><pre><span></span>$ make</pre></div></div>` +
				`<pre data-lang="rust"><code>fn main() {}</code></pre>` +
				`<pre class="brush: js;">let a = 1</pre>` +
				`<div class="code-block" data-language="YAML"><pre><code>a: 1</code></pre></div>` +
				`<div class="highlight-default"><pre>no language</pre></div>`,
			want: "```python\nprint(\"hi\")\n```\n\n```shell-session\n$ make\n```\n\n```rust\nfn main() {}\n```\n\n" +
				"```js\nlet a = 1\n```\n\n```yaml\na: 1\n```\n\n```\nno language\n```",
		},
		{
			name: "a definition list: terms in bold, each definition after a colon",
			html: "<dl><dt>Capacity</dt><dd>350 ml</dd><dt>Colours</dt><dd>Blue</dd><dd>Sand</dd>" +
				"<div><dt>Care</dt><dd><p>Dishwasher safe.</p><p>Not for the microwave.</p></dd></div></dl>",
			want: "**Capacity**  \n: 350 ml\n\n**Colours**  \n: Blue  \n: Sand\n\n**Care**  \n:\n\nDishwasher safe.\n\nNot for the microwave.",
		},
		{
			name: "code containing fences gets a longer fence",
			html: "<pre><code>```\nnested\n```</code></pre>",
			want: "````\n```\nnested\n```\n````",
		},
		{
			name:    "links and images are absolute",
			pageURL: page,
			html:    `<p><a href="../about">About</a> <img src="img/a.png" alt="A"> <a href="#notes">Notes</a></p>`,
			want:    "[About](https://example.com/about) ![A](https://example.com/blog/img/a.png) [Notes](https://example.com/blog/post#notes)",
		},
		{
			name:    "without a base they stay as written",
			pageURL: "about:blank",
			html:    `<p><a href="../about">About</a> <img src="img/a.png" alt="A"></p>`,
			want:    "[About](../about) ![A](img/a.png)",
		},
		{
			name: "nested lists are tight and indented under their item",
			html: "<ul><li>one<ul><li>one.a<ol><li>deep</li></ol></li></ul></li><li>two</li></ul>",
			want: "- one\n  - one.a\n    1. deep\n- two",
		},
		{
			name: "blockquotes keep their paragraphs",
			html: "<blockquote><p>first</p><p>second</p></blockquote>",
			want: "> first\n>\n> second",
		},
		{
			name: "no more than one blank line",
			html: "<p>a</p><div><br><br><br></div><p>b</p><p></p><p></p><p>c</p>",
			want: "a\n\nb\n\nc",
		},
		{
			name: "never-content and hidden elements are dropped",
			html: `<p>yes</p><script>no()</script><style>.no{}</style><noscript>no</noscript><template>no</template>` +
				`<p hidden>no</p><div aria-hidden="true">no</div><iframe src="x"></iframe><svg><text>no</text></svg>`,
			want: "yes",
		},
		{
			name: "a tableful of markup stays a table, with pipes escaped",
			html: `<table><thead><tr><th>Name</th><th align="right">Price</th></tr></thead>` +
				`<tbody><tr><td><a href="/a">A|B</a></td><td><b>1</b></td></tr>` +
				`<tr><td><code>x|y</code></td><td>2<br>net</td></tr></tbody></table>`,
			pageURL: page,
			want: "| Name | Price |\n|---|--:|\n" +
				"| [A\\|B](https://example.com/a) | **1** |\n" +
				"| `x\\|y` | 2<br />net |",
		},
		{
			name: "a table without a header row uses its first row",
			html: "<table><tr><td>a</td><td>b</td></tr><tr><td>1</td><td>2</td></tr></table>",
			want: "| a | b |\n|---|---|\n| 1 | 2 |",
		},
		{
			name: "the caption comes before its table",
			html: "<table><caption>Prices</caption><tr><th>a</th></tr><tr><td>1</td></tr></table>",
			want: "Prices\n\n| a |\n|---|\n| 1 |",
		},
		{
			name: "spans are expanded; small cells repeat down their rows",
			html: `<table><tr><th>Region</th><th>Item</th></tr><tr><td rowspan="2"><b>North</b></td><td>A</td></tr>` +
				`<tr><td>B</td></tr><tr><td colspan="2">Total</td></tr></table>`,
			want: "| Region | Item |\n|---|---|\n| **North** | A |\n| **North** | B |\n| Total |  |",
		},
		{
			name: "block content in a cell is flattened so the table survives",
			html: `<table><tr><th>Plan</th><th>Features</th></tr><tr><td><h3>Pro</h3></td>` +
				`<td><ul><li>SSO</li><li>Audit log</li></ul></td></tr><tr><td>Code</td><td><pre>a` + "\n" + `b</pre></td></tr></table>`,
			want: "| Plan | Features |\n|---|---|\n| **Pro** | • SSO<br />• Audit log |\n| Code | `a b` |",
		},
		{
			name: "an ordered list in a cell keeps its numbers",
			html: `<table><tr><th>Steps</th></tr><tr><td><ol start="3"> <li>Mix</li> <li>Bake</li> </ol></td></tr></table>`,
			// The converter escapes a number that starts a line; GitHub
			// shows "3." all the same.
			want: "| Steps |\n|---|\n| 3\\. Mix<br />4\\. Bake |",
		},
		{
			name: "data: images give way to lazy sources or alt text",
			html: `<p><img src="data:image/gif;base64,R0lGOD" data-src="/real.jpg" alt="Real">` +
				` <img src="data:image/png;base64,iVBOR" alt="Inline chart"> <img src="data:image/png;base64,iVBOR"></p>`,
			pageURL: page,
			want:    "![Real](https://example.com/real.jpg) Inline chart",
		},
		{
			name:    "a link without text gets its accessible name",
			pageURL: page,
			html:    `<p><a href="/cart" aria-label="Cart"><svg></svg></a> <a href="/x" title="Close"><i class="icon"></i></a></p>`,
			want:    "[Cart](https://example.com/cart) [Close](https://example.com/x \"Close\")",
		},
		{
			name: "a javascript: link is plain text",
			html: `<p><a href="javascript:go()">Go</a> now</p>`,
			want: "Go now",
		},
		{
			name: "bold next to italic stays two things",
			html: `<p><b>bold</b><i> italic</i></p>`,
			want: "**bold** *italic*",
		},
		{
			name: "Japanese lines join without spaces",
			html: "<p>これは\nテストです。</p>",
			want: "これはテストです。",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pageURL := tt.pageURL
			if pageURL == "" {
				pageURL = page
			}
			got := extractFormat(t, pageURL, tt.html, render.FormatMarkdown).Markdown
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("markdown mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMarkdownSpansAreBounded: the table plugin would expand these spans
// without limit into hundreds of megabytes.
func TestMarkdownSpansAreBounded(t *testing.T) {
	tests := []struct {
		name string
		html string
	}{
		{"huge rowspan and colspan", `<table><tr><td rowspan="200000" colspan="99999">x</td><td>y</td></tr><tr><td>z</td></tr></table>`},
		{"many wide cells", "<table>" + strings.Repeat(`<tr><td colspan="1000">x</td></tr>`, 2000) + "</table>"},
		{"rowspan zero everywhere", "<table>" + strings.Repeat(`<tr><td rowspan="0">x</td></tr>`, 2000) + "</table>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := extractFormat(t, "", tt.html, render.FormatMarkdown).Markdown
			if limit := 100 * (len(tt.html) + 1000); len(got) > limit {
				t.Errorf("markdown is %d bytes from %d bytes of html", len(got), len(tt.html))
			}
		})
	}
}
