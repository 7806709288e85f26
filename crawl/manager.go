package crawl

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/sous-dev/sous/render"
)

// Renderer renders one page: render.Service, so that every page of a crawl
// goes through the service's admission, deadlines, cache and network guard.
type Renderer interface {
	Render(ctx context.Context, req *render.Request) (*render.Result, error)
}

var _ Renderer = (*render.Service)(nil)

// JSONExtractor turns a page's markdown into JSON with a language model,
// for the json format.
type JSONExtractor interface {
	ExtractJSON(ctx context.Context, req JSONRequest) (json.RawMessage, error)
}

// JSONRequest is one page's question to a JSONExtractor.
type JSONRequest struct {
	Content, Prompt      string
	Schema               json.RawMessage
	Model, Authorization string // from custom_ai, when given
}

// Options configure a Manager. Zero values mean the documented defaults.
type Options struct {
	// HTTPClient fetches robots.txt files and sitemaps. Required: give it
	// the network guard's dialer (netguard.Guard.DialContext), so that a
	// crawl cannot reach what pages may not.
	HTTPClient *http.Client
	// JSON serves the json format; nil means a request for it must name
	// its own model (jsonOptions.custom_ai) or is refused.
	JSON JSONExtractor

	// MaxRunning is how many jobs crawl at once; default 2. MaxWaiting
	// more wait for their turn, default 8; past that, Start fails with
	// render.ErrOverloaded.
	MaxRunning int
	MaxWaiting int
	// MaxLimit is the largest Request.Limit; default 1,000.
	MaxLimit int
	// PageConcurrency is how many pages of one job render at once;
	// default 4. The service's own limits bound all renders together.
	PageConcurrency int
	// HostConcurrency is how many pages of one host render at once, over
	// all jobs; default 2. HostDelay is the least time between the starts
	// of two fetches from one host; default 500 ms (Cloudflare's), negative
	// for none. A longer Crawl-delay in robots.txt wins.
	HostConcurrency int
	HostDelay       time.Duration
	// MaxDuration bounds one job's run; default an hour.
	MaxDuration time.Duration
	// Retention is how long an ended job can be read; default an hour.
	Retention time.Duration
	// MaxJobs bounds the jobs kept, running and ended; default 100.
	MaxJobs int
	// MaxTotalBytes bounds the content (markdown, html, json) of every
	// job's records together, default 1 GiB; MaxJobBytes one job's,
	// default a quarter of MaxTotalBytes. See budget.go for what happens
	// past them.
	MaxTotalBytes int64
	MaxJobBytes   int64
	// Agent is the product token robots.txt groups are matched against;
	// default "Sous". UserAgent is sent for robots.txt and sitemaps.
	Agent     string
	UserAgent string
	// Store keeps the jobs; default a MemoryStore with Retention and MaxJobs.
	Store Store
	// Hosts spaces out and bounds the fetches from each host; default this
	// process's gates, with HostConcurrency and HostDelay. Several nodes
	// crawling together share one (package cluster).
	Hosts HostGate

	Logger *slog.Logger
}

// Manager runs crawl jobs. It is safe for concurrent use.
type Manager struct {
	renderer Renderer
	opts     Options
	running  chan struct{} // a slot per job crawling
	waiting  chan struct{} // a slot per job started and not ended

	robotsMu sync.Mutex
	robots   map[string]*robotsEntry // by origin, for Visit

	budget *byteBudget // the records' bytes of every job

	ctx    context.Context // parent of every job; cancelled by Close
	cancel context.CancelCauseFunc
	jobs   sync.WaitGroup

	closeOnce sync.Once
}

// Errors a job's context may end with, telling its final status.
var (
	errCancelledByUser = errors.New("cancelled by the user")
	errTooLong         = errors.New("the job ran past its maximum duration")
)

// New returns a Manager that renders pages with r.
func New(r Renderer, opts Options) (*Manager, error) {
	if r == nil {
		return nil, errors.New("crawl: a Renderer is required")
	}
	if opts.HTTPClient == nil {
		return nil, errors.New("crawl: Options.HTTPClient is required; give it the network guard's dialer")
	}
	for name, v := range map[string]int{"MaxRunning": opts.MaxRunning, "MaxWaiting": opts.MaxWaiting, "MaxLimit": opts.MaxLimit,
		"PageConcurrency": opts.PageConcurrency, "HostConcurrency": opts.HostConcurrency, "MaxJobs": opts.MaxJobs} {
		if v < 0 {
			return nil, fmt.Errorf("crawl: Options.%s is negative (%d)", name, v)
		}
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&opts.MaxRunning, 2)
	def(&opts.MaxWaiting, 8)
	def(&opts.MaxLimit, 1000)
	def(&opts.PageConcurrency, 4)
	def(&opts.HostConcurrency, 2)
	def(&opts.MaxJobs, 100)
	switch {
	case opts.HostDelay == 0:
		opts.HostDelay = 500 * time.Millisecond
	case opts.HostDelay < 0:
		opts.HostDelay = 0
	}
	if opts.MaxDuration <= 0 {
		opts.MaxDuration = time.Hour
	}
	if opts.Retention <= 0 {
		opts.Retention = time.Hour
	}
	if opts.MaxTotalBytes < 0 || opts.MaxJobBytes < 0 {
		return nil, errors.New("crawl: Options.MaxTotalBytes and MaxJobBytes may not be negative")
	}
	if opts.MaxTotalBytes == 0 {
		opts.MaxTotalBytes = DefaultMaxTotalBytes
	}
	if opts.MaxJobBytes == 0 {
		opts.MaxJobBytes = opts.MaxTotalBytes / 4
	}
	opts.MaxJobBytes = min(opts.MaxJobBytes, opts.MaxTotalBytes)
	if opts.Agent == "" {
		opts.Agent = "Sous"
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "Sous/1.0 (crawl; robots.txt and sitemaps)"
	}
	if opts.Store == nil {
		opts.Store = NewMemoryStore(opts.Retention, opts.MaxJobs)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Hosts == nil {
		opts.Hosts = NewHostGates(opts.HostConcurrency)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	return &Manager{
		renderer: r,
		opts:     opts,
		running:  make(chan struct{}, opts.MaxRunning),
		waiting:  make(chan struct{}, opts.MaxRunning+opts.MaxWaiting),
		robots:   map[string]*robotsEntry{},
		budget:   &byteBudget{perJob: opts.MaxJobBytes, total: opts.MaxTotalBytes},
		ctx:      ctx,
		cancel:   cancel,
	}, nil
}

// HasModel reports whether the json format can be served without a
// request naming its own model.
func (m *Manager) HasModel() bool { return m.opts.JSON != nil }

// Start validates req, fills in its defaults and starts a job for it; the
// job keeps req, which must not change afterwards. The job runs until it
// ends, is cancelled, or Close; ctx only bounds Start.
// Errors wrap render.ErrInvalidRequest, render.ErrOverloaded or
// render.ErrClosed.
func (m *Manager) Start(ctx context.Context, req *Request) (*Job, error) {
	if m.ctx.Err() != nil {
		return nil, fmt.Errorf("crawl: %w", render.ErrClosed)
	}
	if err := req.Validate(m.opts.MaxLimit, m.opts.JSON != nil); err != nil {
		return nil, err
	}
	select {
	case m.waiting <- struct{}{}:
	default:
		return nil, fmt.Errorf("%w: %d crawl jobs are running and %d waiting; try again when one has ended",
			render.ErrOverloaded, m.opts.MaxRunning, m.opts.MaxWaiting)
	}
	jobCtx, cancel := context.WithCancelCause(m.ctx)
	j := newJob(rand.Text(), req, cancel)
	j.budget = m.budget
	if err := m.opts.Store.Add(j); err != nil {
		<-m.waiting
		cancel(nil)
		return nil, err
	}
	m.jobs.Go(func() {
		defer func() { <-m.waiting }()
		m.run(jobCtx, j)
	})
	m.opts.Logger.Info("crawl started", "id", j.id, "url", req.URL, "limit", req.Limit)
	return j, nil
}

// Job returns the job with id, or an error wrapping ErrNotFound.
func (m *Manager) Job(id string) (*Job, error) { return m.opts.Store.Get(id) }

// Cancel cancels the job with id and returns it.
func (m *Manager) Cancel(id string) (*Job, error) {
	j, err := m.opts.Store.Get(id)
	if err != nil {
		return nil, err
	}
	j.Cancel()
	return j, nil
}

// Close cancels every job (their status becomes cancelled_due_to_limits),
// waits for them to end, and makes Start fail with render.ErrClosed. It is
// safe to call more than once.
func (m *Manager) Close() error {
	m.closeOnce.Do(func() { m.cancel(render.ErrClosed) })
	m.jobs.Wait()
	return nil
}

// run crawls j under a running slot and the job's maximum duration.
func (m *Manager) run(ctx context.Context, j *Job) {
	select {
	case m.running <- struct{}{}:
		defer func() { <-m.running }()
	case <-ctx.Done():
		j.finish(statusOf(context.Cause(ctx)), nil)
		return
	}
	ctx, cancel := context.WithTimeoutCause(ctx, m.opts.MaxDuration, errTooLong)
	defer cancel()
	status, err := newCrawler(m, j).crawl(ctx)
	j.finish(status, err)
	p := j.Progress()
	m.opts.Logger.Info("crawl ended", "id", j.id, "status", p.Status, "total", p.Total, "completed", p.Completed, "errored", p.Errored)
}

// HostGate spaces out and bounds the fetches from each host, over all jobs.
type HostGate interface {
	// Acquire waits until a fetch from host may start: a slot is free and
	// delay has passed since the last fetch from it started. It returns
	// context.Cause(ctx) when ctx ends first.
	Acquire(ctx context.Context, host string, delay time.Duration) (release func(), err error)
}

// HostGates is the HostGate of one process: at most concurrency fetches
// from a host at once.
type HostGates struct {
	concurrency int

	mu    sync.Mutex
	hosts map[string]*hostGate
}

var _ HostGate = (*HostGates)(nil)

// NewHostGates returns gates letting concurrency fetches from a host at once.
func NewHostGates(concurrency int) *HostGates {
	return &HostGates{concurrency: max(1, concurrency), hosts: map[string]*hostGate{}}
}

// Acquire waits for a slot on host and for delay to have passed since the
// last fetch from it started.
func (h *HostGates) Acquire(ctx context.Context, host string, delay time.Duration) (func(), error) {
	return h.gate(host).acquire(ctx, delay)
}

// hostGate spaces out and bounds the fetches from one host, over all jobs.
type hostGate struct {
	slots chan struct{}
	mu    sync.Mutex
	next  time.Time // when the next fetch may start
}

func (h *HostGates) gate(host string) *hostGate {
	h.mu.Lock()
	defer h.mu.Unlock()
	g, ok := h.hosts[host]
	if !ok {
		if len(h.hosts) > 10_000 { // forget idle hosts rather than grow forever
			for name, old := range h.hosts {
				if len(old.slots) == 0 {
					delete(h.hosts, name)
				}
			}
		}
		g = &hostGate{slots: make(chan struct{}, h.concurrency)}
		h.hosts[host] = g
	}
	return g
}

// acquire waits for a slot on the host and for delay to have passed since
// the last fetch from it started.
func (g *hostGate) acquire(ctx context.Context, delay time.Duration) (release func(), err error) {
	select {
	case g.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	g.mu.Lock()
	now := time.Now()
	start := now
	if g.next.After(now) {
		start = g.next
	}
	g.next = start.Add(delay)
	g.mu.Unlock()
	if wait := start.Sub(now); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			<-g.slots
			return nil, context.Cause(ctx)
		}
	}
	return func() { <-g.slots }, nil
}
