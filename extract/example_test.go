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

func ExampleExtractor_Extract_mainContent() {
	page := &render.Page{
		URL: "https://example.com/news/park",
		HTML: `<html><head><title>Park approved | Example News</title></head><body>
			<nav><a href="/">Home</a> <a href="/news">News</a></nav>
			<div class="cookie-banner">We use cookies. <button>OK</button></div>
			<article>
				<h1>Park approved</h1>
				<p class="byline">By Jane Roe</p>
				<p>The council voted on Tuesday to turn the old freight yard into a park, ending a decade of debate.</p>
				<p>Work starts next spring, and the first phase, which cleans the soil, will take a year.</p>
				<div class="share">Share on X</div>
			</article>
			<aside class="related"><a href="/news/1">Bridge closed</a></aside>
			<footer>© Example News</footer>
			</body></html>`,
	}
	res, err := extract.New().Extract(page, &render.Request{
		Formats:         []render.Format{render.FormatText},
		OnlyMainContent: true,
		MaxChars:        150,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Text)
	// Output:
	// The council voted on Tuesday to turn the old freight yard into a park, ending a decade of debate.
	//
	// [… 88 more characters left out by maxChars]
}
