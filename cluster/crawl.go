package cluster

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"

	"github.com/sous-dev/sous/crawl"
	"github.com/sous-dev/sous/render"
)

// Names of the crawl's state in JetStream.
const (
	crawlBucket   = "sous_crawl"       // KV: jobs, admitted URLs, records, host spacing
	workStream    = "SOUS_CRAWL_WORK"  // work queue: one message per admitted URL
	workSubject   = "sous.crawl.work." // + job id
	workConsumer  = "sous_crawl_workers"
	admitStream   = "SOUS_CRAWL_ADMIT"  // one subject per job: its admitted URLs, in order
	admitSubject  = "sous.crawl.admit." // + job id
	crawlKVStream = "KV_" + crawlBucket
)

// CrawlOptions configure Crawls. Zero values mean the documented defaults.
type CrawlOptions struct {
	// Workers is how many pages this node crawls at once, over all jobs;
	// default 4. The render service's limits bound them with everything else.
	Workers int
	// AckWait is how long a page's visit may go without a sign of life
	// before another node takes it over; default 30 s. A worker signals
	// every AckWait/3 while it renders.
	AckWait time.Duration
	// Retention is how long an ended job can be read; default an hour.
	Retention time.Duration
	// MaxDuration bounds one job's run; default an hour.
	MaxDuration time.Duration
	// Sweep is how often this node looks for running jobs with nothing
	// left to do (a completion a dropped connection failed to record)
	// and for ended jobs to forget; default 1 s.
	Sweep time.Duration
}

// Crawls runs crawl jobs on every node of the cluster together, as the
// api's and mcpbridge's Crawler. Each job lives in JetStream:
//
//	<id>.job     its request and state (running, completed, cancelled …)
//	<id>.q.<h>   an admitted URL (h: a hash of its crawl.Key), created once
//	<id>.a.<h>   another name of a visited page (final URL, canonical)
//	<id>.r.<h>   the URL's final record, created once
//	<id>.s.<h>   a URL outside the crawl's scope, recorded as skipped
//
// and every admitted URL is a message on a work-queue stream, which the
// workers of every node take, visit, and acknowledge once the page's
// record and the URLs it links to are stored. A node that dies mid-visit
// leaves its message unacknowledged, and another node takes it after
// AckWait; records are created once, so a page is recorded exactly once
// however often it is visited. A job completes when it has as many
// records as admitted URLs: a page's links are admitted before its
// record is written, so equal counts mean nothing is left anywhere.
//
// Every node mirrors every job from one KV watch, so GET, DELETE and
// /events work on any node. Differences from one node: pages are visited
// in the order the workers take them, not strictly breadth-first.
type Crawls struct {
	node   *Node
	m      *crawl.Manager
	opts   CrawlOptions
	kv     jetstream.KeyValue
	kvs    jetstream.Stream // the KV bucket's stream, for counting keys
	admits jetstream.Stream
	work   jetstream.Consumer
	visits atomic.Int64 // pages this node visited

	mu   sync.Mutex
	jobs map[string]*mirrored

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

// mirrored is this node's view of one job.
type mirrored struct {
	mirror  *crawl.Mirror
	req     *crawl.Request
	plan    *crawl.Plan
	created time.Time
	index   map[string]int // record index by URL hash
	settled map[string]bool
}

// jobState is what <id>.job holds.
type jobState struct {
	Request json.RawMessage `json:"request"`
	Created time.Time       `json:"created"`
	Status  crawl.JobStatus `json:"status"`
	Error   string          `json:"error,omitempty"`
	Ended   time.Time       `json:"ended,omitzero"`
	Node    string          `json:"node"`
	// Seeding is set while the starting node admits the first URLs: the
	// job cannot be complete before they are all in.
	Seeding bool `json:"seeding,omitempty"`
}

// workItem is one admitted URL on the work queue.
type workItem struct {
	Job   string `json:"job"`
	Hash  string `json:"hash"`
	URL   string `json:"url"`
	Depth int    `json:"depth"`
}

// admittedURL is what <id>.q.<h> holds.
type admittedURL struct {
	URL   string `json:"url"`
	Depth int    `json:"depth"`
}

// finalRecord is what <id>.r.<h> and <id>.s.<h> hold.
type finalRecord struct {
	Record    crawl.Record `json:"record"`
	BrowserMs int64        `json:"browserMs,omitempty"`
	Node      string       `json:"node,omitempty"`
}

var errAlreadyEnded = errors.New("the job has ended")

// NewCrawls makes sure the crawl's bucket and work queue exist and starts
// this node's workers, which visit pages with m (its Visit: robots.txt,
// host spacing, the render service). Give m Options.Hosts from HostGate,
// so that the spacing holds over the cluster. Close stops the workers.
func (n *Node) NewCrawls(ctx context.Context, m *crawl.Manager, opts CrawlOptions) (*Crawls, error) {
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	if opts.AckWait <= 0 {
		opts.AckWait = 30 * time.Second
	}
	if opts.Retention <= 0 {
		opts.Retention = time.Hour
	}
	if opts.MaxDuration <= 0 {
		opts.MaxDuration = time.Hour
	}
	if opts.Sweep <= 0 {
		opts.Sweep = time.Second
	}
	c := &Crawls{node: n, m: m, opts: opts, jobs: map[string]*mirrored{}}
	var err error
	c.kv, err = ensure(ctx, n, "crawl bucket", func(ctx context.Context) (jetstream.KeyValue, error) {
		return n.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket: crawlBucket, Description: "Sous crawl jobs: state, admitted URLs, records",
			TTL: opts.Retention + opts.MaxDuration, Storage: jetstream.FileStorage,
		})
	})
	if err != nil {
		return nil, err
	}
	c.kvs, err = ensure(ctx, n, "crawl bucket stream", func(ctx context.Context) (jetstream.Stream, error) {
		return n.js.Stream(ctx, crawlKVStream)
	})
	if err != nil {
		return nil, err
	}
	_, err = ensure(ctx, n, "crawl work queue", func(ctx context.Context) (jetstream.Stream, error) {
		return n.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
			Name: workStream, Description: "Sous crawl frontier: one message per admitted URL",
			Subjects: []string{workSubject + "*"}, Retention: jetstream.WorkQueuePolicy,
			Storage: jetstream.FileStorage, MaxAge: opts.MaxDuration, Duplicates: 20 * time.Minute,
		})
	})
	if err != nil {
		return nil, err
	}
	c.admits, err = ensure(ctx, n, "crawl admissions", func(ctx context.Context) (jetstream.Stream, error) {
		return n.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
			Name: admitStream, Description: "Sous crawl: each job's admitted URLs, counted against its limit",
			Subjects: []string{admitSubject + "*"}, Storage: jetstream.FileStorage,
			MaxAge: opts.Retention + opts.MaxDuration, Duplicates: opts.MaxDuration,
		})
	})
	if err != nil {
		return nil, err
	}
	c.work, err = ensure(ctx, n, "crawl workers' consumer", func(ctx context.Context) (jetstream.Consumer, error) {
		return n.js.CreateOrUpdateConsumer(ctx, workStream, jetstream.ConsumerConfig{
			Durable: workConsumer, AckPolicy: jetstream.AckExplicitPolicy, AckWait: opts.AckWait,
			MaxDeliver: -1, MaxAckPending: 10_000,
		})
	})
	if err != nil {
		return nil, err
	}
	watcher, err := ensure(ctx, n, "crawl watch", func(ctx context.Context) (jetstream.KeyWatcher, error) {
		return c.kv.Watch(context.Background(), "*.>")
	})
	if err != nil {
		return nil, err
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.wg.Go(func() { c.mirrorAll(watcher) })
	c.wg.Go(c.sweep)
	for range opts.Workers {
		c.wg.Go(c.worker)
	}
	return c, nil
}

// Close stops this node's workers (a page in flight goes back to the
// queue, for another node) and its mirrors. Jobs go on in the cluster.
// It is safe to call more than once.
func (c *Crawls) Close() error {
	c.once.Do(c.cancel)
	c.wg.Wait()
	return nil
}

// Visits is how many pages this node has visited.
func (c *Crawls) Visits() int64 { return c.visits.Load() }

// Start validates req and starts a job for it in the cluster.
func (c *Crawls) Start(ctx context.Context, req *crawl.Request) (*crawl.Job, error) {
	if c.ctx.Err() != nil {
		return nil, fmt.Errorf("crawl: %w", render.ErrClosed)
	}
	if err := c.m.Check(req); err != nil {
		return nil, err
	}
	if !c.node.Connected() {
		return nil, fmt.Errorf("%w: crawl jobs need the cluster: %w", render.ErrOverloaded, ErrUnavailable)
	}
	plan, err := crawl.NewPlan(req)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("crawl: %w", err)
	}
	id := rand.Text()
	state := jobState{Request: body, Created: time.Now(), Status: crawl.JobRunning, Node: c.node.Name(), Seeding: true}
	mj := c.mirrorOf(id, req, plan, state.Created)
	if err := c.putState(ctx, id, &state, 0); err != nil {
		c.forget(id)
		return nil, err
	}
	if err := c.seed(ctx, id, req, plan); err != nil {
		_ = c.end(ctx, id, crawl.JobErrored, "could not admit the first URLs: "+err.Error())
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return mj.mirror.Job(), nil
}

// seed admits the starting URL and the sitemaps' URLs, then lets the job
// complete.
func (c *Crawls) seed(ctx context.Context, id string, req *crawl.Request, plan *crawl.Plan) error {
	if err := c.admit(ctx, id, req, plan.Start().String(), 0, false); err != nil {
		return err
	}
	for _, loc := range c.m.SitemapURLs(ctx, plan) {
		if err := c.consider(ctx, id, req, plan, plan.Start(), loc, 1, false); err != nil {
			return err
		}
	}
	for {
		e, st, err := c.state(ctx, id)
		if err != nil {
			return err
		}
		st.Seeding = false
		if err := c.putState(ctx, id, st, e.Revision()); err == nil {
			break
		} else if !isConflict(err) {
			return err
		}
	}
	c.checkDone(ctx, id)
	return nil
}

// Job returns the job with id, or an error wrapping crawl.ErrNotFound.
func (c *Crawls) Job(id string) (*crawl.Job, error) {
	c.mu.Lock()
	mj, ok := c.jobs[id]
	c.mu.Unlock()
	if ok {
		return mj.mirror.Job(), nil
	}
	// Started moments ago on another node, before this node's watch saw it.
	ctx, cancel := c.node.op(c.ctx)
	defer cancel()
	_, st, err := c.state(ctx, id)
	if err != nil {
		return nil, err
	}
	mj, err = c.mirrorState(id, st)
	if err != nil {
		return nil, err
	}
	return mj.mirror.Job(), nil
}

// Cancel cancels the job with id, on every node, and returns it.
func (c *Crawls) Cancel(id string) (*crawl.Job, error) {
	j, err := c.Job(id)
	if err != nil {
		return nil, err
	}
	ctx, cancel := c.node.op(c.ctx)
	defer cancel()
	if err := c.end(ctx, id, crawl.JobCancelledByUser, ""); err != nil && !errors.Is(err, errAlreadyEnded) {
		return nil, err
	}
	c.mu.Lock()
	if mj, ok := c.jobs[id]; ok {
		mj.mirror.Finish(crawl.JobCancelledByUser, "")
	}
	c.mu.Unlock()
	return j, nil
}

// worker takes URLs from the work queue and visits them until Close.
// While the cluster is out of reach it waits, and goes on when it is back.
func (c *Crawls) worker() {
	backoff := 100 * time.Millisecond
	for c.ctx.Err() == nil {
		msg, err := c.work.Next(jetstream.FetchMaxWait(time.Second))
		if err != nil {
			if !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) {
				c.pause(backoff)
				backoff = min(2*backoff, 2*time.Second)
			}
			continue
		}
		backoff = 100 * time.Millisecond
		c.handle(msg)
	}
}

// pause waits d, or until Close.
func (c *Crawls) pause(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.ctx.Done():
	}
}

// handle visits one URL and acknowledges it once its record and links
// are stored; on any failure to store them, it leaves the URL to be
// delivered again.
func (c *Crawls) handle(msg jetstream.Msg) {
	var w workItem
	if err := json.Unmarshal(msg.Data(), &w); err != nil {
		_ = msg.Term() // not ours to read; never deliver it again
		return
	}
	ctx := c.ctx
	octx, cancel := c.node.op(ctx)
	_, st, err := c.state(octx, w.Job)
	cancel()
	switch {
	case errors.Is(err, crawl.ErrNotFound):
		_ = msg.Term() // the job is forgotten
		return
	case err != nil:
		_ = msg.NakWithDelay(time.Second)
		return
	case st.Status != crawl.JobRunning:
		_ = msg.Ack()
		return
	case time.Since(st.Created) > c.opts.MaxDuration:
		_ = c.end(ctx, w.Job, crawl.JobCancelledTimeout, "")
		_ = msg.Ack()
		return
	}
	if c.exists(ctx, recordKey(w.Job, "r", w.Hash)) {
		_ = msg.Ack() // visited already, by a node that lost its acknowledgement
		return
	}
	mj, err := c.mirrorState(w.Job, st)
	if err != nil {
		_ = msg.Term()
		return
	}
	v := c.visit(ctx, msg, mj.req, w)
	if v.Cause != nil || ctx.Err() != nil {
		_ = msg.Nak() // not visited: this node is closing; another takes it
		return
	}
	c.visits.Add(1)
	redelivered := false
	if meta, err := msg.Metadata(); err == nil && meta.NumDelivered > 1 {
		redelivered = true
	}
	if err := c.follow(ctx, w, mj, v, redelivered); err != nil {
		_ = msg.NakWithDelay(time.Second)
		return
	}
	b, _ := json.Marshal(finalRecord{Record: v.Record, BrowserMs: v.BrowserMs, Node: c.node.Name()})
	octx, cancel = c.node.op(ctx)
	_, err = c.kv.Create(octx, recordKey(w.Job, "r", w.Hash), b)
	cancel()
	if err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
		_ = msg.NakWithDelay(time.Second)
		return
	}
	if v.Fatal != nil {
		_ = c.end(ctx, w.Job, crawl.JobErrored, v.Fatal.Error())
	}
	_ = msg.Ack()
	if p := mj.mirror.Job().Progress(); p.Queued <= 1 {
		// Perhaps the last page; if the mirror lags, the sweep sees it.
		c.checkDone(ctx, w.Job)
	}
}

// visit renders the page, telling the queue every AckWait/3 that the
// visit goes on, so that no other node takes the URL meanwhile.
func (c *Crawls) visit(ctx context.Context, msg jetstream.Msg, req *crawl.Request, w workItem) crawl.Visited {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(c.opts.AckWait / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				_ = msg.InProgress()
			}
		}
	})
	defer wg.Wait()
	defer close(done)
	return c.m.Visit(ctx, req, w.URL, w.Depth)
}

// follow stores what a visit found: the page's other names, and the URLs
// it links to, admitted or skipped.
func (c *Crawls) follow(ctx context.Context, w workItem, mj *mirrored, v crawl.Visited, redelivered bool) error {
	for _, name := range v.Names {
		if u, verdict := mj.plan.Consider(v.Base, name, 0); verdict != crawl.Ignore {
			octx, cancel := c.node.op(ctx)
			_, _ = c.kv.Create(octx, recordKey(w.Job, "a", urlHash(crawl.Key(u))), nil)
			cancel()
		}
	}
	if !mj.plan.FollowsLinks() {
		return nil
	}
	// Links are considered a few at a time: each costs round trips to
	// JetStream, and a page has dozens.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, link := range v.Links {
		g.Go(func() error {
			return c.consider(gctx, w.Job, mj.req, mj.plan, v.Base, link, v.Record.Depth+1, redelivered)
		})
	}
	return g.Wait()
}

// consider admits or skips ref, found on base depth links from the start.
func (c *Crawls) consider(ctx context.Context, id string, req *crawl.Request, plan *crawl.Plan, base *url.URL, ref string, depth int, redelivered bool) error {
	u, verdict := plan.Consider(base, ref, depth)
	if verdict != crawl.Ignore && !redelivered && c.known(id, u) {
		return nil // this node's mirror has seen it admitted, skipped or named already
	}
	switch verdict {
	case crawl.Visit:
		return c.admit(ctx, id, req, u.String(), depth, redelivered)
	case crawl.Skip:
		b, _ := json.Marshal(finalRecord{Record: crawl.Record{URL: u.String(), Status: crawl.RecordSkipped, Depth: depth}})
		octx, cancel := c.node.op(ctx)
		defer cancel()
		if _, err := c.kv.Create(octx, recordKey(id, "s", urlHash(crawl.Key(u))), b); err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
			return err
		}
	}
	return nil
}

// known reports whether the mirror of job id has seen u admitted, skipped
// or named as another page's other name.
func (c *Crawls) known(id string, u *url.URL) bool {
	h := urlHash(crawl.Key(u))
	c.mu.Lock()
	defer c.mu.Unlock()
	mj, ok := c.jobs[id]
	if !ok {
		return false
	}
	_, q := mj.index[h]
	_, s := mj.index["s"+h]
	_, a := mj.index["a"+h]
	return q || s || a
}

// admit takes raw into the job, within its limit, exactly once over the
// cluster, and puts it on the work queue. redelivered says the page that
// links to raw is visited again: then raw, if admitted already, is put on
// the queue again (the queue drops the copy if the first one got there),
// since the node that admitted it may have died before it could.
func (c *Crawls) admit(ctx context.Context, id string, req *crawl.Request, raw string, depth int, redelivered bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return nil // admitted URLs are normalised; this cannot happen
	}
	h := urlHash(crawl.Key(u))
	w := workItem{Job: id, Hash: h, URL: raw, Depth: depth}
	q := recordKey(id, "q", h)
	switch {
	case c.exists(ctx, q):
		if redelivered {
			return c.publish(ctx, w)
		}
		return nil
	case c.exists(ctx, recordKey(id, "a", h)):
		return nil
	}
	ok, err := c.reserve(ctx, id, h, req.Limit)
	if err != nil || !ok {
		return err
	}
	b, _ := json.Marshal(admittedURL{URL: raw, Depth: depth})
	octx, cancel := c.node.op(ctx)
	_, err = c.kv.Create(octx, q, b)
	cancel()
	if err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
		return err
	}
	return c.publish(ctx, w)
}

// reserve counts URL h against the job's limit, once however often it is
// asked, and reports whether h is admitted. Each URL asked about is a
// message on the job's subject carrying its ordinal, appended only after
// the subject's last one (compare-and-set on the sequence) and named by the
// URL, so that the stream drops a repeat and answers with the first one's
// sequence. The first limit ordinals are admitted; a URL past them is
// stored too, as refused, so that a repeat reads the same answer.
//
// A repeat is how a page's links are admitted after a failure: a node that
// counted a URL and lost its connection before recording it counts it
// again when the page is visited again, by which time the others may have
// filled the limit. Its ordinal is still within it.
func (c *Crawls) reserve(ctx context.Context, id, h string, limit int) (bool, error) {
	subject := admitSubject + id
	for {
		octx, cancel := c.node.op(ctx)
		last, err := c.admits.GetLastMsgForSubject(octx, subject)
		n, seq := 0, uint64(0)
		switch {
		case err == nil:
			n, _ = strconv.Atoi(string(last.Data))
			seq = last.Sequence
		case !errors.Is(err, jetstream.ErrMsgNotFound):
			cancel()
			return false, err
		}
		ack, err := c.node.js.Publish(octx, subject, []byte(strconv.Itoa(n+1)),
			jetstream.WithMsgID(id+"."+h), jetstream.WithExpectLastSequencePerSubject(seq))
		switch {
		case err == nil && !ack.Duplicate:
			cancel()
			return n+1 <= limit, nil
		case err == nil:
			// Asked before: the first answer stands.
			first, err := c.admits.GetMsg(octx, ack.Sequence)
			cancel()
			if err != nil {
				return false, err
			}
			ordinal, err := strconv.Atoi(string(first.Data))
			if err != nil {
				return false, fmt.Errorf("crawl job %s: admission %d reads %q", id, ack.Sequence, first.Data)
			}
			return ordinal <= limit, nil
		case !isConflict(err):
			cancel()
			return false, err
		}
		cancel()
	}
}

func (c *Crawls) publish(ctx context.Context, w workItem) error {
	b, _ := json.Marshal(w)
	octx, cancel := c.node.op(ctx)
	defer cancel()
	_, err := c.node.js.Publish(octx, workSubject+w.Job, b, jetstream.WithMsgID(w.Job+"."+w.Hash))
	return err
}

// checkDone completes the job when every URL it admitted has a record.
func (c *Crawls) checkDone(ctx context.Context, id string) {
	octx, cancel := c.node.op(ctx)
	defer cancel()
	_, st, err := c.state(octx, id)
	if err != nil || st.Status != crawl.JobRunning || st.Seeding {
		return
	}
	// Records are counted before admissions: a page's links are admitted
	// before its record is written, so records read first that are as many
	// as the admissions read after are every admitted page's. The other way
	// round, a page recorded between the two reads could end the job while
	// the links it had just admitted were still to visit (a busy machine
	// saw one recorded as cancelled).
	recorded, err1 := c.keys(octx, id, "r")
	admitted, err2 := c.keys(octx, id, "q")
	if err1 != nil || err2 != nil || admitted == 0 || recorded < admitted {
		return
	}
	_ = c.end(ctx, id, crawl.JobCompleted, "")
}

// keys counts a job's keys of one kind.
func (c *Crawls) keys(ctx context.Context, id, kind string) (int, error) {
	info, err := c.kvs.Info(ctx, jetstream.WithSubjectFilter("$KV."+crawlBucket+"."+id+"."+kind+".*"))
	if err != nil {
		return 0, err
	}
	return len(info.State.Subjects), nil
}

// end moves a running job to status s.
func (c *Crawls) end(ctx context.Context, id string, s crawl.JobStatus, errText string) error {
	for {
		octx, cancel := c.node.op(ctx)
		e, st, err := c.state(octx, id)
		cancel()
		if err != nil {
			return err
		}
		if st.Status != crawl.JobRunning {
			return errAlreadyEnded
		}
		st.Status, st.Error, st.Ended = s, errText, time.Now()
		octx, cancel = c.node.op(ctx)
		err = c.putState(octx, id, st, e.Revision())
		cancel()
		if err == nil || !isConflict(err) {
			return err
		}
	}
}

// state reads the job's state.
func (c *Crawls) state(ctx context.Context, id string) (jetstream.KeyValueEntry, *jobState, error) {
	if strings.ContainsAny(id, ".*> ") || id == "" {
		return nil, nil, fmt.Errorf("%w: %q", crawl.ErrNotFound, id)
	}
	e, err := c.kv.Get(ctx, id+".job")
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil, fmt.Errorf("%w: %q", crawl.ErrNotFound, id)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	var st jobState
	if err := json.Unmarshal(e.Value(), &st); err != nil {
		return nil, nil, fmt.Errorf("crawl job %s: %w", id, err)
	}
	return e, &st, nil
}

// putState writes the job's state: created when rev is 0, else updated
// from revision rev.
func (c *Crawls) putState(ctx context.Context, id string, st *jobState, rev uint64) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if rev == 0 {
		_, err = c.kv.Create(ctx, id+".job", b)
	} else {
		_, err = c.kv.Update(ctx, id+".job", b, rev)
	}
	return err
}

func (c *Crawls) exists(ctx context.Context, key string) bool {
	octx, cancel := c.node.op(ctx)
	defer cancel()
	_, err := c.kv.Get(octx, key)
	return err == nil
}

// mirrorAll keeps this node's mirrors of every job up to date from the
// bucket, until Close.
func (c *Crawls) mirrorAll(w jetstream.KeyWatcher) {
	defer w.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case e, ok := <-w.Updates():
			if !ok {
				return
			}
			if e != nil && e.Operation() == jetstream.KeyValuePut {
				c.apply(e.Key(), e.Value())
			}
		}
	}
}

// apply tells the mirror of a job about one of its keys.
func (c *Crawls) apply(key string, value []byte) {
	id, rest, _ := strings.Cut(key, ".")
	kind, h, _ := strings.Cut(rest, ".")
	if kind == "job" {
		var st jobState
		if json.Unmarshal(value, &st) == nil {
			if mj, err := c.mirrorState(id, &st); err == nil && st.Status != crawl.JobRunning {
				c.mu.Lock()
				mj.mirror.Finish(st.Status, st.Error)
				c.mu.Unlock()
			}
		}
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	mj, ok := c.jobs[id]
	if !ok || h == "" {
		return
	}
	switch kind {
	case "q":
		var a admittedURL
		if _, seen := mj.index[h]; !seen && json.Unmarshal(value, &a) == nil {
			mj.index[h] = mj.mirror.Add(crawl.Record{URL: a.URL, Status: crawl.RecordQueued, Depth: a.Depth})
		}
	case "r":
		var f finalRecord
		if mj.settled[h] || json.Unmarshal(value, &f) != nil {
			return
		}
		mj.settled[h] = true
		if i, ok := mj.index[h]; ok {
			mj.mirror.Settle(i, f.Record, f.BrowserMs)
		} else {
			mj.mirror.Add(f.Record)
		}
	case "a":
		mj.index["a"+h] = -1
	case "s":
		var f finalRecord
		if _, seen := mj.index["s"+h]; !seen && json.Unmarshal(value, &f) == nil {
			mj.index["s"+h] = mj.mirror.Add(f.Record)
		}
	}
}

// mirrorOf returns the mirror of job id, making it if there is none.
func (c *Crawls) mirrorOf(id string, req *crawl.Request, plan *crawl.Plan, created time.Time) *mirrored {
	c.mu.Lock()
	defer c.mu.Unlock()
	if mj, ok := c.jobs[id]; ok {
		return mj
	}
	mj := &mirrored{req: req, plan: plan, created: created, index: map[string]int{}, settled: map[string]bool{}}
	mj.mirror = crawl.NewMirror(id, req, created, func() {
		ctx, cancel := c.node.op(c.ctx)
		defer cancel()
		_ = c.end(ctx, id, crawl.JobCancelledByUser, "")
	})
	c.jobs[id] = mj
	return mj
}

// mirrorState returns the mirror of the job whose state is st.
func (c *Crawls) mirrorState(id string, st *jobState) (*mirrored, error) {
	c.mu.Lock()
	mj, ok := c.jobs[id]
	c.mu.Unlock()
	if ok {
		return mj, nil
	}
	var req crawl.Request
	if err := json.Unmarshal(st.Request, &req); err != nil {
		return nil, fmt.Errorf("crawl job %s: %w", id, err)
	}
	plan, err := crawl.NewPlan(&req)
	if err != nil || req.Depth == nil {
		return nil, fmt.Errorf("crawl job %s: its request does not plan: %v", id, err)
	}
	return c.mirrorOf(id, &req, plan, st.Created), nil
}

func (c *Crawls) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.jobs, id)
}

// sweep completes running jobs with nothing left to do, whose completion
// a lost connection kept from being recorded, and forgets ended jobs past
// their retention.
func (c *Crawls) sweep() {
	t := time.NewTicker(c.opts.Sweep)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
		}
		var idle []string
		c.mu.Lock()
		for id, mj := range c.jobs {
			p := mj.mirror.Job().Progress()
			switch ended := mj.mirror.Ended(); {
			case !ended.IsZero() && time.Since(ended) > c.opts.Retention:
				delete(c.jobs, id)
			case ended.IsZero() && p.Queued == 0 && p.Total > 0:
				idle = append(idle, id)
			}
		}
		c.mu.Unlock()
		for _, id := range idle {
			if c.node.Connected() {
				c.checkDone(c.ctx, id)
			}
		}
	}
}

// recordKey is the key of one of a job's URLs.
func recordKey(id, kind, h string) string { return id + "." + kind + "." + h }

// urlHash names a URL in keys, which allow few characters.
func urlHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16])
}

// isConflict reports whether a KV write lost a race with another writer.
func isConflict(err error) bool {
	var apiErr *jetstream.APIError
	return errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) ||
		errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
			apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}
