package cluster_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/sous-dev/sous/crawl"
)

// BenchmarkHit compares a hit in this node's memory with a hit in the
// shared cache of a page another node rendered: p50 and p99 per lookup.
//
//	go test -run '^$' -bench Hit ./cluster
func BenchmarkHit(b *testing.B) {
	ns := startNATS(b)
	a, c := startNode(b, ns, "a", nodeOptions{}), startNode(b, ns, "c", nodeOptions{})
	p := &page{size: 20 << 10} // an article's worth of text
	url := serve(b, p)
	ctx := context.Background()
	b.Run("local", func(b *testing.B) {
		if _, err := a.svc.Render(ctx, httpRequest(url+"/local")); err != nil {
			b.Fatal(err)
		}
		var took []time.Duration
		for b.Loop() {
			start := time.Now()
			if _, err := a.svc.Render(ctx, httpRequest(url+"/local")); err != nil {
				b.Fatal(err)
			}
			took = append(took, time.Since(start))
		}
		reportQuantiles(b, took)
	})
	b.Run("cross-node", func(b *testing.B) {
		var took []time.Duration
		i := 0
		for b.Loop() {
			b.StopTimer()
			i++
			u := fmt.Sprintf("%s/cross/%d", url, i)
			if _, err := a.svc.Render(ctx, httpRequest(u)); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			start := time.Now()
			res, err := c.svc.Render(ctx, httpRequest(u))
			if err != nil {
				b.Fatal(err)
			}
			took = append(took, time.Since(start))
			if res.Meta.Cache != "hit" {
				b.Fatalf("cache %q on the second node, want hit", res.Meta.Cache)
			}
		}
		reportQuantiles(b, took)
	})
}

// BenchmarkStore renders 1,000 article-sized pages on one node and reports
// what JetStream keeps for them: bytes on disk (file storage) and in memory.
func BenchmarkStore(b *testing.B) {
	for b.Loop() {
		ns := startNATS(b)
		a := startNode(b, ns, "a", nodeOptions{})
		url := serve(b, &page{size: 20 << 10})
		before := jetStreamUse(b, ns.srv)
		ctx := context.Background()
		for i := range 1000 {
			if _, err := a.svc.Render(ctx, httpRequest(fmt.Sprintf("%s/p/%d", url, i))); err != nil {
				b.Fatal(err)
			}
		}
		time.Sleep(200 * time.Millisecond) // stores are asynchronous
		after := jetStreamUse(b, ns.srv)
		b.ReportMetric(float64(after.Store-before.Store)/(1<<20), "disk-MiB/1000pages")
		b.ReportMetric(float64(after.Memory-before.Memory)/(1<<20), "mem-MiB/1000pages")
	}
}

func jetStreamUse(b *testing.B, s *server.Server) server.JetStreamStats {
	b.Helper()
	jsz, err := s.Jsz(&server.JSzOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return jsz.JetStreamStats
}

// BenchmarkCrawl crawls a 200-page site (each page answers in 20 ms) with
// one node and with three, all in this process on this machine.
func BenchmarkCrawl(b *testing.B) {
	const pages = 200
	for _, count := range []int{1, 3} {
		b.Run(fmt.Sprintf("nodes=%d", count), func(b *testing.B) {
			for b.Loop() {
				ns := startNATS(b)
				base := serve(b, &bigSite{pages: pages, hits: map[int]int{}})
				var nodes []*crawlNode
				for i := range count {
					nodes = append(nodes, startCrawlNode(b, ns, fmt.Sprintf("n%d", i)))
				}
				start := time.Now()
				j, err := nodes[0].crawls.Start(context.Background(), siteRequest(base, pages))
				if err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				err = j.Wait(ctx)
				cancel()
				if err != nil || j.Result(crawl.Page{}).Finished != pages {
					b.Fatalf("crawl: %v, %+v", err, j.Progress())
				}
				b.ReportMetric(pages/time.Since(start).Seconds(), "pages/s")
			}
		})
	}
}

func reportQuantiles(b *testing.B, took []time.Duration) {
	if len(took) == 0 {
		return
	}
	slices.Sort(took)
	q := func(f float64) float64 { return float64(took[int(f*float64(len(took)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
}
