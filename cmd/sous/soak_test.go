package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sous-dev/sous/browserpool"
	"github.com/sous-dev/sous/fixtures"
)

// TestSoak runs 2,000 renders through a running `sous serve` over HTTP, eight
// at a time, with hostile pages mixed in, and checks that processes, file
// descriptors, goroutines and memory come back near where they started. It
// takes minutes, so it runs only with SOUS_SOAK=1 (make soak), and prints its
// measurements as a table.
//
// Default safety applies, except that the fixtures' address, 127.0.0.1, is
// allowed; the hostile page that hammers a private address aims at 127.0.0.2.
func TestSoak(t *testing.T) {
	if os.Getenv("SOUS_SOAK") == "" {
		t.Skip("set SOUS_SOAK=1 to run the soak (make soak)")
	}
	renders := 2000
	if n, err := strconv.Atoi(os.Getenv("SOUS_SOAK_RENDERS")); err == nil && n > 0 {
		renders = n
	}
	const clients = 8
	site := fixtures.Start()
	defer site.Close()
	s := startServer(t, "--concurrency", "4", "--allow-cidr", "127.0.0.1/32", "--crawl-max-bytes", "64MiB", "--crawl-host-delay", "1ms")
	pid := s.cmd.Process.Pid

	ordinary := []string{"/article.html", "/about.html", "/spa.html", "/table.html", "/big.html", "/resources.html", "/cookies/js.html", "/redirect/3"}
	formats := []string{`["markdown"]`, `["markdown", "links"]`, `["text", "metadata"]`, `["html"]`, `["screenshot"]`}
	hostile := []struct{ name, body string }{
		{"memory bomb", `{"html": "<script>const h = []; for (;;) h.push(new Array(1 << 20).fill(Math.random()));</script>", "cacheTTL": 0}`},
		{"window.open loop", `{"html": "<script>for (let i = 0; i < 200; i++) window.open('about:blank');</script>", "waitForTimeout": 500, "cacheTTL": 0}`},
		{"never loads", fmt.Sprintf(`{"url": %q, "engine": "browser", "gotoOptions": {"timeout": 1500}, "cacheTTL": 0}`, site.URL+"/never.html")},
		{"fetch to a blocked address", `{"html": "<script>setInterval(() => { for (let i = 0; i < 20; i++) fetch('http://127.0.0.2:9/x').catch(() => {}); }, 10);</script>", "waitForTimeout": 1000, "cacheTTL": 0}`},
		{"infinite loop", `{"html": "<script>for (;;) {}</script>", "gotoOptions": {"timeout": 1500}, "cacheTTL": 0}`},
		// Flooded the browser process for minutes before Chromium's
		// flooding protection was back on.
		{"pushState flood", `{"html": "<p>x</p><script>for (let i = 0; i < 5000000; i++) history.pushState({}, '', '#' + i)</script>", "gotoOptions": {"timeout": 10000}, "cacheTTL": 0}`},
		// 3 GiB outside the JavaScript heap: the renderer memory cap.
		{"ArrayBuffer bomb", `{"html": "<script>const h = []; for (let i = 0; i < 12; i++) h.push(new Uint8Array(256 << 20).fill(1));</script>", "cacheTTL": 0}`},
	}
	body := func(i int) (string, bool) {
		if i%40 == 39 {
			h := hostile[(i/40)%len(hostile)]
			return h.body, true
		}
		// Half go to the browser whatever the page; under engine auto the
		// static ones go over plain HTTP.
		engine := []string{"browser", "auto"}[(i/len(ordinary)/len(formats))%2]
		return fmt.Sprintf(`{"url": %q, "formats": %s, "engine": %q, "cacheTTL": 0}`, site.URL+ordinary[i%len(ordinary)], formats[(i/len(ordinary))%len(formats)], engine), false
	}
	post := func(b string) (int, error) {
		resp, err := http.Post(s.url+"/v1/render", "application/json", strings.NewReader(b))
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}

	// Warm up, so the baseline has a browser with its tabs, and the HTTP
	// client's connections are open.
	for i := range 16 {
		b, _ := body(i)
		if _, err := post(b); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(3 * time.Second)
	before := measure(t, s, pid)

	var next, ordinaryFailed, hostileDone, transportFailed atomic.Int64
	var statusMu sync.Mutex
	statuses := map[string]int{}
	var slowest time.Duration // of the ordinary renders
	start := time.Now()
	// While the soak runs, /readyz is asked every second: a hostile page
	// may cost its own render, never the service's readiness for long.
	probeDone := make(chan struct{})
	var probes, unready atomic.Int64
	var probing sync.WaitGroup
	probing.Go(func() {
		for {
			select {
			case <-probeDone:
				return
			case <-time.After(time.Second):
			}
			probes.Add(1)
			resp, err := http.Get(s.url + "/readyz")
			if err != nil || resp.StatusCode != 200 {
				unready.Add(1)
			}
			if err == nil {
				resp.Body.Close()
			}
		}
	})
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= renders {
					return
				}
				b, isHostile := body(i)
				t0 := time.Now()
				status, err := post(b)
				took := time.Since(t0)
				switch {
				case err != nil:
					transportFailed.Add(1)
				case isHostile:
					hostileDone.Add(1)
				case status != 200:
					ordinaryFailed.Add(1)
				}
				statusMu.Lock()
				statuses[strconv.Itoa(status)]++
				if !isHostile {
					slowest = max(slowest, took)
				}
				statusMu.Unlock()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(probeDone)
	probing.Wait()
	time.Sleep(5 * time.Second) // let wipes, closes and recycles finish
	after := measure(t, s, pid)

	var out strings.Builder
	fmt.Fprintf(&out, "soak: %d renders (%d hostile) in %v, %.1f/s, %d clients; statuses %v\n",
		renders, hostileDone.Load(), elapsed.Round(time.Second), float64(renders)/elapsed.Seconds(), clients, statuses)
	fmt.Fprintf(&out, "slowest ordinary render %v; /readyz not ready in %d of %d probes\n", slowest.Round(time.Millisecond), unready.Load(), probes.Load())
	fmt.Fprintf(&out, "%-28s %12s %12s %12s\n", "", "before", "after", "limit")
	limits := []struct {
		name          string
		before, after int64
		limit         int64
		unit          int64
	}{
		{"chromium processes", before.processes, after.processes, before.processes + 4, 1},
		{"service open fds", before.fds, after.fds, before.fds + 32, 1},
		{"service goroutines", before.goroutines, after.goroutines, 2*before.goroutines + 50, 1},
		{"service RSS (MiB)", before.rss, after.rss, 2*before.rss + 256<<20, 1 << 20},
		{"chromium PSS (MiB)", before.pss, after.pss, 2*before.pss + 512<<20, 1 << 20},
	}
	for _, l := range limits {
		fmt.Fprintf(&out, "%-28s %12d %12d %12d\n", l.name, l.before/l.unit, l.after/l.unit, l.limit/l.unit)
	}
	t.Log("\n" + out.String())
	fmt.Fprint(os.Stderr, out.String())
	for _, l := range limits {
		if l.after > l.limit {
			t.Errorf("%s: %d after the soak, %d before; the limit is %d", l.name, l.after/l.unit, l.before/l.unit, l.limit/l.unit)
		}
	}
	// Readiness may drop while a browser is replaced (a few seconds), not
	// for a tenth of the run.
	if n, of := unready.Load(), probes.Load(); n > of/10 {
		t.Errorf("/readyz was not ready in %d of %d probes", n, of)
	}
	if n := transportFailed.Load(); n > 0 {
		t.Errorf("%d requests failed at the HTTP level", n)
	}
	// Ordinary renders may lose a few to a hostile neighbour in the same
	// browser (a recycle, a crash), never many.
	if n := ordinaryFailed.Load(); n > int64(renders)/100 {
		t.Errorf("%d ordinary renders failed", n)
	}
	soakLargeCrawls(t, s, pid)
	if t.Failed() {
		t.Logf("sous serve's log:\n%s", s.stderr)
	}
}

// soakLargeCrawls crawls a site of 3 MB pages three times over, with a
// crawl budget of 64 MiB, and checks that the service's memory stays flat:
// jobs past their part end, older jobs lose their content.
func soakLargeCrawls(t *testing.T, s *server, pid int) {
	const pages, pageBytes = 60, 3 << 20
	paragraph := strings.Repeat("Large pages test the crawl's memory budget, not the reader's patience. ", 20)
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/large/"))
		if err != nil || n < 0 || n >= pages {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!DOCTYPE html><title>Large %d</title><main><h1>Large page %d</h1>", n, n)
		for m := range 2 {
			fmt.Fprintf(w, `<a href="/large/%d">next</a> `, (2*n+1+m)%pages)
		}
		for written := 0; written < pageBytes; written += len(paragraph) + 7 {
			fmt.Fprintf(w, "<p>%s</p>", paragraph)
		}
		fmt.Fprint(w, "</main>")
	}))
	defer site.Close()
	rss := func() int64 { return measure(t, s, pid).rss }
	before, peak := rss(), int64(0)
	var statuses []string
	for range 3 {
		resp, err := http.Post(s.url+"/v1/crawl", "application/json", strings.NewReader(fmt.Sprintf(
			`{"url": %q, "limit": %d, "render": false, "formats": ["markdown", "html"], "source": "links"}`, site.URL+"/large/0", pages)))
		if err != nil {
			t.Fatal(err)
		}
		var started struct{ Result string }
		json.NewDecoder(resp.Body).Decode(&started)
		resp.Body.Close()
		for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(500 * time.Millisecond) {
			peak = max(peak, rss())
			resp, err := http.Get(s.url + "/v1/crawl/" + started.Result + "?limit=1")
			if err != nil {
				t.Fatal(err)
			}
			var job struct {
				Result struct{ Status, Error string }
			}
			json.NewDecoder(resp.Body).Decode(&job)
			resp.Body.Close()
			if job.Result.Status != "running" {
				statuses = append(statuses, job.Result.Status+": "+job.Result.Error)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("a large crawl still running after 5 minutes")
			}
		}
	}
	msg := fmt.Sprintf("large crawls (%d pages of %d MiB, budget 64 MiB): service RSS %d MiB before, peak %d MiB; jobs %q\n",
		pages, pageBytes>>20, before>>20, peak>>20, statuses)
	t.Log(msg)
	fmt.Fprint(os.Stderr, msg)
	// Records hold markdown and html: 64 MiB of them, plus a few pages in
	// flight and the garbage collector's slack.
	if peak > before+512<<20 {
		t.Errorf("the service's RSS rose from %d MiB to %d MiB over the large crawls", before>>20, peak>>20)
	}
}

type soakUsage struct {
	processes, fds, goroutines, rss, pss int64
}

func measure(t *testing.T, s *server, pid int) soakUsage {
	t.Helper()
	var u soakUsage
	u.processes = int64(browserpool.CountProcesses(s.tmp))
	if fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
		u.fds = int64(len(fds))
	}
	if status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		for line := range strings.Lines(string(status)) {
			if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
				u.rss = kb << 10
			}
		}
	}
	u.pss = chromiumPSS(s.tmp)
	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			f, _ := strconv.ParseFloat(rest, 64)
			u.goroutines = int64(f)
		}
	}
	if u.goroutines == 0 {
		t.Fatal("no go_goroutines in /metrics")
	}
	return u
}

// chromiumPSS sums the proportional set size of every process with a
// Chromium profile under dir (renderers included: their command lines are
// space-separated, so the directory is looked for anywhere in them).
func chromiumPSS(dir string) int64 {
	entries, _ := os.ReadDir("/proc")
	var total int64
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.Contains(cmdline, []byte("--user-data-dir="+dir)) || bytes.Contains(cmdline, []byte("sous-guard")) {
			continue
		}
		rollup, err := os.ReadFile(filepath.Join("/proc", e.Name(), "smaps_rollup"))
		if err != nil {
			continue
		}
		for line := range strings.Lines(string(rollup)) {
			if rest, ok := strings.CutPrefix(line, "Pss:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
				total += kb << 10
			}
		}
	}
	return total
}
