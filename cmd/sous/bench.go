package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/sous-dev/sous/browserpool"
	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/fixtures"
	"github.com/sous-dev/sous/render"
)

// bench measures render throughput and latency for four ways of running
// Chromium, on the same page, and prints one table:
//
//	isolated  the pool as served: a tab per render, wiped between renders
//	reused    the pool without isolation: tabs reused as they are
//	naive     a new Chromium for every request
//	service   the whole service: a `sous serve` child answering POST
//	          /v1/render over HTTP (engine browser, cache bypassed), with
//	          as many tabs as the isolated pool
//
// then, unless --fidelity=false, a second table of what the default path's
// settling, scroll pass and frames cost (benchfidelity.go). With --trace,
// each pool mode's measured renders are traced in Chromium, and where the
// thread time went is printed per render (benchtrace.go).
func bench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", "bench [flags]\n\nMeasures pages/s and latency of isolated pool renders against a reused tab\nand a browser launched per request, on a local fixture page.", stdout)
	levels := fs.String("concurrency", "1,4,8", "comma-separated concurrency levels")
	requests := fs.Int("requests", 48, "renders per level for the pool modes (the naive mode does a third as many)")
	modes := fs.String("modes", "isolated,reused,naive,service", "modes to run, comma-separated")
	page := fs.String("url", "/article.html", "page to render: a URL, or a path on the local fixture server (/resources.html has a stylesheet, a script, an image and a font)")
	chrome := fs.String("chrome", "", "Chromium executable")
	fidelity := fs.Bool("fidelity", true, "also measure what settling, the scroll pass and frames cost (one render at a time)")
	fidelityRenders := fs.Int("fidelity-renders", 15, "renders per row of the fidelity table")
	corpusPages := fs.Int("corpus-pages", 10, "article-corpus pages in the fidelity table (0: none)")
	trace := fs.String("trace", "", "record a Chromium trace (category toplevel) of each pool mode's measured renders to `prefix`-MODE-cLEVEL.json, for Perfetto, and print where its thread time went per render; tracing costs CPU of its own, so the traced levels' figures run lower")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of this process (pool, extraction, fixture server) to `file`, for go tool pprof")
	if rest, err := fs.parse(args); err != nil {
		return err
	} else if len(rest) > 0 {
		return fs.usageError("bench takes no arguments, got %q", rest)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var conc []int
	for _, s := range strings.Split(*levels, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("--concurrency: %q is not a positive number", s)
		}
		conc = append(conc, n)
	}
	target := *page
	if strings.HasPrefix(target, "/") {
		srv := fixtures.Start()
		defer srv.Close()
		target = srv.URL + target
	}
	maxConc := slices.Max(conc)

	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(stdout, "page: %s, %d renders per level (naive: %d), %d CPUs\n\n", target, *requests, max(*requests/3, 4), runtime.NumCPU())
	fmt.Fprintln(tw, "mode\tconcurrency\tpages/s\tp50 ms\tp99 ms\tCPU ms/page\tbrowser PSS MiB\terrors\t")
	rates := map[string]map[int]float64{}
	var split []string // CPU ms/page by kind of process, per pool mode and level
	var traces []tracedLevel
	for _, mode := range strings.Split(*modes, ",") {
		mode = strings.TrimSpace(mode)
		var fetcher render.Fetcher
		var pool *browserpool.Pool
		var service *benchService
		n := *requests
		switch mode {
		case "service":
			var err error
			if service, err = startBenchService(ctx, *chrome, maxConc); err != nil {
				return err
			}
		case "isolated", "reused":
			p, err := browserpool.New(ctx, browserpool.Options{ExecPath: *chrome, Tabs: maxConc, AllowPrivate: true, Unisolated: mode == "reused"})
			if err != nil {
				return err
			}
			fetcher, pool = p, p
		case "naive":
			fetcher = &browserpool.Launcher{ExecPath: *chrome, AllowPrivate: true}
			n = max(*requests/3, 4)
		default:
			return fmt.Errorf("--modes: unknown mode %q", mode)
		}
		rates[mode] = map[int]float64{}
		for _, c := range conc {
			do := func(ctx context.Context) error { return service.render(ctx, target) }
			if service == nil {
				svc, err := render.NewService(render.Options{Fetcher: fetcher, Extractor: extract.New(), Concurrency: c, Queue: n})
				if err != nil {
					return err
				}
				do = func(ctx context.Context) error {
					_, err := svc.Render(ctx, &render.Request{URL: target, Formats: []render.Format{render.FormatMarkdown}})
					return err
				}
			}
			// Warm every tab first, spare ones included: a render is the
			// first in its tab only once, and a tab's first render starts
			// a renderer process for the page's site (the warm-up page has
			// none), which a steady-state figure should not carry.
			if mode != "naive" {
				tabs := maxConc
				if pool != nil {
					tabs = pool.Stats().Tabs
				}
				runLevel(ctx, do, maxConc, tabs)
			}
			var stopTrace func(context.Context, io.Writer) error
			if *trace != "" && pool != nil {
				var err error
				if stopTrace, err = pool.Trace(ctx, traceCategories...); err != nil {
					return err
				}
			}
			cpu0 := benchCPU(ctx, pool)
			r := runLevel(ctx, do, c, n)
			pss, cpu := "-", "-"
			if done := n - r.errors; pool != nil && done > 0 {
				pss = fmt.Sprintf("%.0f", float64(pool.MemoryPSS())/(1<<20))
				var total time.Duration
				var kinds []string
				for kind, d := range benchCPU(ctx, pool) {
					if d -= cpu0[kind]; d > 0 {
						total += d
						kinds = append(kinds, fmt.Sprintf("%s %.0f", kind, float64(d.Milliseconds())/float64(done)))
					}
				}
				cpu = fmt.Sprintf("%.0f", float64(total.Milliseconds())/float64(done))
				slices.Sort(kinds)
				split = append(split, fmt.Sprintf("%s at concurrency %d: %s", mode, c, strings.Join(kinds, ", ")))
			}
			if stopTrace != nil {
				file := fmt.Sprintf("%s-%s-c%d.json", *trace, mode, c)
				if err := saveTrace(ctx, stopTrace, file); err != nil {
					return err
				}
				traces = append(traces, tracedLevel{fmt.Sprintf("%s at concurrency %d", mode, c), file, n - r.errors})
			}
			rates[mode][c] = r.rate
			fmt.Fprintf(tw, "%s\t%d\t%.2f\t%d\t%d\t%s\t%s\t%d\t\n", mode, c, r.rate, r.p50.Milliseconds(), r.p99.Milliseconds(), cpu, pss, r.errors)
			fmt.Fprintf(stderr, "bench: %s at concurrency %d: %.2f pages/s\n", mode, c, r.rate)
		}
		if pool != nil {
			pool.Close()
		}
		if service != nil {
			if err := service.stop(); err != nil {
				return err
			}
		}
	}
	tw.Flush()
	fmt.Fprintln(stdout)
	if len(split) > 0 {
		fmt.Fprintln(stdout, "CPU ms/page by process (sous: this process, fixture server included):")
		for _, line := range split {
			fmt.Fprintln(stdout, "  "+line)
		}
		fmt.Fprintln(stdout)
	}
	for _, tl := range traces {
		if err := writeTraceSummary(stdout, tl.label, tl.file, tl.renders); err != nil {
			return err
		}
		fmt.Fprintln(stdout)
	}
	for _, c := range conc {
		iso, reused, naive, service := rates["isolated"][c], rates["reused"][c], rates["naive"][c], rates["service"][c]
		var ratios []string
		if iso > 0 && naive > 0 {
			ratios = append(ratios, fmt.Sprintf("isolated is %.1f× naive", iso/naive))
		}
		if iso > 0 && reused > 0 {
			ratios = append(ratios, fmt.Sprintf("reused is %.2f× isolated", reused/iso))
		}
		if iso > 0 && service > 0 {
			ratios = append(ratios, fmt.Sprintf("isolated is %.2f× the service", iso/service))
		}
		if len(ratios) > 0 {
			fmt.Fprintf(stdout, "concurrency %d: %s\n", c, strings.Join(ratios, "; "))
		}
	}
	if *fidelity {
		dir := ""
		if *corpusPages > 0 {
			dir = articleCorpusDir()
		}
		return benchFidelity(ctx, stdout, *chrome, *fidelityRenders, dir, *corpusPages)
	}
	return nil
}

// benchCPU returns the processor time used so far by this process
// ("sous") and by the pool's browsers, by kind of process, once every tab is
// back in the pool: the cleanup after a render is part of its cost. Without
// a pool it returns nil.
func benchCPU(ctx context.Context, pool *browserpool.Pool) map[string]time.Duration {
	if pool == nil {
		return nil
	}
	deadline := time.Now().Add(30 * time.Second)
	for st := pool.Stats(); st.Idle < st.Tabs && ctx.Err() == nil && time.Now().Before(deadline); st = pool.Stats() {
		time.Sleep(10 * time.Millisecond)
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	byKind := pool.CPUTime()
	byKind["sous"] = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return byKind
}

type levelResult struct {
	rate     float64
	p50, p99 time.Duration
	errors   int
}

// runLevel runs n renders, c at a time.
func runLevel(ctx context.Context, render func(context.Context) error, c, n int) levelResult {
	jobs := make(chan int)
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	var wg sync.WaitGroup
	start := time.Now()
	for range c {
		wg.Go(func() {
			for range jobs {
				t0 := time.Now()
				err := render(ctx)
				mu.Lock()
				if err != nil {
					errs++
				} else {
					lat = append(lat, time.Since(t0))
				}
				mu.Unlock()
			}
		})
	}
	for i := range n {
		select {
		case jobs <- i:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	r := levelResult{rate: float64(len(lat)) / elapsed.Seconds(), errors: errs}
	if len(lat) > 0 {
		r.p50 = lat[len(lat)/2]
		r.p99 = lat[min(len(lat)-1, len(lat)*99/100)]
	}
	return r
}
