package render_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sous-dev/sous/cache"
	"github.com/sous-dev/sous/render"
)

// claimingCache is the real cache with a render.Claimer whose answer a test
// chooses: another node's result, a claim, or a cluster out of reach.
type claimingCache struct {
	*cache.Cache
	remote   *render.Result // returned by Claim when set
	fail     error          // returned by Claim when set
	released atomic.Bool
	setFirst atomic.Bool // a Set came before release
}

func (c *claimingCache) Claim(ctx context.Context, key string, maxAge time.Duration) (*render.Result, func(), error) {
	switch {
	case c.remote != nil:
		return c.remote, nil, nil
	case c.fail != nil:
		return nil, nil, c.fail
	}
	return nil, func() { c.released.Store(true) }, nil
}

func (c *claimingCache) Set(key string, res *render.Result, ttl time.Duration) {
	c.setFirst.Store(!c.released.Load())
	c.Cache.Set(key, res, ttl)
}

func TestClaimer(t *testing.T) {
	tests := []struct {
		name      string
		cache     *claimingCache
		wantCalls int64
		wantState string
		wantText  string
		wantSet   bool // the render was offered to the cache before the claim ended
	}{
		{"another node rendered it", &claimingCache{remote: &render.Result{Text: "from node b"}}, 0, render.CacheShared, "from node b", false},
		{"this node renders", &claimingCache{}, 1, render.CacheMiss, "<p>render 1</p>", true},
		{"cluster out of reach", &claimingCache{fail: errors.New("nats: no servers")}, 1, render.CacheMiss, "<p>render 1</p>", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := cache.New(cache.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			cc := tt.cache
			cc.Cache = c
			f := &fetcher{}
			svc, err := render.NewService(render.Options{Fetcher: f, Extractor: extractor{}, Cache: cc})
			if err != nil {
				t.Fatal(err)
			}
			res, err := svc.Render(context.Background(), &render.Request{URL: "https://example.com/"})
			if err != nil {
				t.Fatal(err)
			}
			if got := f.calls.Load(); got != tt.wantCalls {
				t.Errorf("fetches = %d, want %d", got, tt.wantCalls)
			}
			if res.Meta.Cache != tt.wantState || res.Text != tt.wantText {
				t.Errorf("got %q %q, want %q %q", res.Meta.Cache, res.Text, tt.wantState, tt.wantText)
			}
			if cc.setFirst.Load() != tt.wantSet {
				t.Errorf("set before release = %v, want %v", cc.setFirst.Load(), tt.wantSet)
			}
		})
	}
}
