package isolate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sous-dev/sous/isolate"
)

// BenchmarkTrivialScript is a post-processing script end to end, as
// render.Service calls it: a fresh runtime in a pre-started worker, the
// page and the result across the pipe. It reports the latency percentiles.
func BenchmarkTrivialScript(b *testing.B) {
	input := json.RawMessage(`{"url": "https://example.com/", "title": "Example", "markdown": "# Example"}`)
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		out, err := pool.Eval(context.Background(), `return page.title.length`, input)
		took = append(took, time.Since(start))
		if err != nil || string(out) != "7" {
			b.Fatalf("%s, %v", out, err)
		}
	}
	b.ReportMetric(ms(percentile(took, 50)), "p50-ms")
	b.ReportMetric(ms(percentile(took, 99)), "p99-ms")
}

// BenchmarkTransform50KB is a script over a 50 KB page: a table of
// contents and the internal links, or the ten commonest words.
func BenchmarkTransform50KB(b *testing.B) {
	var md strings.Builder
	var links []map[string]any
	for i := 0; md.Len() < 50<<10; i++ {
		fmt.Fprintf(&md, "## Section %d\n\nSome words about sourdough, starters and winter kitchens, paragraph %d. [more](https://example.com/%d)\n\n", i, i, i)
		links = append(links, map[string]any{"url": fmt.Sprintf("https://example.com/%d", i), "text": "more", "internal": i%2 == 0})
	}
	input, _ := json.Marshal(map[string]any{"url": "https://example.com/", "title": "Long", "markdown": md.String(), "links": links})
	scripts := []struct{ name, src string }{
		{"toc", `
			const toc = page.markdown.split("\n").filter(l => l.startsWith("#")).map(l => l.replace(/^#+\s*/, ""));
			return {toc, internal: page.links.filter(l => l.internal).map(l => l.url)}`},
		{"word-count", `
			const words = {};
			for (const w of page.markdown.toLowerCase().match(/[a-z]+/g)) words[w] = (words[w] || 0) + 1;
			return Object.entries(words).sort((a, b) => b[1] - a[1]).slice(0, 10)`},
	}
	for _, script := range scripts {
		b.Run(script.name, func(b *testing.B) {
			b.SetBytes(int64(len(input)))
			var took []time.Duration
			for b.Loop() {
				start := time.Now()
				if _, err := pool.Eval(context.Background(), script.src, input); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(start))
			}
			b.ReportMetric(ms(percentile(took, 50)), "p50-ms")
		})
	}
}

// BenchmarkWorkerStart is what the pool saves by starting workers ahead:
// one worker process from exec to ready.
func BenchmarkWorkerStart(b *testing.B) {
	for b.Loop() {
		p, err := isolate.New(context.Background(), isolate.Options{Command: isolate.SelfCommand(), Workers: 1})
		if err != nil {
			b.Fatal(err)
		}
		p.Close()
	}
}

// BenchmarkIdleWorkerMemory reports what an idle worker costs the machine:
// its resident and proportional set sizes (the binary's pages are shared
// between workers, which PSS divides among them).
func BenchmarkIdleWorkerMemory(b *testing.B) {
	for b.Loop() {
		// Warm every worker with a run, as in service.
		for range 4 {
			pool.Eval(context.Background(), "return 1", nil)
		}
	}
	var rss, pss []float64
	for _, pid := range workersOf(os.Getpid()) {
		r, p := smaps(pid)
		rss, pss = append(rss, r), append(pss, p)
	}
	if len(rss) == 0 {
		b.Skip("no /proc")
	}
	b.ReportMetric(slices.Max(rss), "rss-MiB")
	b.ReportMetric(slices.Max(pss), "pss-MiB")
}

func workersOf(ppid int) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		cmdline, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if len(fields) > 1 && fields[1] == strconv.Itoa(ppid) && bytes.Contains(cmdline, []byte(isolate.WorkerCommand)) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// smaps returns a process's RSS and PSS in MiB.
func smaps(pid int) (rss, pss float64) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/smaps_rollup")
	if err != nil {
		return 0, 0
	}
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "Rss:":
			rss = kb / 1024
		case "Pss:":
			pss = kb / 1024
		}
	}
	return rss, pss
}

func percentile(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
