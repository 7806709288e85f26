package extract_test

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"

	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/render"
)

// FuzzExtract feeds arbitrary documents and page addresses through every
// format. Extract must not panic or hang, and what it promises must hold
// whatever the input: rawHtml is the input, the cleaned HTML holds no
// script, style or event handler even after a round trip through the
// parser, and links are http(s) whenever there is a base to resolve against.
func FuzzExtract(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.html"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b), "https://example.com/dir/page.html")
	}
	f.Add(`<a href="x">x</a><base href="//other.example/">`, "about:blank")
	f.Add(`<table><tr><td rowspan=0 colspan=9>a<td>b<tr><td>c</table>`, "http://example.com")
	f.Add(`<math><mi><style><img src=x onerror=alert(1)></style></mi></math>`, "")
	f.Add(`<svg><p><style><img src=x onerror=alert(1)>`, "https://example.com/")
	f.Add(`<noscript><p title="</noscript><img src=x onerror=alert(1)>">`, "https://example.com/")
	f.Add("<pre>\n\n<code class=\"language-\">```</code></pre><ul><li><ol start=-5><li>x", "https://[::1]:80/")
	f.Add(strings.Repeat("<div>", 600)+"x", "https://example.com/")

	x := extract.New()
	req := &render.Request{Formats: []render.Format{
		render.FormatMarkdown, render.FormatText, render.FormatHTML,
		render.FormatRawHTML, render.FormatLinks, render.FormatMetadata,
	}}
	f.Fuzz(func(t *testing.T, document, pageURL string) {
		done := make(chan struct{})
		var res *render.Result
		var err error
		go func() {
			defer close(done)
			res, err = x.Extract(&render.Page{URL: pageURL, HTML: document}, req)
		}()
		// A generous bound: this is a hang detector, not a benchmark.
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("Extract of %d bytes did not return within 10s", len(document))
		}
		if err != nil {
			// Only a document the parser refuses even when flattened may
			// fail; nothing in the corpus should.
			t.Logf("Extract: %v", err)
			return
		}
		if res.RawHTML != document {
			t.Errorf("rawHtml is not the input")
		}
		checkClean(t, res.HTML)
		page, err := url.Parse(pageURL)
		hasBase := err == nil && (page.Scheme == "http" || page.Scheme == "https") && page.Host != ""
		for _, l := range res.Links {
			if strings.Contains(l.URL, "#") {
				t.Errorf("link %q keeps its fragment", l.URL)
			}
			lower := strings.ToLower(l.URL)
			if strings.HasPrefix(lower, "javascript:") || strings.HasPrefix(lower, "data:") {
				t.Errorf("link %q should have been dropped", l.URL)
			}
			if hasBase && !strings.Contains(document, "<base") && !strings.HasPrefix(l.URL, "http://") && !strings.HasPrefix(l.URL, "https://") {
				t.Errorf("link %q is not absolute though the page is at %q", l.URL, pageURL)
			}
		}
	})
}

// checkClean parses the cleaned HTML again, as its reader would, and fails
// if that brings back anything cleaning promises to remove.
func checkClean(t *testing.T, cleaned string) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(cleaned))
	if err != nil {
		return // too deep to parse again; the flattened original parsed
	}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "script", "style", "iframe", "object", "embed", "template":
				t.Errorf("cleaned html has a <%s> after a round trip: %.200q", n.Data, cleaned)
			}
			for _, a := range n.Attr {
				if strings.HasPrefix(strings.ToLower(a.Key), "on") {
					t.Errorf("cleaned html has an %s attribute after a round trip: %.200q", a.Key, cleaned)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
}

// FuzzMainContent feeds arbitrary documents, selectors and budgets through
// the main-content path. Extract must not panic or hang; a selector may be
// refused, but only as the caller's error; and markdown and text must keep
// to the budget (or be the marker alone when the budget is smaller).
func FuzzMainContent(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*", "*.html"))
	if err != nil {
		f.Fatal(err)
	}
	more, _ := filepath.Glob(filepath.Join("testdata", "*.html"))
	for _, file := range append(files, more...) {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b), "", 0)
		f.Add(string(b), "p, li", 200)
	}
	f.Add(`<body class="post"><article><p>a, b, c</p></article></body>`, "article", 1)
	f.Add(`<form><nav><div class="sidebar"><p>`+strings.Repeat("x, ", 100)+`</p></div></nav></form>`, "div[", 60)
	f.Add("<pre>```\n\n```</pre><pre>\n\n</pre>"+strings.Repeat("<p>para</p>", 50), ":not(p)", 80)
	f.Add(strings.Repeat("<div class=related>", 300)+strings.Repeat("<p>deep, text</p>", 30), "", 100)

	x := extract.New()
	f.Fuzz(func(t *testing.T, document, selector string, maxChars int) {
		req := &render.Request{
			Formats:         []render.Format{render.FormatMarkdown, render.FormatText, render.FormatHTML},
			OnlyMainContent: true,
			MaxChars:        max(0, maxChars),
		}
		if selector != "" {
			req.ExcludeTags = []string{selector}
		}
		done := make(chan struct{})
		var res *render.Result
		var err error
		go func() {
			defer close(done)
			res, err = x.Extract(&render.Page{URL: "https://example.com/a/", HTML: document}, req)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("Extract of %d bytes did not return within 10s", len(document))
		}
		if err != nil {
			if selector == "" || !errors.Is(err, render.ErrInvalidRequest) {
				t.Fatalf("Extract: %v", err)
			}
			return
		}
		if req.MaxChars > 0 {
			limit := max(req.MaxChars, 64)
			for format, out := range map[string]string{"markdown": res.Markdown, "text": res.Text} {
				if n := utf8.RuneCountInString(out); n > limit {
					t.Errorf("%s has %d characters; maxChars is %d", format, n, req.MaxChars)
				}
			}
		}
		checkClean(t, res.HTML)
	})
}
