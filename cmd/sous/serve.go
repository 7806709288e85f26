package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/sous-dev/sous/api"
	"github.com/sous-dev/sous/browserpool"
	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/httpfetch"
	"github.com/sous-dev/sous/identity"
	"github.com/sous-dev/sous/netguard"
	"github.com/sous-dev/sous/render"
)

// engineFlags are the flags of every command that renders in-process.
type engineFlags struct {
	chrome       string
	concurrency  int
	queue        queueFlag
	allowPrivate bool
	allowCIDRs   cidrList
	deny         []netip.AddrPort // set by serve: its own listener
	timeout      time.Duration
	maxTimeout   time.Duration
	tabReuse     int
	maxPageSize  uint64
	cold         bool // set by render: browserpool.Options.Cold

	// Set by serve, not by flags: the cache in front of the service (nil:
	// none) and who is told about each render (nil: no one).
	cache    render.Cache
	observer render.Observer
	// Set by serve and mcp: what runs Request.Script (nil: scripts refused).
	processor render.Processor
	// Set by serve: what signs every outgoing request (nil: nothing is
	// signed); what reads sites' Content Signals (nil: nothing), whether a
	// render's purpose must respect them, and the User-Agent product token
	// of robots.txt ("": crawl's default).
	signer         *identity.Signer
	signals        render.SignalReader
	respectSignals bool
	agentToken     string
	// payer pays pay-per-crawl sites (nil: none is paid); llmsTxt reads
	// sites' llms.txt (nil: none is read).
	payer   render.Payer
	llmsTxt render.LLMsTxtReader
}

func (e *engineFlags) register(fs *flag.FlagSet, concurrency int) {
	fs.StringVar(&e.chrome, "chrome", "", "Chromium executable (default: $SOUS_CHROME, else chromium, chromium-browser or google-chrome on PATH)")
	fs.IntVar(&e.concurrency, "concurrency", concurrency, "renders in flight at once, one browser tab each")
	fs.Var(&e.queue, "queue", "renders that may wait for a tab before callers get 429; 0: none (default 4 × concurrency)")
	fs.BoolVar(&e.allowPrivate, "allow-private", false, "let pages load from loopback and private network addresses (for local testing)")
	fs.Var(&e.allowCIDRs, "allow-cidr", "let pages reach this private range, e.g. 10.1.0.0/16 (repeatable)")
	fs.DurationVar(&e.timeout, "timeout", 30*time.Second, "deadline of a request that sets none (gotoOptions.timeout)")
	fs.DurationVar(&e.maxTimeout, "max-timeout", 60*time.Second, "longest deadline a request may ask for")
	e.maxPageSize = render.MaxHTMLLength
	fs.Func("max-page-size", "largest document the http engine reads, such as 8MiB; a larger page is code page_too_large under engine http, and is rendered in Chromium under auto (default 8MiB)", func(s string) error {
		n, err := humanize.ParseBytes(s)
		if err != nil || n == 0 {
			return fmt.Errorf("want a size such as 8MiB or 32MiB")
		}
		e.maxPageSize = n
		return nil
	})
	fs.IntVar(&e.tabReuse, "tab-reuse", 50, "renders a tab serves, wiped between each, before its browser context is replaced (1: a fresh context per render)")
}

// newGuard is the network guard the flags describe, for what the service
// fetches without the browser (whose pool builds its own from the same
// options).
func (e *engineFlags) newGuard() (*netguard.Guard, error) {
	return netguard.New(netguard.Options{AllowPrivate: e.allowPrivate, Allow: e.allowCIDRs, Deny: e.deny})
}

// start launches the pool and the service.
func (e *engineFlags) start(ctx context.Context, logger *slog.Logger) (*render.Service, *browserpool.Pool, error) {
	if e.concurrency < 1 {
		return nil, nil, fmt.Errorf("--concurrency must be at least 1")
	}
	pool, err := browserpool.New(ctx, e.poolOptions(logger))
	if err != nil {
		return nil, nil, err
	}
	svc, err := e.service(pool, pool.UserAgent(), logger)
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	return svc, pool, nil
}

// startOnDemand is start for a command that renders a few pages and exits
// (render, a crawl without -render): Chromium starts at the first render
// that needs it, so that a page the HTTP engine reads never waits for a
// browser, nor needs one installed.
func (e *engineFlags) startOnDemand(ctx context.Context, logger *slog.Logger) (*render.Service, *onDemandPool, error) {
	if e.concurrency < 1 {
		return nil, nil, fmt.Errorf("--concurrency must be at least 1")
	}
	pool := &onDemandPool{ctx: ctx, opts: e.poolOptions(logger)}
	svc, err := e.service(pool, browserpool.UserAgent(ctx, e.chrome), logger)
	if err != nil {
		return nil, nil, err
	}
	return svc, pool, nil
}

func (e *engineFlags) poolOptions(logger *slog.Logger) browserpool.Options {
	opts := browserpool.Options{
		ExecPath:     e.chrome,
		Tabs:         e.concurrency,
		TabReuse:     e.tabReuse,
		Cold:         e.cold,
		AllowPrivate: e.allowPrivate,
		AllowCIDRs:   e.allowCIDRs,
		DenyAddrs:    e.deny,
		Logger:       logger,
	}
	if e.signer != nil { // a nil *Signer is not a nil interface
		opts.Signer = e.signer
	}
	return opts
}

// service is the render service over browser, with an HTTP engine that
// sends userAgent ("": httpfetch's default).
func (e *engineFlags) service(browser render.Fetcher, userAgent string, logger *slog.Logger) (*render.Service, error) {
	queue := e.queue.n // render.Options: 0 is the default, negative is none
	switch {
	case !e.queue.set:
		queue = 0
	case queue == 0:
		queue = -1
	}
	guard, err := e.newGuard()
	if err != nil {
		return nil, err
	}
	fetchOpts := httpfetch.Options{Guard: guard, UserAgent: userAgent, MaxBytes: int64(min(e.maxPageSize, 1<<40))}
	if e.signer != nil {
		fetchOpts.Signer = e.signer
	}
	return render.NewService(render.Options{
		Fetcher:        browser,
		HTTPFetcher:    httpfetch.New(fetchOpts),
		Extractor:      extract.New(),
		Concurrency:    e.concurrency,
		Queue:          queue,
		DefaultTimeout: e.timeout,
		MaxTimeout:     e.maxTimeout,
		Cache:          e.cache,
		Observer:       e.observer,
		Processor:      e.processor,
		Signals:        e.signals,
		RespectSignals: e.respectSignals,
		Payer:          e.payer,
		LLMsTxt:        e.llmsTxt,
		Logger:         logger,
	})
}

// onDemandPool is a browser pool started by the first render that needs
// it, and never when none does.
type onDemandPool struct {
	ctx  context.Context // the command's: the pool lives as long as it
	opts browserpool.Options

	mu   sync.Mutex
	pool *browserpool.Pool
	err  error
}

func (p *onDemandPool) Fetch(ctx context.Context, req *render.Request) (*render.Page, error) {
	pool, err := p.started()
	if err != nil {
		return nil, err
	}
	return pool.Fetch(ctx, req)
}

// started starts the pool, once: a failure to start is every render's.
func (p *onDemandPool) started() (*browserpool.Pool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pool == nil && p.err == nil {
		p.pool, p.err = browserpool.New(p.ctx, p.opts)
	}
	return p.pool, p.err
}

// Close stops the pool if it was started.
func (p *onDemandPool) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pool == nil {
		p.err = render.ErrClosed
		return nil
	}
	return p.pool.Close()
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", "serve [flags]", stdout)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	var tokens tokenList
	fs.Var(&tokens, "token", "require Authorization: Bearer TOKEN on every route but /healthz; at least 16 characters (repeatable)")
	grace := fs.Duration("shutdown-grace", 10*time.Second, "on SIGINT or SIGTERM, how long renders in flight may finish before they are cancelled (a second signal exits at once)")
	tokenFile := fs.String("token-file", "", "read more tokens from this file, one per line (each at least 16 characters; # starts a comment line)")
	var model llmFlags
	model.register(fs.FlagSet)
	var eng engineFlags
	eng.register(fs.FlagSet, render.DefaultConcurrency())
	var opsFlags opsFlags
	opsFlags.register(fs.FlagSet)
	var mcpOpts mcpFlags
	mcpOpts.register(fs.FlagSet)
	var scripts scriptFlags
	scripts.register(fs.FlagSet)
	var crawlOpts crawlFlags
	crawlOpts.register(fs.FlagSet)
	var clusterOpts clusterFlags
	clusterOpts.register(fs.FlagSet)
	var sessionOpts sessionFlags
	sessionOpts.register(fs.FlagSet)
	var identityOpts identityFlags
	identityOpts.register(fs.FlagSet)
	fs.epilogue = func(w io.Writer) {
		fmt.Fprint(w, "\nLimits (the README's table):\n\n")
		writeLimits(w, limits(fs.FlagSet))
	}
	if rest, err := fs.parse(args); err != nil {
		return err
	} else if len(rest) > 0 {
		return fs.usageError("serve takes no arguments, got %q", rest)
	}
	if *tokenFile != "" {
		if err := tokens.readFile(*tokenFile); err != nil {
			return err
		}
	}
	logger, err := opsFlags.logger(stderr)
	if err != nil {
		return err
	}
	budget, err := identityOpts.budget()
	if err != nil {
		return err
	}
	if budget != nil {
		eng.payer = budget
	}
	ops, err := newOperations(&opsFlags, budget)
	if err != nil {
		return err
	}
	defer ops.Close()
	ops.wire(&eng)
	joined, err := clusterOpts.join(ctx, ops, &eng, &crawlOpts, logger)
	if err != nil {
		return err
	}
	defer joined.Close()
	isolates, err := scripts.start(ctx, logger, ops.metrics)
	if err != nil {
		return err
	}
	if isolates != nil {
		defer isolates.Close()
		eng.processor = isolates
		ops.isolates = isolates
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	eng.deny = append(eng.deny, ln.Addr().(*net.TCPAddr).AddrPort()) // pages may not call this API
	if eng.signer, err = identityOpts.signer(ln.Addr(), logger); err != nil {
		return err
	}
	if err := identityOpts.rules(&eng); err != nil {
		return err
	}
	svc, pool, err := eng.start(ctx, logger)
	if err != nil {
		return err
	}
	defer pool.Close()
	defer svc.Close()
	ops.attach(svc, pool)
	crawls, err := crawlOpts.manager(svc, &eng, model.crawlModel(), logger)
	if err != nil {
		return err
	}
	defer crawls.Close()
	crawler, err := joined.crawler(ctx, crawls)
	if err != nil {
		return err
	}
	defer joined.closeCrawls() // before the manager its workers use
	mcpOpts.crawler = crawler
	sessions, err := sessionOpts.manager(pool, logger)
	if err != nil {
		return err
	}
	var sessionAPI api.Sessions // nil, not a nil *Manager, when sessions are off
	if sessions != nil {
		defer sessions.Close() // before the pool: profiles are saved from the browser
		sessionAPI, mcpOpts.sessions = sessions, sessions
		if shared, err := joined.sessions(ctx, sessions); err != nil {
			return err
		} else if shared != nil {
			defer shared.Close()
			sessionAPI = shared // MCP sessions hold a connection: they stay local
		}
	}
	if mcpOpts.secrets, err = sessionOpts.secrets(); err != nil {
		return err
	}

	code := programs(isolates, svc, sessions)
	apiOpts := api.Options{Logger: logger, RetryAfter: svc.RetryAfter, Tokens: tokens, JSON: model.extractor(), Programs: code, Crawler: crawler, Sessions: sessionAPI, AllowOrigins: mcpOpts.allowedOrigins}
	if eng.signer != nil {
		apiOpts.KeyDirectory = eng.signer.DirectoryHandler()
	}
	srv := api.New(svc, ops.apiOptions(apiOpts))
	if err := mcpOpts.mount(srv, svc, code, logger); err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	concurrency, queue := svc.Limits()
	logger.Info("serving", "addr", "http://"+ln.Addr().String(), "concurrency", concurrency, "queue", queue, "allowPrivate", eng.allowPrivate, "tokens", len(tokens))

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	return shutdown(logger, *grace, srv, svc, pool, func() { joined.closeCrawls(); crawls.Close() })
}

// shutdown ends a service that got SIGINT or SIGTERM. It takes no new
// work and gives renders in flight the grace to finish; then it closes the
// browser, which fails whatever still runs, and gives the handlers a few
// seconds more to send those failures. A second signal cuts all of this
// short. Either way, the callers' deferred closes then end Chromium, the
// isolates and the profiles.
//
// endCrawls stops this node's crawl jobs (in a cluster: its workers; the
// jobs go on on the other nodes).
func shutdown(logger *slog.Logger, grace time.Duration, srv *api.Server, svc *render.Service, pool *browserpool.Pool, endCrawls func()) error {
	second := make(chan os.Signal, 1)
	signal.Notify(second, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(second)
	logger.Info("shutting down: no new work; renders in flight may finish", "grace", grace)

	// New renders fail at once, crawls' included; those in flight have
	// the grace, then the service cancels them.
	graceCtx, endGrace := context.WithTimeout(context.Background(), grace)
	defer endGrace()
	go svc.Shutdown(graceCtx)
	ctx, cancel := context.WithTimeout(context.Background(), grace+5*time.Second)
	defer cancel()
	drained := make(chan error, 1)
	go func() { drained <- srv.Shutdown(ctx) }() // closes the listener, waits for handlers
	go endCrawls()                               // ends every job, and so every /events stream
	graceOver := time.NewTimer(grace)
	defer graceOver.Stop()
	for {
		select {
		case err := <-drained:
			endCrawls()
			if err != nil && !errors.Is(err, context.DeadlineExceeded) {
				return err
			}
			return nil
		case <-graceOver.C:
			logger.Warn("renders still in flight after the grace; cancelling them", "grace", grace)
			pool.Close()
		case <-second:
			logger.Warn("second signal: exiting at once")
			endGrace()
			pool.Close()
			return nil
		}
	}
}

// waitForBrowser waits until pool's first browser accepts tabs, so that
// the command line's first pages do not spend their deadlines on its start
// (seconds on a busy machine). The pool gives up on a browser that does not
// start, and so does this.
func waitForBrowser(ctx context.Context, pool *browserpool.Pool) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	giveUp := time.After(2 * time.Minute)
	for !pool.Ready() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-giveUp:
			return fmt.Errorf("%w: no browser started within 2 minutes", render.ErrBrowser)
		case <-tick.C:
		}
	}
	return nil
}

// queueFlag is --queue: unset means render's default, which depends on
// the concurrency, so that --help shows no made-up default for it.
type queueFlag struct {
	n   int
	set bool
}

func (q *queueFlag) String() string {
	if !q.set {
		return ""
	}
	return strconv.Itoa(q.n)
}

func (q *queueFlag) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return fmt.Errorf("want a number of renders, 0 or more, not %q", s)
	}
	q.n, q.set = n, true
	return nil
}

// cidrList is a repeatable flag of network prefixes.
type cidrList []netip.Prefix

func (c *cidrList) String() string {
	parts := make([]string, len(*c))
	for i, p := range *c {
		parts[i] = p.String()
	}
	return strings.Join(parts, ",")
}

func (c *cidrList) Set(s string) error {
	p, err := netip.ParsePrefix(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("%q is not a CIDR range such as 10.1.0.0/16", s)
	}
	*c = append(*c, p.Masked())
	return nil
}

// tokenList is the repeatable --token flag.
type tokenList []string

func (t *tokenList) String() string { return fmt.Sprintf("%d tokens", len(*t)) }

func (t *tokenList) Set(s string) error {
	s = strings.TrimSpace(s)
	if len(s) < 16 {
		return fmt.Errorf("a token must have at least 16 characters, so that it cannot be guessed")
	}
	*t = append(*t, s)
	return nil
}

// readFile adds the tokens of a file, one per line; blank lines and lines
// starting with # are skipped.
func (t *tokenList) readFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--token-file: %w", err)
	}
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := t.Set(line); err != nil {
			return fmt.Errorf("--token-file %s: %w", path, err)
		}
	}
	return nil
}
