package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sous-dev/sous/browserpool"
	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/fixtures"
	"github.com/sous-dev/sous/render"
)

// fidelityCase is one row of the fidelity table: a page rendered one way.
type fidelityCase struct {
	page, variant string
	req           func() *render.Request
	want          string // text the markdown must hold for the render to count as having its content
}

// benchFidelity measures, one render at a time on an isolated pool, what
// the default path's waiting and reading cost (issue #12): a static page
// settled against waitUntil load, an app's time to content, the scroll
// pass on a long page, and the scroll pass and frame and shadow-root
// inclusion on corpus pages (as html input). It prints p50 and p90 per
// row and the difference each default makes.
func benchFidelity(ctx context.Context, stdout io.Writer, chrome string, n int, corpusDir string, corpusPages int) error {
	srv := fixtures.Start()
	defer srv.Close()
	pool, err := browserpool.New(ctx, browserpool.Options{ExecPath: chrome, Tabs: 1, AllowPrivate: true})
	if err != nil {
		return err
	}
	defer pool.Close()
	svc, err := render.NewService(render.Options{Fetcher: pool, Extractor: extract.New(), Concurrency: 1})
	if err != nil {
		return err
	}
	zero, no := 0, false
	url := func(path string, opts ...func(*render.Request)) func() *render.Request {
		return func() *render.Request {
			r := &render.Request{URL: srv.URL + path, Engine: render.EngineBrowser, CacheTTL: &zero}
			for _, o := range opts {
				o(r)
			}
			return r
		}
	}
	load := func(r *render.Request) {
		r.GotoOptions = &render.GotoOptions{WaitUntil: render.WaitUntil{render.WaitLoad}}
	}
	noScroll := func(r *render.Request) { r.ScrollPages = &zero }
	cases := []fidelityCase{
		{"static article", "waitUntil load", url("/article.html", load), "sourdough"},
		{"static article", "default (settle)", url("/article.html"), "sourdough"},
		{"static small page", "waitUntil load", url("/about.html", load), ""},
		{"static small page", "default (settle)", url("/about.html"), ""},
		{"app, content after 1 s", "waitUntil load", url("/fidelity/spa.html", load), "harbour at dawn"},
		{"app, content after 1 s", "default (settle)", url("/fidelity/spa.html"), "harbour at dawn"},
		{"long page, lazy end", "scrollPages 0", url("/fidelity/long.html", noScroll), "only the scroll reveals"},
		{"long page, lazy end", "default (scroll)", url("/fidelity/long.html"), "only the scroll reveals"},
		{"shadow roots", "default", url("/fidelity/shadow.html"), "declarative shadow root"},
		{"same-origin frame", "includeFrames false", url("/fidelity/frame.html", func(r *render.Request) { r.IncludeFrames = &no }), ""},
		{"same-origin frame", "default (frames)", url("/fidelity/frame.html"), "Sales by region"},
	}
	if corpusDir != "" {
		c, err := loadCorpus(corpusDir, 1)
		if err != nil {
			return err
		}
		pages := c.pages[:min(corpusPages, len(c.pages))]
		corpus := func(variant string, opts ...func(*render.Request)) fidelityCase {
			next := 0
			return fidelityCase{page: fmt.Sprintf("%d corpus pages (html)", len(pages)), variant: variant, req: func() *render.Request {
				p := pages[next%len(pages)]
				next++
				r := &render.Request{HTML: p.html, Engine: render.EngineBrowser, CacheTTL: &zero, OnlyMainContent: true}
				for _, o := range opts {
					o(r)
				}
				return r
			}}
		}
		cases = append(cases,
			corpus("settle 0, scroll 0, no frames", func(r *render.Request) { r.SettleTimeout, r.ScrollPages, r.IncludeFrames = &zero, &zero, &no }),
			corpus("settle 0, scroll 0", func(r *render.Request) { r.SettleTimeout, r.ScrollPages = &zero, &zero }),
			corpus("settle 0", func(r *render.Request) { r.SettleTimeout = &zero }),
			corpus("default"),
		)
	}

	fmt.Fprintf(stdout, "\nfidelity: one render at a time on an isolated pool, %d renders per row\n\n", n)
	// Each row is printed as soon as it is measured, in fixed columns: a
	// row takes up to a minute (the app's rows wait for its content), and a
	// table held back to align it would show nothing for many minutes.
	const row = "%-26s  %-30s  %6s  %6s  %12s  %6s\n"
	fmt.Fprintf(stdout, row, "page", "variant", "p50 ms", "p90 ms", "with content", "errors")
	for _, fc := range cases {
		// One render first, so that each row starts warm.
		if _, err := svc.Render(ctx, fc.req()); err != nil && ctx.Err() != nil {
			return ctx.Err()
		}
		var lat []time.Duration
		errs, content := 0, 0
		for range n {
			start := time.Now()
			res, err := svc.Render(ctx, fc.req())
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				errs++
				continue
			}
			lat = append(lat, time.Since(start))
			if fc.want == "" || strings.Contains(res.Markdown, fc.want) {
				content++
			}
		}
		slices.Sort(lat)
		p50, p90 := "-", "-"
		if len(lat) > 0 {
			p50 = fmt.Sprint(lat[len(lat)/2].Milliseconds())
			p90 = fmt.Sprint(lat[min(len(lat)-1, len(lat)*9/10)].Milliseconds())
		}
		fmt.Fprintf(stdout, row, fc.page, fc.variant, p50, p90, fmt.Sprintf("%d/%d", content, n), fmt.Sprint(errs))
	}
	return nil
}

// articleCorpusDir is the shared article-extraction corpus beside the
// module, or "".
func articleCorpusDir() string {
	for _, d := range defaultCorpora() {
		if filepath.Base(d) == "article-extraction" {
			return d
		}
	}
	return ""
}
