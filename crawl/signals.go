package crawl

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/sous-dev/sous/render"
)

// SignalReader reads sites' Content Signals from their robots.txt for
// single renders (render.SignalReader), fetching each site's file once and
// keeping its answer for a while.
type SignalReader struct {
	sites *siteCache[ContentSignals]
}

var _ render.SignalReader = (*SignalReader)(nil)

// NewSignalReader returns a SignalReader that fetches robots.txt with
// client (which should dial through the network guard), matching groups
// against the product token agent and sending userAgent.
func NewSignalReader(client *http.Client, agent, userAgent string) *SignalReader {
	return &SignalReader{sites: newSiteCache(func(ctx context.Context, origin string) ContentSignals {
		return fetchRobots(ctx, client, origin, agent, userAgent).signals
	})}
}

// ContentSignals returns the signals of pageURL's site, nil when it gives
// none or its robots.txt cannot be read. It waits at most until ctx ends
// for a site's first read.
func (r *SignalReader) ContentSignals(ctx context.Context, pageURL string) map[string]string {
	return r.sites.get(ctx, pageURL)
}

// LLMsTxtReader reads sites' /llms.txt for renders of their root page
// (render.LLMsTxtReader), once per site for a while.
type LLMsTxtReader struct {
	sites *siteCache[*LLMsTxt]
}

var _ render.LLMsTxtReader = (*LLMsTxtReader)(nil)

// NewLLMsTxtReader returns an LLMsTxtReader that fetches with client
// (which should dial through the network guard), sending userAgent.
func NewLLMsTxtReader(client *http.Client, userAgent string) *LLMsTxtReader {
	return &LLMsTxtReader{sites: newSiteCache(func(ctx context.Context, origin string) *LLMsTxt {
		l, err := fetchLLMsTxt(ctx, client, userAgent, origin+"/llms.txt")
		if err != nil {
			return nil
		}
		return l
	})}
}

// LLMsTxt describes the llms.txt of pageURL's site, or returns nil when it
// has none.
func (r *LLMsTxtReader) LLMsTxt(ctx context.Context, pageURL string) *render.LLMsTxt {
	l := r.sites.get(ctx, pageURL)
	if l == nil {
		return nil
	}
	return &render.LLMsTxt{URL: l.URL, Title: l.Title, Summary: l.Summary, Links: len(l.Links)}
}

// siteCache keeps one value per site (origin), read once and kept for a
// while, for every render to ask.
type siteCache[T any] struct {
	read func(ctx context.Context, origin string) T
	ttl  time.Duration

	mu    sync.Mutex
	sites map[string]*siteEntry[T]
}

// siteEntry is one site's value; ready closes once it is read.
type siteEntry[T any] struct {
	ready chan struct{}
	value T
	read  time.Time
}

// Bounds of a siteCache's memory.
const (
	siteTTL      = 10 * time.Minute
	maxSiteCache = 10_000
)

func newSiteCache[T any](read func(ctx context.Context, origin string) T) *siteCache[T] {
	return &siteCache[T]{read: read, ttl: siteTTL, sites: map[string]*siteEntry[T]{}}
}

// get returns the value of pageURL's site, reading it when no fresh one is
// kept; the zero value for a URL that is not http(s), or when ctx ends
// first.
func (c *siteCache[T]) get(ctx context.Context, pageURL string) T {
	var zero T
	u, err := url.Parse(pageURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return zero
	}
	origin := u.Scheme + "://" + u.Host
	e, mine := c.entry(origin)
	if mine {
		// One caller's hang-up must not leave the site without a value for
		// the others: the read has its own deadline (fetchTimeout).
		e.value, e.read = c.read(context.WithoutCancel(ctx), origin), time.Now()
		close(e.ready)
	}
	select {
	case <-e.ready:
		return e.value
	case <-ctx.Done():
		return zero
	}
}

// entry returns origin's entry, and whether the caller must read it.
func (c *siteCache[T]) entry(origin string) (*siteEntry[T], bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.sites[origin]; ok {
		select {
		case <-e.ready:
			if time.Since(e.read) < c.ttl {
				return e, false
			}
		default:
			return e, false // being read
		}
	}
	if len(c.sites) >= maxSiteCache {
		c.forgetOld()
	}
	e := &siteEntry[T]{ready: make(chan struct{})}
	c.sites[origin] = e
	return e, true
}

// forgetOld drops the entries past their time, or all that have been read
// when that is not enough; c.mu is held.
func (c *siteCache[T]) forgetOld() {
	for _, all := range []bool{false, true} {
		for origin, e := range c.sites {
			select {
			case <-e.ready:
				if all || time.Since(e.read) >= c.ttl {
					delete(c.sites, origin)
				}
			default:
			}
		}
		if len(c.sites) < maxSiteCache {
			return
		}
	}
}
