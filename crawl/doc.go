// Package crawl turns a whole site into records of markdown, HTML or JSON:
// crawl jobs in the shape of Cloudflare Browser Rendering's /crawl
// endpoint. A job starts from one URL, reads the site's sitemaps, and
// follows links breadth-first, on the same host by default, rendering each
// page through a Renderer (render.Service, so that admission, deadlines,
// the cache and the network guard apply to every page).
//
//	m, err := crawl.New(service, crawl.Options{HTTPClient: guardedClient})
//	defer m.Close()
//	job, err := m.Start(ctx, &crawl.Request{URL: "https://example.com/docs/", Limit: 50,
//		Formats: []crawl.Format{crawl.FormatMarkdown}})
//	err = job.Watch(ctx, func(u crawl.Update) error {
//		fmt.Printf("%d/%d\n", u.Finished, u.Total) // and u.Records as they finish
//		return nil
//	})
//	res := job.Result(crawl.Page{}) // records, paged by Cursor
//
// Each URL is crawled once: URLs are compared normalised (scheme and host
// in lower case, no default port, no fragment, sorted query parameters, no
// trailing slash), and a page's final URL and canonical link count as seen.
// robots.txt is obeyed (RFC 9309: the longest rule wins, Crawl-delay is
// honoured, and an unreachable robots.txt forbids the site); the URLs it
// forbids are recorded as disallowed. Fetches from one host are spaced out
// and bounded over all jobs. robots.txt and sitemaps are fetched with
// Options.HTTPClient, which should dial through the network guard.
//
// Jobs live in a Store (MemoryStore: this process, for a retention time).
// A Manager bounds the jobs running and waiting, the pages of a job and the
// records a job keeps, and Close cancels every job.
package crawl
