package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/sous-dev/sous/client"
	"github.com/sous-dev/sous/crawl"
	"github.com/sous-dev/sous/llm"
	"github.com/sous-dev/sous/render"
)

// crawlFlags configure the crawl jobs of serve (and of sous crawl).
type crawlFlags struct {
	maxRunning int
	maxPages   int
	retention  time.Duration
	hostDelay  time.Duration
	maxBytes   uint64
	// hosts, when set, spaces out fetches from each host over a cluster
	// instead of this process alone.
	hosts crawl.HostGate
}

// stdioCrawls configure the crawl tool of `sous mcp`, whose results must
// fit one tool result anyway.
var stdioCrawls = crawlFlags{maxRunning: 2, maxPages: 50, retention: time.Hour, hostDelay: 500 * time.Millisecond}

func (f *crawlFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&f.maxRunning, "crawl-max-running", 2, "crawl jobs that run at once (more wait, up to 8, then 429)")
	fs.IntVar(&f.maxPages, "crawl-max-pages", 1000, "the largest limit a crawl job may ask for")
	fs.DurationVar(&f.retention, "crawl-retention", time.Hour, "how long an ended crawl job's records can be read")
	fs.DurationVar(&f.hostDelay, "crawl-host-delay", 500*time.Millisecond, "least time between two fetches from one host (a longer robots.txt Crawl-delay wins)")
	f.maxBytes = crawl.DefaultMaxTotalBytes
	fs.Func("crawl-max-bytes", "memory for all crawl jobs' records, such as 1GiB; one job may use a quarter; past it the oldest ended jobs' content is dropped (default 1GiB)", func(s string) error {
		n, err := humanize.ParseBytes(s)
		if err != nil || n < 1<<20 {
			return fmt.Errorf("want a size of at least 1MiB, such as 512MiB or 2GiB")
		}
		f.maxBytes = n
		return nil
	})
}

// manager returns the crawl jobs' manager over r. robots.txt and sitemaps
// are fetched through a network guard built from the engine's flags, so a
// crawl reaches no more than its pages may.
func (f *crawlFlags) manager(r crawl.Renderer, eng *engineFlags, model crawl.JSONExtractor, logger *slog.Logger) (*crawl.Manager, error) {
	httpClient, err := guardedClient(eng)
	if err != nil {
		return nil, err
	}
	delay := f.hostDelay
	if delay == 0 {
		delay = -1 // crawl.Options: zero is the default, negative none
	}
	return crawl.New(r, crawl.Options{
		HTTPClient: httpClient,
		JSON:       model,
		MaxRunning: f.maxRunning,
		MaxLimit:   f.maxPages,
		Retention:  f.retention,
		HostDelay:  delay,
		Hosts:      f.hosts,

		MaxTotalBytes: int64(min(f.maxBytes, 1<<62)),
		Agent:         productToken(eng.agentToken),
		UserAgent:     eng.agentToken,
		Logger:        logger,
	})
}

// guardedClient is an HTTP client whose every connection, redirects
// included, goes through the network guard the engine's flags describe,
// and whose every request is signed when the service has an identity.
func guardedClient(eng *engineFlags) (*http.Client, error) {
	guard, err := eng.newGuard()
	if err != nil {
		return nil, err
	}
	var transport http.RoundTripper = &http.Transport{
		DialContext:           guard.DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 15 * time.Second,
		MaxIdleConnsPerHost:   2,
	}
	if eng.signer != nil {
		transport = eng.signer.Transport(transport)
	}
	return &http.Client{
		Transport: transport,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("more than 5 redirects")
			}
			return nil
		},
	}, nil
}

// crawlModel returns the language model of the json format, or nil.
func (f *llmFlags) crawlModel() crawl.JSONExtractor {
	x := f.newExtractor()
	if x == nil {
		return nil
	}
	return crawlModel{x}
}

// crawlModel adapts llm.Extractor to crawl.JSONExtractor.
type crawlModel struct{ *llm.Extractor }

func (m crawlModel) ExtractJSON(ctx context.Context, r crawl.JSONRequest) (json.RawMessage, error) {
	return m.Extractor.ExtractJSON(ctx, llm.Request{Content: r.Content, Prompt: r.Prompt, Schema: r.Schema, Model: r.Model, Authorization: r.Authorization})
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// crawlCommand is `sous crawl URL`: a crawl, in-process or on --server,
// written to a folder as one markdown file per page, or as JSON lines.
func crawlCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("crawl", "crawl URL [flags]\n\n"+
		"Crawls a site from URL (same host, breadth-first, obeying robots.txt) and writes one\n"+
		"markdown file per page into a folder, or every record as a line of JSON with --jsonl.", stdout)
	out := fs.String("o", "", "folder to write into (default: the site's host name)")
	jsonl := fs.Bool("jsonl", false, "write every record (all statuses) to DIR/crawl.jsonl instead of markdown files")
	limit := fs.Int("limit", crawl.DefaultLimit, "the most pages the crawl takes on")
	depth := fs.Int("depth", -1, "the most links from URL to follow; -1 for no limit")
	source := fs.String("source", "all", "where to find pages: all (sitemaps, then links), sitemaps or links")
	useBrowser := fs.Bool("render", true, "render pages in Chromium; -render=false fetches HTML without running scripts")
	var include, exclude stringList
	fs.Var(&include, "include", "visit only URLs matching this pattern (* any but /, ** anything; repeatable)")
	fs.Var(&exclude, "exclude", "never visit URLs matching this pattern (repeatable)")
	subdomains := fs.Bool("subdomains", false, "follow links to subdomains too")
	external := fs.Bool("external", false, "follow links to other sites too")
	mainContent := fs.Bool("main", false, "keep only each page's main content")
	waitUntil := fs.String("wait-until", "", "when a page counts as loaded: load, domcontentloaded, networkidle0 or networkidle2")
	server := fs.String("server", "", "crawl on this Sous service (e.g. http://127.0.0.1:8080) instead of a local Chromium")
	token := fs.String("token", os.Getenv("SOUS_TOKEN"), "bearer token for --server (default $SOUS_TOKEN)")
	hostDelay := fs.Duration("host-delay", 500*time.Millisecond, "least time between two fetches from one host (in-process)")
	var eng engineFlags
	eng.register(fs.FlagSet, 2)
	urls, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(urls) != 1 {
		return fs.usageError("crawl takes one URL, got %d: %q", len(urls), urls)
	}
	req := &crawl.Request{
		URL:     urls[0],
		Limit:   *limit,
		Source:  crawl.Source(*source),
		Formats: []crawl.Format{crawl.FormatMarkdown},
		Render:  useBrowser,
		Options: crawl.Scope{IncludeSubdomains: *subdomains, IncludeExternalLinks: *external, IncludePatterns: include, ExcludePatterns: exclude},
	}
	if *depth >= 0 {
		req.Depth = depth
	}
	req.Page.OnlyMainContent = *mainContent
	if *waitUntil != "" {
		req.Page.GotoOptions = &render.GotoOptions{WaitUntil: render.WaitUntil{*waitUntil}}
	}
	start, err := url.Parse(req.URL)
	if err != nil || start.Host == "" {
		return fmt.Errorf("%q is not a URL to crawl", req.URL)
	}
	dir := *out
	if dir == "" {
		dir = safeName(start.Host)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	w, err := newCrawlWriter(dir, start.Host, *jsonl)
	if err != nil {
		return err
	}
	defer w.Close()
	show := newProgressView(stderr, isTerminal(stderr))

	var final crawl.Progress
	if *server != "" {
		final, err = crawlOnServer(ctx, *server, *token, req, w, show)
	} else {
		final, err = crawlInProcess(ctx, &eng, *hostDelay, req, w, show, stderr)
	}
	if err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d pages written to %s (%d completed, %d errored, %d disallowed, %d cancelled, %d skipped)\n",
		final.Status, w.written, dir, final.Completed, final.Errored, final.Disallowed, final.Cancelled, final.Skipped)
	if final.Status == crawl.JobErrored {
		return fmt.Errorf("the crawl failed: %s", final.Error)
	}
	if final.Completed == 0 && final.Errored+final.Disallowed > 0 {
		// A job that ran to its end but got no page is, to someone who
		// wanted the pages, a failure; say why the first one failed.
		return fmt.Errorf("no page could be crawled (%d errored, %d disallowed by robots.txt); the first error: %s",
			final.Errored, final.Disallowed, w.firstError)
	}
	return nil
}

func crawlInProcess(ctx context.Context, eng *engineFlags, hostDelay time.Duration, req *crawl.Request, w *crawlWriter, show *progressView, stderr io.Writer) (crawl.Progress, error) {
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	svc, pool, err := eng.startOnDemand(ctx, logger)
	if err != nil {
		return crawl.Progress{}, err
	}
	defer pool.Close()
	defer svc.Close()
	if req.Render == nil || *req.Render {
		// Chromium is warm before the first page's deadline starts; a
		// crawl with -render=false starts none.
		browser, err := pool.started()
		if err != nil {
			return crawl.Progress{}, err
		}
		if err := waitForBrowser(ctx, browser); err != nil {
			return crawl.Progress{}, err
		}
	}
	flags := crawlFlags{maxRunning: 1, maxPages: max(req.Limit, 1), retention: time.Hour, hostDelay: hostDelay}
	m, err := flags.manager(svc, eng, nil, logger)
	if err != nil {
		return crawl.Progress{}, err
	}
	defer m.Close()
	j, err := m.Start(ctx, req)
	if err != nil {
		return crawl.Progress{}, err
	}
	stop := context.AfterFunc(ctx, j.Cancel) // a signal cancels the job, which then ends the watch
	defer stop()
	var final crawl.Progress
	err = j.Watch(context.Background(), func(u crawl.Update) error {
		for _, r := range u.Records {
			if err := w.write(r); err != nil {
				j.Cancel()
				return err
			}
		}
		show.update(u)
		final = u.Progress
		return nil
	})
	show.done()
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	return final, err
}

func crawlOnServer(ctx context.Context, server, token string, req *crawl.Request, w *crawlWriter, show *progressView) (crawl.Progress, error) {
	c, err := client.New(client.Options{BaseURL: server, Token: token})
	if err != nil {
		return crawl.Progress{}, err
	}
	id, err := c.CreateCrawl(ctx, req)
	if err != nil {
		return crawl.Progress{}, err
	}
	res, err := c.WaitCrawl(ctx, id, 500*time.Millisecond, func(r *crawl.Result) {
		show.update(crawl.Update{Progress: crawl.Progress{ID: r.ID, Status: r.Status, Total: r.Total, Finished: r.Finished, Skipped: r.Skipped, Limit: req.Limit}})
	})
	show.done()
	if err != nil {
		if ctx.Err() != nil {
			c.CancelCrawl(context.Background(), id)
		}
		return crawl.Progress{}, err
	}
	p := crawl.Progress{ID: res.ID, Status: res.Status, Total: res.Total, Finished: res.Finished, Skipped: res.Skipped, Error: res.Error}
	for _, r := range res.Records {
		switch r.Status {
		case crawl.RecordCompleted:
			p.Completed++
		case crawl.RecordErrored:
			p.Errored++
		case crawl.RecordDisallowed:
			p.Disallowed++
		case crawl.RecordCancelled:
			p.Cancelled++
		}
		if err := w.write(r); err != nil {
			return p, err
		}
	}
	return p, nil
}

// crawlWriter writes records as markdown files, or as JSON lines.
type crawlWriter struct {
	dir, host string
	jsonl     *os.File
	enc       *json.Encoder
	names     map[string]bool
	written   int
	// firstError is why the first record that failed did, or what
	// refused it.
	firstError string
}

func newCrawlWriter(dir, host string, jsonl bool) (*crawlWriter, error) {
	w := &crawlWriter{dir: dir, host: host, names: map[string]bool{}}
	if jsonl {
		f, err := os.Create(filepath.Join(dir, "crawl.jsonl"))
		if err != nil {
			return nil, err
		}
		w.jsonl, w.enc = f, json.NewEncoder(f)
		w.enc.SetEscapeHTML(false)
	}
	return w, nil
}

// write writes one record: every one as a JSON line, or a completed one as
// a markdown file named after its URL (site/docs/ → site/docs/index.md),
// under a folder named for its host when that is not the start's.
func (w *crawlWriter) write(r crawl.Record) error {
	if w.firstError == "" {
		switch r.Status {
		case crawl.RecordErrored:
			w.firstError = r.URL + ": " + r.Error
		case crawl.RecordDisallowed:
			w.firstError = r.URL + ": " + cmp.Or(r.Error, "disallowed by robots.txt")
		}
	}
	if w.enc != nil {
		w.written++
		return w.enc.Encode(r)
	}
	if r.Status != crawl.RecordCompleted {
		return nil
	}
	u, err := url.Parse(r.URL)
	if err != nil {
		return err
	}
	var parts []string
	if u.Host != w.host {
		parts = append(parts, safeName(u.Host))
	}
	for _, seg := range strings.Split(strings.Trim(u.Path, "/"), "/") {
		if seg != "" {
			parts = append(parts, safeName(seg))
		}
	}
	if strings.HasSuffix(u.Path, "/") || len(parts) == 0 || u.Host != w.host && len(parts) == 1 {
		parts = append(parts, "index")
	}
	last := strings.TrimSuffix(parts[len(parts)-1], filepath.Ext(parts[len(parts)-1]))
	if u.RawQuery != "" {
		last += "_" + safeName(u.RawQuery)
	}
	name := filepath.Join(append(parts[:len(parts)-1], last)...)
	for i := 2; w.names[name]; i++ {
		name = filepath.Join(append(parts[:len(parts)-1], fmt.Sprintf("%s-%d", last, i))...)
	}
	w.names[name] = true
	path := filepath.Join(w.dir, name+".md")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "---\nurl: %s\n", r.URL)
	if r.Metadata != nil {
		if r.Metadata.Title != "" {
			fmt.Fprintf(&b, "title: %q\n", r.Metadata.Title)
		}
		fmt.Fprintf(&b, "status: %d\n", r.Metadata.Status)
	}
	b.WriteString("---\n\n")
	b.WriteString(withNewline(r.Markdown))
	w.written++
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func (w *crawlWriter) Close() error {
	if w.jsonl == nil {
		return nil
	}
	f := w.jsonl
	w.jsonl = nil
	return f.Close()
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// safeName makes s a file name: no separators, no dot-only names.
func safeName(s string) string {
	s = unsafeChars.ReplaceAllString(s, "_")
	if strings.Trim(s, ".") == "" {
		s = "_" + s
	}
	return s
}

// progressView shows a crawl's progress: a bar redrawn in place on a
// terminal, plain lines otherwise.
type progressView struct {
	w        io.Writer
	terminal bool
	last     crawl.Progress
	drawn    bool
}

func newProgressView(w io.Writer, terminal bool) *progressView {
	return &progressView{w: w, terminal: terminal}
}

func (v *progressView) update(u crawl.Update) {
	if !v.terminal {
		for _, r := range u.Records {
			if r.Status == crawl.RecordSkipped {
				continue
			}
			line := fmt.Sprintf("%-10s %s", r.Status, r.URL)
			if r.Error != "" {
				line += " (" + r.Error + ")"
			}
			fmt.Fprintln(v.w, line)
		}
		if len(u.Records) == 0 && u.Progress != v.last && u.Finished != v.last.Finished {
			fmt.Fprintf(v.w, "%d/%d pages\n", u.Finished, max(u.Total, 1))
		}
		v.last = u.Progress
		return
	}
	const width = 30
	total := max(u.Total, 1)
	filled := min(width, width*u.Finished/total)
	fmt.Fprintf(v.w, "\r[%s%s] %d/%d pages", strings.Repeat("#", filled), strings.Repeat(".", width-filled), u.Finished, u.Total)
	if u.Errored > 0 || u.Disallowed > 0 {
		fmt.Fprintf(v.w, ", %d errored, %d disallowed", u.Errored, u.Disallowed)
	}
	fmt.Fprint(v.w, "\x1b[K") // clear the rest of the line
	v.drawn = true
	v.last = u.Progress
}

func (v *progressView) done() {
	if v.terminal && v.drawn {
		fmt.Fprintln(v.w)
	}
}
