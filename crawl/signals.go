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
	client           *http.Client
	agent, userAgent string
	ttl              time.Duration

	mu    sync.Mutex
	sites map[string]*signalEntry // by origin
}

var _ render.SignalReader = (*SignalReader)(nil)

// signalEntry is one site's signals; ready closes once they are read.
type signalEntry struct {
	ready   chan struct{}
	signals ContentSignals
	read    time.Time
}

// Bounds of a SignalReader's memory.
const (
	signalTTL      = 10 * time.Minute
	maxSignalSites = 10_000
)

// NewSignalReader returns a SignalReader that fetches robots.txt with
// client (which should dial through the network guard), matching groups
// against the product token agent and sending userAgent.
func NewSignalReader(client *http.Client, agent, userAgent string) *SignalReader {
	return &SignalReader{client: client, agent: agent, userAgent: userAgent, ttl: signalTTL, sites: map[string]*signalEntry{}}
}

// ContentSignals returns the signals of pageURL's site, nil when it gives
// none or its robots.txt cannot be read. It waits at most until ctx ends
// for a site's first read.
func (r *SignalReader) ContentSignals(ctx context.Context, pageURL string) map[string]string {
	u, err := url.Parse(pageURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil
	}
	origin := u.Scheme + "://" + u.Host
	e, fetch := r.entry(origin)
	if fetch {
		// One caller's hang-up must not leave its site without signals
		// for the others: the read has its own deadline (fetchRobots').
		rules := fetchRobots(context.WithoutCancel(ctx), r.client, origin, r.agent, r.userAgent)
		e.signals, e.read = rules.signals, time.Now()
		close(e.ready)
	}
	select {
	case <-e.ready:
		return e.signals
	case <-ctx.Done():
		return nil
	}
}

// entry returns origin's entry, and whether the caller must read it.
func (r *SignalReader) entry(origin string) (*signalEntry, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.sites[origin]; ok {
		select {
		case <-e.ready:
			if time.Since(e.read) < r.ttl {
				return e, false
			}
		default:
			return e, false // being read
		}
	}
	if len(r.sites) >= maxSignalSites {
		r.forgetOld()
	}
	e := &signalEntry{ready: make(chan struct{})}
	r.sites[origin] = e
	return e, true
}

// forgetOld drops the entries past their time, or all that have been read
// when none is; r.mu is held.
func (r *SignalReader) forgetOld() {
	for origin, e := range r.sites {
		select {
		case <-e.ready:
			if time.Since(e.read) >= r.ttl {
				delete(r.sites, origin)
			}
		default:
		}
	}
	if len(r.sites) < maxSignalSites {
		return
	}
	for origin, e := range r.sites {
		select {
		case <-e.ready:
			delete(r.sites, origin)
		default:
		}
	}
}
