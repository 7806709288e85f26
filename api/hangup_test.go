package api_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sous-dev/sous/api"
	"github.com/sous-dev/sous/cache"
	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/httpfetch"
	"github.com/sous-dev/sous/netguard"
	"github.com/sous-dev/sous/render"
)

// TestHangUpFreesTheSlot: a client that disconnects cancels its request, so
// its render slot is free for the next caller long before the render's own
// deadline, and a render in flight that nobody waits for any more is ended.
//
// Twenty clients ask for pages that take 30 s and hang up 200 ms in; the
// service has twenty slots and no queue. Once their renders have ended, the
// next twenty requests must all be admitted. The pages are fetched by the
// http engine, so the test needs no twenty browser tabs.
func TestHangUpFreesTheSlot(t *testing.T) {
	const n = 20
	guard, err := netguard.New(netguard.Options{AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err := cache.New(cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := render.NewService(render.Options{
		Fetcher:        pool,
		HTTPFetcher:    httpfetch.New(httpfetch.Options{Guard: guard}),
		Extractor:      extract.New(),
		Concurrency:    n,
		Queue:          -1,
		Cache:          c, // so that each render is a flight that ends when nobody waits
		DefaultTimeout: 60 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		svc.Close()
		c.Close()
	})
	base := serveAPI(t, api.New(svc, api.Options{}))

	hangUp, cancel := context.WithCancel(context.Background())
	defer cancel()
	var hungUp sync.WaitGroup
	for i := range n {
		hungUp.Go(func() {
			body := fmt.Sprintf(`{"url": %q, "engine": "http"}`, fmt.Sprintf("%s/slow?ms=30000&client=%d", site.URL, i))
			req, _ := http.NewRequestWithContext(hangUp, "POST", base+"/v1/render", strings.NewReader(body))
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
				t.Errorf("client %d: answered (%d) before its page could have been", i, resp.StatusCode)
			} else if !errors.Is(err, context.Canceled) {
				t.Errorf("client %d: %v", i, err)
			}
		})
	}
	// Hang up 200 ms into the renders, once all twenty are running.
	waitFor(t, "all renders running", func() bool { running, _ := svc.Load(); return running == n })
	time.Sleep(200 * time.Millisecond)
	cancel()
	hungUp.Wait()

	// The renders end as soon as the server sees the connections close
	// (they would otherwise hold their slots for 30 s).
	waitFor(t, "the renders of the clients that hung up to end", func() bool { running, _ := svc.Load(); return running == 0 })

	var next sync.WaitGroup
	for i := range n {
		next.Go(func() {
			body := fmt.Sprintf(`{"url": %q, "engine": "http", "cacheTTL": 0}`, fmt.Sprintf("%s/article.html?caller=%d", site.URL, i))
			resp, err := http.Post(base+"/v1/render", "application/json", strings.NewReader(body))
			if err != nil {
				t.Errorf("request %d: %v", i, err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("request %d after the hang-ups: status %d, want 200", i, resp.StatusCode)
			}
		})
	}
	next.Wait()
}

// waitFor polls cond until it holds, failing the test after 10 s: a bound
// that only guards against a hang.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting after 10 s for %s", what)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition, not waiting for a time
	}
}
