package cluster_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sous-dev/sous/render"
)

// page serves one article and counts its fetches: the renders done for it.
type page struct {
	fetches atomic.Int64
	release chan struct{} // when set, each fetch waits for it to close
	size    int           // bytes of filler text, to make a large entry
}

func (p *page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.fetches.Add(1)
	if p.release != nil {
		select {
		case <-p.release:
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!DOCTYPE html><html><head><title>Shared page</title></head><body><main><h1>Shared page</h1>
<p>Rendered once, read on every node of the cluster.</p><p>%s</p></main></body></html>`, strings.Repeat("filler ", p.size/7))
}

func serve(t testing.TB, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// httpRequest asks for markdown with the http engine, reusing a result for
// a minute: longer than a slow machine takes over a test.
func httpRequest(url string) *render.Request {
	ttl := 60
	return &render.Request{URL: url, Engine: render.EngineHTTP, Formats: []render.Format{render.FormatMarkdown}, CacheTTL: &ttl}
}

func TestCrossNodeHit(t *testing.T) {
	ns := startNATS(t)
	a, b := startNode(t, ns, "a", nodeOptions{}), startNode(t, ns, "b", nodeOptions{})
	for _, tt := range []struct {
		name string
		size int
	}{
		{"small entry in KV", 0},
		{"large entry in the object store", 300 << 10},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := &page{size: tt.size}
			url := serve(t, p)
			ctx := context.Background()
			first, err := a.svc.Render(ctx, httpRequest(url))
			if err != nil {
				t.Fatal(err)
			}
			if first.Meta.Cache != render.CacheMiss {
				t.Fatalf("first render on a: cache %q, want miss", first.Meta.Cache)
			}
			second, err := b.svc.Render(ctx, httpRequest(url))
			if err != nil {
				t.Fatal(err)
			}
			if second.Meta.Cache != render.CacheHit || p.fetches.Load() != 1 {
				t.Fatalf("on b: cache %q after %d fetches, want a hit after 1", second.Meta.Cache, p.fetches.Load())
			}
			if second.Markdown != first.Markdown || second.Meta.Title != "Shared page" || second.Meta.Status != 200 {
				t.Errorf("b's hit differs from a's render: title %q status %d, markdown equal: %v",
					second.Meta.Title, second.Meta.Status, second.Markdown == first.Markdown)
			}
			// Another format of the same page comes from the shared page:
			// extraction on b, no fetch.
			text := httpRequest(url)
			text.Formats = []render.Format{render.FormatText}
			third, err := b.svc.Render(ctx, text)
			if err != nil {
				t.Fatal(err)
			}
			if third.Meta.Cache != render.CacheHit || !strings.Contains(third.Text, "Rendered once") || p.fetches.Load() != 1 {
				t.Errorf("text on b: cache %q after %d fetches, text %.40q", third.Meta.Cache, p.fetches.Load(), third.Text)
			}
		})
	}
	if st := b.cache.Stats(); st.L2Hits < 2 {
		t.Errorf("b's stats %+v: want L2 hits", st)
	}
	if st := a.cache.Stats(); st.Large < 1 {
		t.Errorf("a's stats %+v: want a large entry", st)
	}
}

func TestOneRenderAcrossNodes(t *testing.T) {
	ns := startNATS(t)
	nodes := []*node{startNode(t, ns, "a", nodeOptions{}), startNode(t, ns, "b", nodeOptions{}), startNode(t, ns, "c", nodeOptions{})}
	p := &page{release: make(chan struct{})}
	url := serve(t, p)

	const requests = 8
	var wg sync.WaitGroup
	results := make(chan *render.Result, requests)
	errs := make(chan error, requests)
	for i := range requests {
		wg.Go(func() {
			res, err := nodes[i%len(nodes)].svc.Render(context.Background(), httpRequest(url))
			if err != nil {
				errs <- err
				return
			}
			results <- res
		})
	}
	// Hold the one render until it has started, then let it finish.
	deadline := time.Now().Add(30 * time.Second)
	for p.fetches.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	close(p.release)
	wg.Wait()
	close(results)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	states := map[string]int{}
	for res := range results {
		states[res.Meta.Cache]++
	}
	if got := p.fetches.Load(); got != 1 {
		t.Errorf("%d renders for %d identical requests over three nodes, want 1 (cache states %v)", got, requests, states)
	}
	if states[render.CacheMiss] != 1 {
		t.Errorf("cache states %v: want exactly one miss", states)
	}
}

func TestClaimTakenOverWhenClaimantDies(t *testing.T) {
	ns := startNATS(t)
	a := startNode(t, ns, "a", nodeOptions{claimTTL: time.Second})
	b := startNode(t, ns, "b", nodeOptions{claimTTL: time.Second})
	ctx := context.Background()
	res, release, err := a.cache.Claim(ctx, "some key", time.Minute)
	if err != nil || res != nil || release == nil {
		t.Fatalf("a's claim: result %v, released %v, error %v", res, release == nil, err)
	}
	a.member.Close() // a dies holding the claim: it is never released nor refreshed

	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	res, releaseB, err := b.cache.Claim(ctx, "some key", time.Minute)
	if err != nil || res != nil || releaseB == nil {
		t.Fatalf("b's claim after a died: result %v, released %v, error %v", res, releaseB == nil, err)
	}
	releaseB()
	if st := b.cache.Stats(); st.Takeovers != 1 {
		t.Errorf("b's stats %+v: want one takeover", st)
	}
}

func TestLocalCacheWhenNATSIsDown(t *testing.T) {
	ns := startNATS(t)
	a := startNode(t, ns, "a", nodeOptions{})
	p := &page{}
	url := serve(t, p)
	ctx := context.Background()
	if _, err := a.svc.Render(ctx, httpRequest(url)); err != nil {
		t.Fatal(err)
	}
	a.local.Wait()
	ns.stop()
	res, err := a.svc.Render(ctx, httpRequest(url))
	if err != nil {
		t.Fatal(err)
	}
	if res.Meta.Cache != render.CacheHit {
		t.Errorf("with NATS down: cache %q, want a hit from memory", res.Meta.Cache)
	}
	other := httpRequest(url + "/?other")
	if res, err := a.svc.Render(ctx, other); err != nil || res.Meta.Cache != render.CacheMiss {
		t.Errorf("a new page with NATS down: %v, %v; want a render", res, err)
	}
	if err := a.member.Ready(ctx); err == nil {
		t.Error("Ready with NATS down: want an error")
	}
}
