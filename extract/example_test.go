package extract_test

import (
	"fmt"

	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/render"
)

func ExampleExtractor_Extract() {
	page := &render.Page{
		URL: "https://example.com/guide/",
		HTML: `<html><head><title>Guide</title><script>track()</script></head><body>
			<h1>Getting started</h1>
			<p>Read the <a href="install">install notes</a> first.</p>
			<ul><li>Fast</li><li>Small</li></ul>
			<pre><code class="language-sh">go install example.com/tool@latest</code></pre>
			</body></html>`,
	}
	res, err := extract.New().Extract(page, &render.Request{Formats: []render.Format{render.FormatMarkdown}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Markdown)
	// Output:
	// # Getting started
	//
	// Read the [install notes](https://example.com/guide/install) first.
	//
	// - Fast
	// - Small
	//
	// ```sh
	// go install example.com/tool@latest
	// ```
}
