package api_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sous-dev/sous/fixtures"
)

// BenchmarkCacheHitHTTP measures a cache hit end to end: a POST /v1/render
// over a real connection, answered from memory. It reports the latency
// percentiles of the hits, and those of a few uncached renders of the same
// request (cacheTTL=0) for comparison.
func BenchmarkCacheHitHTTP(b *testing.B) {
	site := fixtures.Start()
	defer site.Close()
	s := startCached(b, func() bool { return true })
	body := fmt.Sprintf(`{"url": %q, "formats": ["markdown", "links", "metadata"]}`, site.URL+"/article.html")
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	post := func(query string) time.Duration {
		start := time.Now()
		resp, err := client.Post(s.url+"/v1/render"+query, "application/json", strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
		return time.Since(start)
	}
	var misses []time.Duration
	for range 10 {
		misses = append(misses, post("?cacheTTL=0"))
	}
	post("?cacheTTL=3600") // the one render the hits reuse
	s.cache.Wait()

	var hits []time.Duration
	b.ResetTimer()
	for b.Loop() {
		hits = append(hits, post("?cacheTTL=3600"))
	}
	b.StopTimer()
	hitP50, hitP99 := percentile(hits, 50), percentile(hits, 99)
	missP50 := percentile(misses, 50)
	b.ReportMetric(ms(hitP50), "hit-p50-ms")
	b.ReportMetric(ms(hitP99), "hit-p99-ms")
	b.ReportMetric(ms(missP50), "miss-p50-ms")
	b.ReportMetric(float64(missP50)/float64(hitP50), "miss/hit")
	if n := site.Hits("/article.html"); n != 11 {
		b.Errorf("%d renders of the page, want 11: the hits did not all come from the cache", n)
	}
}

func percentile(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
