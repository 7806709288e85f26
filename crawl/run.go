package crawl

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"sync"
	"time"

	"github.com/sous-dev/sous/render"
)

// maxSkippedRecords bounds the skipped records a job keeps; past it they
// are only counted, since a page can link to thousands of other sites.
const maxSkippedRecords = 1000

// crawler is one job's run. Its fields are the coordinator's alone; the
// workers that fetch pages talk to it through the results channel.
type crawler struct {
	m     *Manager
	job   *Job
	req   *Request
	start *url.URL
	scope *scope

	seen     map[string]bool // sameKey of every URL recorded or passed over
	queue    []int           // record indexes to fetch, in crawl order
	admitted int             // records counting toward the limit
	skipped  int

	robotsMu sync.Mutex
	robots   map[string]*robotsEntry // by origin
}

type robotsEntry struct {
	read time.Time // by Manager.robotsFor, which keeps entries a while
	once sync.Once
	r    *robots
}

// fetched is what a worker hands back for queue position pos.
type fetched struct {
	pos    int
	record Record
	links  []string
	extra  []string // more names of the same page: final URL, canonical
	base   *url.URL
	ms     int64 // browser time
	fatal  error // the request cannot be served at all
	cause  error // why a cancelled record was not fetched
}

func newCrawler(m *Manager, j *Job) *crawler {
	return &crawler{m: m, job: j, req: j.req, seen: map[string]bool{}, robots: map[string]*robotsEntry{}}
}

// crawl runs the job to its end and returns its final status. Pages are
// fetched PageConcurrency at a time, but the links they hold are taken in
// queue order, so that the crawl is breadth-first and the same site gives
// the same records in the same order whatever the timing.
func (c *crawler) crawl(ctx context.Context) (JobStatus, error) {
	start, err := Normalize(nil, c.req.URL)
	if err != nil {
		return JobErrored, fmt.Errorf("url %s: %w", c.req.URL, err)
	}
	c.start, c.scope = start, newScope(start, c.req.Options)
	c.admit(start, 0)
	if c.req.Source != SourceLinks {
		c.readSitemaps(ctx)
	}

	results := make(chan fetched)
	var workers sync.WaitGroup
	defer workers.Wait()
	pending := map[int]fetched{}
	next, committed, inflight := 0, 0, 0
	var fatal error
	for {
		for fatal == nil && ctx.Err() == nil && inflight < c.m.opts.PageConcurrency && next < len(c.queue) {
			pos, index := next, c.queue[next]
			next++
			inflight++
			workers.Go(func() { results <- c.fetch(ctx, pos, index) })
		}
		if inflight == 0 {
			break
		}
		f := <-results
		inflight--
		if f.fatal != nil && fatal == nil {
			fatal = f.fatal
		}
		c.job.settle(c.queue[f.pos], f.record, f.ms)
		pending[f.pos] = f
		for {
			f, ok := pending[committed]
			if !ok {
				break
			}
			delete(pending, committed)
			committed++
			c.follow(f)
		}
	}
	switch {
	case fatal != nil:
		return JobErrored, fatal
	case ctx.Err() != nil:
		cause := context.Cause(ctx)
		if errors.Is(cause, errJobBytes) || errors.Is(cause, errTotalBytes) {
			return statusOf(cause), cause // the job's error says which budget
		}
		return statusOf(cause), nil
	}
	return JobCompleted, nil
}

// admit records u, found depth links from the start, as queued if it is
// within the limit. It reports whether u was recorded.
func (c *crawler) admit(u *url.URL, depth int) bool {
	if c.admitted >= c.req.Limit || render.ValidateURL(u.String()) != nil {
		return false
	}
	c.seen[sameKey(u)] = true
	c.admitted++
	c.queue = append(c.queue, c.job.add(Record{URL: u.String(), Status: RecordQueued, Depth: depth}))
	return true
}

// discover considers a URL found depth links from the start.
func (c *crawler) discover(base *url.URL, ref string, depth int) {
	if depth > *c.req.Depth || c.admitted >= c.req.Limit {
		return // nothing more is recorded once the job is full
	}
	u, err := Normalize(base, ref)
	if err != nil || isFile(u) {
		return
	}
	key := sameKey(u)
	if c.seen[key] {
		return
	}
	if !c.scope.allows(u) {
		c.seen[key] = true
		c.skipped++
		if c.skipped <= maxSkippedRecords {
			c.job.add(Record{URL: u.String(), Status: RecordSkipped, Depth: depth})
		}
		return
	}
	c.admit(u, depth)
}

// follow takes what a fetched page links to, in order.
func (c *crawler) follow(f fetched) {
	for _, name := range f.extra {
		if u, err := Normalize(f.base, name); err == nil {
			c.seen[sameKey(u)] = true
		}
	}
	if c.req.Source == SourceSitemaps || c.req.Source == SourceLLMs {
		return
	}
	for _, l := range f.links {
		c.discover(f.base, l, f.record.Depth+1)
	}
}

// readSitemaps queues the URLs of the starting site's sitemaps, one link
// from the start: those robots.txt names, else /sitemap.xml; for source
// llms, those its llms.txt and llms-full.txt link to.
func (c *crawler) readSitemaps(ctx context.Context) {
	if *c.req.Depth < 1 {
		return
	}
	origin := c.start.Scheme + "://" + c.start.Host
	var locs []string
	if c.req.Source == SourceLLMs {
		locs = readLLMsTxt(ctx, c.m.opts.HTTPClient, c.m.opts.UserAgent, origin, maxSitemapURLs)
	} else {
		maps := c.robotsFor(ctx, c.start).sitemaps
		if len(maps) == 0 {
			maps = []string{origin + "/sitemap.xml"}
		}
		locs = readSitemaps(ctx, c.m.opts.HTTPClient, c.m.opts.UserAgent, maps, maxSitemapURLs)
	}
	for _, loc := range locs {
		if c.admitted >= c.req.Limit {
			return
		}
		c.discover(c.start, loc, 1)
	}
}

// robotsFor returns the robots.txt rules of u's site, fetched once a job.
func (c *crawler) robotsFor(ctx context.Context, u *url.URL) *robots {
	origin := u.Scheme + "://" + u.Host
	c.robotsMu.Lock()
	e, ok := c.robots[origin]
	if !ok {
		e = &robotsEntry{}
		c.robots[origin] = e
	}
	c.robotsMu.Unlock()
	e.once.Do(func() { e.r = fetchRobots(ctx, c.m.opts.HTTPClient, origin, c.m.opts.Agent, c.m.opts.UserAgent) })
	return e.r
}

// fetch loads the page of record index, at queue position pos.
func (c *crawler) fetch(ctx context.Context, pos, index int) fetched {
	f := c.m.visit(ctx, c.req, c.job.url(index), c.depthOf(index), c.robotsFor)
	f.pos = pos
	if errors.Is(f.cause, render.ErrClosed) {
		c.job.cancel(render.ErrClosed)
	}
	return f
}

// visit loads one page of a job's request: robots.txt (read with rules),
// the host's spacing, the render, and the record made of it.
func (m *Manager) visit(ctx context.Context, req *Request, raw string, depth int, rules func(context.Context, *url.URL) *robots) fetched {
	u, _ := url.Parse(raw) // recorded URLs are normalised
	f := fetched{base: u, record: Record{URL: raw, Depth: depth}}
	cancelled := func() fetched {
		f.record.Status = RecordCancelled
		f.cause = context.Cause(ctx)
		return f
	}
	if ctx.Err() != nil {
		return cancelled()
	}
	robots := rules(ctx, u)
	if !robots.allowed(u.RequestURI()) {
		f.record.Status, f.record.Error = RecordDisallowed, "robots.txt disallows it"
		if robots.denyAll {
			f.record.Error = robots.reason
		}
		return f
	}
	if p := robots.signals.Forbids(req.CrawlPurposes); p != "" {
		f.record.Status = RecordDisallowed
		f.record.Error = fmt.Sprintf("robots.txt's Content-Signal refuses %s (%s=no), a purpose this crawl declared", p, p)
		return f
	}
	release, err := m.opts.Hosts.Acquire(ctx, u.Host, max(m.opts.HostDelay, robots.delay))
	if err != nil {
		return cancelled()
	}
	res, err := m.render(ctx, req.pageRequest(raw))
	release()
	switch {
	case ctx.Err() != nil:
		return cancelled()
	case errors.Is(err, render.ErrInvalidRequest):
		f.record.Status, f.record.Error = RecordErrored, err.Error()
		f.fatal = err
		return f
	case errors.Is(err, render.ErrClosed):
		f.record.Status, f.cause = RecordCancelled, err
		return f
	case err != nil:
		f.record.Status, f.record.Error = RecordErrored, err.Error()
		if m := render.MetaOf(err); m != nil { // an obstacle or a price: the page was fetched
			f.record.Metadata = &Metadata{Status: m.Status, URL: m.URL, Title: m.Title, Price: m.Price}
		}
		return f
	}
	f.record.Metadata = &Metadata{Status: res.Meta.Status, URL: res.Meta.URL, Title: res.Meta.Title, Charged: res.Meta.Charged}
	f.record.Status = RecordCompleted
	if res.Meta.Status >= 400 {
		f.record.Status, f.record.Error = RecordErrored, fmt.Sprintf("the page answered HTTP %d", res.Meta.Status)
	}
	if req.wants(FormatMarkdown) {
		f.record.Markdown = res.Markdown
	}
	if req.wants(FormatHTML) {
		f.record.HTML = res.RawHTML
	}
	if req.wants(FormatJSON) && f.record.Status == RecordCompleted {
		f.record.JSON, err = m.extractJSON(ctx, req, res.Markdown)
		if err != nil {
			f.record.Error = "json: " + err.Error()
		}
	}
	if res.Meta.Engine == render.EngineBrowser && res.Meta.Cache != render.CacheHit && res.Meta.Cache != render.CacheShared {
		f.ms = res.Meta.Timings.Fetch
	}
	if final, err := url.Parse(res.Meta.URL); err == nil && final.Scheme != "" {
		f.base = final
		f.extra = append(f.extra, res.Meta.URL)
	}
	if res.Metadata != nil && res.Metadata.Canonical != "" {
		f.extra = append(f.extra, res.Metadata.Canonical)
	}
	for _, l := range res.Links {
		f.links = append(f.links, l.URL)
	}
	return f
}

func (c *crawler) depthOf(index int) int {
	c.job.mu.Lock()
	defer c.job.mu.Unlock()
	return c.job.records[index].Depth
}

// render renders req, waiting and trying again while the service is
// overloaded: a crawl is patient, and the service's limits pace it.
func (m *Manager) render(ctx context.Context, req *render.Request) (*render.Result, error) {
	wait := 200 * time.Millisecond
	for {
		res, err := m.renderer.Render(ctx, req)
		if !errors.Is(err, render.ErrOverloaded) {
			return res, err
		}
		jittered := wait/2 + rand.N(wait)
		t := time.NewTimer(jittered)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, err
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// extractJSON asks the model for the json format of one page.
func (m *Manager) extractJSON(ctx context.Context, req *Request, markdown string) ([]byte, error) {
	o := req.JSONOptions
	q := JSONRequest{Content: markdown, Prompt: o.Prompt}
	if o.ResponseFormat != nil {
		q.Schema = o.ResponseFormat.JSONSchema
	}
	if len(o.CustomAI) > 0 {
		q.Model, q.Authorization = o.CustomAI[0].Model, o.CustomAI[0].Authorization
	}
	if m.opts.JSON == nil {
		return nil, errors.New("no language model is configured on this service")
	}
	return m.opts.JSON.ExtractJSON(ctx, q)
}
