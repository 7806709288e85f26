package crawl

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/sous-dev/sous/render"
)

// What several nodes need to run one job together (package cluster): the
// job's rules for which URLs it takes (Plan), one page's visit (Visit), its
// sitemaps (SitemapURLs), and a Job that shows state kept elsewhere
// (Mirror). The nodes share the frontier and the records; every decision
// about a URL is the same function of the request on every node.

// Verdict is what a job does with a URL it found.
type Verdict int

// The verdicts of Plan.Consider.
const (
	Ignore Verdict = iota // not a web page, a file, or past the depth
	Skip                  // outside the crawl's scope: recorded as skipped
	Visit                 // to be visited, if the limit allows
)

// Plan is a validated request's rules for the URLs it finds.
type Plan struct {
	req   *Request
	start *url.URL
	scope *scope
}

// NewPlan returns the plan of req, which Validate has accepted.
func NewPlan(req *Request) (*Plan, error) {
	start, err := Normalize(nil, req.URL)
	if err != nil {
		return nil, fmt.Errorf("%w: url %s: %v", render.ErrInvalidRequest, req.URL, err)
	}
	return &Plan{req: req, start: start, scope: newScope(start, req.Options)}, nil
}

// Start is the normalised starting URL.
func (p *Plan) Start() *url.URL { return p.start }

// Key is the name two URLs share when they are the same page.
func Key(u *url.URL) string { return sameKey(u) }

// Consider decides about ref, found on base depth links from the start.
func (p *Plan) Consider(base *url.URL, ref string, depth int) (*url.URL, Verdict) {
	if depth > *p.req.Depth {
		return nil, Ignore
	}
	u, err := Normalize(base, ref)
	if err != nil || isFile(u) || render.ValidateURL(u.String()) != nil {
		return nil, Ignore
	}
	if !p.scope.allows(u) {
		return u, Skip
	}
	return u, Visit
}

// FollowsLinks reports whether the job goes on from the links of its
// pages, rather than its sitemaps alone.
func (p *Plan) FollowsLinks() bool {
	return p.req.Source != SourceSitemaps && p.req.Source != SourceLLMs
}

// Visited is one page's visit: its record, the links it holds, other names
// of the same page (final URL, canonical link), and the browser time spent.
type Visited struct {
	Record    Record
	Links     []string
	Names     []string
	Base      *url.URL // what the links are relative to
	BrowserMs int64
	// Fatal is set when the request cannot be served at all: the job
	// ends errored.
	Fatal error
	// Cause is set when the page was not fetched because ctx ended or the
	// service closed; the record then says nothing about the page.
	Cause error
}

// Visit fetches the page at raw (a normalised URL of req) as a job's
// worker does: robots.txt, host spacing and bounds through Options.Hosts,
// the render, and the record.
func (m *Manager) Visit(ctx context.Context, req *Request, raw string, depth int) Visited {
	f := m.visit(ctx, req, raw, depth, m.robotsFor)
	return Visited{Record: f.record, Links: f.links, Names: f.extra, Base: f.base, BrowserMs: f.ms, Fatal: f.fatal, Cause: f.cause}
}

// SitemapURLs returns the URLs of the sitemaps of req's starting site (or
// of its llms.txt, for source llms), as a job reads them before its first
// page, or none when req does not read sitemaps.
func (m *Manager) SitemapURLs(ctx context.Context, p *Plan) []string {
	if p.req.Source == SourceLinks || *p.req.Depth < 1 {
		return nil
	}
	origin := p.start.Scheme + "://" + p.start.Host
	if p.req.Source == SourceLLMs {
		return readLLMsTxt(ctx, m.opts.HTTPClient, m.opts.UserAgent, origin, maxSitemapURLs)
	}
	maps := m.robotsFor(ctx, p.start).sitemaps
	if len(maps) == 0 {
		maps = []string{origin + "/sitemap.xml"}
	}
	return readSitemaps(ctx, m.opts.HTTPClient, m.opts.UserAgent, maps, maxSitemapURLs)
}

// robotsRetention is how long Visit trusts a site's robots.txt.
const robotsRetention = 10 * time.Minute

// robotsFor returns the robots.txt rules of u's site for Visit, read once
// per robotsRetention by this Manager.
func (m *Manager) robotsFor(ctx context.Context, u *url.URL) *robots {
	origin := u.Scheme + "://" + u.Host
	m.robotsMu.Lock()
	e, ok := m.robots[origin]
	if !ok || time.Since(e.read) > robotsRetention {
		if len(m.robots) > 10_000 {
			clear(m.robots)
		}
		e = &robotsEntry{read: time.Now()}
		m.robots[origin] = e
	}
	m.robotsMu.Unlock()
	e.once.Do(func() { e.r = fetchRobots(ctx, m.opts.HTTPClient, origin, m.opts.Agent, m.opts.UserAgent) })
	return e.r
}

// Mirror is a Job whose state is kept elsewhere (by a cluster) and told to
// it as it changes, so that Result, Progress, Watch and Done work on it as
// on a job this process runs.
type Mirror struct{ job *Job }

// NewMirror returns a mirror of job id of req, created at created. cancel
// is called by Job.Cancel.
func NewMirror(id string, req *Request, created time.Time, cancel func()) *Mirror {
	j := newJob(id, req, func(error) { cancel() })
	j.created = created
	return &Mirror{job: j}
}

// Job is the mirrored job.
func (m *Mirror) Job() *Job { return m.job }

// Add records r and returns its index.
func (m *Mirror) Add(r Record) int { return m.job.add(r) }

// Settle gives record i its final state.
func (m *Mirror) Settle(i int, r Record, browserMs int64) { m.job.settle(i, r, browserMs) }

// Finish ends the job in status s, with errText saying why it errored.
// Records still queued become cancelled. Only the first call counts.
func (m *Mirror) Finish(s JobStatus, errText string) {
	select {
	case <-m.job.done:
		return
	default:
	}
	var err error
	if errText != "" {
		err = fmt.Errorf("%s", errText)
	}
	m.job.finish(s, err)
}

// Ended is when the job ended, or zero while it runs.
func (m *Mirror) Ended() time.Time { return m.job.endedAt() }

// Check validates req and fills in its defaults under this Manager's
// limits, as Start does.
func (m *Manager) Check(req *Request) error { return req.Validate(m.opts.MaxLimit, m.opts.JSON != nil) }

// HostDelay is the least time between two fetches from one host.
func (m *Manager) HostDelay() time.Duration { return m.opts.HostDelay }
