package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sous-dev/sous/api"
	"github.com/sous-dev/sous/browserpool"
	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/isolate"
	"github.com/sous-dev/sous/render"
)

// BenchmarkCodeMode compares five renders made by one code-mode program,
// in parallel (Promise.all) and one after another, with five sequential
// POST /v1/render calls, as an agent making five tool calls would. Every
// render is a real one (cacheTTL 0) in a browser with five tabs.
func BenchmarkCodeMode(b *testing.B) {
	browser, err := browserpool.New(context.Background(), browserpool.Options{Tabs: 5, AllowPrivate: true})
	if err != nil {
		b.Fatal(err)
	}
	defer browser.Close()
	isolates, err := isolate.New(context.Background(), isolate.Options{Command: isolate.SelfCommand()})
	if err != nil {
		b.Fatal(err)
	}
	defer isolates.Close()
	svc, err := render.NewService(render.Options{Fetcher: browser, Extractor: extract.New(), Concurrency: 5, Processor: isolates})
	if err != nil {
		b.Fatal(err)
	}
	base := serveAPI(b, api.New(svc, api.Options{Programs: isolates.Programs(svc)}))

	// Fixture pages, which cost only CPU, and pages whose server takes
	// 300 ms to answer, as a distant site does.
	sets := map[string][]string{}
	for i, p := range []string{"article", "about", "contact", "links", "privacy"} {
		sets["local"] = append(sets["local"], site.URL+"/"+p+".html")
		sets["300ms-latency"] = append(sets["300ms-latency"], fmt.Sprintf("%s/slow?ms=300&page=%d", site.URL, i))
	}
	for _, set := range []string{"local", "300ms-latency"} {
		urls := sets[set]
		list, _ := json.Marshal(urls)
		program := func(code string) func(b *testing.B) {
			return func(b *testing.B) {
				body, _ := json.Marshal(map[string]any{"code": fmt.Sprintf("const urls = %s;\n%s", list, code)})
				var took []time.Duration
				for b.Loop() {
					start := time.Now()
					var env api.RunEnvelope
					postBench(b, base+"/v1/run", string(body), &env)
					took = append(took, time.Since(start))
					if !env.Success || env.Meta.Renders != 5 {
						b.Fatalf("%+v", env)
					}
				}
				b.ReportMetric(msOf(took), "p50-ms")
			}
		}
		b.Run(set+"/program-parallel", program(`
			const pages = await Promise.all(urls.map(url => sous.render({url, cacheTTL: 0})));
			return pages.map(p => p.markdown.length)`))
		b.Run(set+"/program-sequential", program(`
			const lengths = [];
			for (const url of urls) lengths.push((await sous.render({url, cacheTTL: 0})).markdown.length);
			return lengths`))
		b.Run(set+"/http-5-calls", func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				start := time.Now()
				for _, u := range urls {
					var env api.Envelope
					postBench(b, base+"/v1/render", fmt.Sprintf(`{"url": %q, "cacheTTL": 0}`, u), &env)
					if !env.Success {
						b.Fatalf("%+v", env.Errors)
					}
				}
				took = append(took, time.Since(start))
			}
			b.ReportMetric(msOf(took), "p50-ms")
		})
	}
}

func postBench(b *testing.B, url, body string, v any) {
	b.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		b.Fatal(err)
	}
}

func msOf(took []time.Duration) float64 { return ms(percentile(took, 50)) }
