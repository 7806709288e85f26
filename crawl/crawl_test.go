package crawl_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sous-dev/sous/browserpool"
	"github.com/sous-dev/sous/crawl"
	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/fixtures"
	"github.com/sous-dev/sous/httpfetch"
	"github.com/sous-dev/sous/netguard"
	"github.com/sous-dev/sous/render"
)

var (
	site    *fixtures.Server
	service *render.Service // a browser, and the http engine for render: false
)

func TestMain(m *testing.M) {
	site = fixtures.Start()
	pool, err := browserpool.New(context.Background(), browserpool.Options{Tabs: 2, AllowPrivate: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	service, err = render.NewService(render.Options{
		Fetcher:        pool,
		HTTPFetcher:    httpfetch.New(httpfetch.Options{}),
		Extractor:      extract.New(),
		Concurrency:    2,
		DefaultTimeout: 10 * time.Second,
	})
	if err != nil {
		panic(err)
	}
	code := m.Run()
	service.Close()
	pool.Close()
	site.Close()
	if stacks := crawlGoroutines(); code == 0 && stacks != "" {
		fmt.Fprintf(os.Stderr, "crawl goroutines outlived their Manager:\n%s\n", stacks)
		code = 1
	}
	os.Exit(code)
}

// crawlGoroutines returns the stacks of goroutines running this package's
// code, waiting a little for ones on their way out. Every test closes its
// Manager, and Close waits for its jobs, so there should be none.
func crawlGoroutines() string {
	buf := make([]byte, 1<<20)
	var found []string
	for range 50 {
		found = found[:0]
		all := string(buf[:runtime.Stack(buf, true)])
		for g := range strings.SplitSeq(all, "\n\n") {
			if strings.Contains(g, "sous/crawl.") && !strings.Contains(g, "crawlGoroutines") {
				found = append(found, g)
			}
		}
		if len(found) == 0 {
			return ""
		}
		time.Sleep(100 * time.Millisecond)
	}
	return strings.Join(found, "\n\n")
}

// newManager returns a Manager over the shared service that fetches
// robots.txt and sitemaps from loopback, closed when the test ends.
func newManager(t *testing.T, opts crawl.Options) *crawl.Manager {
	t.Helper()
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{}
	}
	if opts.HostDelay == 0 {
		opts.HostDelay = time.Millisecond
	}
	m, err := crawl.New(service, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func ptr[T any](v T) *T { return &v }

// run starts req and waits for its end.
func run(t *testing.T, m *crawl.Manager, req *crawl.Request) (*crawl.Job, *crawl.Result) {
	t.Helper()
	j, err := m.Start(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := j.Wait(ctx); err != nil {
		t.Fatalf("the job did not end: %v; %+v", err, j.Progress())
	}
	return j, j.Result(crawl.Page{})
}

// statuses maps each record's URL, without the fixture server's origin,
// to its status; a URL recorded twice fails the test.
func statuses(t *testing.T, res *crawl.Result) map[string]string {
	t.Helper()
	got := map[string]string{}
	for _, r := range res.Records {
		u := strings.TrimPrefix(r.URL, site.URL)
		if _, dup := got[u]; dup {
			t.Errorf("%s recorded twice", u)
		}
		got[u] = string(r.Status)
	}
	return got
}

// A browser crawl of the fixture site visits every page once, in
// breadth-first order, and gives each the status Cloudflare's would.
func TestCrawlFixtureSite(t *testing.T) {
	m := newManager(t, crawl.Options{})
	req := &crawl.Request{URL: site.URL + "/site/", Limit: 50, Formats: []crawl.Format{crawl.FormatMarkdown, crawl.FormatHTML}}
	// /never.html never fires load; it is read after a grace of a few
	// seconds. The deadline must fit that, and every other page, on a busy
	// machine.
	req.Page.GotoOptions = &render.GotoOptions{Timeout: 20000}
	// Other tests crawl the same site, and a job that ends early may
	// still fetch a page it had in flight: count this crawl's hits only.
	secretBefore, queryBefore := site.Hits("/site/private/secret.html"), site.Hits("/site/query.html")
	j, res := run(t, m, req)
	if res.Status != crawl.JobCompleted {
		t.Fatalf("status %s (%s)", res.Status, res.Error)
	}
	if diff := cmp.Diff(fixtures.CrawlSite, statuses(t, res)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if res.Total != len(fixtures.CrawlSite)-1 || res.Finished != res.Total || res.Skipped != 1 || res.Cursor != nil {
		t.Errorf("total %d, finished %d, skipped %d, cursor %v", res.Total, res.Finished, res.Skipped, res.Cursor)
	}
	// The start, then the sitemaps' pages in their order, then links.
	var order []string
	depth := map[string]int{}
	for _, r := range res.Records[:5] {
		order = append(order, strings.TrimPrefix(r.URL, site.URL))
	}
	for _, r := range res.Records {
		depth[strings.TrimPrefix(r.URL, site.URL)] = r.Depth
		switch r.Status {
		case crawl.RecordCompleted:
			if r.Metadata == nil || r.Metadata.Status != 200 || r.Metadata.Title == "" || !strings.Contains(r.Markdown, "# "+r.Metadata.Title) || !strings.Contains(r.HTML, "<html") {
				t.Errorf("%s: metadata %+v, markdown %.80q, html %.40q", r.URL, r.Metadata, r.Markdown, r.HTML)
			}
		case crawl.RecordErrored:
			if r.Error == "" {
				t.Errorf("%s errored without saying why", r.URL)
			}
		case crawl.RecordDisallowed, crawl.RecordSkipped:
			if r.Metadata != nil || r.Markdown != "" {
				t.Errorf("%s (%s) was fetched", r.URL, r.Status)
			}
		}
	}
	if diff := cmp.Diff([]string{"/site/", "/site/a.html", "/site/only-in-sitemap.html", "/site/docs/", "/site/b.html"}, order); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	if depth["/site/"] != 0 || depth["/site/query.html?a=1&b=2"] != 1 || depth["/site/deep.html"] != 2 || depth["/site/deeper.html"] != 3 {
		t.Errorf("depths %v", depth)
	}
	if broken := find(res, "/site/broken.html"); broken.Metadata == nil || broken.Metadata.Status != 500 || !strings.Contains(broken.HTML, "Something broke") {
		t.Errorf("broken.html: %+v", broken)
	}
	if site.Hits("/site/private/secret.html") != secretBefore {
		t.Error("the page robots.txt forbids was fetched")
	}
	if got := site.Hits("/site/query.html") - queryBefore; got != 1 {
		t.Errorf("query.html fetched %d times", got)
	}
	if p := j.Progress(); p.Completed != 9 || p.Errored != 2 || p.Disallowed != 1 || p.Queued != 0 {
		t.Errorf("progress %+v", p)
	}
}

func find(res *crawl.Result, path string) crawl.Record {
	for _, r := range res.Records {
		if strings.TrimPrefix(r.URL, site.URL) == path {
			return r
		}
	}
	return crawl.Record{}
}

// limit bounds the total exactly, and depth how far links are followed.
func TestLimitAndDepth(t *testing.T) {
	m := newManager(t, crawl.Options{})
	tests := []struct {
		name string
		req  crawl.Request
		want []string // non-skipped records, in order
	}{
		{"limit", crawl.Request{Limit: 3}, []string{"/site/", "/site/a.html", "/site/only-in-sitemap.html"}},
		{"depth 0", crawl.Request{Depth: ptr(0)}, []string{"/site/"}},
		{"depth 1 from links", crawl.Request{Depth: ptr(1), Source: crawl.SourceLinks, Limit: 50},
			[]string{"/site/", "/site/a.html", "/site/b.html", "/site/query.html?a=1&b=2", "/site/docs/",
				"/site/private/secret.html", "/site/loop", "/site/broken.html", "/never.html"}},
		{"depth 2 from links, limit 10", crawl.Request{Depth: ptr(2), Source: crawl.SourceLinks, Limit: 10},
			[]string{"/site/", "/site/a.html", "/site/b.html", "/site/query.html?a=1&b=2", "/site/docs/",
				"/site/private/secret.html", "/site/loop", "/site/broken.html", "/never.html", "/site/deep.html"}},
		{"sitemaps only", crawl.Request{Source: crawl.SourceSitemaps},
			[]string{"/site/", "/site/a.html", "/site/only-in-sitemap.html", "/site/docs/", "/site/b.html"}},
		{"patterns", crawl.Request{Limit: 50, Options: crawl.Scope{IncludePatterns: []string{"/site/*.html"}, ExcludePatterns: []string{"**/deep*"}}},
			[]string{"/site/", "/site/a.html", "/site/only-in-sitemap.html", "/site/b.html", "/site/query.html?a=1&b=2", "/site/broken.html"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.req
			req.URL = site.URL + "/site/"
			req.Render = ptr(false)
			req.Formats = []crawl.Format{crawl.FormatMarkdown}
			_, res := run(t, m, &req)
			var got []string
			for _, r := range res.Records {
				if r.Status != crawl.RecordSkipped {
					got = append(got, strings.TrimPrefix(r.URL, site.URL))
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if res.Total != len(tc.want) || res.Finished != res.Total || res.Status != crawl.JobCompleted {
				t.Errorf("status %s, total %d, finished %d", res.Status, res.Total, res.Finished)
			}
		})
	}
}

// Records come in pages: the cursor walks them all, and status filters.
func TestPaging(t *testing.T) {
	m := newManager(t, crawl.Options{})
	j, all := run(t, m, &crawl.Request{URL: site.URL + "/site/", Limit: 50, Render: ptr(false)})
	var walked []string
	cursor, pages := 0, 0
	for {
		res := j.Result(crawl.Page{Cursor: cursor, Limit: 5})
		pages++
		for _, r := range res.Records {
			walked = append(walked, r.URL)
		}
		if res.Cursor == nil {
			break
		}
		cursor = *res.Cursor
	}
	var want []string
	for _, r := range all.Records {
		want = append(want, r.URL)
	}
	if diff := cmp.Diff(want, walked); diff != "" || pages != (len(want)+4)/5 {
		t.Errorf("%d pages; records (-want +got):\n%s", pages, diff)
	}
	errored := j.Result(crawl.Page{Status: crawl.RecordErrored})
	if len(errored.Records) != 2 { // /never.html completes without a browser
		t.Errorf("errored records: %+v", errored.Records)
	}
	small := j.Result(crawl.Page{MaxBytes: 1})
	if len(small.Records) != 1 || small.Cursor == nil || *small.Cursor != 1 {
		t.Errorf("a 1-byte page has %d records, cursor %v", len(small.Records), small.Cursor)
	}
}

// Cancelling a job mid-crawl stops it: what was queued is cancelled.
func TestCancel(t *testing.T) {
	m := newManager(t, crawl.Options{HostDelay: 300 * time.Millisecond})
	j, err := m.Start(context.Background(), &crawl.Request{URL: site.URL + "/site/", Limit: 50, Render: ptr(false)})
	if err != nil {
		t.Fatal(err)
	}
	err = j.Watch(context.Background(), func(u crawl.Update) error {
		if u.Completed > 0 {
			if _, err := m.Cancel(j.ID()); err != nil {
				t.Error(err)
			}
			return errors.New("cancelled")
		}
		return nil
	})
	if err == nil {
		t.Fatal("the job ended before a page completed")
	}
	if err := j.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	p := j.Progress()
	if p.Status != crawl.JobCancelledByUser || p.Cancelled == 0 || p.Queued != 0 || p.Finished != p.Total {
		t.Errorf("after cancel: %+v", p)
	}
	if _, err := m.Cancel("no-such-job"); !errors.Is(err, crawl.ErrNotFound) {
		t.Errorf("cancel of an unknown job: %v", err)
	}
}

// Two jobs run at once, and each gets the whole site.
func TestTwoJobs(t *testing.T) {
	m := newManager(t, crawl.Options{})
	req := func() *crawl.Request {
		return &crawl.Request{URL: site.URL + "/site/", Limit: 50, Render: ptr(false), Source: crawl.SourceLinks}
	}
	a, err := m.Start(context.Background(), req())
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Start(context.Background(), req())
	if err != nil {
		t.Fatal(err)
	}
	if a.ID() == b.ID() {
		t.Fatal("two jobs share an id")
	}
	for _, j := range []*crawl.Job{a, b} {
		j.Wait(context.Background())
	}
	ra, rb := a.Result(crawl.Page{}), b.Result(crawl.Page{})
	if ra.Status != crawl.JobCompleted || rb.Status != crawl.JobCompleted || ra.Total != 11 {
		t.Fatalf("a: %s %d, b: %s %d", ra.Status, ra.Total, rb.Status, rb.Total)
	}
	if diff := cmp.Diff(statuses(t, ra), statuses(t, rb)); diff != "" {
		t.Errorf("the jobs differ (-a +b):\n%s", diff)
	}
}

// A service with no room to queue refuses renders with ErrOverloaded; the
// crawl waits and tries again rather than failing pages.
func TestOverloadIsRetried(t *testing.T) {
	busy, err := render.NewService(render.Options{
		Fetcher:     httpfetch.New(httpfetch.Options{}),
		HTTPFetcher: httpfetch.New(httpfetch.Options{}),
		Extractor:   extract.New(),
		Concurrency: 1,
		Queue:       -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	m, err := crawl.New(busy, crawl.Options{HTTPClient: &http.Client{}, HostDelay: -1, HostConcurrency: 8, PageConcurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	j, err := m.Start(context.Background(), &crawl.Request{URL: site.URL + "/site/", Limit: 50, Render: ptr(false), Source: crawl.SourceLinks})
	if err != nil {
		t.Fatal(err)
	}
	j.Wait(context.Background())
	if p := j.Progress(); p.Status != crawl.JobCompleted || p.Completed != 8 {
		t.Errorf("%+v", p)
	}
}

// Close ends running jobs as cancelled_due_to_limits and refuses new ones.
func TestClose(t *testing.T) {
	m, err := crawl.New(service, crawl.Options{HTTPClient: &http.Client{}, HostDelay: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	j, err := m.Start(context.Background(), &crawl.Request{URL: site.URL + "/site/", Limit: 50, Render: ptr(false)})
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
	if p := j.Progress(); p.Status != crawl.JobCancelledLimits || p.Queued != 0 {
		t.Errorf("after Close: %+v", p)
	}
	if _, err := m.Start(context.Background(), &crawl.Request{URL: site.URL + "/site/"}); !errors.Is(err, render.ErrClosed) {
		t.Errorf("Start after Close: %v", err)
	}
	m.Close()
}

// robots.txt is fetched through the client given, here one whose dialer
// is the network guard: it refuses loopback, so the site may not be
// crawled and nothing is rendered.
func TestRobotsThroughTheGuard(t *testing.T) {
	guard, err := netguard.New(netguard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{DialContext: guard.DialContext}}
	m := newManager(t, crawl.Options{HTTPClient: client})
	_, res := run(t, m, &crawl.Request{URL: site.URL + "/site/", Render: ptr(false)})
	if len(res.Records) != 1 || res.Records[0].Status != crawl.RecordDisallowed || !strings.Contains(res.Records[0].Error, "blocked") {
		t.Errorf("records %+v", res.Records)
	}
}

func TestInvalidRequests(t *testing.T) {
	m := newManager(t, crawl.Options{MaxLimit: 100})
	tests := []struct {
		name string
		req  crawl.Request
		want string
	}{
		{"no url", crawl.Request{}, "url is required"},
		{"not http", crawl.Request{URL: "ftp://example.com/"}, "http"},
		{"limit too high", crawl.Request{URL: "https://example.com/", Limit: 101}, "maximum of 100"},
		{"negative depth", crawl.Request{URL: "https://example.com/", Depth: ptr(-1)}, "depth"},
		{"source", crawl.Request{URL: "https://example.com/", Source: "everything"}, "source"},
		{"format", crawl.Request{URL: "https://example.com/", Formats: []crawl.Format{"pdf"}}, "formats[0]"},
		{"json without options", crawl.Request{URL: "https://example.com/", Formats: []crawl.Format{crawl.FormatJSON}}, "jsonOptions"},
		{"json without a model", crawl.Request{URL: "https://example.com/", Formats: []crawl.Format{crawl.FormatJSON},
			JSONOptions: &crawl.JSONOptions{Prompt: "prices"}}, "language model"},
		{"maxAge", crawl.Request{URL: "https://example.com/", MaxAge: ptr(700_000)}, "maxAge"},
		{"page options", crawl.Request{URL: "https://example.com/", Page: render.Request{WaitForSelector: &render.WaitForSelector{}}}, "waitForSelector"},
		{"browser-only option without a browser", crawl.Request{URL: "https://example.com/", Render: ptr(false), Page: render.Request{WaitForTimeout: 100}}, "engine http"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := m.Start(context.Background(), &tc.req)
			if !errors.Is(err, render.ErrInvalidRequest) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want invalid_request mentioning %q", err, tc.want)
			}
		})
	}
}

// A crawl that declares a purpose the site's Content-Signal refuses records
// its pages as disallowed, with the reason, and fetches none; one whose
// purposes the signals grant crawls as usual.
func TestCrawlPurposes(t *testing.T) {
	m := newManager(t, crawl.Options{})
	for _, tc := range []struct {
		name     string
		purposes []string
		want     crawl.RecordStatus
	}{
		{"granted", []string{"search", "ai-input"}, crawl.RecordCompleted},
		{"refused", []string{"search", "ai-train"}, crawl.RecordDisallowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := site.Hits("/site/")
			_, res := run(t, m, &crawl.Request{URL: site.URL + "/site/", Limit: 3, Render: ptr(false), CrawlPurposes: tc.purposes})
			if len(res.Records) == 0 {
				t.Fatal("no records")
			}
			for _, r := range res.Records {
				if r.Status != tc.want {
					t.Errorf("%s: %s (%s), want %s", r.URL, r.Status, r.Error, tc.want)
				}
				if tc.want == crawl.RecordDisallowed && !strings.Contains(r.Error, "Content-Signal refuses ai-train") {
					t.Errorf("%s: reason %q", r.URL, r.Error)
				}
			}
			if fetched := site.Hits("/site/") - before; (tc.want == crawl.RecordDisallowed) != (fetched == 0) {
				t.Errorf("the start page was fetched %d times", fetched)
			}
		})
	}
}

// A crawl with source llms visits the start and the site's pages its
// llms.txt and llms-full.txt link to, and no other.
func TestCrawlLLMsTxt(t *testing.T) {
	m := newManager(t, crawl.Options{})
	_, res := run(t, m, &crawl.Request{URL: site.URL + "/site/", Limit: 10, Source: crawl.SourceLLMs, Render: ptr(false)})
	var got []string
	for _, r := range res.Records {
		if r.Status != crawl.RecordSkipped {
			got = append(got, strings.TrimPrefix(r.URL, site.URL))
		}
	}
	want := []string{"/site/", "/site/a.html", "/site/b.html", "/site/deep.html"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}
