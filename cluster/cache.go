package cluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sous-dev/sous/render"
)

// Names of the cache's buckets in JetStream.
const (
	cacheBucket   = "sous_cache"         // KV: small entries, and pointers to large ones
	objectBucket  = "sous_cache_large"   // object store: entries past CacheOptions.SmallMax
	claimsBucket  = "sous_render_claims" // KV: who renders which key now
	largePointer  = "object"
	defaultMaxAge = render.MaxCacheTTL
)

// CacheOptions configure a Cache. Zero values mean the documented defaults.
type CacheOptions struct {
	// SmallMax is the largest entry, in bytes of JSON, kept in the KV
	// bucket; larger ones go to the object store. Default 256 KiB.
	SmallMax int
	// ClaimTTL is how long a render claim outlives its claimant's last
	// sign of life: the time a crashed node holds up the others before
	// one of them renders in its place. Default 10 s.
	ClaimTTL time.Duration
	// MaxBytes bounds the disk the KV bucket and the object store each
	// take in JetStream; default 1 GiB. Past it, new entries are refused
	// (and only this node's memory keeps them) until old ones expire.
	MaxBytes int64
}

// Cache is a render.Cache of two levels: L1, this node's memory, in front
// of L2, JetStream, which every node shares. A result rendered on one node
// is a hit on every other; L2 hits are copied into L1. It implements
// render.Claimer too, so that one node renders a key while the others wait
// for its result. When the cluster is out of reach, it is L1 alone.
type Cache struct {
	node    *Node
	l1      render.Cache
	pages   render.PageCache // l1's, or nil when l1 keeps no pages
	opts    CacheOptions
	kv      jetstream.KeyValue
	objects jetstream.ObjectStore
	claims  jetstream.KeyValue

	stats cacheCounters
}

var (
	_ render.Cache     = (*Cache)(nil)
	_ render.PageCache = (*Cache)(nil)
	_ render.Claimer   = (*Cache)(nil)
)

// NewCache returns the cluster's cache in front of which l1 (this node's
// memory cache) stands. Pages are shared too when l1 is a render.PageCache.
func (n *Node) NewCache(ctx context.Context, l1 render.Cache, opts CacheOptions) (*Cache, error) {
	if l1 == nil {
		return nil, errors.New("cluster: a local cache is required in front of the shared one")
	}
	if opts.SmallMax <= 0 {
		opts.SmallMax = 256 << 10
	}
	if opts.ClaimTTL <= 0 {
		opts.ClaimTTL = 10 * time.Second
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 1 << 30
	}
	c := &Cache{node: n, l1: l1, opts: opts}
	c.pages, _ = l1.(render.PageCache)
	var err error
	c.kv, err = ensure(ctx, n, "cache bucket", func(ctx context.Context) (jetstream.KeyValue, error) {
		return n.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket: cacheBucket, Description: "Sous render cache (L2)",
			TTL: defaultMaxAge, LimitMarkerTTL: time.Minute, MaxBytes: opts.MaxBytes,
			MaxValueSize: int32(opts.SmallMax + 4096), Storage: jetstream.FileStorage,
		})
	})
	if err != nil {
		return nil, err
	}
	c.objects, err = ensure(ctx, n, "large-entry store", func(ctx context.Context) (jetstream.ObjectStore, error) {
		return n.js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
			Bucket: objectBucket, Description: "Sous render cache (L2), entries too large for KV",
			TTL: defaultMaxAge, MaxBytes: opts.MaxBytes, Storage: jetstream.FileStorage,
		})
	})
	if err != nil {
		return nil, err
	}
	c.claims, err = ensure(ctx, n, "claims bucket", func(ctx context.Context) (jetstream.KeyValue, error) {
		return n.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket: claimsBucket, Description: "Sous: which node renders which cache key",
			TTL: opts.ClaimTTL, Storage: jetstream.MemoryStorage,
		})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// entry is what L2 keeps under a key: a result or a page, when it was
// stored and for how long, or (for a large entry) where it is kept instead.
type entry struct {
	Stored time.Time      `json:"stored"`
	TTL    time.Duration  `json:"ttl"`
	Result *render.Result `json:"result,omitempty"`
	Meta   *render.Meta   `json:"meta,omitempty"` // Result's, which its JSON leaves out
	Page   *render.Page   `json:"page,omitempty"`
	Object string         `json:"object,omitempty"` // the entry is this object instead
}

// fresh reports whether e may answer a request accepting maxAge.
func (e *entry) fresh(maxAge time.Duration) bool {
	age := time.Since(e.Stored)
	return age <= maxAge && age <= e.TTL
}

// remaining is how long e may still be kept.
func (e *entry) remaining() time.Duration { return e.TTL - time.Since(e.Stored) }

// storeKey turns a cache key into a KV key: a hash, since KV keys allow
// few characters, under a prefix saying what is kept.
func storeKey(prefix, key string) string {
	sum := sha256.Sum256([]byte(key))
	return prefix + "." + hex.EncodeToString(sum[:])
}

// Key is L1's key.
func (c *Cache) Key(req *render.Request) string { return c.l1.Key(req) }

// Get returns the result under key from L1, else from L2.
func (c *Cache) Get(key string, maxAge time.Duration) (*render.Result, bool) {
	if res, ok := c.l1.Get(key, maxAge); ok {
		c.stats.l1Hits.Add(1)
		return res, true
	}
	e, ok := c.load(context.Background(), storeKey("r", key), maxAge)
	if !ok || e.Result == nil {
		return nil, false
	}
	res := e.Result
	if e.Meta != nil {
		res.Meta = *e.Meta
	}
	c.l1.Set(key, res, e.remaining())
	return res, true
}

// Set offers res to L1 and stores it in L2 for ttl.
func (c *Cache) Set(key string, res *render.Result, ttl time.Duration) {
	if ttl <= 0 || res == nil {
		return
	}
	c.l1.Set(key, res, ttl)
	meta := res.Meta
	c.store(context.Background(), storeKey("r", key), &entry{Stored: time.Now(), TTL: ttl, Result: res, Meta: &meta})
}

// PageKey is L1's page key.
func (c *Cache) PageKey(req *render.Request) string {
	if c.pages == nil {
		return ""
	}
	return c.pages.PageKey(req)
}

// GetPage returns the page under key from L1, else from L2.
func (c *Cache) GetPage(key string, maxAge time.Duration) (*render.Page, bool) {
	if c.pages == nil {
		return nil, false
	}
	if page, ok := c.pages.GetPage(key, maxAge); ok {
		c.stats.l1Hits.Add(1)
		return page, true
	}
	e, ok := c.load(context.Background(), storeKey("p", key), maxAge)
	if !ok || e.Page == nil {
		return nil, false
	}
	c.pages.SetPage(key, e.Page, e.remaining())
	return e.Page, true
}

// SetPage offers page to L1 and stores it in L2 for ttl, without its
// screenshot or PDF, which belong to the request that asked for them.
func (c *Cache) SetPage(key string, page *render.Page, ttl time.Duration) {
	if c.pages == nil || ttl <= 0 || page == nil {
		return
	}
	c.pages.SetPage(key, page, ttl)
	p := *page
	p.Screenshot, p.PDF = nil, nil
	c.store(context.Background(), storeKey("p", key), &entry{Stored: time.Now(), TTL: ttl, Page: &p})
}

// load reads an entry from L2: from KV, and from the object store when KV
// holds a pointer. Anything but a fresh entry is a miss.
func (c *Cache) load(ctx context.Context, k string, maxAge time.Duration) (*entry, bool) {
	if !c.node.Connected() {
		c.stats.unavailable.Add(1)
		return nil, false
	}
	ctx, cancel := c.node.op(ctx)
	defer cancel()
	kv, err := c.kv.Get(ctx, k)
	if err != nil {
		if !errors.Is(err, jetstream.ErrKeyNotFound) {
			c.stats.errors.Add(1)
		}
		c.stats.l2Misses.Add(1)
		return nil, false
	}
	var e entry
	if err := json.Unmarshal(kv.Value(), &e); err != nil {
		c.stats.errors.Add(1)
		return nil, false
	}
	if !e.fresh(maxAge) {
		c.stats.l2Misses.Add(1)
		return nil, false
	}
	if e.Object != "" {
		b, err := c.objects.GetBytes(ctx, e.Object)
		if err == nil {
			err = json.Unmarshal(b, &e)
		}
		if err != nil {
			c.stats.l2Misses.Add(1)
			return nil, false
		}
	}
	c.stats.l2Hits.Add(1)
	return &e, true
}

// store writes an entry to L2, whose key expires with the entry's TTL. A
// failure only costs other nodes a render, so it is counted, not returned.
func (c *Cache) store(ctx context.Context, k string, e *entry) {
	if !c.node.Connected() {
		c.stats.unavailable.Add(1)
		return
	}
	b, err := json.Marshal(e)
	if err != nil {
		c.stats.errors.Add(1)
		return
	}
	ctx, cancel := c.node.op(ctx)
	defer cancel()
	if len(b) > c.opts.SmallMax {
		if _, err := c.objects.PutBytes(ctx, k, b); err != nil {
			c.stats.errors.Add(1)
			return
		}
		c.stats.large.Add(1)
		b, _ = json.Marshal(&entry{Stored: e.Stored, TTL: e.TTL, Object: k})
	}
	// Create sets the key's own TTL; an entry still there (stored for a
	// longer TTL than a request accepted) is replaced.
	_, err = c.kv.Create(ctx, k, b, jetstream.KeyTTL(e.TTL))
	if errors.Is(err, jetstream.ErrKeyExists) {
		if err = c.kv.Delete(ctx, k); err == nil {
			_, err = c.kv.Create(ctx, k, b, jetstream.KeyTTL(e.TTL))
		}
	}
	if err != nil {
		c.stats.errors.Add(1)
		return
	}
	c.stats.stored.Add(1)
}

// Claim makes this node the one that renders key, or waits for the node
// that does and returns its result. A claim lives ClaimTTL past its
// holder's last refresh, so a node that dies mid-render holds the others
// up that long at most; then one of them claims the key in its place.
func (c *Cache) Claim(ctx context.Context, key string, maxAge time.Duration) (*render.Result, func(), error) {
	if !c.node.Connected() {
		return nil, nil, ErrUnavailable
	}
	claim := storeKey("c", key)
	waited := false
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		if res, ok := c.Get(key, maxAge); ok {
			c.stats.claimWaits.Add(1)
			return res, nil, nil
		}
		octx, cancel := c.node.op(ctx)
		rev, err := c.claims.Create(octx, claim, []byte(c.node.Name()))
		cancel()
		switch {
		case err == nil:
			// Whoever held the claim before stores its result before it
			// lets go, so a result is either here now or not coming.
			if res, ok := c.Get(key, maxAge); ok {
				c.release(claim)
				c.stats.claimWaits.Add(1)
				return res, nil, nil
			}
			if waited {
				c.stats.takeovers.Add(1)
			}
			c.stats.claims.Add(1)
			return nil, c.hold(claim, rev), nil
		case !errors.Is(err, jetstream.ErrKeyExists):
			return nil, nil, fmt.Errorf("%w: claim: %v", ErrUnavailable, err)
		}
		waited = true
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, nil, context.Cause(ctx)
		}
	}
}

// hold keeps a claim alive until the returned release is called.
func (c *Cache) hold(claim string, rev uint64) (release func()) {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(c.opts.ClaimTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				ctx, cancel := c.node.op(context.Background())
				if r, err := c.claims.Update(ctx, claim, []byte(c.node.Name()), rev); err == nil {
					rev = r
				}
				cancel()
			}
		}
	})
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stop)
			wg.Wait()
			c.release(claim)
		})
	}
}

func (c *Cache) release(claim string) {
	ctx, cancel := c.node.op(context.Background())
	defer cancel()
	_ = c.claims.Delete(ctx, claim) // else it expires after ClaimTTL
}

// cacheCounters count what the cache did, for metrics.
type cacheCounters struct {
	l1Hits, l2Hits, l2Misses, stored, large, errors, unavailable atomic.Int64
	claims, claimWaits, takeovers                                atomic.Int64
}

// CacheStats is a snapshot of the cache's counters since the node started.
type CacheStats struct {
	L1Hits, L2Hits, L2Misses int64 // lookups answered by memory, by JetStream, by neither
	Stored, Large            int64 // entries written to L2; of them, to the object store
	Errors                   int64 // L2 operations that failed
	Unavailable              int64 // L2 operations skipped: the cluster was out of reach
	Claims                   int64 // renders this node claimed
	ClaimWaits               int64 // renders this node took from another node instead
	Takeovers                int64 // claims taken after waiting on another node's
}

// Stats returns the cache's counters.
func (c *Cache) Stats() CacheStats {
	s := &c.stats
	return CacheStats{
		L1Hits: s.l1Hits.Load(), L2Hits: s.l2Hits.Load(), L2Misses: s.l2Misses.Load(),
		Stored: s.stored.Load(), Large: s.large.Load(), Errors: s.errors.Load(), Unavailable: s.unavailable.Load(),
		Claims: s.claims.Load(), ClaimWaits: s.claimWaits.Load(), Takeovers: s.takeovers.Load(),
	}
}
