package crawl_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/sous-dev/sous/crawl"
	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/fixtures"
	"github.com/sous-dev/sous/httpfetch"
	"github.com/sous-dev/sous/render"
)

// A crawl of the fixture site with the http engine: the start, then the
// pages its sitemaps list, in their order.
func Example() {
	site := fixtures.Start()
	defer site.Close()
	fetcher := httpfetch.New(httpfetch.Options{})
	svc, err := render.NewService(render.Options{Fetcher: fetcher, HTTPFetcher: fetcher, Extractor: extract.New()})
	if err != nil {
		panic(err)
	}
	defer svc.Close()
	// Loopback needs a client without the network guard; a service gives
	// one whose dialer is netguard.Guard.DialContext.
	m, err := crawl.New(svc, crawl.Options{HTTPClient: &http.Client{}, HostDelay: -1})
	if err != nil {
		panic(err)
	}
	defer m.Close()

	ctx := context.Background()
	noBrowser := false
	job, err := m.Start(ctx, &crawl.Request{URL: site.URL + "/site/", Limit: 4, Render: &noBrowser, Formats: []crawl.Format{crawl.FormatMarkdown}})
	if err != nil {
		panic(err)
	}
	job.Wait(ctx)
	res := job.Result(crawl.Page{})
	fmt.Println(res.Status, res.Total, "pages")
	for _, r := range res.Records {
		fmt.Println(r.Status, strings.TrimPrefix(r.URL, site.URL), "depth", r.Depth)
	}
	// Output:
	// completed 4 pages
	// completed /site/ depth 0
	// completed /site/a.html depth 1
	// completed /site/only-in-sitemap.html depth 1
	// completed /site/docs/ depth 1
}
