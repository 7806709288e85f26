package cache_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sous-dev/sous/cache"
	"github.com/sous-dev/sous/render"
)

func ttl(seconds int) *int { return &seconds }

func TestKey(t *testing.T) {
	base := func() *render.Request {
		return &render.Request{URL: "https://example.com/a?x=1", Formats: []render.Format{render.FormatMarkdown, render.FormatLinks}}
	}
	same := []struct {
		name   string
		change func(*render.Request)
	}{
		{"formats in another order", func(r *render.Request) { r.Formats = []render.Format{render.FormatLinks, render.FormatMarkdown} }},
		{"a format twice", func(r *render.Request) {
			r.Formats = []render.Format{render.FormatLinks, render.FormatMarkdown, render.FormatLinks}
		}},
		{"upper-case scheme and host", func(r *render.Request) { r.URL = "HTTPS://Example.COM/a?x=1" }},
		{"default port", func(r *render.Request) { r.URL = "https://example.com:443/a?x=1" }},
		{"another cacheTTL", func(r *render.Request) { r.CacheTTL = ttl(3600) }},
	}
	for _, tc := range same {
		t.Run("same/"+tc.name, func(t *testing.T) {
			r := base()
			tc.change(r)
			if cache.Key(r) != cache.Key(base()) {
				t.Errorf("key differs from the base request's")
			}
		})
	}
	different := []struct {
		name   string
		change func(*render.Request)
	}{
		{"another path", func(r *render.Request) { r.URL = "https://example.com/b?x=1" }},
		{"another query", func(r *render.Request) { r.URL = "https://example.com/a?x=2" }},
		{"a fragment", func(r *render.Request) { r.URL = "https://example.com/a?x=1#/route" }},
		{"another port", func(r *render.Request) { r.URL = "https://example.com:8443/a?x=1" }},
		{"another format", func(r *render.Request) { r.Formats = []render.Format{render.FormatMarkdown} }},
		{"a viewport", func(r *render.Request) { r.Viewport = &render.Viewport{Width: 400, Height: 300} }},
		{"a user agent", func(r *render.Request) { r.UserAgent = "bot" }},
		{"a cookie", func(r *render.Request) { r.Cookies = []render.Cookie{{Name: "session", Value: "1"}} }},
		{"credentials", func(r *render.Request) { r.Authenticate = &render.Credentials{Username: "u", Password: "p"} }},
		{"a header", func(r *render.Request) { r.ExtraHTTPHeaders = map[string]string{"Accept-Language": "fr"} }},
		{"a selector to wait for", func(r *render.Request) { r.WaitForSelector = &render.WaitForSelector{Selector: "#app"} }},
		{"scripts off", func(r *render.Request) { no := false; r.JavaScriptEnabled = &no }},
		{"a timeout", func(r *render.Request) { r.GotoOptions = &render.GotoOptions{Timeout: 1000} }},
		{"html instead of url", func(r *render.Request) { r.URL, r.HTML = "", "<h1>Hi</h1>" }},
	}
	for _, tc := range different {
		t.Run("different/"+tc.name, func(t *testing.T) {
			r := base()
			tc.change(r)
			if cache.Key(r) == cache.Key(base()) {
				t.Errorf("key equals the base request's")
			}
		})
	}
	t.Run("html by content", func(t *testing.T) {
		a := cache.Key(&render.Request{HTML: "<p>one</p>"})
		if a != cache.Key(&render.Request{HTML: "<p>one</p>"}) || a == cache.Key(&render.Request{HTML: "<p>two</p>"}) {
			t.Error("keys of html input do not follow its content")
		}
	})
}

func newCache(t testing.TB, maxBytes int64) *cache.Cache {
	t.Helper()
	c, err := cache.New(cache.Options{MaxBytes: maxBytes})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestGetSet(t *testing.T) {
	c := newCache(t, 0)
	res := &render.Result{Markdown: "# Hello"}
	if _, ok := c.Get("k", time.Minute); ok {
		t.Fatal("hit in an empty cache")
	}
	c.Set("k", res, time.Minute)
	c.Wait()
	got, ok := c.Get("k", time.Minute)
	if !ok || got.Markdown != "# Hello" {
		t.Fatalf("Get = %v, %v after Set", got, ok)
	}
	if _, ok := c.Get("other", time.Minute); ok {
		t.Error("hit for another key")
	}
	if st := c.Stats(); st.Bytes < cache.Cost(res) || st.MaxBytes != cache.DefaultMaxBytes {
		t.Errorf("stats = %+v, want at least %d bytes of %d", st, cache.Cost(res), cache.DefaultMaxBytes)
	}
	c.Set("zero", res, 0) // a TTL of zero stores nothing
	c.Wait()
	if _, ok := c.Get("zero", time.Minute); ok {
		t.Error("stored with a zero TTL")
	}
}

// An entry leaves when its TTL ends, and a reader that accepts less age than
// the writer's TTL does not get an older one.
func TestExpiry(t *testing.T) {
	c := newCache(t, 0)
	c.Set("k", &render.Result{Text: "x"}, 300*time.Millisecond)
	c.Wait()
	if _, ok := c.Get("k", time.Minute); !ok {
		t.Fatal("miss right after Set")
	}
	time.Sleep(400 * time.Millisecond)
	if _, ok := c.Get("k", time.Minute); ok {
		t.Error("hit after the TTL ended")
	}

	c.Set("old", &render.Result{Text: "x"}, time.Minute)
	c.Wait()
	time.Sleep(100 * time.Millisecond)
	if _, ok := c.Get("old", 50*time.Millisecond); ok {
		t.Error("hit older than the reader's max age")
	}
	if _, ok := c.Get("old", time.Minute); !ok {
		t.Error("miss within both TTLs")
	}
}

// Under its byte budget the cache never holds more than the budget, and
// makes room by evicting.
func TestEvictionUnderBudget(t *testing.T) {
	const budget = 1 << 20
	c := newCache(t, budget)
	page := &render.Result{Markdown: strings.Repeat("x", 50<<10)}
	cost := cache.Cost(page)
	const n = 100 // five times the budget
	for i := range n {
		c.Set(fmt.Sprint("page", i), page, time.Hour)
		c.Wait()
		if st := c.Stats(); st.Bytes > budget {
			t.Fatalf("after %d entries: %d bytes held, budget %d", i+1, st.Bytes, budget)
		}
	}
	held := 0
	for i := range n {
		if _, ok := c.Get(fmt.Sprint("page", i), time.Hour); ok {
			held++
		}
	}
	if held == 0 || int64(held)*cost > budget {
		t.Errorf("%d entries of %d bytes held under a budget of %d", held, cost, budget)
	}
	if st := c.Stats(); st.Evictions == 0 || st.Bytes != int64(held)*cost {
		t.Errorf("stats = %+v with %d entries held; want evictions and %d bytes", st, held, int64(held)*cost)
	}
	if _, err := cache.New(cache.Options{MaxBytes: -1}); err == nil {
		t.Error("New accepted a negative budget")
	}
}

func BenchmarkGet50KB(b *testing.B) {
	c := newCache(b, 0)
	page := &render.Result{Markdown: strings.Repeat("x", 50<<10)}
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprint("page", i)
		c.Set(keys[i], page, time.Hour)
		c.Wait()
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, ok := c.Get(keys[i%len(keys)], time.Hour); !ok {
			b.Fatal("miss")
		}
		i++
	}
}

func BenchmarkSet50KB(b *testing.B) {
	c := newCache(b, 0)
	page := &render.Result{Markdown: strings.Repeat("x", 50<<10)}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c.Set(fmt.Sprint("page", i), page, time.Hour)
		i++
	}
	c.Wait()
}
