// Package cache keeps rendered results in memory, so that Sous answers a
// repeated request without a browser. It is the render.Cache of the service,
// backed by ristretto: entries cost their size in bytes, under one budget,
// and leave when their time is up or when more valuable entries need the room.
//
//	c, err := cache.New(cache.Options{MaxBytes: 256 << 20})
//	if err != nil { … }
//	defer c.Close()
//	svc, err := render.NewService(render.Options{Fetcher: pool, Extractor: extract.New(), Cache: c})
//
// Keys are canonical (see Key): the same page with the same output options
// is one entry however the request spelt it. Ristretto admits entries
// asynchronously and may refuse or drop one under contention, so a Set is a
// hint, never a promise; tests that need an entry to have landed call Wait.
package cache

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/ristretto/v2"

	"github.com/sous-dev/sous/render"
)

// DefaultMaxBytes is the budget of a cache whose Options set none.
const DefaultMaxBytes = 256 << 20

// Options configure a Cache. Zero values mean the documented defaults.
type Options struct {
	// MaxBytes is the most memory, in bytes of results, the cache holds;
	// default DefaultMaxBytes.
	MaxBytes int64
}

// Cache is a render.Cache in memory. It is safe for concurrent use.
type Cache struct {
	store     *ristretto.Cache[string, entry]
	evictions atomic.Int64
}

var _ render.Cache = (*Cache)(nil)

// entry is a stored result or rendered page and when it was stored, so that
// a request with a shorter cacheTTL than the one that filled the entry can
// refuse it.
type entry struct {
	res    *render.Result
	page   *render.Page
	stored time.Time
}

var (
	_ render.PageCache = (*Cache)(nil)
	_ render.Waiter    = (*Cache)(nil)
)

// typicalEntry is the size of a usual result (markdown, links and metadata
// of an article), used to size ristretto's admission counters.
const typicalEntry = 32 << 10

// New returns an empty cache.
func New(opts Options) (*Cache, error) {
	if opts.MaxBytes < 0 {
		return nil, fmt.Errorf("cache: MaxBytes %d is negative", opts.MaxBytes)
	}
	if opts.MaxBytes == 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	c := &Cache{}
	store, err := ristretto.NewCache(&ristretto.Config[string, entry]{
		// Ristretto's advice: ten counters per entry the cache may hold.
		NumCounters:        max(1000, 10*opts.MaxBytes/typicalEntry),
		MaxCost:            opts.MaxBytes,
		BufferItems:        64,
		IgnoreInternalCost: true,
		// Called for entries pushed out for room and for expired ones.
		OnEvict: func(*ristretto.Item[entry]) { c.evictions.Add(1) },
	})
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	c.store = store
	return c, nil
}

// Key returns the canonical key of req: a hash of its URL in canonical form
// (or of its HTML), its formats as a set, and every other field, so that an
// option added to render.Request later is part of the key without anyone
// remembering to add it. CacheTTL is left out: it says how old an answer may
// be, not what the answer is. req should be validated.
func (c *Cache) Key(req *render.Request) string { return Key(req) }

// Key is Cache.Key, for callers without a Cache.
func Key(req *render.Request) string {
	k := *req
	k.CacheTTL = nil
	// The script runs over the cached result, after the cache (see
	// render.Service), so it does not change what is stored.
	k.Script = ""
	k.URL = canonicalURL(k.URL)
	if k.HTML != "" {
		sum := sha256.Sum256([]byte(k.HTML))
		k.HTML = "sha256:" + hex.EncodeToString(sum[:])
	}
	// The order of formats does not change the result, nor does a repeat.
	k.Formats = slices.Clone(k.Formats)
	slices.Sort(k.Formats)
	k.Formats = slices.Compact(k.Formats)
	b, err := json.Marshal(&k)
	if err != nil {
		// Every field of a Request marshals; should one ever not, no two
		// requests share a key, which costs renders but never correctness.
		return "unkeyable:" + rand.Text()
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// PageKey names the browser render behind req: Key of req without the
// fields that only choose what is extracted from the rendered document
// (formats, main content, tag filters, size budget, capture options).
func (c *Cache) PageKey(req *render.Request) string {
	k := *req
	k.Formats = nil
	k.OnlyMainContent = false
	k.IncludeTags, k.ExcludeTags = nil, nil
	k.MaxChars = 0
	k.VisibleLinksOnly, k.ExcludeExternalLinks = false, false
	// Elements only add positions to the page, which scrape, never derived,
	// always renders afresh.
	k.Elements = nil
	k.ScreenshotOptions, k.PDFOptions, k.Selector = nil, nil, ""
	return "page:" + Key(&k)
}

// GetPage returns the page stored under key, if it was stored at most
// maxAge ago.
func (c *Cache) GetPage(key string, maxAge time.Duration) (*render.Page, bool) {
	e, ok := c.store.Get(key)
	if !ok || e.page == nil || time.Since(e.stored) > maxAge {
		return nil, false
	}
	return e.page, true
}

// SetPage offers a rendered page for key for ttl. Screenshots and PDFs are
// left out: they belong to the request that asked for them.
func (c *Cache) SetPage(key string, page *render.Page, ttl time.Duration) {
	if ttl <= 0 || page == nil {
		return
	}
	p := *page
	p.Screenshot, p.PDF = nil, nil
	cost := int64(len(p.HTML)+len(p.URL)+len(p.Title)) + 256
	c.store.SetWithTTL(key, entry{page: &p, stored: time.Now()}, cost, ttl)
}

// canonicalURL lower-cases the scheme and host, drops a default port and
// writes an empty path as "/". It keeps the query as given, since servers
// may care about its order, and the fragment, which a script may route on.
func canonicalURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	u.Scheme = strings.ToLower(u.Scheme)
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") { // IPv6
		host = "[" + host + "]"
	}
	u.Host = host
	if port != "" {
		u.Host += ":" + port
	}
	if u.Path == "" && u.RawPath == "" {
		u.Path = "/"
	}
	return u.String()
}

// Get returns the result stored under key, if it was stored at most maxAge ago.
func (c *Cache) Get(key string, maxAge time.Duration) (*render.Result, bool) {
	e, ok := c.store.Get(key)
	if !ok || e.res == nil || time.Since(e.stored) > maxAge {
		return nil, false
	}
	return e.res, true
}

// Set offers res for key for ttl. The cache may refuse it: when it would not
// fit, or is worth less than what it would push out.
func (c *Cache) Set(key string, res *render.Result, ttl time.Duration) {
	if ttl <= 0 || res == nil {
		return
	}
	c.store.SetWithTTL(key, entry{res: res, stored: time.Now()}, Cost(res), ttl)
}

// Wait blocks until every Set so far has been admitted or refused.
func (c *Cache) Wait() { c.store.Wait() }

// Stats is a snapshot of the cache for metrics.
type Stats struct {
	// Bytes is the cost of the entries held; MaxBytes the budget.
	Bytes, MaxBytes int64
	// Evictions counts entries removed to make room or because they expired.
	Evictions int64
}

// Stats returns a snapshot of the cache.
func (c *Cache) Stats() Stats {
	total := c.store.MaxCost()
	return Stats{Bytes: total - c.store.RemainingCost(), MaxBytes: total, Evictions: c.evictions.Load()}
}

// Close frees the cache's goroutines; Get then misses and Set does nothing.
// It is safe to call more than once.
func (c *Cache) Close() error {
	c.store.Close()
	return nil
}

// Cost is the memory res takes, in bytes, roughly: the size of its JSON,
// which counts every field, including those added to render.Result later
// (binary ones a third larger than they are). It runs once per Set, after a
// render that took far longer.
func Cost(res *render.Result) int64 {
	b, err := json.Marshal(res)
	if err != nil {
		return 1 << 20
	}
	return int64(len(b)) + 512 // and the Meta, which JSON leaves out
}
